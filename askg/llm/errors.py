"""The LLM side's own failure types: what the builder sees, and what the transport raises.

The builder only ever sees `LLMFailure` (this class was not decomposed; the message is the reason)
and its subclass `LLMUnreachable` (stop asking: the server cannot be reached). Transports translate
their HTTP library's or SDK's exceptions into `TransportError`s at their edge, so the retry policy
(askg.llm.retry) decides on these types only.
"""

from __future__ import annotations


class LLMFailure(Exception):
    """The class could not be decomposed; the message is the one-line reason for the summary."""


class LLMUnreachable(LLMFailure):
    """The circuit is open: the server could not be reached for long enough to stop asking."""


class TransportError(Exception):
    """One request got no usable answer. `unreachable`: the server was not reached at all (counts for
    the circuit breaker); `retry_after`: the wait the server asked for, in seconds, if it did."""

    unreachable: bool = False

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class HTTPStatusError(TransportError):
    """The server answered with an HTTP error status; `message` is its first line, `detail` all of it."""

    def __init__(self, status: int, message: str, retry_after: float | None = None, detail: str = "") -> None:
        super().__init__(f"HTTP {status}", retry_after)
        self.status = status
        self.message = message
        self.detail = detail or message


class ConnectionFailed(TransportError):
    """No connection (refused, reset before any answer, DNS)."""

    unreachable = True


class RequestTimedOut(TransportError):
    """No answer in time; `connect` when not even the connection was made."""

    def __init__(self, reason: str, connect: bool = False) -> None:
        super().__init__(reason)
        self.connect = connect
        self.unreachable = connect


class MalformedResponse(TransportError):
    """An HTTP 200 whose body is not a chat completion."""
