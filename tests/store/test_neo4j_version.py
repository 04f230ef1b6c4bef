"""Neo4j older than 5.23 cannot run our Cypher: refused on connect, one line naming both versions."""

from __future__ import annotations

import pytest

from askg.store import server_version
from askg.store.server_version import MIN_NEO4J_VERSION, Neo4jVersionError, check_neo4j_version, parse_version

URI = "bolt://graph.example:7687"


@pytest.mark.parametrize(("text", "expected"), [
    ("5.26.0", (5, 26)), ("5.23.0", (5, 23)), ("5.22.1", (5, 22)), ("4.4.30", (4, 4)),
    ("5.27-aura", (5, 27)), ("2025.01.0", (2025, 1)), ("5", None), ("", None), ("dev", None),
])
def test_parse_version(text: str, expected: tuple[int, int] | None) -> None:
    assert parse_version(text) == expected


@pytest.mark.parametrize("found", ["5.23.0", "5.26.0", "5.27-aura", "2025.01.0", "2026.10.2"])
def test_new_enough_servers_pass(found: str) -> None:
    check_neo4j_version(found, URI)


@pytest.mark.parametrize("found", ["5.22.0", "5.9.0", "4.4.30", "3.5.35"])
def test_older_servers_are_one_line_naming_both_versions(found: str) -> None:
    with pytest.raises(Neo4jVersionError) as caught:
        check_neo4j_version(found, URI)
    message = str(caught.value)
    assert "\n" not in message
    assert f"Neo4j at {URI} is version {found};" in message and "needs Neo4j >= 5.23" in message
    assert caught.value.exit_code == 3


def test_a_version_that_cannot_be_read_is_refused() -> None:
    with pytest.raises(Neo4jVersionError, match=r"reports version 'dev', which is not major.minor; .*>= 5\.23"):
        check_neo4j_version("dev", URI)


def test_the_minimum_is_the_one_the_readme_states() -> None:
    from tests.conftest import REPO

    assert MIN_NEO4J_VERSION == (5, 23)
    assert "Neo4j ≥ 5.23" in (REPO / "README.md").read_text()


@pytest.mark.neo4j
def test_the_real_server_passes_and_reports_its_version(neo4j_env: dict[str, str]) -> None:
    from askg.store.neo4j_store import Neo4jStore

    store = Neo4jStore(neo4j_env["NEO4J_URI"], neo4j_env["NEO4J_USER"], neo4j_env["NEO4J_PASSWORD"])
    try:
        found = store.server_version()
    finally:
        store.close()
    version = parse_version(found)
    assert version is not None and version >= MIN_NEO4J_VERSION, found


@pytest.mark.neo4j
def test_connecting_to_a_server_below_the_minimum_fails_on_connect(
    neo4j_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real server, with the minimum raised above it: the check runs on connect, before any write."""
    from askg.settings import AskgSettings
    from askg.store import open_store

    monkeypatch.setattr(server_version, "MIN_NEO4J_VERSION", (9999, 0))
    for name, value in neo4j_env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(Neo4jVersionError) as caught:
        open_store(neo4j_env["NEO4J_URI"], AskgSettings())
    message = str(caught.value)
    assert "\n" not in message and "needs Neo4j >= 9999.0" in message
    assert f"Neo4j at {neo4j_env['NEO4J_URI']} is version 5." in message
