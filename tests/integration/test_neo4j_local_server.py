"""Checks of the local Neo4j server that `scripts/neo4j-local start` runs (or docker-compose.yml).

They run against the session's scratch server (tests/scratch_neo4j.py: started by the tests with
scripts/neo4j-local in a throwaway home, or marked by STDD_TEST_NEO4J_URI); without one they skip,
except under CI=true, where they fail.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from neo4j import Driver, GraphDatabase
from neo4j.exceptions import AuthError

from tests.scratch_neo4j import ScratchNeo4j

pytestmark = pytest.mark.neo4j


@pytest.fixture(scope="module")
def server(scratch_neo4j: ScratchNeo4j | None) -> ScratchNeo4j:
    if scratch_neo4j is None:
        pytest.skip("no scratch Neo4j (see tests/scratch_neo4j.py)")
    return scratch_neo4j


@pytest.fixture(scope="module")
def driver(server: ScratchNeo4j) -> Iterator[Driver]:
    drv = GraphDatabase.driver(server.uri, auth=(server.user, server.password), connection_timeout=5)
    drv.verify_connectivity()  # the server is ours: refused credentials are a real failure, never a skip
    yield drv
    drv.close()


def test_browser_is_served(driver: Driver, server: ScratchNeo4j) -> None:
    if server.http_port is None:
        pytest.skip("the marked scratch server has no STDD_TEST_NEO4J_HTTP_PORT")
    host = urlsplit(server.uri).hostname or "127.0.0.1"
    browser_url = f"http://{host}:{server.http_port}/browser/"
    try:
        with urllib.request.urlopen(browser_url, timeout=10) as response:
            status = response.status
            html = response.read().decode("utf-8", errors="replace")
    except urllib.error.URLError as exc:
        pytest.fail(f"GET {browser_url} failed: {exc!r}")
    assert status == 200
    assert "<title>Neo4j Browser</title>" in html


def test_cypher_round_trip(driver: Driver) -> None:
    records, _, _ = driver.execute_query(
        "RETURN $text AS text, $number + 1 AS number", text="stdd", number=41, database_="neo4j"
    )
    assert records[0]["text"] == "stdd"
    assert records[0]["number"] == 42

    records, _, _ = driver.execute_query(
        "CALL dbms.components() YIELD name, versions, edition RETURN versions[0] AS version, edition",
        database_="system",
    )
    assert records[0]["version"].startswith("5.26.")
    assert records[0]["edition"] == "community"


def test_wrong_password_is_rejected(driver: Driver, server: ScratchNeo4j) -> None:
    with (
        GraphDatabase.driver(server.uri, auth=(server.user, server.password + "-wrong"), connection_timeout=5) as bad,
        pytest.raises(AuthError),
    ):
        bad.verify_connectivity()
