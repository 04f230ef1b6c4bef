"""The prompts file the model side reads (`askg export-prompts`): a versioned pydantic document.

The model package has its own reader of this format (it never imports askg); the JSON Schema in
`prompts.schema.json` next to this module is the contract between the two (a test keeps it current).
"""

from __future__ import annotations

import hashlib
import json
import statistics
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from askg.schema import ActionRecord

PROMPTS_FORMAT_VERSION = 1
SCHEMA_PATH = Path(__file__).with_name("prompts.schema.json")


class ClassPrompts(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    index: int
    label: list[str]
    spatial: list[str]
    temporal: list[str]
    in_graph: bool = True


class PromptsDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["stdd-prompts"] = "stdd-prompts"
    version: int = PROMPTS_FORMAT_VERSION
    template_version: str
    graph_hash: str
    classes: list[ClassPrompts]

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"


def subgraph_hash(records: list[ActionRecord]) -> str:
    """sha256 over the content prompts derive from (names and decompositions, not provenance), so
    the same graph gives the same hash on any store, whenever it was built."""
    digest = hashlib.sha256()
    for record in sorted(records, key=lambda r: r.id):
        payload = {"id": record.id, "name": record.name, **record.decomposition().model_dump(mode="json")}
        digest.update(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8"))
        digest.update(b"\n")
    return "sha256:" + digest.hexdigest()


def json_schema_text() -> str:
    return json.dumps(PromptsDocument.model_json_schema(), indent=2, sort_keys=True) + "\n"


class KindStats(BaseModel):
    min: int
    median: float
    max: int


def prompt_stats(document: PromptsDocument) -> dict[str, KindStats]:
    stats = {}
    for kind in ("label", "spatial", "temporal"):
        counts = [len(getattr(c, kind)) for c in document.classes] or [0]
        stats[kind] = KindStats(min=min(counts), median=statistics.median(counts), max=max(counts))
    return stats
