"""The LLM is asked for real predicates and poses, and its answers are folded onto the vocabulary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from askg.builder import Builder, BuildOptions
from askg.class_lists import ClassEntry
from askg.llm.cache import ResponseCache
from askg.llm.client import validate_answer
from askg.llm.instructions import PROMPT_VERSION, Instructions, response_format, system_prompt
from askg.schema import Decomposition
from askg.store.embedded import EmbeddedStore
from askg.vocabulary import load_vocabulary
from tests.build.fake_openai_server import good_answer

SHIPPED = Path(__file__).resolve().parents[2] / "graph_seeds"


def test_prompt_asks_for_predicates_and_poses_and_its_version_changed() -> None:
    assert PROMPT_VERSION != "askg-decompose-v1"  # part of the cache key: v1 answers are not reused
    prompt = system_prompt(("hands", "arms"))
    assert "predicate" in prompt and '"uses" only when' in prompt and "poses" in prompt
    schema = response_format()["json_schema"]["schema"]
    use = schema["$defs"]["ObjectUse"]
    assert use["required"] == ["name", "predicate"] and "default" not in use["properties"]["predicate"]
    assert "poses" in schema["properties"]


def test_an_object_without_a_predicate_is_an_invalid_answer() -> None:
    answer = good_answer("rowing")
    answer["objects"].append("oar")
    with pytest.raises(ValueError, match=r"objects: give a predicate for 'oar'"):
        validate_answer(json.dumps(answer))
    answer["objects"][-1] = {"name": "oar", "predicate": " "}
    with pytest.raises(ValueError, match="give a predicate"):
        validate_answer(json.dumps(answer))
    answer["objects"][-1] = {"name": "oar", "predicate": "pulls"}
    answer["poses"] = [{"body_part": "arms", "pose": "stretched toward the bow"}]
    decomposition = validate_answer(json.dumps(answer))
    assert decomposition.objects[-1].predicate == "pulls" and decomposition.poses[0].body_part == "arms"


def test_an_object_named_as_a_scene_too_is_an_invalid_answer() -> None:
    answer = good_answer("rowing")
    answer["scenes"].append("floor mat")
    with pytest.raises(ValueError, match="named both as an object and as a scene: floor mat"):
        validate_answer(json.dumps(answer))


def test_build_folds_answers_onto_the_vocabulary(tmp_path: Path) -> None:
    answer = good_answer("watching tv")
    answer["objects"].append({"name": "sofa", "predicate": "sits on"})
    answer["scenes"] = ["party room"]
    cache = ResponseCache(tmp_path / "cache")
    instructions = Instructions(model="m")
    cache.put(instructions, "watching tv", Decomposition.model_validate(answer))
    store = EmbeddedStore(tmp_path / "g.json")
    options = BuildOptions(dataset="mini", instructions=instructions)
    builder = Builder(store, {}, cache, None, options, vocabulary=load_vocabulary(SHIPPED))
    summary = builder.build([ClassEntry("watching tv", 1)])
    assert summary.counts["cache"] == 1
    (record,) = store.get_actions()
    assert "couch" in {o.name for o in record.objects} and "sofa" not in {o.name for o in record.objects}
    assert record.scenes == ["party hall"]
