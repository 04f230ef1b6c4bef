"""The LLM client against the real local HTTP server: retries, Retry-After, timeouts, validation."""

from __future__ import annotations

import asyncio

import pytest

from askg.llm.backoff import Backoff, parse_retry_after
from askg.llm.client import DecompositionClient, LLMConfig, LLMFailure, validate_answer
from tests.build.fake_openai_server import FakeOpenAIServer


def client_for(server: FakeOpenAIServer, **overrides: object) -> DecompositionClient:
    settings: dict[str, object] = {"model": "fake-model", "base_url": server.url, "timeout_s": 0.5,
                                   "backoff_base_s": 0.01, "backoff_max_s": 0.05, **overrides}
    return DecompositionClient(LLMConfig.model_validate(settings))


def decompose(client: DecompositionClient, name: str) -> object:
    async def run() -> object:
        try:
            return await client.decompose(name)
        finally:
            await client.close()

    return asyncio.run(run())


def test_retry_after_is_honoured(fake_server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The wait is read from what the client asks asyncio to sleep, not from the clock (no flakes on a
    loaded machine)."""
    waits: list[float] = []
    real_sleep = asyncio.sleep

    async def recording_sleep(delay: float) -> None:
        waits.append(delay)
        await real_sleep(0)

    monkeypatch.setattr("askg.llm.client.asyncio.sleep", recording_sleep)
    fake_server.retry_after = "7"
    fake_server.script.extend(["429", "ok"])
    decompose(client_for(fake_server), "archery")
    first, second = fake_server.requests
    assert first.behaviour == "429" and second.behaviour == "ok"
    assert waits == [7.0]  # backoff alone would wait at most 0.01 s


@pytest.mark.parametrize("fault", ["hang", "drop", "500"])
def test_transport_faults_are_retried(fake_server: FakeOpenAIServer, fault: str) -> None:
    fake_server.hang_s = 2.0
    fake_server.script.extend([fault, fault, "ok"])  # type: ignore[list-item]
    client = client_for(fake_server)
    result = decompose(client, "archery")
    assert result is not None
    assert client.calls.retries == 2
    assert [r.behaviour for r in fake_server.requests][-1] == "ok"


def test_invalid_answer_is_retried_with_the_error_in_the_request(fake_server: FakeOpenAIServer) -> None:
    fake_server.script.extend(["schema", "ok"])
    client = client_for(fake_server)
    decompose(client, "archery")
    first, retry = (r.body["messages"] for r in fake_server.requests)
    assert [m["role"] for m in retry] == ["system", "user"] and retry[0] == first[0]
    assert retry[1]["content"].startswith(first[1]["content"] + "\n")  # the cached prefix, then the reason
    assert "not valid" in retry[-1]["content"] and "objects" in retry[-1]["content"]
    assert fake_server.requests[0].body["response_format"]["type"] == "json_schema"
    assert client.calls.invalid_answers == 1


def test_always_invalid_fails_after_the_limit(fake_server: FakeOpenAIServer) -> None:
    fake_server.policy["archery"] = ["invalid_json"]
    with pytest.raises(LLMFailure, match="invalid answer after 3 attempts: not JSON"):
        decompose(client_for(fake_server, max_invalid=2), "archery")
    assert len(fake_server.requests) == 3


def test_client_errors_are_not_retried(fake_server: FakeOpenAIServer) -> None:
    fake_server.script.append("401")
    with pytest.raises(LLMFailure, match="HTTP 401"):
        decompose(client_for(fake_server), "archery")
    assert len(fake_server.requests) == 1


def test_gives_up_after_max_retries(fake_server: FakeOpenAIServer) -> None:
    fake_server.policy["archery"] = ["500"]
    with pytest.raises(LLMFailure, match="gave up after 3 requests: HTTP 500"):
        decompose(client_for(fake_server, max_retries=2), "archery")


def test_backoff_and_retry_after_parsing() -> None:
    backoff = Backoff(base_s=1.0, max_s=8.0)
    assert all(0 <= backoff.delay(n) <= min(8.0, 2 ** (n - 1)) for n in range(1, 10) for _ in range(20))
    assert backoff.delay(5, retry_after=3.0) == 3.0
    assert parse_retry_after({"retry-after": "2"}) == 2.0
    assert parse_retry_after({"retry-after-ms": "1500"}) == 1.5
    assert parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert parse_retry_after({"retry-after": "soon"}) is None


def test_validate_answer_rejects_empty_phases_and_extra_keys() -> None:
    with pytest.raises(ValueError, match="phases"):
        validate_answer('{"objects": [{"name": "rope", "predicate": "climbs"}], "phases": []}')
    with pytest.raises(ValueError, match="colour"):
        validate_answer(
            '{"objects": [{"name": "rope", "predicate": "climbs"}], "colour": "red", "phases": [{"text": "x"}]}'
        )
    assert validate_answer('```json\n{"scenes": ["gym"], "phases": [{"text": "x"}]}\n```').scenes == ["gym"]
