"""Which transport failures are worth another request, and how long to wait before it.

Retried: HTTP 408, 429 and 5xx, connection failures, timeouts and malformed (non-completion) bodies,
at most `max_retries` times per request, after exponential backoff with full jitter, or after the
server's Retry-After when it sent one. Any other HTTP status (401, 404, ...) is final. An HTTP 400 is
handled before the policy: it may be the server rejecting the response_format (see the client).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from askg.llm.backoff import Backoff
from askg.llm.errors import HTTPStatusError, TransportError

RETRYABLE_STATUS = frozenset({408, 429})


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 6
    backoff: Backoff = field(default_factory=Backoff)

    @staticmethod
    def retryable(error: TransportError) -> bool:
        if isinstance(error, HTTPStatusError):
            return error.status in RETRYABLE_STATUS or error.status >= 500
        return True

    def should_retry(self, error: TransportError, attempt: int) -> bool:
        """Whether failed request number `attempt` (1-based) gets another try."""
        return self.retryable(error) and attempt <= self.max_retries

    def delay(self, attempt: int, error: TransportError, rng: random.Random | None = None) -> float:
        return self.backoff.delay(attempt, error.retry_after, rng)
