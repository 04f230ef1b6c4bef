"""One contract, two stores: every test runs on the embedded store and on a real Neo4j server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from askg.schema import ActionRecord, Decomposition, Provenance
from askg.store import cypher
from askg.store.base import GraphStore
from askg.store.embedded import EmbeddedStore
from askg.store.journal import GraphJournal

STORES = ["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)]


def make_record(name: str, *, objects: list[str] | None = None, phases: int = 3, scene: str = "gym",
                body_parts: tuple[str, ...] = ("hands", "legs"), source: str = "seed") -> ActionRecord:
    objects = objects if objects is not None else ["barbell", "weight plates"]
    decomposition = Decomposition.model_validate({
        "objects": [{"name": o, "predicate": "lifts" if i == 0 else "uses"} for i, o in enumerate(objects)],
        "scenes": [scene],
        "object_relations": [{"subject": objects[-1], "predicate": "loaded on", "object": objects[0]}]
        if len(objects) > 1 else [],
        "phases": [
            {
                "text": f"{name} step {i} with the {objects[0]}",
                "motions": [{"body_part": b, "motion": f"move {b} in step {i}"} for b in body_parts],
                "handles": objects[:1],
            }
            for i in range(phases)
        ],
    })
    return ActionRecord.create(name, decomposition, Provenance(source=source, seed_version="t1"),  # type: ignore[arg-type]
                               datasets=["test"])


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    if request.param == "embedded":
        graph: GraphStore = EmbeddedStore(tmp_path / "graph.json")
    else:
        env = request.getfixturevalue("neo4j_env")
        from askg.store.neo4j_store import Neo4jStore

        graph = Neo4jStore(env["NEO4J_URI"], env["NEO4J_USER"], env["NEO4J_PASSWORD"])
    graph.ensure_schema()
    yield graph
    graph.close()


def reopen(store: GraphStore) -> GraphStore:
    """The same store seen by a new process (the embedded store re-reads its file)."""
    if isinstance(store, EmbeddedStore):
        store.close()
        return EmbeddedStore(store.path)
    return store


def test_round_trip_returns_the_record_written(store: GraphStore) -> None:
    record = make_record("Clean and Jerk")
    store.put_actions([record])
    again = reopen(store)
    assert again.get_actions() == [record]
    assert again.get_action("clean_and_jerk") == record
    assert record.aliases == ["Clean and Jerk"]


def posed_record(name: str = "crossing arms on a beach") -> ActionRecord:
    """Poses, and relations whose ends are an object and a scene, or two scenes."""
    decomposition = Decomposition.model_validate({
        "objects": [{"name": "beach towel", "predicate": "stands on"}, {"name": "sunglasses", "predicate": "wears"}],
        "scenes": ["beach", "boardwalk"],
        "object_relations": [
            {"subject": "beach towel", "predicate": "spread on", "object": "beach"},
            {"subject": "boardwalk", "predicate": "running along", "object": "beach"},
            {"subject": "sunglasses", "predicate": "lying on", "object": "beach towel"},
        ],
        "poses": [{"body_part": "arms", "pose": "folded across the chest"},
                  {"body_part": "head", "pose": "tilted back toward the sun"}],
        "phases": [
            {"text": f"step {i} on the towel", "motions": [{"body_part": "arms", "motion": f"fold {i}"}],
             "handles": ["beach towel"]}
            for i in range(3)
        ],
    })
    return ActionRecord.create(name, decomposition, Provenance(source="seed", seed_version="t2"), datasets=["test"])


def test_poses_and_scene_relation_ends_round_trip_identically(store: GraphStore) -> None:
    record = posed_record()
    store.put_actions([record])
    again = reopen(store)
    assert again.get_actions() == [record]
    stats = again.stats()
    assert stats.relationships["SHOWS"] == 2
    assert stats.relationships["RELATES"] == 3
    # the scene names are Scene nodes only: no Object node is made for a scene used as a relation end
    assert stats.nodes["Scene"] == 2 and stats.nodes["Object"] == 2
    assert stats.nodes["BodyPart"] == 2  # arms (pose and motion) and head (pose only)
    got = again.get_action(record.name)
    assert got is not None and not got.provenance.curated  # the content hash covers poses


def test_replacing_an_action_drops_its_poses_and_orphaned_scenes(store: GraphStore) -> None:
    store.put_actions([posed_record("a"), make_record("b", scene="beach")])
    replacement = make_record("a", scene="gym")
    store.put_actions([replacement])
    assert store.get_action("a") == replacement
    stats = store.stats()
    assert stats.relationships["SHOWS"] == 0
    assert stats.nodes["Scene"] == 2  # beach kept for b, boardwalk orphaned and gone, gym new
    assert stats.nodes["BodyPart"] == 2  # head (pose only) gone


def test_schema_and_writes_are_idempotent(store: GraphStore) -> None:
    records = [make_record("snatch weight lifting"), make_record("deadlifting", objects=["barbell", "chalk"])]
    store.ensure_schema()
    store.put_actions(records)
    first = store.stats()
    store.ensure_schema()
    store.put_actions(records)
    assert store.stats() == first
    assert first.nodes["Action"] == 2
    assert first.nodes["Object"] == 3  # barbell is shared, not duplicated
    assert first.relationships["NEXT"] == 4
    assert first.relationships["MOVES"] == 12


def test_replacing_an_action_drops_its_old_subgraph_but_keeps_shared_concepts(store: GraphStore) -> None:
    store.put_actions([make_record("a", objects=["barbell", "kettlebell"]), make_record("b", objects=["barbell"])])
    replacement = make_record("a", objects=["rope", "harness"], phases=4, body_parts=("arms", "feet"))
    store.put_actions([replacement])
    assert store.get_action("a") == replacement
    stats = store.stats()
    # kettlebell orphaned and gone; barbell still used by b; rope and harness new
    assert stats.nodes["Object"] == 3
    assert stats.nodes["Phase"] == 4 + 3
    assert stats.nodes["BodyPart"] == 4  # b keeps hands and legs
    assert stats.relationships["RELATES"] == 1


def test_delete_actions(store: GraphStore) -> None:
    store.put_actions([make_record("a"), make_record("b", objects=["rope", "harness"])])
    assert store.delete_actions(["a", "missing"]) == 1
    assert store.action_ids() == ["b"]
    stats = store.stats()
    assert stats.nodes["Object"] == 2 and stats.nodes["Phase"] == 3 and stats.relationships["USES"] == 2


HOSTILE_NAMES = [
    'quote "double" and \'single\'',
    "brace {id: 1}) DETACH DELETE (n",
    "back`tick` MATCH (n) DETACH DELETE n //",
    "slash // comment /* block */",
    "MERGE CREATE DELETE RETURN",
    "ﾃｽﾄ ü é 跳舞 💃",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_are_stored_verbatim_and_cannot_alter_queries(store: GraphStore, name: str) -> None:
    bystander = make_record("bystander")
    store.put_actions([bystander])
    record = make_record(name, objects=[name + " object", "rope"])
    store.put_actions([record])
    got = store.get_action(name)
    assert got == record
    assert got is not None and name.strip() in [*got.aliases, got.name]
    assert store.get_action("bystander") == bystander
    assert store.stats().nodes["Action"] == 2


FaultInjector = Callable[[pytest.MonkeyPatch], None]


def inject_fault(store: GraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the next action write fail after part of it has been written."""
    if isinstance(store, EmbeddedStore):
        original = GraphJournal.add_edge
        calls = {"n": 0}

        def failing_add_edge(self: GraphJournal, *args: object, **kwargs: object) -> None:
            calls["n"] += 1
            if calls["n"] == 6:
                raise KeyboardInterrupt("interrupted mid-write")
            original(self, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(GraphJournal, "add_edge", failing_add_edge)
    else:
        writes = list(cypher.BATCHED_WRITES)
        # a real server-side failure after USES, IN_SCENE, RELATES, SHOWS and the phases were written
        after_phases = [statement for statement, _ in writes].index(cypher.CREATE_PHASES) + 1
        writes.insert(after_phases, ("UNWIND $rows AS row RETURN 1 / 0 AS boom", "phases"))
        monkeypatch.setattr(cypher, "BATCHED_WRITES", writes)


def test_interrupted_write_leaves_no_partial_action(store: GraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    done = make_record("done")
    store.put_actions([done])
    before = store.stats()
    inject_fault(store, monkeypatch)
    with pytest.raises(BaseException):  # noqa: B017 - KeyboardInterrupt or the server's error
        store.put_actions([make_record("half", objects=["rope", "harness"])])
    monkeypatch.undo()
    again = reopen(store)
    assert again.action_ids() == ["done"]
    assert again.stats() == before
    assert again.get_action("done") == done


def test_interrupted_replacement_keeps_the_old_action(store: GraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    old = make_record("a", objects=["barbell", "kettlebell"])
    store.put_actions([old])
    before = store.stats()
    inject_fault(store, monkeypatch)
    with pytest.raises(BaseException):  # noqa: B017
        store.put_actions([make_record("a", objects=["rope", "harness"], phases=5)])
    monkeypatch.undo()
    again = reopen(store)
    assert again.get_action("a") == old
    assert again.stats() == before


def test_an_edited_pose_reads_as_curated(tmp_path: Path) -> None:
    """A pose changed in the graph (as in Neo4j Browser) changes the content hash: the action is curated."""
    store = EmbeddedStore(tmp_path / "graph.json")
    store.put_actions([posed_record("folding arms")])
    edges = [(s, d, k) for s, d, k, a in store.graph.edges(keys=True, data=True) if a["type"] == "SHOWS"]
    store.graph.edges[edges[0]]["pose"] = "hanging loose at the sides"
    got = store.get_action("folding arms")
    assert got is not None and got.provenance.curated
    assert "hanging loose at the sides" in {p.pose for p in got.poses}


def test_a_graph_written_when_a_name_could_be_object_and_scene_still_reads(tmp_path: Path) -> None:
    """Seeds used to list "road" both as object and as scene: such an action reads back valid, the
    name kept as a scene (no phase handles it)."""
    store = EmbeddedStore(tmp_path / "graph.json")
    store.put_actions([make_record("pushing car", objects=["car"], scene="road")])
    store.graph.add_node("Object:road", label="Object", id="road", name="road")
    store.graph.add_edge("Action:pushing car", "Object:road", "USES", type="USES", predicate="uses", order=9)
    got = store.get_action("pushing car")
    assert got is not None and got.scenes == ["road"] and [o.name for o in got.objects] == ["car"]
