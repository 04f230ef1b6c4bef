"""Concept de-duplication: dry run lists merges, apply rewrites records and records `merged_from`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from askg.dedup import compatible, spelling_variant
from askg.schema import ActionRecord, Decomposition, Provenance
from askg.store import GraphStore, open_store
from askg.store.embedded import EmbeddedStore
from tests.build.conftest import askg


def record(name: str, objects: list[str], scenes: list[str], parts: list[str]) -> ActionRecord:
    decomposition = Decomposition.model_validate({
        "objects": objects,
        "scenes": scenes,
        "phases": [{"text": "doing it", "motions": [{"body_part": p, "motion": "move"} for p in parts],
                    "handles": objects[:1]}],
    })
    return ActionRecord.create(name, decomposition, Provenance(source="manual"))


GRAPH = [
    record("shoot hoops", ["basketball", "t-shirt"], ["gym"], ["hands", "arms"]),
    record("dribble", ["basketball", "t-shirt"], ["gym"], ["hands"]),
    record("dunk", ["basket ball", "tshirt"], ["gym"], ["hand", "legs"]),
    record("juggle", ["balls"], ["street"], ["left hand", "right hand"]),
]


def test_dry_run_lists_merges_and_apply_rewrites(clean_env: Path) -> None:
    path = clean_env / "g.json"
    EmbeddedStore(path).put_actions(GRAPH)
    before = path.read_bytes()
    dry = askg("--store", str(path), "dedup", "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    plan = json.loads(dry.stdout)
    merges = {(m["label"], m["canonical"]): m["merged"] for m in plan["merges"]}
    assert merges == {("Object", "basketball"): ["basket ball"], ("Object", "t-shirt"): ["tshirt"],
                      ("BodyPart", "hands"): ["hand"]}
    assert plan["distinct_before"]["BodyPart"] == 6 and plan["distinct_after"]["BodyPart"] == 5
    assert path.read_bytes() == before

    applied = askg("--store", str(path), "dedup")
    assert applied.returncode == 0, applied.stderr
    assert "basket ball" in applied.stdout and "3 merges (applied, 1 actions rewritten)" in applied.stdout
    store = EmbeddedStore(path)
    dunk = store.get_actions(["dunk"])[0]
    assert [o.name for o in dunk.objects] == ["basketball", "t-shirt"]
    assert [m.body_part for m in dunk.phases[0].motions] == ["hands", "legs"]
    assert store.concept_merges("Object") == {"basketball": ["basket ball"], "t-shirt": ["tshirt"]}
    assert store.concept_merges("BodyPart") == {"hands": ["hand"]}
    assert store.stats().nodes["BodyPart"] == 5


def test_lexical_guards() -> None:
    assert spelling_variant("basket ball", "basketball") and spelling_variant("t-shirt", "tshirt")
    assert spelling_variant("hand", "hands") and not spelling_variant("hands", "arms")
    assert not compatible("left hand", "right hand") and not compatible("tobacco pipe", "pipe tobacco")
    assert compatible("bike pump", "bicycle pump")
    assert not spelling_variant("cloth", "clothes") and not spelling_variant("glass", "glasses")
    assert not compatible("hockey stick", "field hockey stick") and not compatible("hoop", "basketball hoop")


def check_concept_merges(store: GraphStore) -> None:
    store.put_actions(GRAPH[:2])
    assert store.set_concept_merges("Object", "basketball", ["basket ball"])
    assert store.set_concept_merges("Object", "basketball", ["basket ball", "basket-ball"])
    assert not store.set_concept_merges("Scene", "nowhere", ["x"])
    assert store.concept_merges("Object") == {"basketball": ["basket ball", "basket-ball"]}
    with pytest.raises(ValueError):
        store.set_concept_merges("Action", "dribble", ["x"])


def test_embedded_store_records_concept_merges(tmp_path: Path) -> None:
    check_concept_merges(EmbeddedStore(tmp_path / "g.json"))
    assert EmbeddedStore(tmp_path / "g.json").concept_merges("Object") == {
        "basketball": ["basket ball", "basket-ball"]
    }


@pytest.mark.neo4j
def test_neo4j_store_records_concept_merges(neo4j_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in neo4j_env.items():
        monkeypatch.setenv(key, value)
    with open_store(neo4j_env["NEO4J_URI"]) as store:
        check_concept_merges(store)


VOCABULARY_GRAPH = [
    record("football boots", ["cleats", "soccer ball"], ["soccer field"], ["feet"]),
    record("tie a boat", ["cleat", "rope"], ["marina"], ["hands"]),
    record("play oboe", ["reed", "oboe"], ["concert hall"], ["fingers"]),
    record("cut reeds", ["reeds", "sickle"], ["riverbank"], ["arms"]),
    record("swim laps", ["swim cap"], ["swimming pool"], ["arms"]),
    record("wade", ["boots"], ["water pool"], ["legs"]),
    record("watch tv", ["sofa", "remote control"], ["living room"], ["hands"]),
    record("nap", ["couch", "pillow"], ["living room"], ["head"]),
    record("text", ["phone"], ["cafe"], ["fingers"]),
    record("chop", ["knives", "cutting board"], ["kitchen"], ["hands"]),
]


def test_dedup_merges_vocabulary_synonyms_and_never_its_distinct_pairs(clean_env: Path) -> None:
    from askg.dedup import plan_dedup
    from askg.seeds import default_seeds_dir
    from askg.vocabulary import load_vocabulary

    # without the vocabulary the spelling rule would merge the plural-looking pairs
    bare = plan_dedup(VOCABULARY_GRAPH, 0.9)
    bare_pairs = {frozenset([m.canonical, *m.merged]) for m in bare.merges}
    assert frozenset({"cleat", "cleats"}) in bare_pairs and frozenset({"reed", "reeds"}) in bare_pairs

    path = clean_env / "g.json"
    EmbeddedStore(path).put_actions(VOCABULARY_GRAPH)
    dry = askg("--store", str(path), "dedup", "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    merges = {(m["label"], m["canonical"]): sorted(m["merged"]) for m in json.loads(dry.stdout)["merges"]}
    assert merges[("Object", "couch")] == ["sofa"]
    assert merges[("Object", "smartphone")] == ["phone"]  # the canonical name even when no action uses it
    assert merges[("Object", "knife")] == ["knives"]
    merged_together = [{c, *m} for (_, c), m in merges.items()]
    for pair in ({"cleat", "cleats"}, {"reed", "reeds"}, {"water pool", "swimming pool"}):
        assert not any(pair <= group for group in merged_together), pair
    assert load_vocabulary(default_seeds_dir()).are_distinct("water pool", "swimming pool")

    assert askg("--store", str(path), "dedup").returncode == 0
    store = EmbeddedStore(path)
    assert [o.name for o in store.get_actions(["watch tv"])[0].objects] == ["couch", "remote control"]
    assert [o.name for o in store.get_actions(["text"])[0].objects] == ["smartphone"]
    assert [o.name for o in store.get_actions(["tie a boat"])[0].objects] == ["cleat", "rope"]
