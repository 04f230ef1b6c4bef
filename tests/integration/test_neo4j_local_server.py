"""Checks of the local Neo4j server that `scripts/neo4j-local start` runs (or docker-compose.yml).

They need an already running server: NEO4J_URI (bolt://127.0.0.1:7687), NEO4J_USER (neo4j),
NEO4J_PASSWORD (stdd-local-dev), and NEO4J_HTTP_PORT (7474) for Neo4j Browser. An unreachable
server skips them, except under CI=true, where it fails them.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from neo4j import Driver, GraphDatabase
from neo4j.exceptions import AuthError

pytestmark = pytest.mark.neo4j

URI = os.environ.get("NEO4J_URI", "bolt://127.0.0.1:7687")
USER = os.environ.get("NEO4J_USER", "neo4j")
PASSWORD = os.environ.get("NEO4J_PASSWORD", "stdd-local-dev")
HTTP_PORT = int(os.environ.get("NEO4J_HTTP_PORT", "7474"))
HOST = urlsplit(URI).hostname or "127.0.0.1"
BROWSER_URL = f"http://{HOST}:{HTTP_PORT}/browser/"


def _unreachable(message: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (CI=true: the server must run; start it with scripts/neo4j-local start)")
    pytest.skip(f"{message} (start it with scripts/neo4j-local start)")


@pytest.fixture(scope="module")
def driver() -> Iterator[Driver]:
    drv = GraphDatabase.driver(URI, auth=(USER, PASSWORD), connection_timeout=5)
    try:
        drv.verify_connectivity()
    except AuthError:
        drv.close()
        raise  # the server answers but refuses our credentials: a real failure, never a skip
    except Exception as exc:
        drv.close()
        _unreachable(f"Neo4j not reachable at {URI}: {exc!r}")
    yield drv
    drv.close()


def test_browser_is_served(driver: Driver) -> None:
    try:
        with urllib.request.urlopen(BROWSER_URL, timeout=10) as response:
            status = response.status
            html = response.read().decode("utf-8", errors="replace")
    except urllib.error.URLError as exc:
        pytest.fail(f"GET {BROWSER_URL} failed: {exc!r}")
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


def test_wrong_password_is_rejected(driver: Driver) -> None:
    with (
        GraphDatabase.driver(URI, auth=(USER, PASSWORD + "-wrong"), connection_timeout=5) as bad,
        pytest.raises(AuthError),
    ):
        bad.verify_connectivity()
