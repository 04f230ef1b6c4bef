"""What keeps a small grammar-constrained model (SmolLM2-135M on llama.cpp) building: a schema whose
every string and array is bounded, repairs that only drop impossible names, rejection of answers
copying the prompt's examples, and retries at a higher temperature."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from askg.llm.answers import drop_misplaced_names
from askg.llm.client import copied_phrases, retry_temperature, validate_answer
from askg.llm.instructions import (
    EXAMPLE_PHRASES,
    PROMPT_VERSION,
    SYSTEM_TEMPLATE,
    AnswerBounds,
    Instructions,
    body_part_vocabulary,
)
from askg.schema import Decomposition
from askg.seeds import default_seeds_dir, load_seeds
from tests.build.fake_openai_server import FakeOpenAIServer, copied_answer, good_answer
from tests.build.test_build_llm_client import client_for, decompose

VOCABULARY = ("hands", "arms", "legs", "whole body")


def strings_and_arrays(node: Any, defs: dict[str, Any], path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every string and array schema reachable from `node`, with where it is."""
    if "$ref" in node:
        name = node["$ref"].split("/")[-1]
        return strings_and_arrays(defs[name], defs, f"{path}->{name}")
    found: list[tuple[str, dict[str, Any]]] = []
    if node.get("type") in ("string", "array"):
        found.append((path, node))
    for key, child in node.get("properties", {}).items():
        found += strings_and_arrays(child, defs, f"{path}.{key}")
    if "items" in node:
        found += strings_and_arrays(node["items"], defs, f"{path}[]")
    return found


def conforms(value: Any, node: dict[str, Any], defs: dict[str, Any]) -> bool:
    """`value` within the schema's bounds (types, enums, patterns, lengths, item counts)."""
    if "$ref" in node:
        return conforms(value, defs[node["$ref"].split("/")[-1]], defs)
    if "enum" in node:
        return value in node["enum"]
    if node.get("type") == "string":
        return (isinstance(value, str) and node["minLength"] <= len(value) <= node["maxLength"]
                and re.fullmatch(node["pattern"][1:-1], value) is not None)
    if node.get("type") == "array":
        return (isinstance(value, list) and node.get("minItems", 0) <= len(value) <= node["maxItems"]
                and all(conforms(item, node["items"], defs) for item in value))
    properties = node["properties"]
    return (isinstance(value, dict) and set(node.get("required", [])) <= set(value) <= set(properties)
            and all(conforms(v, properties[k], defs) for k, v in value.items()))


@pytest.mark.parametrize(
    ("bounds", "longest", "most_items", "text"),
    [("compact", 48, 5, "stands on"), ("standard", 140, 8, "T-shirt pulled over the head in a plié")],
)
def test_every_string_and_array_sent_is_bounded_so_a_grammar_cannot_run_on(
    bounds: AnswerBounds, longest: int, most_items: int, text: str
) -> None:
    schema = Instructions(model="m", body_parts=VOCABULARY, answer_bounds=bounds).answer_schema()
    found = strings_and_arrays(schema, schema["$defs"])
    strings = [(path, node) for path, node in found if node["type"] == "string" and "enum" not in node]
    arrays = [(path, node) for path, node in found if node["type"] == "array"]
    assert len(strings) >= 10 and len(arrays) >= 7  # every name, text and list of the answer
    assert max(node["maxLength"] for _, node in strings) == longest
    for path, node in strings:
        assert node["minLength"] >= 2 and node["maxLength"] <= longest, path
        pattern = node["pattern"]
        assert pattern.startswith("^") and pattern.endswith("$"), path
        bad_ones = ["", "x", "a\u0001b", "line\nbreak", 'say "hi"', "back\\slash", "a" * (longest + 1)]
        if bounds == "compact":
            bad_ones += ["Capital", "é" * 5]
        for bad in bad_ones:
            assert re.fullmatch(pattern[1:-1], bad) is None, (path, bad)
        assert re.fullmatch(pattern[1:-1], "stands on") is not None, path
    phase_text = schema["$defs"]["PhaseSpec"]["properties"]["text"]
    assert re.fullmatch(phase_text["pattern"][1:-1], text) is not None
    for path, node in arrays:
        assert 1 <= node["maxItems"] <= most_items, path
    assert PROMPT_VERSION == "askg-decompose-v5"


def test_the_standard_bounds_admit_every_curated_seed_so_large_models_are_not_cut_short() -> None:
    schema = Instructions(model="m", body_parts=body_part_vocabulary(default_seeds_dir())).answer_schema()
    defs = schema["$defs"]
    seeds = load_seeds(default_seeds_dir())
    assert len(seeds) > 700
    outside = [seed.name for seed in seeds.values()
               if not conforms(seed_as_answer(seed.decomposition), schema, defs)]
    assert outside == []
    compact = Instructions(model="m", body_parts=VOCABULARY, answer_bounds="compact").answer_schema()
    clean_and_jerk = next(seed for seed in seeds.values() if seed.name == "clean and jerk")
    assert not conforms(seed_as_answer(clean_and_jerk.decomposition), compact, compact["$defs"])  # phases too long


