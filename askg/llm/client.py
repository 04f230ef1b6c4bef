"""Async client for one structured decomposition per class against any OpenAI-compatible server.

The openai SDK's own retries are switched off (max_retries=0): this module owns the policy —
exponential backoff with jitter on 429, 5xx, connection errors and timeouts, honouring Retry-After —
and validates every answer itself, sending the validation error back to the model on a retry.
The API key is handed to the SDK only; it is never logged or returned.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field

import openai
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from askg.llm.answers import extract_json
from askg.llm.backoff import Backoff, parse_retry_after
from askg.llm.circuit import DEFAULT_MAX_FAILURES, DEFAULT_WINDOW_S, CircuitBreaker
from askg.llm.prompts import (
    FORMAT_FALLBACKS,
    PROMPT_VERSION,
    FormatMode,
    response_format,
    retry_prompt,
    system_prompt,
    user_prompt,
)
from askg.schema import Decomposition

NO_KEY = "no-key"  # local OpenAI-compatible servers accept any key; the SDK insists on one


CONNECT_TIMEOUT_S = 10.0
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
    # None: the server's default length; after a truncated answer (finish_reason "length") the request
    # is repeated with max_tokens doubled, never above max_tokens_limit
    max_tokens: int | None = Field(None, ge=1)
    max_tokens_limit: int = Field(8192, ge=1)
    body_parts: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return self.base_url or OPENAI_DEFAULT_URL


class LLMFailure(Exception):
    """The class could not be decomposed; the message is the one-line reason for the summary."""


class LLMUnreachable(LLMFailure):
    """The circuit is open: the server could not be reached for long enough to stop asking."""


@dataclass
class CallCounter:
    requests: int = 0
    retries: int = 0
    invalid_answers: int = 0
    by_status: dict[str, int] = field(default_factory=dict)

    def note(self, what: str) -> None:
        self.by_status[what] = self.by_status.get(what, 0) + 1


class DecompositionClient:
    def __init__(self, config: LLMConfig) -> None:
        self.config = config
        key = config.api_key.get_secret_value() if config.api_key else NO_KEY
        timeout = openai.Timeout(config.timeout_s, connect=min(CONNECT_TIMEOUT_S, config.timeout_s))
        self._client = openai.AsyncOpenAI(api_key=key, base_url=config.base_url, timeout=timeout, max_retries=0)
        self._backoff = Backoff(config.backoff_base_s, config.backoff_max_s)
        self._system = system_prompt(config.body_parts)
        self.calls = CallCounter()
        self.circuit = CircuitBreaker(config.circuit_failures, config.circuit_window_s)
        # the response_format this server accepts, learnt from its HTTP 400s and kept for later requests
        self.format_mode: FormatMode = FORMAT_FALLBACKS[0]

    def _request_options(self, messages: list[dict[str, str]], max_tokens: int | None) -> dict[str, object]:
        """Only what this server is known to accept: no response_format it rejected, no max_tokens
        unless an answer came back truncated (or the user set one)."""
        options: dict[str, object] = {"model": self.config.model, "messages": messages, "temperature": 0.2}
        fmt = response_format(self.format_mode)
        if fmt is not None:
            options["response_format"] = fmt
        if max_tokens is not None:
            options["max_tokens"] = max_tokens
        return options

    def _fall_back_format(self) -> bool:
        """Step down to the next response_format after an HTTP 400; False when none was sent."""
        index = FORMAT_FALLBACKS.index(self.format_mode)
        if index + 1 >= len(FORMAT_FALLBACKS):
            return False
        self.format_mode = FORMAT_FALLBACKS[index + 1]
        self.calls.note(f"fallback-{self.format_mode}")
        return True

    def unreachable(self) -> LLMUnreachable:
        return LLMUnreachable(f"LLM server {self.config.url} unreachable: {self.circuit.describe()}")

    async def close(self) -> None:
        await self._client.close()

    async def decompose(self, class_name: str) -> Decomposition:
        """A validated decomposition of `class_name`, or LLMFailure with the reason."""
        messages: list[dict[str, str]] = [
            {"role": "system", "content": self._system},
            {"role": "user", "content": user_prompt(class_name)},
        ]
        last_error = ""
        for _ in range(self.config.max_invalid + 1):
            content = await self._complete(messages)
            try:
                return validate_answer(content)
            except ValueError as exc:
                self.calls.invalid_answers += 1
                last_error = str(exc)
                messages = [
                    *messages,
                    {"role": "assistant", "content": content},
                    {"role": "user", "content": retry_prompt(last_error)},
                ]
        raise LLMFailure(f"invalid answer after {self.config.max_invalid + 1} attempts: {last_error}")

    async def _complete(self, messages: list[dict[str, str]]) -> str:
        """The content of one whole (not truncated) answer: a truncated one is asked for again with a
        larger max_tokens, up to max_tokens_limit."""
        max_tokens = self.config.max_tokens
        while True:
            content, finish_reason, used = await self._request(messages, max_tokens)
            if finish_reason != "length":
                return content
            self.calls.note("length")
            grown = max(2 * (max_tokens or used or 512), 1024)
            limit = self.config.max_tokens_limit
            if max_tokens is not None and max_tokens >= limit:
                raise LLMFailure(
                    f"answer truncated at max_tokens={max_tokens} (finish_reason: length) even at the "
                    f"limit {limit}; raise the limit or use a model that answers shorter"
                )
            max_tokens = min(grown, limit)
            self.calls.retries += 1

    async def _request(
        self, messages: list[dict[str, str]], max_tokens: int | None
    ) -> tuple[str, str | None, int]:
        """One chat completion with transport retries and the response_format fallback; returns the
        content, the finish reason and the completion tokens used (0 when not reported)."""
        attempt = 0
        while True:
            if self.circuit.opened:
                raise self.unreachable()
            self.calls.requests += 1
            try:
                response = await self._client.chat.completions.create(  # type: ignore[call-overload]
                    **self._request_options(messages, max_tokens)
                )
                self.circuit.success()
                if not response.choices:
                    raise ValueError("no choices in the response")
                choice = response.choices[0]
                used = response.usage.completion_tokens if response.usage else 0
                return choice.message.content or "", choice.finish_reason, used or 0
            except openai.APIStatusError as exc:
                self.circuit.success()  # an HTTP answer: the server is there
                status = exc.status_code
                self.calls.note(str(status))
                if status == 400 and self._fall_back_format():
                    continue  # the server rejected the response_format, not the request: ask again now
                if status != 429 and status < 500 and status != 408:
                    raise LLMFailure(f"HTTP {status} from the LLM server: {_short(exc.message)}") from None
                retry_after = parse_retry_after(exc.response.headers)
                reason = f"HTTP {status}"
            except openai.APITimeoutError as exc:
                self.calls.note("timeout")
                retry_after, reason = None, f"timeout after {self.config.timeout_s:g} s"
                if type(exc.__cause__).__name__ == "ConnectTimeout":  # the SDK's HTTP library's class
                    reason = f"connect timeout after {min(CONNECT_TIMEOUT_S, self.config.timeout_s):g} s"
                    self.circuit.failure(reason)
            except openai.APIConnectionError as exc:
                self.calls.note("connection")
                retry_after, reason = None, f"connection error ({_connection_cause(exc)})"
                self.circuit.failure(reason)
            except (ValueError, openai.APIResponseValidationError) as exc:
                # a 200 whose body is not a chat completion: treat like a server fault
                self.calls.note("bad-response")
                retry_after, reason = None, f"malformed response ({_short(str(exc))})"
            attempt += 1
            if self.circuit.opened:
                raise self.unreachable()
            if attempt > self.config.max_retries:
                raise LLMFailure(f"gave up after {attempt} requests: {reason}")
            self.calls.retries += 1
            await asyncio.sleep(self._backoff.delay(attempt, retry_after))


def validate_answer(content: str) -> Decomposition:
    """Parse and validate one answer; ValueError with a short, model-readable reason when invalid."""
    raw = extract_json(content)
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


def _connection_cause(exc: BaseException) -> str:
    """The most specific reason in the chain (e.g. "Connection refused" under the HTTP library's
    "All connection attempts failed")."""
    seen: set[int] = set()
    queue: list[BaseException] = [exc]
    while queue:
        current = queue.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno:
            return os.strerror(current.errno)
        queue.extend(getattr(current, "exceptions", ()))  # an exception group of per-address attempts
        queue.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return _short(str(exc.__cause__ or exc))


def _short(text: str, limit: int = 160) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "no detail"
    return line if len(line) <= limit else line[: limit - 1] + "…"
