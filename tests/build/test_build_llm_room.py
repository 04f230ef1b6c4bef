"""The LLM room: the builder depends on the `Decomposer` interface, retries are decided on our own
error types (the openai SDK's are translated at the edge), the answer cache is keyed by the whole
request, and ASKG_LLM_MODEL / OPENAI_* reach `askg build` from the environment or a `.env` file."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from askg.builder import Builder, BuildOptions
from askg.class_lists import ClassEntry
from askg.llm import instructions as instructions_module
from askg.llm.backoff import Backoff
from askg.llm.cache import ResponseCache
from askg.llm.client import DecompositionClient, LLMConfig, rule_problems
from askg.llm.decomposer import CallCounter
from askg.llm.errors import (
    ConnectionFailed,
    HTTPStatusError,
    LLMFailure,
    MalformedResponse,
    RequestTimedOut,
    TransportError,
)
from askg.llm.instructions import Instructions
from askg.llm.openai_chat import Completion, OpenAIChat
from askg.llm.retry import RetryPolicy
from askg.schema import Decomposition
from askg.store.embedded import EmbeddedStore
from tests.build.conftest import SECRET_KEY, write_classes
from tests.build.fake_openai_server import FakeOpenAIServer, good_answer

REPO = Path(__file__).resolve().parents[2]


class ScriptedDecomposer:
    """A provider that is not an OpenAI client at all: what the builder must be able to use."""

    def __init__(self, instructions: Instructions) -> None:
        self._instructions = instructions
        self._calls = CallCounter()
        self.asked: list[str] = []
        self.closed = False

    @property
    def instructions(self) -> Instructions:
        return self._instructions

    @property
    def calls(self) -> CallCounter:
        return self._calls

    @property
    def stopped(self) -> str | None:
        return None

    async def decompose(self, class_name: str) -> Decomposition:
        self.asked.append(class_name)
        self._calls.requests += 1
        if class_name == "unknowable":
            raise LLMFailure("no idea")
        return Decomposition.model_validate(good_answer(class_name))

    async def close(self) -> None:
        self.closed = True


def test_builder_uses_any_decomposer_and_a_later_run_without_one_reads_its_cache(tmp_path: Path) -> None:
    asked = Instructions(model="scripted-1", body_parts=("hands", "arms"))
    decomposer = ScriptedDecomposer(asked)
    cache = ResponseCache(tmp_path / "cache")
    store = EmbeddedStore(tmp_path / "g.json")
    entries = [ClassEntry("Rope Climbing", 1), ClassEntry("unknowable", 2)]
    summary = Builder(store, {}, cache, decomposer, BuildOptions(dataset="mini")).build(entries)
    assert summary.counts["llm"] == 1 and summary.counts["failed"] == 1 and summary.failed[0].reason == "no idea"
    assert decomposer.asked == ["rope climbing", "unknowable"] and decomposer.closed
    (record,) = store.get_actions()
    assert (record.provenance.model, record.provenance.prompt_version) == ("scripted-1", asked.version)
    assert cache.get(asked, "rope climbing") is not None

    again = Builder(EmbeddedStore(tmp_path / "g2.json"), {}, cache, None,
                    BuildOptions(dataset="mini", instructions=asked))
    assert again.build(entries[:1]).counts["cache"] == 1
    other = Builder(EmbeddedStore(tmp_path / "g3.json"), {}, cache, None,
                    BuildOptions(dataset="mini", instructions=Instructions(model="scripted-2")))
    assert other.build(entries[:1]).counts["failed"] == 1  # another model's answer is not served


def test_retry_policy_is_decided_on_our_error_types() -> None:
    policy = RetryPolicy(max_retries=2, backoff=Backoff(base_s=0.5, max_s=0.5))
    for status in (408, 429, 500, 502, 503):
        assert policy.retryable(HTTPStatusError(status, "x")), status
    for status in (400, 401, 403, 404, 422):
        assert not policy.retryable(HTTPStatusError(status, "x")), status
    for error in (ConnectionFailed("refused"), RequestTimedOut("slow"), MalformedResponse("html")):
        assert policy.retryable(error)
    assert policy.should_retry(ConnectionFailed("refused"), 2) and not policy.should_retry(ConnectionFailed("r"), 3)
    assert policy.delay(1, HTTPStatusError(429, "x", retry_after=9.0)) == 9.0
    assert 0 <= policy.delay(1, ConnectionFailed("refused")) <= 0.5
    assert ConnectionFailed("x").unreachable and RequestTimedOut("x", connect=True).unreachable
    assert not RequestTimedOut("x").unreachable and not HTTPStatusError(500, "x").unreachable


class FlakyTransport:
    """A transport without any SDK: refuses twice, then answers."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    async def complete(self, body: dict[str, Any]) -> Completion:
        self.bodies.append(body)
        if len(self.bodies) <= 2:
            raise ConnectionFailed("connection error (Connection refused)")
        return Completion(json.dumps(good_answer("archery")), "stop", 10)

    async def close(self) -> None:
        pass