def seed_as_answer(decomposition: Decomposition) -> dict[str, Any]:
    """The answer a model would give for `decomposition`: the fields the schema sent asks for."""
    answer = decomposition.model_dump(mode="json", exclude_none=True)
    schema = Instructions(model="m").answer_schema()
    return {key: value for key, value in answer.items()
            if key in schema["properties"] and (value != [] or key in schema["required"])}


def test_the_bounds_admit_a_good_answer_and_every_example_phrase_the_prompt_teaches() -> None:
    schema = Instructions(model="m", body_parts=VOCABULARY).answer_schema()
    defs = schema["$defs"]
    assert conforms(good_answer("archery"), schema, defs)
    for phrase in EXAMPLE_PHRASES:
        assert f'"{phrase}' in SYSTEM_TEMPLATE, phrase  # quoted in the instructions
        assert conforms(phrase, defs["Motion"]["properties"]["motion"], defs), phrase
    too_many = good_answer("archery")
    too_many["phases"] *= 2
    assert not conforms(too_many, schema, defs)


def test_the_openai_json_schema_form_still_carries_the_whole_schema() -> None:
    instructions = Instructions(model="m", body_parts=VOCABULARY)
    sent = instructions.response_format("json_schema")
    assert sent is not None and sent["json_schema"]["schema"] == instructions.answer_schema()
    json.dumps(sent)  # plain JSON


def test_the_class_name_as_object_handle_or_scene_is_dropped_and_a_name_is_an_object_or_a_scene() -> None:
    answer = good_answer("juggling")
    answer["objects"].append({"name": "Juggling", "predicate": "does"})
    answer["scenes"] += ["juggling ", "park lawn"]
    answer["objects"].append({"name": "park lawn", "predicate": "stands on"})
    answer["phases"][1]["handles"] = ["juggling"]
    repaired = drop_misplaced_names(answer, "juggling")
    assert isinstance(repaired, dict)
    assert [o["name"] for o in repaired["objects"]] == ["juggling gear", "floor mat"]
    assert repaired["scenes"] == ["training hall", "park lawn"]  # not handled: it stays the scene
    assert repaired["phases"][1]["handles"] == [] and repaired["phases"][0]["handles"] == ["juggling gear"]
    answer["phases"][2]["handles"] = ["park lawn"]  # handled: it stays the object
    again = drop_misplaced_names(answer, "juggling")
    assert isinstance(again, dict)
    assert "park lawn" in [o["name"] for o in again["objects"]] and again["scenes"] == ["training hall"]
    assert answer["objects"][-2]["name"] == "Juggling"  # the input is not modified
    assert drop_misplaced_names(["not", "an", "answer"], "x") == ["not", "an", "answer"]
    odd = {"objects": "rope", "scenes": ["rope"]}
    assert drop_misplaced_names(odd, "rope") == odd  # not shaped like an answer: validation reports it


def test_validation_repairs_only_with_the_class_name() -> None:
    answer = good_answer("juggling")
    answer["scenes"].append("juggling gear")
    with pytest.raises(ValueError, match="both as an object and as a scene"):
        validate_answer(json.dumps(answer))
    decomposition = validate_answer(json.dumps(answer), "juggling")
    assert "juggling gear" in {o.name for o in decomposition.objects}  # handled in phase 1
    assert decomposition.scenes == ["training hall"]


def test_copying_the_prompt_examples_in_three_places_is_a_problem_once_or_twice_is_not() -> None:
    copied = Decomposition.model_validate(copied_answer())
    (problem,) = copied_phrases(copied)
    assert "grip the bar" in problem and "weightlifting gym" in problem
    honest = good_answer("snatch")
    honest["scenes"] = ["weightlifting gym"]
    honest["phases"][0]["motions"] = [{"body_part": "hands", "motion": "grip the bar"}]
    assert copied_phrases(Decomposition.model_validate(honest)) == []


def test_retry_temperature_rises_per_invalid_answer_and_stays_in_range() -> None:
    assert [retry_temperature(0.2, n) for n in range(4)] == [0.2, 0.5, 0.8, 1.1]
    assert retry_temperature(1.9, 3) == 2.0


def test_a_misplaced_answer_is_repaired_without_asking_again(fake_server: FakeOpenAIServer) -> None:
    fake_server.script.append("misplaced")
    client = client_for(fake_server)
    result = decompose(client, "juggling")
    assert isinstance(result, Decomposition) and client.calls.invalid_answers == 0
    assert "juggling" not in result.object_names() | set(result.scenes)
    assert result.scenes == ["training hall", "lawn"] and "lawn" not in result.object_names()


def test_a_copied_answer_is_asked_again_at_a_higher_temperature_with_the_reason(
    fake_server: FakeOpenAIServer,
) -> None:
    fake_server.script.extend(["copied", "ok"])
    client = client_for(fake_server, temperature=0.2)
    result = decompose(client, "archery")
    assert isinstance(result, Decomposition) and result.scenes == ["training hall"]
    assert client.calls.invalid_answers == 1
    first, second = (r.body for r in fake_server.requests)
    assert (first["temperature"], second["temperature"]) == (0.2, 0.5)
    assert "copied the instructions' examples" in second["messages"][-1]["content"]
