"""The `Decomposer` over any OpenAI-compatible chat server: one structured decomposition per class.

This client owns the conversation and the policies: the response_format fallback (json_schema, then
json_object, then none, learnt from the server's HTTP 400s), the retry policy on transport failures
(askg.llm.retry), the circuit breaker, a larger max_tokens after a truncated answer, and validation of
every answer with the validation error sent back to the model on a retry (a fresh request naming the
error, at a higher temperature). The HTTP side is a
`ChatTransport` (askg.llm.openai_chat by default), which raises only askg.llm.errors types.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from askg.llm.answers import drop_misplaced_names, extract_json
from askg.llm.backoff import Backoff
from askg.llm.circuit import DEFAULT_MAX_FAILURES, DEFAULT_WINDOW_S, CircuitBreaker
from askg.llm.decomposer import CallCounter
from askg.llm.errors import (
    HTTPStatusError,
    LLMFailure,
    LLMUnreachable,
    MalformedResponse,
    RequestTimedOut,
    TransportError,
)
from askg.llm.instructions import (
    DEFAULT_TEMPERATURE,
    EXAMPLE_PHRASES,
    FORMAT_FALLBACKS,
    MAX_PHASES,
    MIN_BODY_PARTS,
    MIN_PHASES,
    MIN_SCENES,
    PROMPT_VERSION,
    AnswerBounds,
    FormatMode,
    Instructions,
    retry_prompt,
)
from askg.llm.openai_chat import Completion, OpenAIChat
from askg.llm.retry import RetryPolicy
from askg.schema import Decomposition

__all__ = [
    "DecompositionClient", "LLMConfig", "LLMFailure", "LLMUnreachable", "copied_phrases", "rule_problems",
    "validate_answer",
]

OPENAI_DEFAULT_URL = "https://api.openai.com/v1"


class LLMConfig(BaseModel):
    model_config = ConfigDict(frozen=True, allow_inf_nan=False)

    model: str = Field(min_length=1)
    base_url: str | None = None
    api_key: SecretStr | None = None
    timeout_s: float = Field(60.0, gt=0)
    max_retries: int = Field(6, ge=0)  # transport-level retries per request (429, 5xx, connection, timeout)
    max_invalid: int = Field(3, ge=0)  # extra answers asked for after an invalid one
    backoff_base_s: float = Field(1.0, ge=0)
    backoff_max_s: float = Field(60.0, ge=0)
    circuit_failures: int = Field(DEFAULT_MAX_FAILURES, ge=1)
    circuit_window_s: float = Field(DEFAULT_WINDOW_S, gt=0)
    prompt_version: str = PROMPT_VERSION
    temperature: float = Field(DEFAULT_TEMPERATURE, ge=0, le=2)
    # None: the server's default length; after a truncated answer (finish_reason "length") the request
    # is repeated with max_tokens doubled, never above max_tokens_limit
    max_tokens: int | None = Field(None, ge=1)
    max_tokens_limit: int = Field(8192, ge=1)
    body_parts: tuple[str, ...] = ()
    answer_bounds: AnswerBounds = "standard"

    @property
    def url(self) -> str:
        return self.base_url or OPENAI_DEFAULT_URL

    @property
    def instructions(self) -> Instructions:
        return Instructions(
            model=self.model, temperature=self.temperature, body_parts=self.body_parts, version=self.prompt_version,
            answer_bounds=self.answer_bounds,
        )

    @property
    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(self.max_retries, Backoff(self.backoff_base_s, self.backoff_max_s))


class ChatTransport(Protocol):
    async def complete(self, body: dict[str, Any]) -> Completion:
        """One chat completion; raises askg.llm.errors.TransportError subclasses only."""
        ...

    async def close(self) -> None: ...


class DecompositionClient:
    """A `Decomposer` (askg.llm.decomposer) over an OpenAI-compatible chat server."""

    def __init__(self, config: LLMConfig, transport: ChatTransport | None = None) -> None:
        self.config = config
        key = config.api_key.get_secret_value() if config.api_key else None
        self._transport = transport or OpenAIChat(config.base_url, key, config.timeout_s)
        self._instructions = config.instructions
        self._policy = config.retry_policy
        self._calls = CallCounter()
        self.circuit = CircuitBreaker(config.circuit_failures, config.circuit_window_s)
        # the response_format this server accepts, learnt from its HTTP 400s and kept for later requests
        self.format_mode: FormatMode = FORMAT_FALLBACKS[0]

    @property
    def instructions(self) -> Instructions:
        return self._instructions

    @property
    def calls(self) -> CallCounter:
        return self._calls

    @property
    def stopped(self) -> str | None:
        return str(self.unreachable()) if self.circuit.opened else None

    def _request_body(
        self, messages: list[dict[str, str]], max_tokens: int | None, temperature: float
    ) -> dict[str, Any]:
        """Only what this server is known to accept: no response_format it rejected, no max_tokens
        unless an answer came back truncated (or the user set one)."""
        body: dict[str, Any] = {"model": self._instructions.model, "messages": messages, "temperature": temperature}
        fmt = self._instructions.response_format(self.format_mode)
        if fmt is not None:
            body["response_format"] = fmt
        if max_tokens is not None:
            body["max_tokens"] = max_tokens
        return body

    def _fall_back_format(self, error: HTTPStatusError) -> bool:
        """Step down to the next response_format when the server rejected this one; False when the
        error is not about it or none was sent. A rejection is an HTTP 400, or an HTTP 422 or 500
        whose message names the response_format (llama.cpp's server answers `json_schema` so)."""
        about_format = error.status == 400 or (
            error.status in (422, 500) and "response_format" in error.detail
        )
        if not about_format:
            return False
        index = FORMAT_FALLBACKS.index(self.format_mode)
        if index + 1 >= len(FORMAT_FALLBACKS):
            return False
        self.format_mode = FORMAT_FALLBACKS[index + 1]
        self.calls.note(f"fallback-{self.format_mode}")
        return True

    def unreachable(self) -> LLMUnreachable:
        return LLMUnreachable(f"LLM server {self.config.url} unreachable: {self.circuit.describe()}")

    async def close(self) -> None:
        await self._transport.close()

    async def decompose(self, class_name: str) -> Decomposition:
        """A validated decomposition of `class_name`, or LLMFailure with the reason."""
        first = messages = self._instructions.messages(class_name)
        last_error = ""
        for attempt in range(self.config.max_invalid + 1):
            content = await self._complete(messages, retry_temperature(self._instructions.temperature, attempt))
            try:
                decomposition = validate_answer(content, class_name)
                problems = rule_problems(decomposition, self._instructions.body_parts) + copied_phrases(decomposition)
                if problems:
                    raise ValueError(f"does not follow the rules ({'; '.join(problems)})")
                return decomposition
            except ValueError as exc:
                self.calls.invalid_answers += 1
                last_error = str(exc)
                messages = retry_messages(first, last_error)
        raise LLMFailure(f"invalid answer after {self.config.max_invalid + 1} attempts: {last_error}")

    async def _complete(self, messages: list[dict[str, str]], temperature: float) -> str:
        """The content of one whole (not truncated) answer: a truncated one is asked for again with a
        larger max_tokens, up to max_tokens_limit."""
        max_tokens = self.config.max_tokens
        while True:
            completion = await self._request(messages, max_tokens, temperature)
            if completion.finish_reason != "length":
                return completion.content
            self.calls.note("length")
            grown = max(2 * (max_tokens or completion.completion_tokens or 512), 1024)
            limit = self.config.max_tokens_limit
            if max_tokens is not None and max_tokens >= limit:
                raise LLMFailure(
                    f"answer truncated at max_tokens={max_tokens} (finish_reason: length) even at the "
                    f"limit {limit}; raise the limit or use a model that answers shorter"
                )
            max_tokens = min(grown, limit)
            self.calls.retries += 1

    async def _request(self, messages: list[dict[str, str]], max_tokens: int | None, temperature: float) -> Completion:
        """One chat completion under the retry policy, with the response_format fallback."""
        attempt = 0
        while True:
            if self.circuit.opened:
                raise self.unreachable()
            self.calls.requests += 1
            try:
                completion = await self._transport.complete(self._request_body(messages, max_tokens, temperature))
                self.circuit.success()
                return completion
            except HTTPStatusError as exc:
                self.circuit.success()  # an HTTP answer: the server is there
                self.calls.note(str(exc.status))
                if self._fall_back_format(exc):
                    continue  # the server rejected the response_format, not the request: ask again now
                if not self._policy.retryable(exc):
                    raise LLMFailure(f"HTTP {exc.status} from the LLM server: {exc.message}") from None
                error: TransportError = exc
            except TransportError as exc:
                self.calls.note(_status_name(exc))
                if exc.unreachable:
                    self.circuit.failure(exc.reason)
                error = exc
            attempt += 1
            if self.circuit.opened:
                raise self.unreachable()
            if not self._policy.should_retry(error, attempt):
                raise LLMFailure(f"gave up after {attempt} requests: {error.reason}")
            self.calls.retries += 1
            await asyncio.sleep(self._policy.delay(attempt, error))


def _status_name(error: TransportError) -> str:
    if isinstance(error, RequestTimedOut):
        return "timeout"
    return "bad-response" if isinstance(error, MalformedResponse) else "connection"


def retry_messages(first: list[dict[str, str]], error: str) -> list[dict[str, str]]:
    """The first request again, its user message followed by why the last answer was invalid. Not
    the invalid answer itself: a small model anchors on it and decodes it again, and on a CPU server
    its tokens cost a prompt evaluation each time while the unchanged prefix is cached."""
    *head, user = first
    return [*head, {**user, "content": f"{user['content']}\n\n{retry_prompt(error)}"}]


RETRY_TEMPERATURE_STEP = 0.3
COPIED_PLACES_LIMIT = 3  # places (object, scene, phase text, motion, pose) repeating a quoted example


def retry_temperature(temperature: float, attempt: int) -> float:
    """The sampling temperature of answer `attempt` (0: the first): raised by RETRY_TEMPERATURE_STEP
    per invalid answer, so that a model asked again does not decode the same answer again."""
    return round(min(2.0, temperature + RETRY_TEMPERATURE_STEP * attempt), 3)


def copied_places(decomposition: Decomposition) -> list[str]:
    """Every place (object, scene, phase text, motion, pose) that repeats one of the instructions' quoted
    example phrases, in answer order."""
    places = ([o.name for o in decomposition.objects] + list(decomposition.scenes)
              + [p.text for p in decomposition.phases]
              + [m.motion for p in decomposition.phases for m in p.motions] + [p.pose for p in decomposition.poses])
    return [place for place in places if place.lower() in EXAMPLE_PHRASES]


def copied_phrases(decomposition: Decomposition) -> list[str]:
    """A problem when the answer repeats the instructions' quoted example phrases in at least
    COPIED_PLACES_LIMIT places (a weightlifting class may name a "weightlifting gym" honestly once)."""
    copied = copied_places(decomposition)
    if len(copied) < COPIED_PLACES_LIMIT:
        return []
    return [f"copied the instructions' examples ({', '.join(sorted(set(copied)))}); describe this class itself"]


def validate_answer(content: str, class_name: str | None = None) -> Decomposition:
    """Parse and validate one answer; ValueError with a short, model-readable reason when invalid.
    With `class_name`, names that cannot be right are dropped first (answers.drop_misplaced_names)."""
    raw = extract_json(content)
    if class_name is not None:
        raw = drop_misplaced_names(raw, class_name)
    missing = _objects_without_predicate(raw)
    if missing:
        raise ValueError(f"does not match the schema (objects: give a predicate for {', '.join(missing[:5])})")
    try:
        decomposition = Decomposition.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}" for err in exc.errors()[:5]
        )
        raise ValueError(f"does not match the schema ({problems})") from None
    if not decomposition.phases:
        raise ValueError("does not match the schema (phases: at least one phase is required)")
    if not decomposition.objects and not decomposition.scenes:
        raise ValueError("does not match the schema (objects/scenes: give at least one object or scene)")
    return decomposition