def test_client_retries_through_a_transport_of_its_own_types() -> None:
    transport = FlakyTransport()
    config = LLMConfig(model="m", backoff_base_s=0.0, backoff_max_s=0.0)
    client = DecompositionClient(config, transport=transport)
    result = asyncio.run(client.decompose("archery"))
    assert result.phases and client.calls.retries == 2 and client.calls.by_status == {"connection": 2}
    assert client.circuit.consecutive == 0  # the answer closed the streak
    assert transport.bodies[0]["model"] == "m" and transport.bodies[0]["messages"] == config.instructions.messages(
        "archery"
    )


def chat_once(url: str, timeout_s: float = 2.0) -> Completion | TransportError:
    async def run() -> Completion | TransportError:
        chat = OpenAIChat(url, SECRET_KEY, timeout_s)
        try:
            return await chat.complete({"model": "m", "messages": [{"role": "user", "content": "Action class: x"}]})
        except TransportError as exc:
            return exc
        finally:
            await chat.close()

    return asyncio.run(run())


def test_the_openai_edge_translates_sdk_errors_over_real_http(fake_server: FakeOpenAIServer) -> None:
    fake_server.retry_after, fake_server.hang_s = "3", 2.0
    fake_server.script.extend(["429", "401", "hang", "ok"])
    limited = chat_once(fake_server.url)
    assert isinstance(limited, HTTPStatusError) and (limited.status, limited.retry_after) == (429, 3.0)
    refused_key = chat_once(fake_server.url)
    assert isinstance(refused_key, HTTPStatusError) and refused_key.status == 401 and "bad key" in refused_key.message
    slow = chat_once(fake_server.url, timeout_s=0.3)
    assert isinstance(slow, RequestTimedOut) and not slow.unreachable
    answered = chat_once(fake_server.url)
    assert isinstance(answered, Completion) and answered.finish_reason == "stop" and "phases" in answered.content
    port = fake_server.url.split(":")[2].split("/")[0]
    fake_server.stop()
    refused = chat_once(f"http://127.0.0.1:{port}/v1")
    assert isinstance(refused, ConnectionFailed) and refused.unreachable and "refused" in refused.reason.lower()


def test_cache_key_covers_the_whole_request(monkeypatch: pytest.MonkeyPatch) -> None:
    base = Instructions(model="m", body_parts=("hands", "arms"))
    key = base.answer_key("archery")
    assert key == Instructions(model="m", body_parts=("hands", "arms")).answer_key("Archery")
    for changed in (base.model_copy(update={"body_parts": ("hands", "legs")}),
                    base.model_copy(update={"temperature": 0.0}),
                    base.model_copy(update={"model": "m2"}),
                    base.model_copy(update={"version": "other"})):
        assert changed.answer_key("archery") != key, changed
    # the instruction text itself is in the key, even if someone forgets to bump the version
    monkeypatch.setattr(instructions_module, "SYSTEM_TEMPLATE", instructions_module.SYSTEM_TEMPLATE + " Be brief.")
    assert base.answer_key("archery") != key


def test_a_new_body_part_vocabulary_is_not_served_answers_cached_under_the_old_one(
    tmp_path: Path, fake_server: FakeOpenAIServer
) -> None:
    cache = ResponseCache(tmp_path / "cache")

    def build(parts: tuple[str, ...], run: str) -> None:
        config = LLMConfig(model="m", base_url=fake_server.url, body_parts=parts, timeout_s=2, backoff_base_s=0.01)
        Builder(EmbeddedStore(tmp_path / f"{run}.json"), {}, cache, DecompositionClient(config),
                BuildOptions(dataset="mini")).build([ClassEntry("archery", 1)])

    build(("hands", "arms", "legs", "whole body"), "a")
    build(("hands", "arms", "legs", "whole body", "fingers"), "b")
    build(("hands", "arms", "legs", "whole body"), "c")
    assert len(fake_server.requests) == 2  # the second vocabulary asked again; the third run hit the cache
    assert "fingers" in fake_server.requests[1].body["messages"][0]["content"]


