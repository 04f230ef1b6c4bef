"""The Neo4j a benchmark may clear: a throwaway server it starts itself (scripts/neo4j-local in a temporary
home, free ports), or one the user marked as scratch with STDD_TEST_NEO4J_URI. Never NEO4J_URI's server."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from askg.store.neo4j_store import Neo4jStore
from tests.scratch_neo4j import ScratchUnavailable, scratch_server


@contextmanager
def scratch_store() -> Iterator[Neo4jStore]:
    try:
        server = scratch_server()
    except ScratchUnavailable as exc:
        sys.exit(f"error: no scratch Neo4j to clear ({exc}); set STDD_TEST_NEO4J_URI to a server that may be emptied")
    print(f"scratch Neo4j: {server.uri}" + (" (started for this run)" if server.home else " (STDD_TEST_NEO4J_URI)"),
          file=sys.stderr)
    try:
        with Neo4jStore(server.uri, server.user, server.password) as store:
            yield store
    finally:
        server.stop()
