"""A circuit breaker over all LLM requests of a build: stop when the server cannot be reached at all.

Only failures to connect count (refused, reset before any answer, DNS, connect timeout); any HTTP
answer, even a 5xx, proves the server is there and closes the streak, so a flaky but alive server is
still retried as before. The circuit opens after `max_failures` consecutive connection failures
(across classes), or after `min_failures` of them spanning `window_s` seconds (a slow-to-fail
network); once open, no further request is sent and the build stops, keeping completed classes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

DEFAULT_MAX_FAILURES = 10
DEFAULT_WINDOW_S = 20.0
MIN_FAILURES = 2


@dataclass
class CircuitBreaker:
    max_failures: int = DEFAULT_MAX_FAILURES
    window_s: float = DEFAULT_WINDOW_S
    clock: Callable[[], float] = time.monotonic
    consecutive: int = 0
    first_failure_at: float | None = None
    last_reason: str = ""
    opened: bool = field(default=False)

    def success(self) -> None:
        if not self.opened:
            self.consecutive, self.first_failure_at = 0, None

    def failure(self, reason: str) -> None:
        now = self.clock()
        if self.first_failure_at is None:
            self.first_failure_at = now
        self.consecutive += 1
        self.last_reason = reason
        span = now - self.first_failure_at
        if self.consecutive >= self.max_failures or (
            self.consecutive >= min(MIN_FAILURES, self.max_failures) and span >= self.window_s
        ):
            self.opened = True

    def describe(self) -> str:
        span = 0.0 if self.first_failure_at is None else self.clock() - self.first_failure_at
        return f"{self.last_reason}; {self.consecutive} consecutive connection failures over {span:.0f} s"
