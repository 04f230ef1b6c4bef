"""Shared fixtures: paths to the reference data beside the checkout (STDD_SHARED_DIR), a throwaway Neo4j
for integration tests.

Tests never use the server NEO4J_URI names (users keep their graph there): see tests/scratch_neo4j.py.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.scratch_neo4j import ScratchNeo4j, ScratchUnavailable, scratch_server

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("STDD_SHARED_DIR", REPO.parent / "shared"))
REFERENCE = SHARED / "data" / "reference"
SCRATCH_UNAVAILABLE: list[str] = []  # why the session has no scratch Neo4j (for the skip message)


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
def scratch_neo4j() -> Iterator[ScratchNeo4j | None]:
    """A Neo4j the tests may empty (started for this session, or marked by STDD_TEST_NEO4J_URI); None
    when none can be had outside CI. Started on first use only."""
    try:
        server = scratch_server()
    except ScratchUnavailable as exc:
        if in_ci():
            pytest.fail(f"CI=true but no scratch Neo4j: {exc}")
        SCRATCH_UNAVAILABLE.append(str(exc))
        yield None
        return
    try:
        from neo4j import GraphDatabase

        with GraphDatabase.driver(server.uri, auth=(server.user, server.password), connection_timeout=5) as driver:
            driver.verify_connectivity()
        yield server
    finally:
        server.stop()


@pytest.fixture
def neo4j_env(scratch_neo4j: ScratchNeo4j | None) -> dict[str, str]:
    """Connection settings for an empty scratch Neo4j (everything deleted before the test)."""
    if scratch_neo4j is None:
        reason = SCRATCH_UNAVAILABLE[-1] if SCRATCH_UNAVAILABLE else "unknown"
        pytest.skip(f"no scratch Neo4j ({reason}); install Java 17 + Maven or set STDD_TEST_NEO4J_URI")
    scratch_neo4j.clear()
    return scratch_neo4j.env()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No store or LLM configured from the developer's environment; XDG dirs inside tmp_path."""
    for var in ("ASKG_STORE", "NEO4J_URI", "NEO4J_DATABASE", "OPENAI_API_KEY", "OPENAI_BASE_URL", "ASKG_LLM_MODEL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.chdir(tmp_path)
    return tmp_path