def run_build(cwd: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    classes = write_classes(cwd / "mini.txt", ["archery"])
    base = {k: v for k, v in os.environ.items()
            if k not in ("ASKG_LLM_MODEL", "OPENAI_BASE_URL", "OPENAI_API_KEY", "ASKG_STORE", "NEO4J_URI")}
    base["PYTHONPATH"] = str(REPO) + os.pathsep + base.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, "-m", "cli.askg_app", "--store", str(cwd / "g.json"), "build", "--classes", str(classes),
         "--rebuild", "--no-cache", "--cache-dir", str(cwd / "cache"), "--llm-timeout", "2", *extra],
        capture_output=True, text=True, cwd=cwd, env={**base, **(env or {})}, timeout=120,
    )


def test_llm_settings_come_from_a_dotenv_file_the_environment_and_the_options(
    clean_env: Path, seeds_dir: Path, fake_server: FakeOpenAIServer
) -> None:
    (clean_env / ".env").write_text(
        f"ASKG_LLM_MODEL=dotenv-model\nOPENAI_BASE_URL={fake_server.url}\nOPENAI_API_KEY={SECRET_KEY}\n"
    )
    from_dotenv = run_build(clean_env)
    assert from_dotenv.returncode == 0, from_dotenv.stderr
    (request,) = fake_server.requests
    assert request.body["model"] == "dotenv-model" and request.headers["authorization"] == f"Bearer {SECRET_KEY}"
    assert EmbeddedStore(clean_env / "g.json").get_actions()[0].provenance.model == "dotenv-model"

    assert run_build(clean_env, env={"ASKG_LLM_MODEL": "env-model"}).returncode == 0
    assert run_build(clean_env, "--llm-model", "option-model",
                     env={"ASKG_LLM_MODEL": "env-model"}).returncode == 0
    assert [r.body["model"] for r in fake_server.requests] == ["dotenv-model", "env-model", "option-model"]


def test_the_answer_bounds_option_reaches_the_schema_sent(
    clean_env: Path, seeds_dir: Path, fake_server: FakeOpenAIServer
) -> None:
    env = {"OPENAI_BASE_URL": fake_server.url}
    assert run_build(clean_env, env=env).returncode == 0
    assert run_build(clean_env, "--llm-answer-bounds", "compact", env=env).returncode == 0
    texts = [r.body["response_format"]["json_schema"]["schema"]["$defs"]["PhaseSpec"]["properties"]["text"]
             for r in fake_server.requests]
    assert [t["maxLength"] for t in texts] == [140, 48]


def test_schema_sent_carries_the_limits_and_the_body_part_vocabulary() -> None:
    schema = Instructions(model="m", body_parts=("hands", "legs")).answer_schema()
    assert (schema["properties"]["phases"]["minItems"], schema["properties"]["phases"]["maxItems"]) == (3, 5)
    assert schema["properties"]["scenes"]["minItems"] == 1 and set(schema["required"]) >= {"phases", "scenes"}
    assert schema["$defs"]["Motion"]["properties"]["body_part"]["enum"] == ["hands", "legs"]
    assert schema["$defs"]["PhaseSpec"]["properties"]["motions"]["minItems"] == 1
    assert "title" not in json.dumps(schema) and "description" not in schema["properties"]["phases"]
    assert schema["properties"]["scenes"]["items"]["minLength"] >= 1  # no empty strings under a grammar
    assert schema["$defs"]["PhaseSpec"]["properties"]["text"]["minLength"] >= 1
    # no worked example to copy (v4's was copied by a 135M model); the form comes from the schema
    assert '"objects":' not in instructions_module.system_prompt(("hands", "legs"))


def test_an_answer_breaking_the_rules_is_asked_again_with_the_reasons(fake_server: FakeOpenAIServer) -> None:
    fake_server.script.extend(["short", "ok"])
    parts = ("hands", "arms", "legs", "whole body")
    config = LLMConfig(model="m", base_url=fake_server.url, timeout_s=2, body_parts=parts)
    client = DecompositionClient(config)

    async def run() -> Decomposition:
        try:
            return await client.decompose("archery")
        finally:
            await client.close()

    result = asyncio.run(run())
    assert len(result.phases) == 3 and client.calls.invalid_answers == 1
    retry = fake_server.requests[1].body["messages"][-1]["content"]
    assert "phases: give 3 to 5 phases, not 1" in retry and "2 different body parts" in retry and "scene" in retry
    assert rule_problems(result, ("hands", "arms")) == ["body_part: legs, whole body not in the vocabulary"]
