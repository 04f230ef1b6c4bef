"""Content-addressed on-disk cache of validated LLM answers.

Key: `Instructions.answer_key(class)`, the sha256 of the whole first request (model, temperature,
system and user messages with the body-part vocabulary, the answer's JSON schema, prompt version) —
never the API key or base URL. One JSON file per answer under a two-character shard folder, written
atomically, so an interrupted run leaves either a complete answer or none. Only validated answers are
stored; failures never are.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from askg.atomic import atomic_write_text
from askg.errors import OutputError
from askg.llm.instructions import Instructions
from askg.names import normalise_name
from askg.schema import Decomposition

CACHE_FORMAT = "askg-llm-cache"


class CachedAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: str = CACHE_FORMAT
    model: str
    prompt_version: str
    class_name: str
    built_at: str
    decomposition: Decomposition


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "askg" / "llm"


class ResponseCache:
    def __init__(self, root: Path) -> None:
        self.root = Path(root).expanduser()

    def check_writable(self) -> None:
        """InputError now (one line) when answers could not be cached, before any LLM request."""
        probe = self.root / f".write-check.{os.getpid()}.tmp"
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise OutputError(f"{self.root}: cannot write the LLM answer cache here ({exc.strerror or exc})") from None

    def path_for(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, instructions: Instructions, class_name: str) -> CachedAnswer | None:
        """The answer to exactly this request, or None when absent or unreadable (a damaged entry is
        just a miss)."""
        path = self.path_for(instructions.answer_key(class_name))
        try:
            return CachedAnswer.model_validate_json(path.read_text(encoding="utf-8"))
        except (OSError, ValidationError, ValueError):
            return None

    def put(self, instructions: Instructions, class_name: str, decomposition: Decomposition) -> CachedAnswer:
        answer = CachedAnswer(
            model=instructions.model,
            prompt_version=instructions.version,
            class_name=normalise_name(class_name),
            built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            decomposition=decomposition,
        )
        atomic_write_text(self.path_for(instructions.answer_key(class_name)), answer.model_dump_json(indent=1))
        return answer
