"""The one mapping between an `ActionRecord` and graph rows, shared by both stores.

Writing: `record_to_rows` flattens a record into property maps, one list per relationship type,
which the Neo4j store sends as `UNWIND` parameters and the embedded store applies to networkx.
Reading: both stores return the same row shapes and `record_from_rows` rebuilds the record, so a
record read back from either store equals the one written (orders are stored on relationships).
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from pydantic import BaseModel

from askg.schema import ActionRecord, Provenance, concept_id, phase_id, separate_objects_and_scenes
from askg.store.curation import CONTENT_HASH_KEY, content_hash, mark_if_edited

Row = dict[str, Any]

PROVENANCE_KEYS = ("source", "model", "prompt_version", "seed_version", "built_at", "curated")


class ActionRows(BaseModel):
    """An action's node properties and its relationship rows."""

    id: str
    props: Row
    uses: list[Row]
    scenes: list[Row]
    relates: list[Row]
    poses: list[Row]
    phases: list[Row]
    next: list[Row]
    moves: list[Row]
    handles: list[Row]

    def relates_between(self, subject_label: str, object_label: str) -> list[Row]:
        """The RELATES rows whose ends have these labels (Cypher takes labels only as literals)."""
        return [r for r in self.relates
                if r["subject_label"] == subject_label and r["object_label"] == object_label]

    def batch(self, field: str) -> list[Row]:
        """The rows of one batched write: a field, or `relates_<subject label>_<object label>`."""
        if field.startswith("relates_"):
            subject_label, object_label = field.removeprefix("relates_").split("_")
            return self.relates_between(subject_label.capitalize(), object_label.capitalize())
        rows: list[Row] = getattr(self, field)
        return rows


def action_props(record: ActionRecord) -> Row:
    props: Row = {
        "id": record.id,
        "name": record.name,
        "aliases": list(record.aliases),
        "datasets": list(record.datasets),
    }
    for key, value in record.provenance.model_dump().items():
        if value is not None:
            props[key] = value
    props[CONTENT_HASH_KEY] = content_hash(record)
    return props


def record_to_rows(record: ActionRecord) -> ActionRows:
    phase_ids = [phase_id(record.id, order) for order in range(len(record.phases))]
    return ActionRows(
        id=record.id,
        props=action_props(record),
        uses=[
            {"id": concept_id(use.name), "name": use.name, "predicate": use.predicate, "order": i}
            for i, use in enumerate(record.objects)
        ],
        scenes=[{"id": concept_id(s), "name": s, "order": i} for i, s in enumerate(record.scenes)],
        relates=[
            {
                "subject_id": concept_id(rel.subject),
                "subject": rel.subject,
                "subject_label": record.endpoint_label(rel.subject),
                "object_id": concept_id(rel.object),
                "object": rel.object,
                "object_label": record.endpoint_label(rel.object),
                "predicate": rel.predicate,
                "order": i,
            }
            for i, rel in enumerate(record.object_relations)
        ],
        poses=[
            {"id": concept_id(p.body_part), "name": p.body_part, "pose": p.pose, "order": i}
            for i, p in enumerate(record.poses)
        ],
        phases=[
            {"id": pid, "text": phase.text, "order": i}
            for i, (pid, phase) in enumerate(zip(phase_ids, record.phases, strict=True))
        ],
        next=[{"src": a, "dst": b} for a, b in pairwise(phase_ids)],
        moves=[
            {
                "phase": pid,
                "id": concept_id(m.body_part),
                "name": m.body_part,
                "motion": m.motion,
                "order": j,
            }
            for pid, phase in zip(phase_ids, record.phases, strict=True)
            for j, m in enumerate(phase.motions)
        ],
        handles=[
            {"phase": pid, "id": concept_id(name), "name": name, "order": j}
            for pid, phase in zip(phase_ids, record.phases, strict=True)
            for j, name in enumerate(phase.handles)
        ],
    )


def _ordered(rows: list[Row]) -> list[Row]:
    return sorted(rows, key=lambda r: (r.get("order") is None, r.get("order") or 0, str(r)))


def record_from_rows(
    props: Row,
    uses: list[Row],
    scenes: list[Row],
    relates: list[Row],
    phases: list[Row],
    poses: list[Row] | None = None,
) -> ActionRecord:
    """Rebuild a record from what a store read. `phases` rows carry `text`, `order`, and their own
    `motions` (`body_part`, `motion`, `order`) and `handles` (`name`, `order`) lists; `poses` rows
    carry `body_part`, `pose`, `order`."""
    provenance = Provenance(**{k: props[k] for k in PROVENANCE_KEYS if props.get(k) is not None})
    objects, scene_names = separate_objects_and_scenes(
        [{"name": r["name"], "predicate": r.get("predicate") or "uses"} for r in _ordered(uses)],
        [r["name"] for r in _ordered(scenes)],
        {h["name"] for p in phases for h in p["handles"]},
    )
    record = ActionRecord(
        id=props["id"],
        name=props["name"],
        aliases=list(props.get("aliases") or []),
        datasets=list(props.get("datasets") or []),
        provenance=provenance,
        objects=objects,
        scenes=scene_names,
        object_relations=[
            {"subject": r["subject"], "predicate": r["predicate"], "object": r["object"]}
            for r in _ordered(relates)
        ],
        poses=[{"body_part": r["body_part"], "pose": r["pose"]} for r in _ordered(poses or [])],
        phases=[
            {
                "text": p["text"],
                "motions": [
                    {"body_part": m["body_part"], "motion": m["motion"]} for m in _ordered(p["motions"])
                ],
                "handles": [h["name"] for h in _ordered(p["handles"])],
            }
            for p in _ordered(phases)
        ],
    )
    return mark_if_edited(record, props.get(CONTENT_HASH_KEY))
