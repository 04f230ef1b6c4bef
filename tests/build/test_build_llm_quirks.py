"""Real servers' quirks against the local HTTP test server: wrapped answers, think blocks, servers
without json_schema or any response_format, truncated answers."""

from __future__ import annotations

import asyncio

import pytest

from askg.llm.answers import extract_json
from askg.llm.client import DecompositionClient, LLMFailure
from askg.schema import Decomposition
from tests.build.fake_openai_server import FakeOpenAIServer
from tests.build.test_build_llm_client import client_for, decompose


def decompose_all(client: DecompositionClient, names: list[str]) -> list[Decomposition]:
    async def run() -> list[Decomposition]:
        try:
            return [await client.decompose(name) for name in names]
        finally:
            await client.close()

    return asyncio.run(run())


@pytest.mark.parametrize("quirk", ["fenced", "chatty", "think"])
def test_wrapped_answers_are_accepted_without_a_retry(fake_server: FakeOpenAIServer, quirk: str) -> None:
    fake_server.script.append(quirk)  # type: ignore[arg-type]
    client = client_for(fake_server)
    result = decompose(client, "archery")
    assert isinstance(result, Decomposition)
    assert [o.name for o in result.objects] == ["archery gear", "floor mat"]
    assert len(result.phases) == 3
    assert client.calls.invalid_answers == 0 and len(fake_server.requests) == 1


def test_an_unfinished_think_block_is_an_invalid_answer_and_asked_again(fake_server: FakeOpenAIServer) -> None:
    fake_server.script.extend(["unfinished_think", "ok"])
    client = client_for(fake_server)
    decompose(client, "archery")
    assert client.calls.invalid_answers == 1
    assert "unfinished <think> block" in fake_server.requests[1].body["messages"][-1]["content"]


def test_extract_json_takes_the_outer_object_not_an_inner_one_of_a_cut_answer() -> None:
    cut = '{"objects": [{"name": "bow", "predicate": "holds"}, {"name": "arr'
    with pytest.raises(ValueError, match="not JSON"):
        extract_json(cut)
    assert extract_json('Answer:\n```\n{"a": 1}\n```') == {"a": 1}
    assert extract_json('<THINK>{"wrong": 1}</THINK> {"right": 2} trailing') == {"right": 2}


def test_server_without_json_schema_falls_back_to_json_object_once_per_client(
    fake_server: FakeOpenAIServer,
) -> None:
    fake_server.rejects_formats = {"json_schema"}
    client = client_for(fake_server)
    results = decompose_all(client, ["archery", "bowling"])
    assert [r.phases[1].text for r in results] == ["doing archery", "doing bowling"]
    sent = [(r.behaviour, (r.body.get("response_format") or {}).get("type")) for r in fake_server.requests]
    # the second class does not pay for the rejected json_schema again
    assert sent == [("400", "json_schema"), ("ok", "json_object"), ("ok", "json_object")]
    assert fake_server.requests[1].body["response_format"]["schema"]["properties"]["phases"]  # still grammar
    assert client.calls.retries == 0


def test_llama_cpp_500_naming_response_format_falls_back_to_json_object_with_the_schema(
    fake_server: FakeOpenAIServer,
) -> None:
    """llama-cpp-python's server answers a `json_schema` response_format with HTTP 500 (its request
    validation error) and enforces a schema given inside `json_object`: one request, no retries."""
    fake_server.rejects_formats, fake_server.format_error_status = {"json_schema"}, 500
    client = client_for(fake_server)
    decompose(client, "archery")
    first, second = fake_server.requests
    assert (first.behaviour, second.behaviour) == ("500", "ok")
    assert second.body["response_format"] == {"type": "json_object", "schema": client.instructions.answer_schema()}
    assert client.calls.retries == 0 and client.format_mode == "json_object_schema"


def test_a_500_not_about_the_response_format_is_retried_with_the_same_format(
    fake_server: FakeOpenAIServer,
) -> None:
    fake_server.script.extend(["500", "ok"])
    client = client_for(fake_server)
    decompose(client, "archery")
    assert [r.body["response_format"]["type"] for r in fake_server.requests] == ["json_schema", "json_schema"]
    assert client.calls.retries == 1 and client.format_mode == "json_schema"


def test_server_without_any_response_format_gets_none_and_answers_are_still_validated(
    fake_server: FakeOpenAIServer,
) -> None:
    fake_server.rejects_formats = {"json_schema", "json_object"}
    fake_server.script.extend(["schema", "fenced"])  # the first answer that reaches us is invalid
    client = client_for(fake_server)
    result = decompose(client, "archery")
    assert isinstance(result, Decomposition)
    answered = [r for r in fake_server.requests if r.behaviour != "400"]
    # rejected: json_schema, json_object with the schema, plain json_object
    assert len(fake_server.requests) == 5 and len(answered) == 2
    assert all("response_format" not in r.body for r in answered)
    assert client.calls.invalid_answers == 1
    assert client.format_mode == "none"


def test_other_client_errors_still_fail_after_the_fallbacks(fake_server: FakeOpenAIServer) -> None:
    fake_server.policy["archery"] = ["401"]
    with pytest.raises(LLMFailure, match="HTTP 401"):
        decompose(client_for(fake_server), "archery")
    assert len(fake_server.requests) == 1


def test_truncated_answer_is_asked_again_with_a_larger_max_tokens(fake_server: FakeOpenAIServer) -> None:
    fake_server.needs_max_tokens = 3000
    client = client_for(fake_server)
    result = decompose(client, "archery")
    assert isinstance(result, Decomposition)
    sent = [r.body.get("max_tokens") for r in fake_server.requests]
    assert sent == [None, 1024, 2048, 4096]  # nothing sent until the server showed it needs it
    assert client.calls.invalid_answers == 0


def test_truncated_even_at_the_limit_fails_naming_the_cause(fake_server: FakeOpenAIServer) -> None:
    fake_server.needs_max_tokens = 3000
    client = client_for(fake_server, max_tokens=512, max_tokens_limit=2048)
    with pytest.raises(LLMFailure, match=r"truncated at max_tokens=2048 \(finish_reason: length\)"):
        decompose(client, "archery")
    assert [r.body.get("max_tokens") for r in fake_server.requests] == [512, 1024, 2048]

