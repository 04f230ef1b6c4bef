"""The oldest Neo4j our Cypher runs on, and the check of a server's version string against it.

askg.store.cypher uses variable-scoped subqueries (`CALL (a) { … }`, Neo4j 5.23) and `COLLECT { … }`
subqueries (5.6); an older server would fail mid-build with a syntax error instead of at connect.
"""

from __future__ import annotations

import re

from askg.errors import StoreUnavailableError

MIN_NEO4J_VERSION = (5, 23)
_LEADING_VERSION = re.compile(r"\s*(\d+)\.(\d+)")


class Neo4jVersionError(StoreUnavailableError):
    """The server answers but is too old for our Cypher (or does not say which version it is)."""


def parse_version(text: str) -> tuple[int, int] | None:
    """(major, minor) of "5.26.0", "5.27-aura", "2025.01.0" (calendar versions are newer than 5.x); None
    when the text does not start with major.minor."""
    found = _LEADING_VERSION.match(text)
    return (int(found.group(1)), int(found.group(2))) if found else None


def check_neo4j_version(found: str, uri: str) -> None:
    """Neo4jVersionError, one line naming the found and the minimum version, for a server older than
    MIN_NEO4J_VERSION or one whose version cannot be read."""
    version = parse_version(found)
    minimum = ".".join(map(str, MIN_NEO4J_VERSION))
    if version is None:
        raise Neo4jVersionError(
            f"Neo4j at {uri} reports version {found!r}, which is not major.minor; askg needs Neo4j >= "
            f"{minimum}"
        )
    if version < MIN_NEO4J_VERSION:
        raise Neo4jVersionError(
            f"Neo4j at {uri} is version {found}; askg needs Neo4j >= {minimum} (its Cypher uses "
            "CALL (…) { … } subqueries): upgrade the server or use the embedded store (--store FILE)"
        )