def rule_problems(decomposition: Decomposition, body_parts: tuple[str, ...] = ()) -> list[str]:
    """The rules of curated seeds that an LLM answer must follow too, as model-readable reasons:
    3-5 phases, at least 2 different body parts moving, at least 1 scene, body parts from the
    vocabulary (when one is given)."""
    problems = []
    if not MIN_PHASES <= len(decomposition.phases) <= MAX_PHASES:
        problems.append(f"phases: give {MIN_PHASES} to {MAX_PHASES} phases, not {len(decomposition.phases)}")
    moving = {m.body_part for p in decomposition.phases for m in p.motions}
    if len(moving) < MIN_BODY_PARTS:
        problems.append(f"motions: move at least {MIN_BODY_PARTS} different body parts, not {len(moving)}")
    if len(decomposition.scenes) < MIN_SCENES:
        problems.append("scenes: give at least one scene")
    if body_parts:
        unknown = sorted((moving | {p.body_part for p in decomposition.poses}) - set(body_parts))
        if unknown:
            problems.append(f"body_part: {', '.join(unknown)} not in the vocabulary")
    return problems


def _objects_without_predicate(raw: object) -> list[str]:
    """Objects answered without a predicate (a bare name, or no or an empty "predicate")."""
    objects = raw.get("objects") if isinstance(raw, dict) else None
    if not isinstance(objects, list):
        return []
    missing = []
    for item in objects:
        if isinstance(item, str):
            missing.append(repr(item))
        elif isinstance(item, dict) and not str(item.get("predicate") or "").strip():
            missing.append(repr(item.get("name")))
    return missing
