"""`askg export-prompts`: select classes, find their actions in a store, compile, write."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

import yaml

from askg.atomic import atomic_write_text
from askg.class_lists import read_class_list, resolve_class_list, shipped_class_lists
from askg.errors import InputError
from askg.names import match_key, normalise_name
from askg.prompts.compiler import Templates, compile_label, compile_prompts, compile_xprompt, load_templates
from askg.prompts.document import ClassPrompts, PromptsDocument, subgraph_hash
from askg.schema import ActionRecord
from askg.store.base import GraphStore


class PromptFormat(str, Enum):
    json = "json"
    stdd_xprompt = "stdd-xprompt"


@dataclass
class PromptExport:
    document: PromptsDocument
    records: list[ActionRecord | None]
    missing: list[str] = field(default_factory=list)


def dataset_class_file(dataset: str) -> Path:
    shipped = shipped_class_lists()
    if dataset not in shipped:
        raise InputError(f"unknown dataset {dataset!r} (known: {', '.join(shipped)})")
    return shipped[dataset]


def select_class_names(classes_file: Path | None, dataset: str | None) -> list[str] | None:
    """Class names in their list order, or None for every action in the store."""
    if classes_file is not None and dataset is not None:
        raise InputError("give either --classes or --dataset, not both")
    if dataset is not None:
        classes_file = dataset_class_file(dataset)
    if classes_file is None:
        return None
    return read_class_list(resolve_class_list(classes_file).path).names


def index_by_key(records: list[ActionRecord]) -> dict[str, ActionRecord]:
    """Every spelling a record is known by (its name and aliases) → record; names win over aliases."""
    index: dict[str, ActionRecord] = {}
    for record in records:
        for alias in record.aliases:
            index.setdefault(match_key(alias), record)
    for record in records:
        index[match_key(record.name)] = record
    return index


def class_label(record: ActionRecord) -> str:
    """The class name an action stands for: a dataset-specific action "punch (hmdb51)" is the class
    "punch" of that dataset, so its prompts never say "(hmdb51)"."""
    for tag in record.datasets:
        suffix = f" ({tag})"
        if record.name.endswith(suffix):
            return record.name[: -len(suffix)]
    return record.name


def build_export(store: GraphStore, class_names: list[str] | None, *, allow_missing: bool = False,
                 templates: Templates | None = None) -> PromptExport:
    templates = templates or load_templates()
    records = store.get_actions()
    if class_names is None:
        selected: list[tuple[str, ActionRecord | None]] = [(class_label(r), r) for r in records]
    else:
        index = index_by_key(records)
        selected = [(name, index.get(match_key(name))) for name in class_names]
    missing = [name for name, record in selected if record is None]
    if missing and not allow_missing:
        shown = ", ".join(missing[:20]) + (f", … ({len(missing)} in all)" if len(missing) > 20 else "")
        raise InputError(f"{len(missing)} requested classes are not in {store.description}: {shown} "
                         "(build them first, or pass --allow-missing for label-only entries)")
    entries = []
    for position, (name, record) in enumerate(selected):
        label = normalise_name(name)
        if record is None:
            entries.append(ClassPrompts(name=name, index=position, label=compile_label(label, templates),
                                        spatial=[], temporal=[], in_graph=False))
            continue
        compiled = compile_prompts(record, templates, action=label)
        entries.append(ClassPrompts(name=name, index=position, label=compiled.label, spatial=compiled.spatial,
                                    temporal=compiled.temporal))
    used = [r for _, r in selected if r is not None]
    document = PromptsDocument(template_version=templates.version, graph_hash=subgraph_hash(used), classes=entries)
    return PromptExport(document=document, records=[r for _, r in selected], missing=missing)


def xprompt_text(export: PromptExport, templates: Templates | None = None) -> str:
    templates = templates or load_templates()
    body: dict[str, dict[str, object]] = {}
    for entry, record in zip(export.document.classes, export.records, strict=True):
        label = normalise_name(entry.name)
        lists = compile_xprompt(record, templates) if record else {"xprompt_oo": [], "xprompt_ao": [], "xprompt_aa": []}
        body[label] = {"label": label, **lists}
    header = f"# template {templates.version}; graph {export.document.graph_hash}\n"
    return header + yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=4096)


def export_text(export: PromptExport, fmt: PromptFormat) -> str:
    return export.document.to_json() if fmt is PromptFormat.json else xprompt_text(export)


def write_export(export: PromptExport, out: Path, fmt: PromptFormat) -> None:
    atomic_write_text(out, export_text(export, fmt))
