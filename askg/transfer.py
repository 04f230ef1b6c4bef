"""`askg import` / `askg export`: whole files in and out of a store.

An import parses and validates the whole file before the first write, so bad input leaves the
store as it was; each action is then written in its own transaction.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path

from askg.atomic import atomic_write_text
from askg.errors import InputError
from askg.formats.graph_json import graph_json_text, read_graph_json, records_to_networkx
from askg.formats.stdd_askg import read_stdd_askg
from askg.schema import ActionRecord
from askg.store.base import GraphStore


class ImportFormat(str, Enum):
    stdd_askg = "stdd-askg"
    json = "json"


class ExportFormat(str, Enum):
    json = "json"
    graphml = "graphml"


@dataclass
class ImportSummary:
    path: str
    actions: int
    warnings: list[str] = field(default_factory=list)


def read_import_file(path: Path, fmt: ImportFormat, dataset: str | None = None) -> tuple[list[ActionRecord], list[str]]:
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if fmt is ImportFormat.stdd_askg:
        # The source file's time, not the import's: importing one file twice, or into two stores,
        # gives identical records.
        built_at = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).replace(microsecond=0).isoformat()
        result = read_stdd_askg(path, dataset=dataset, built_at=built_at)
        return result.records, result.warnings
    return read_graph_json(path), []


def import_graph(store: GraphStore, path: Path, fmt: ImportFormat, dataset: str | None = None) -> ImportSummary:
    records, warnings = read_import_file(path, fmt, dataset)
    written = store.put_actions(records)
    return ImportSummary(path=str(path), actions=written, warnings=warnings)


def export_text(records: list[ActionRecord], fmt: ExportFormat) -> str:
    if fmt is ExportFormat.json:
        return graph_json_text(records)
    import networkx as nx

    buffer = io.BytesIO()
    nx.write_graphml(records_to_networkx(records), buffer)
    return buffer.getvalue().decode("utf-8")


def export_graph(store: GraphStore, out: Path, fmt: ExportFormat) -> int:
    records = store.get_actions()
    atomic_write_text(out, export_text(records, fmt))
    return len(records)
