"""Graph stores: `open_store` picks Neo4j or the embedded file store from configuration."""

from __future__ import annotations

from pathlib import Path

from askg.settings import AskgSettings, default_store_path, is_neo4j_uri
from askg.store.base import GraphStats, GraphStore

__all__ = ["GraphStats", "GraphStore", "open_store", "resolve_store_location"]


def resolve_store_location(store: str | None, settings: AskgSettings) -> str:
    """The explicit `--store`, else ASKG_STORE, else NEO4J_URI, else the default embedded file."""
    return store or settings.askg_store or settings.neo4j_uri or str(default_store_path())


def open_store(store: str | None = None, settings: AskgSettings | None = None) -> GraphStore:
    settings = settings or AskgSettings()
    location = resolve_store_location(store, settings)
    if is_neo4j_uri(location):
        from askg.store.neo4j_store import Neo4jStore

        password = settings.neo4j_password.get_secret_value() if settings.neo4j_password else None
        graph: GraphStore = Neo4jStore(location, settings.neo4j_user, password, settings.neo4j_database)
    else:
        from askg.store.embedded import EmbeddedStore

        graph = EmbeddedStore(Path(location).expanduser())
    graph.ensure_schema()
    return graph
