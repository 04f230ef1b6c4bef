"""Curation round trip: edits made in Neo4j Browser (plain Cypher here) reach `askg export` and
`askg export-prompts`, the edited action reads as curated, and `askg build` keeps it unless --rebuild."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from neo4j import GraphDatabase
from typer.testing import CliRunner

from askg.schema import ActionRecord
from askg.store.base import GraphStore
from askg.store.curation import content_hash
from askg.store.embedded import EmbeddedStore, node_key
from cli.askg_app import app
from tests.browser.conftest import seed_records

RENAME_OBJECT = "MATCH (o:Object {id: 'rope'}) SET o.name = 'static rope'"
ADD_PHASE = """
MATCH (a:Action {id: 'abseiling'})-[h:HAS_PHASE]->(last:Phase)
WITH a, last, h ORDER BY h.order DESC LIMIT 1
CREATE (a)-[:HAS_PHASE {order: h.order + 1}]->
       (p:Phase {id: 'abseiling::phase-extra', text: 'unclipping the rope at the bottom'})
CREATE (last)-[:NEXT]->(p)
"""
NEW_PHASE = "unclipping the rope at the bottom"
runner = CliRunner()


def askg(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def abseiling(store: GraphStore) -> ActionRecord:
    record = store.get_action("abseiling")
    assert record is not None
    return record


def check_edited(record: ActionRecord) -> None:
    assert record.provenance.curated
    assert "static rope" in [o.name for o in record.objects] and "rope" not in [o.name for o in record.objects]
    assert record.phases[-1].text == NEW_PHASE


def test_written_records_read_back_unchanged_and_not_curated(tmp_path: Path) -> None:
    records = seed_records()
    store = EmbeddedStore(tmp_path / "g.json")
    store.put_actions(records)
    again = EmbeddedStore(tmp_path / "g.json")
    assert again.get_actions() == sorted(records, key=lambda r: r.id)
    attrs = again.graph.nodes[node_key("Action", "abseiling")]
    assert attrs["content_hash"] == content_hash(records[0])
    assert "content_hash" not in abseiling(again).model_dump_json()


def rename_rope(path: Path, records: list[ActionRecord]) -> None:
    """Write `records`, then rename the `rope` Object node the way a Browser user would."""
    store = EmbeddedStore(path)
    store.put_actions(records)
    store.graph.nodes[node_key("Object", "rope")]["name"] = "static rope"
    store._dirty = True
    store.close()


def test_embedded_edit_reads_as_curated_and_curate_off_resets_the_baseline(clean_env: Path) -> None:
    path = clean_env / "g.json"
    rename_rope(path, seed_records())
    with EmbeddedStore(path) as store:
        assert abseiling(store).provenance.curated
        assert not store.get_action("arm wrestling").provenance.curated  # type: ignore[union-attr]
    askg("--store", str(path), "curate", "Abseiling", "--off")
    with EmbeddedStore(path) as store:
        record = abseiling(store)
        assert not record.provenance.curated and "static rope" in [o.name for o in record.objects]
    askg("--store", str(path), "curate", "arm_wrestling")
    with EmbeddedStore(path) as store:
        assert store.get_action("arm wrestling").provenance.curated  # type: ignore[union-attr]
    result = runner.invoke(app, ["--store", str(path), "curate", "no such action"])
    assert result.exit_code != 0


def test_build_keeps_a_curated_action_unless_rebuild(clean_env: Path) -> None:
    path = clean_env / "g.json"
    classes = clean_env / "classes.txt"
    classes.write_text("abseiling\n", encoding="utf-8")
    rename_rope(path, seed_records(("abseiling",)))
    askg("--store", str(path), "build", "--classes", str(classes))
    with EmbeddedStore(path) as store:
        kept = abseiling(store)
    assert kept.provenance.curated and "static rope" in [o.name for o in kept.objects]
    askg("--store", str(path), "build", "--classes", str(classes), "--rebuild")
    with EmbeddedStore(path) as store:
        rebuilt = abseiling(store)
    assert not rebuilt.provenance.curated and "rope" in [o.name for o in rebuilt.objects]


@pytest.fixture
def neo4j_seeded(neo4j_env: dict[str, str], clean_env: Path) -> Iterator[dict[str, str]]:
    from askg.store.neo4j_store import Neo4jStore

    with Neo4jStore(neo4j_env["NEO4J_URI"], neo4j_env["NEO4J_USER"], neo4j_env["NEO4J_PASSWORD"]) as store:
        store.ensure_schema()
        store.put_actions(seed_records())
    yield neo4j_env


@pytest.mark.neo4j
def test_browser_edits_reach_export_and_export_prompts(
    neo4j_seeded: dict[str, str], clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = neo4j_seeded
    monkeypatch.setenv("NEO4J_USER", env["NEO4J_USER"])
    monkeypatch.setenv("NEO4J_PASSWORD", env["NEO4J_PASSWORD"])
    with GraphDatabase.driver(env["NEO4J_URI"], auth=(env["NEO4J_USER"], env["NEO4J_PASSWORD"])) as driver:
        driver.execute_query(RENAME_OBJECT)
        driver.execute_query(ADD_PHASE)

    askg("--store", env["NEO4J_URI"], "export", "--out", str(clean_env / "graph.json"))
    document = json.loads((clean_env / "graph.json").read_text(encoding="utf-8"))
    exported = {a["id"]: ActionRecord.model_validate(a) for a in document["actions"]}
    check_edited(exported["abseiling"])
    assert not exported["arm wrestling"].provenance.curated

    askg("--store", env["NEO4J_URI"], "export-prompts", "--out", str(clean_env / "prompts.json"))
    prompts = (clean_env / "prompts.json").read_text(encoding="utf-8")
    assert NEW_PHASE in prompts and "static rope" in prompts

    from askg.store.neo4j_store import Neo4jStore

    with Neo4jStore(env["NEO4J_URI"], env["NEO4J_USER"], env["NEO4J_PASSWORD"]) as store:
        assert store.set_curated(["abseiling"], False) == 1
        record = abseiling(store)
        assert not record.provenance.curated and record.phases[-1].text == NEW_PHASE
        store.put_actions([record])  # the curated content written back is the new baseline
        assert abseiling(store) == record
        assert store.set_curated(["abseiling", "missing"], True) == 1
        check_edited(abseiling(store))
