"""Import of the official STDD ASKG YAML (`classes_ASKG_*.yml`).

Per class: `obj_en_li` (objects), `obj_rel_triples` ("<a, predicate, b>"), `act_obj_triples`
("<action, predicate, object>"), `sub_act_en_li` (ordered sub-actions) and `act_rel_triples`
("starts with" / "precedes"). Mapping into our model:
- every action–object triple becomes a USES link with its predicate (the official prompt stage
  phrases a triple whose subject is another object, "<rhythm, consists of, beats>", as an
  action–object phrase too, so it is kept as a link to its object);
- objects listed in `obj_en_li` but in no action–object triple become USES links "involves";
- object–object triples become RELATES; sub-actions become phases in list order (NEXT chains them).
The format has no scenes and no body parts: those stay empty. Triples that are not three parts
(a handful in the official files) are skipped and counted in the warnings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from askg.errors import InputError
from askg.formats.yaml_io import load_yaml
from askg.names import normalise_name
from askg.schema import ActionRecord, Decomposition, Provenance

UNLINKED_OBJECT_PREDICATE = "involves"


@dataclass
class ImportResult:
    records: list[ActionRecord]
    warnings: list[str] = field(default_factory=list)


def parse_triple(raw: Any) -> tuple[str, str, str] | None:
    if isinstance(raw, list | tuple):
        parts = [str(p).strip() for p in raw]
    elif isinstance(raw, str):
        parts = [p.strip() for p in raw.strip().removeprefix("<").removesuffix(">").split(",")]
    else:
        return None
    if len(parts) < 3 or not all(parts):
        return None
    return parts[0], ", ".join(parts[1:-1]), parts[-1]


def dataset_from_path(path: Path) -> str | None:
    stem = path.stem
    return stem.split("classes_ASKG_", 1)[1] if stem.startswith("classes_ASKG_") else None


def read_stdd_askg(path: Path, dataset: str | None = None, built_at: str | None = None) -> ImportResult:
    data = load_yaml(path)
    if not isinstance(data, dict) or not data:
        raise InputError(f"{path}: not an STDD ASKG file (expected a mapping of class name to entries)")
    dataset = dataset or dataset_from_path(path)
    result = ImportResult(records=[])
    for class_name, entry in data.items():
        if not isinstance(entry, dict):
            raise InputError(f"{path}: class {class_name!r}: expected a mapping, got {type(entry).__name__}")
        try:
            decomposition = _decompose(str(class_name), entry, result.warnings)
            result.records.append(
                ActionRecord.create(
                    str(entry.get("label") or class_name),
                    decomposition,
                    Provenance(source="import", model="stdd-official", built_at=built_at),
                    datasets=[dataset] if dataset else [],
                )
            )
        except ValidationError as exc:
            error = exc.errors()[0]
            loc = ".".join(str(p) for p in error["loc"])
            raise InputError(f"{path}: class {class_name!r}: {loc}: {error['msg']}") from None
    return result


def _decompose(class_name: str, entry: dict[str, Any], warnings: list[str]) -> Decomposition:
    def triples(key: str) -> list[tuple[str, str, str]]:
        parsed = []
        for raw in entry.get(key) or []:
            triple = parse_triple(raw)
            if triple is None:
                warnings.append(f"{class_name}: skipped {key} entry {raw!r} (not a triple)")
            else:
                parsed.append(triple)
        return parsed

    objects: list[dict[str, str]] = [{"name": obj, "predicate": pred} for _, pred, obj in triples("act_obj_triples")]
    linked = {normalise_name(o["name"]) for o in objects}
    for obj in entry.get("obj_en_li") or []:
        if normalise_name(str(obj)) not in linked:
            objects.append({"name": str(obj), "predicate": UNLINKED_OBJECT_PREDICATE})
    relations = [{"subject": s, "predicate": p, "object": o} for s, p, o in triples("obj_rel_triples")]
    triples("act_rel_triples")  # only validated: the order is that of sub_act_en_li
    phases = [{"text": str(text)} for text in entry.get("sub_act_en_li") or []]
    return Decomposition.model_validate(
        {"objects": objects, "object_relations": relations, "phases": phases}
    )
