"""What the builder needs from an LLM: the `Decomposer` interface.

A new provider (another SDK, a local library, a batch API) implements these members; the builder
never sees a client class or an SDK. `decompose` returns a validated `Decomposition` or raises
`LLMFailure` (the class is reported failed, the build goes on) or `LLMUnreachable` (the build stops
asking and keeps what it built).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from askg.llm.instructions import Instructions
from askg.schema import Decomposition


@dataclass
class CallCounter:
    requests: int = 0
    retries: int = 0
    invalid_answers: int = 0
    by_status: dict[str, int] = field(default_factory=dict)

    def note(self, what: str) -> None:
        self.by_status[what] = self.by_status.get(what, 0) + 1


class Decomposer(Protocol):
    @property
    def instructions(self) -> Instructions:
        """What every class is asked with: keys the answer cache and goes into the provenance."""
        ...

    @property
    def calls(self) -> CallCounter: ...

    @property
    def stopped(self) -> str | None:
        """Why no further request will be sent (the server cannot be reached), or None."""
        ...

    async def decompose(self, class_name: str) -> Decomposition: ...

    async def close(self) -> None: ...
