"""Curation: telling a hand-edited action from one askg wrote.

Every write stores `content_hash` (a hash of the decomposition written) on the Action node. On read
the stores rebuild the record from the graph as it is now; when the stored `curated` flag is set, or
the record read no longer hashes to `content_hash` (someone renamed a concept or added a phase in
Neo4j Browser), the record comes back with `provenance.curated = True`. `askg build` keeps curated
actions unless `--rebuild`. `content_hash` never appears in the record itself.
"""

from __future__ import annotations

import hashlib
import json

from askg.schema import ActionRecord

CONTENT_HASH_KEY = "content_hash"


def content_hash(record: ActionRecord) -> str:
    """sha256 of the decomposition (objects, scenes, relations, phases), canonical JSON."""
    payload = json.dumps(record.decomposition().model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def mark_if_edited(record: ActionRecord, stored_hash: object) -> ActionRecord:
    """The record, flagged curated when its content differs from what was written (`stored_hash`).
    Graphs written before content hashes existed (no hash) are left as they are."""
    if record.provenance.curated or not isinstance(stored_hash, str) or content_hash(record) == stored_hash:
        return record
    return record.model_copy(update={"provenance": record.provenance.model_copy(update={"curated": True})})
