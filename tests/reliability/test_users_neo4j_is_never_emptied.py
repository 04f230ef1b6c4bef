"""Tests and benchmarks empty only a Neo4j they started themselves or one marked as scratch, never the server
NEO4J_URI names (where the README tells users to keep their graph)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.scratch_neo4j import MARKED_URI, SWITCH, ScratchUnavailable, scratch_server

REPO = Path(__file__).resolve().parents[2]
USERS = "bolt://users-graph.example:7687"


def test_neo4j_uri_alone_never_becomes_the_test_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_URI", USERS)
    monkeypatch.setenv("NEO4J_PASSWORD", "the-users-password")
    monkeypatch.delenv(MARKED_URI, raising=False)
    monkeypatch.setenv(SWITCH, "off")  # no throwaway server either: then there is none, not the user's
    with pytest.raises(ScratchUnavailable):
        scratch_server()


def test_a_marked_scratch_server_is_used_and_never_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_URI", USERS)
    monkeypatch.setenv(MARKED_URI, "bolt://127.0.0.1:1")
    monkeypatch.setenv("STDD_TEST_NEO4J_PASSWORD", "scratch-password")
    server = scratch_server()
    assert (server.uri, server.password, server.home) == ("bolt://127.0.0.1:1", "scratch-password", None)
    server.stop()  # a marked server is not this process's to stop: a no-op, nothing is run


def test_only_the_scratch_helpers_empty_a_whole_database() -> None:
    """`MATCH (n) DETACH DELETE n` (or any delete of every node) appears only where the database is a scratch
    one: tests/scratch_neo4j.py, and the benchmarks, which get their store from benchmarks/scratch.py."""
    wipe = re.compile(r"MATCH\s*\(\s*\w+\s*\)\s*(DETACH\s+)?DELETE", re.IGNORECASE)
    allowed = {REPO / "tests" / "scratch_neo4j.py", REPO / "benchmarks" / "bench_import.py",
               REPO / "benchmarks" / "bench_export_prompts.py"}
    as_data = {REPO / "tests" / "store" / "test_store_contract.py"}  # hostile action names, stored verbatim
    for folder in ("askg", "cli", "model", "tests", "benchmarks", "scripts"):
        for path in (REPO / folder).rglob("*"):
            if not path.is_file() or path.suffix not in {".py", ".sh", ""} or path == Path(__file__).resolve():
                continue
            text = path.read_text(errors="replace")
            if wipe.search(text) and path not in allowed | as_data:
                pytest.fail(f"{path.relative_to(REPO)} deletes every node of a database")
    for bench in sorted(allowed - {REPO / "tests" / "scratch_neo4j.py"}):
        assert "from benchmarks.scratch import scratch_store" in bench.read_text(), bench
