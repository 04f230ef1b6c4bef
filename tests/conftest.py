"""Shared fixtures: paths to ../shared reference data, a Neo4j connection for integration tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("STDD_SHARED_DIR", REPO.parent / "shared"))
REFERENCE = SHARED / "data" / "reference"

NEO4J_URI = os.environ.get("NEO4J_URI", "bolt://127.0.0.1:7687")
NEO4J_USER = os.environ.get("NEO4J_USER", "neo4j")
NEO4J_PASSWORD = os.environ.get("NEO4J_PASSWORD", "stdd-local-dev")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def reference_file(*parts: str) -> Path:
    path = REFERENCE.joinpath(*parts)
    if not path.exists():
        if in_ci():
            pytest.fail(f"reference file missing: {path}")
        pytest.skip(f"reference file missing: {path}")
    return path


@pytest.fixture(scope="session")
def neo4j_available() -> bool:
    from neo4j import GraphDatabase

    try:
        with GraphDatabase.driver(NEO4J_URI, auth=(NEO4J_USER, NEO4J_PASSWORD), connection_timeout=3) as driver:
            driver.verify_connectivity()
        return True
    except Exception as exc:
        if in_ci():
            pytest.fail(f"Neo4j not reachable at {NEO4J_URI} in CI: {exc}")
        return False


@pytest.fixture
def neo4j_env(neo4j_available: bool) -> Iterator[dict[str, str]]:
    """Connection settings for a clean Neo4j database (everything deleted before the test)."""
    if not neo4j_available:
        pytest.skip(f"Neo4j not reachable at {NEO4J_URI} (start it with scripts/neo4j-local start)")
    from neo4j import GraphDatabase

    with GraphDatabase.driver(NEO4J_URI, auth=(NEO4J_USER, NEO4J_PASSWORD)) as driver:
        driver.execute_query("MATCH (n) DETACH DELETE n")
    yield {"NEO4J_URI": NEO4J_URI, "NEO4J_USER": NEO4J_USER, "NEO4J_PASSWORD": NEO4J_PASSWORD}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No store or LLM configured from the developer's environment; XDG dirs inside tmp_path."""
    for var in ("ASKG_STORE", "NEO4J_URI", "NEO4J_DATABASE", "OPENAI_API_KEY", "OPENAI_BASE_URL", "ASKG_LLM_MODEL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.chdir(tmp_path)
    return tmp_path
