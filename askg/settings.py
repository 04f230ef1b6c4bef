"""Configuration from the environment or a `.env` file (pydantic-settings)."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

NEO4J_SCHEMES = ("neo4j://", "neo4j+s://", "neo4j+ssc://", "bolt://", "bolt+s://", "bolt+ssc://")


class AskgSettings(BaseSettings):
    """`ASKG_STORE` is a file path (embedded store) or a Neo4j URI; without it, `NEO4J_URI` selects
    Neo4j, and with neither the embedded store at `default_store_path()` is used."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    askg_store: str | None = None
    neo4j_uri: str | None = None
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr | None = None
    neo4j_database: str | None = None
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    askg_llm_model: str | None = None


def default_store_path() -> Path:
    """The embedded store used when nothing is configured: `$XDG_DATA_HOME/askg/graph.json`."""
    import os

    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "askg" / "graph.json"


def is_neo4j_uri(value: str) -> bool:
    return value.lower().startswith(NEO4J_SCHEMES)
