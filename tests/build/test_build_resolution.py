"""Resolution order store > seed > cache > LLM, with counts; aliases/datasets; curated actions kept."""

from __future__ import annotations

from pathlib import Path

from askg.builder import Builder, BuildOptions
from askg.class_lists import read_class_list
from askg.llm.cache import ResponseCache
from askg.llm.client import DecompositionClient, LLMConfig
from askg.llm.instructions import PROMPT_VERSION, Instructions
from askg.schema import ActionRecord, Decomposition, Provenance
from askg.seeds import load_seeds
from askg.store.embedded import EmbeddedStore
from tests.build.conftest import SECRET_KEY, write_classes
from tests.build.fake_openai_server import FakeOpenAIServer, good_answer

MODEL = "fake-model"
ASKED = Instructions(model=MODEL)  # what the builder's client below asks


def make_builder(store: EmbeddedStore, server: FakeOpenAIServer, cache: ResponseCache, seeds_dir: Path,
                 rebuild: bool = False) -> Builder:
    config = LLMConfig(model=MODEL, base_url=server.url, timeout_s=0.5, backoff_base_s=0.01)
    options = BuildOptions(dataset="mini", rebuild=rebuild, chunk_size=2)
    return Builder(store, load_seeds(seeds_dir), cache, DecompositionClient(config), options)


def test_store_then_seed_then_cache_then_llm(tmp_path: Path, seeds_dir: Path, fake_server: FakeOpenAIServer) -> None:
    store = EmbeddedStore(tmp_path / "g.json")
    curated = ActionRecord.create("archery", Decomposition(scenes=["range"]),
                                  Provenance(source="manual", curated=True), datasets=["old"])
    store.put_actions([curated])
    cache = ResponseCache(tmp_path / "cache")
    cache.put(ASKED, "bowling", Decomposition.model_validate(good_answer("bowling")))
    classes = read_class_list(write_classes(tmp_path / "mini.txt", ["Archery", "YoYo", "Bowling", "Cliff Diving"]))

    summary = make_builder(store, fake_server, cache, seeds_dir).build(classes.entries)

    assert summary.counts == {"store": 1, "seed": 1, "cache": 1, "llm": 1, "failed": 0}
    assert [r.class_name for r in fake_server.requests] == ["cliff diving"]
    by_id = {r.id: r for r in EmbeddedStore(tmp_path / "g.json").get_actions()}
    assert set(by_id) == {"archery", "yo yo", "bowling", "cliff diving"}
    # the curated action is not overwritten, only tagged with the new spelling and dataset
    assert by_id["archery"].scenes == ["range"] and by_id["archery"].provenance.curated
    assert by_id["archery"].aliases == ["Archery"] and by_id["archery"].datasets == ["mini", "old"]
    assert by_id["yo yo"].provenance.source == "seed" and by_id["yo yo"].provenance.seed_version == "seed-test-1"
    assert "YoYo" in by_id["yo yo"].aliases and by_id["yo yo"].datasets == ["mini"]
    for name in ("bowling", "cliff diving"):
        prov = by_id[name].provenance
        assert (prov.source, prov.model, prov.prompt_version) == ("llm", MODEL, PROMPT_VERSION) and prov.built_at
    assert cache.get(ASKED, "Cliff_Diving") is not None  # the LLM answer was cached

    # a second run: everything from the store, zero LLM calls
    again = make_builder(store, fake_server, cache, seeds_dir).build(classes.entries)
    assert again.counts["store"] == 4 and again.llm_requests == 0 and len(fake_server.requests) == 1


def test_seed_found_through_its_canonical_name_and_rebuild(tmp_path: Path, seeds_dir: Path,
                                                           fake_server: FakeOpenAIServer) -> None:
    store = EmbeddedStore(tmp_path / "g.json")
    store.put_actions([ActionRecord.create("yo yo", Decomposition(scenes=["x"]),
                                           Provenance(source="manual", curated=True))])
    cache = ResponseCache(tmp_path / "cache")
    classes = read_class_list(write_classes(tmp_path / "mini.txt", ["yo-yo"]))
    assert make_builder(store, fake_server, cache, seeds_dir).build(classes.entries).counts["store"] == 1
    rebuilt = make_builder(store, fake_server, cache, seeds_dir, rebuild=True).build(classes.entries)
    assert rebuilt.counts["seed"] == 1
    record = store.get_actions(["yo yo"])[0]
    assert record.provenance.source == "seed" and "yo-yo" in record.aliases


def test_cache_key_is_the_request_not_the_key_or_the_spelling(tmp_path: Path) -> None:
    key = ASKED.answer_key
    assert key("ApplyEyeMakeup") == key("apply eye makeup")
    assert key("x") != Instructions(model=MODEL, version="askg-decompose-v0").answer_key("x")
    assert key("x") != Instructions(model="other").answer_key("x")
    cache = ResponseCache(tmp_path)
    cache.put(ASKED, "x", Decomposition(scenes=["gym"]))
    files = list(tmp_path.rglob("*.json"))
    assert len(files) == 1 and files[0].parent.name == files[0].stem[:2]
    assert SECRET_KEY not in files[0].read_text()
    files[0].write_text("{broken")
    assert cache.get(ASKED, "x") is None
