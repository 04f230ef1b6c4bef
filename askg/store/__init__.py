"""Graph stores: `open_store` picks Neo4j or the embedded file store from configuration."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from askg.errors import InputError
from askg.settings import AskgSettings, default_store_path, is_neo4j_uri
from askg.store.base import GraphStats, GraphStore

__all__ = ["GraphStats", "GraphStore", "open_store", "resolve_store_location"]


def resolve_store_location(store: str | None, settings: AskgSettings) -> str:
    """The explicit `--store`, else ASKG_STORE, else NEO4J_URI, else the default embedded file."""
    return store or settings.askg_store or settings.neo4j_uri or str(default_store_path())


def check_neo4j_uri(uri: str) -> None:
    """InputError (never echoing a password) for a URI with credentials, without a host, or a bad port."""
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        raise InputError(f"{_redacted(uri)}: not a valid Neo4j URI (e.g. bolt://127.0.0.1:7687)") from None
    if parts.username is not None or parts.password is not None:
        raise InputError(
            f"{_redacted(uri)}: credentials in the URI are not accepted (they would end up in logs and "
            "`ps`); set NEO4J_USER / NEO4J_PASSWORD (or .env) instead"
        )
    if not parts.hostname:
        raise InputError(f"{uri}: no host in the Neo4j URI (e.g. bolt://127.0.0.1:7687); nothing is assumed")
    if port == 0:
        raise InputError(f"{uri}: port 0 is not a Neo4j port")


def _redacted(uri: str) -> str:
    scheme, sep, rest = uri.partition("://")
    if "@" in rest.split("/", 1)[0]:
        rest = "***@" + rest.split("@", 1)[1]
    return f"{scheme}{sep}{rest}"


def open_store(store: str | None = None, settings: AskgSettings | None = None) -> GraphStore:
    settings = settings or AskgSettings()
    location = resolve_store_location(store, settings)
    if is_neo4j_uri(location):
        check_neo4j_uri(location)
        from askg.store.neo4j_store import Neo4jStore

        password = settings.neo4j_password.get_secret_value() if settings.neo4j_password else None
        graph: GraphStore = Neo4jStore(location, settings.neo4j_user, password, settings.neo4j_database)
    else:
        from askg.store.embedded import EmbeddedStore

        graph = EmbeddedStore(Path(location).expanduser())
    graph.ensure_schema()
    return graph
