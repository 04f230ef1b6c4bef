"""Every ready Browser query runs on a real Neo4j with seed data and returns rows for its example values."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from neo4j import GraphDatabase

from askg.browser.queries import ACTION_PHASES, QUERIES, BrowserQuery, query
from askg.store.neo4j_store import Neo4jStore
from tests.browser.conftest import seed_records

pytestmark = pytest.mark.neo4j


@pytest.fixture
def seeded(neo4j_env: dict[str, str]) -> Iterator[dict[str, str]]:
    store = Neo4jStore(neo4j_env["NEO4J_URI"], neo4j_env["NEO4J_USER"], neo4j_env["NEO4J_PASSWORD"])
    try:
        store.ensure_schema()
        store.put_actions(seed_records())
        assert store.set_concept_merges("Object", "climbing harness", ["sit harness", "climbing belt"])
        store.set_curated(["abseiling"], True)
    finally:
        store.close()
    yield neo4j_env


def run(env: dict[str, str], q: BrowserQuery) -> list[dict[str, Any]]:
    with GraphDatabase.driver(env["NEO4J_URI"], auth=(env["NEO4J_USER"], env["NEO4J_PASSWORD"])) as driver:
        records, _, _ = driver.execute_query(q.cypher, q.params)
    return [r.data() for r in records]


@pytest.mark.parametrize("q", QUERIES, ids=[q.key for q in QUERIES])
def test_query_returns_rows_for_its_example(seeded: dict[str, str], q: BrowserQuery) -> None:
    assert run(seeded, q), f"{q.key} returned no rows"


def test_action_phases_come_in_order_with_motions(seeded: dict[str, str]) -> None:
    rows = run(seeded, ACTION_PHASES)
    texts = list(dict.fromkeys(r["p"]["text"] for r in rows))
    abseiling = next(r for r in seed_records() if r.id == "abseiling")
    assert texts == [p.text for p in abseiling.phases]
    assert {r["b"]["name"] for r in rows} >= {"hands"}


def test_using_object_finds_both_harness_actions(seeded: dict[str, str]) -> None:
    names = {r["a"]["name"] for r in run(seeded, query("actions-using-object"))}
    assert names == {"abseiling", "rock climbing"}


def test_merged_and_curated(seeded: dict[str, str]) -> None:
    merged = run(seeded, query("merged-concepts"))
    expected = [("climbing harness", ["climbing belt", "sit harness"])]
    assert [(r["id"], sorted(r["merged_from"])) for r in merged] == expected
    assert [r["id"] for r in run(seeded, query("curated-actions"))] == ["abseiling"]


def test_browser_text_has_param_lines_first() -> None:
    text = query("actions-sharing-motion").browser_text({"motion": "push"})
    assert text.splitlines()[:2] == [':param body_part => "hands"', ':param motion => "push"']
