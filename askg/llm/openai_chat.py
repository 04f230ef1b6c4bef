"""The one place the openai SDK is used: a chat completion against any OpenAI-compatible server, with
the SDK's exceptions translated into askg.llm.errors types at this edge.

The SDK's own retries are off (max_retries=0): the decomposition client owns the retry policy. The API
key is handed to the SDK only; it is never logged or returned.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import openai

from askg.llm.backoff import parse_retry_after
from askg.llm.errors import ConnectionFailed, HTTPStatusError, MalformedResponse, RequestTimedOut

NO_KEY = "no-key"  # local OpenAI-compatible servers accept any key; the SDK insists on one
CONNECT_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Completion:
    content: str
    finish_reason: str | None
    completion_tokens: int  # 0 when the server does not report usage


class OpenAIChat:
    """Chat completions over the openai SDK; raises only askg.llm.errors.TransportError subclasses."""

    def __init__(self, base_url: str | None, api_key: str | None, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self.connect_timeout_s = min(CONNECT_TIMEOUT_S, timeout_s)
        timeout = openai.Timeout(timeout_s, connect=self.connect_timeout_s)
        self._client = openai.AsyncOpenAI(
            api_key=api_key or NO_KEY, base_url=base_url, timeout=timeout, max_retries=0
        )

    async def complete(self, body: dict[str, Any]) -> Completion:
        try:
            response = await self._client.chat.completions.create(**body)
        except openai.APIStatusError as exc:
            retry_after = parse_retry_after(exc.response.headers)
            raise HTTPStatusError(exc.status_code, short(exc.message), retry_after, exc.message) from None
        except openai.APITimeoutError as exc:
            if type(exc.__cause__).__name__ == "ConnectTimeout":  # the SDK's HTTP library's class
                raise RequestTimedOut(f"connect timeout after {self.connect_timeout_s:g} s", connect=True) from None
            raise RequestTimedOut(f"timeout after {self.timeout_s:g} s") from None
        except openai.APIConnectionError as exc:
            raise ConnectionFailed(f"connection error ({connection_cause(exc)})") from None
        except openai.APIResponseValidationError as exc:
            raise MalformedResponse(f"malformed response ({short(str(exc))})") from None
        if not getattr(response, "choices", None):
            raise MalformedResponse("malformed response (no choices in the response)")
        choice = response.choices[0]
        used = response.usage.completion_tokens if response.usage else 0
        return Completion(choice.message.content or "", choice.finish_reason, used or 0)

    async def close(self) -> None:
        await self._client.close()


def connection_cause(exc: BaseException) -> str:
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
    return short(str(exc.__cause__ or exc))


def short(text: str, limit: int = 160) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "no detail"
    return line if len(line) <= limit else line[: limit - 1] + "…"
