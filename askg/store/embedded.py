"""The embedded store: a networkx MultiDiGraph persisted to one JSON file with atomic replace.

The default when no Neo4j is configured. Same graph shape as Neo4j (labels, relationship types,
properties), so exports from both stores are identical. One writer at a time per file.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import networkx as nx

from askg.atomic import atomic_write
from askg.errors import InputError
from askg.schema import ActionRecord
from askg.store.base import GraphStats, GraphStore
from askg.store.curation import CONTENT_HASH_KEY, content_hash
from askg.store.journal import GraphJournal
from askg.store.rows import ActionRows, Row, record_from_rows, record_to_rows

FILE_FORMAT = "askg-embedded-store"
FILE_VERSION = 1
CONCEPT_LABELS = ("Object", "Scene", "BodyPart")


def node_key(label: str, node_id: str) -> str:
    return f"{label}:{node_id}"


class EmbeddedStore(GraphStore):
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.description = f"embedded store {self.path}"
        self.graph: nx.MultiDiGraph = nx.MultiDiGraph()
        self._relates_by_action: dict[str, set[tuple[str, str, str]]] = {}
        self._dirty = False
        if self.path.exists():
            self._load()

    # --- persistence -------------------------------------------------------------------------

    def _load(self) -> None:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            if raw.get("format") != FILE_FORMAT:
                raise ValueError(f"not an {FILE_FORMAT} file")
            if raw.get("version") != FILE_VERSION:
                raise ValueError(f"unsupported version {raw.get('version')!r}")
            for node in raw["nodes"]:
                self.graph.add_node(node["key"], **node["attrs"])
            for edge in raw["edges"]:
                self.graph.add_edge(edge["src"], edge["dst"], key=edge["key"], **edge["attrs"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InputError(f"{self.path}: cannot read the embedded store ({exc})") from None
        for src, dst, key, attrs in self.graph.edges(keys=True, data=True):
            if attrs["type"] == "RELATES":
                self._relates_by_action.setdefault(attrs["action"], set()).add((src, dst, key))

    def flush(self) -> None:
        """Persist with write-to-temp + fsync + rename: the file is always the old or the new graph."""
        if not self._dirty:
            return
        document = {
            "format": FILE_FORMAT,
            "version": FILE_VERSION,
            "nodes": [{"key": k, "attrs": self.graph.nodes[k]} for k in sorted(self.graph.nodes)],
            "edges": sorted(
                (
                    {"src": s, "dst": d, "key": k, "attrs": a}
                    for s, d, k, a in self.graph.edges(keys=True, data=True)
                ),
                key=lambda e: (e["src"], e["dst"], e["key"]),
            ),
        }
        atomic_write(self.path, lambda handle: json.dump(document, handle, ensure_ascii=False, separators=(",", ":")))
        self._dirty = False

    def close(self) -> None:
        self.flush()

    def ensure_schema(self) -> None:
        """Uniqueness holds by construction: node keys are label:id."""

    # --- writes ------------------------------------------------------------------------------

    def put_actions(self, records: Iterable[ActionRecord]) -> int:
        count = 0
        try:
            for record in records:
                journal = GraphJournal(self.graph)
                try:
                    self._write_action(journal, record_to_rows(record))
                except BaseException:
                    journal.rollback()
                    raise
                self._dirty = True
                count += 1
        finally:
            self.flush()
        return count

    def delete_actions(self, ids: Iterable[str]) -> int:
        deleted = 0
        try:
            for action_id in ids:
                key = node_key("Action", action_id)
                if key not in self.graph:
                    continue
                journal = GraphJournal(self.graph)
                try:
                    self._remove_subgraph(journal, action_id)
                    journal.remove_node(key)
                except BaseException:
                    journal.rollback()
                    raise
                self._dirty = True
                deleted += 1
        finally:
            self.flush()
        return deleted

    def _remove_subgraph(self, journal: GraphJournal, action_id: str) -> None:
        graph = self.graph
        action = node_key("Action", action_id)
        if action not in graph:
            return
        touched: set[str] = set()
        for _, dst, key, attrs in list(graph.out_edges(action, keys=True, data=True)):
            if attrs["type"] in ("USES", "IN_SCENE", "SHOWS"):
                touched.add(dst)
                journal.remove_edge(action, dst, key)
            elif attrs["type"] == "HAS_PHASE":
                touched.update(graph.successors(dst))
                journal.remove_node(dst)
        relates = self._relates_by_action.pop(action_id, set())
        journal.record(lambda: self._relates_by_action.__setitem__(action_id, relates))
        for src, dst, key in relates:
            touched.update((src, dst))
            journal.remove_edge(src, dst, key)
        for concept in sorted(touched):
            if concept in graph and graph.degree(concept) == 0:
                journal.remove_node(concept)

    def _write_action(self, journal: GraphJournal, rows: ActionRows) -> None:
        self._remove_subgraph(journal, rows.id)
        action = node_key("Action", rows.id)
        journal.set_node(action, {"label": "Action", **rows.props}, replace=True)

        def concept(label: str, row: Row, id_key: str = "id", name_key: str = "name") -> str:
            key = node_key(label, row[id_key])
            journal.add_node_if_missing(key, {"label": label, "id": row[id_key], "name": row[name_key]})
            return key

        for row in rows.uses:
            journal.add_edge(action, concept("Object", row), "USES",
                             {"type": "USES", "predicate": row["predicate"], "order": row["order"]})
        for row in rows.scenes:
            journal.add_edge(action, concept("Scene", row), "IN_SCENE", {"type": "IN_SCENE", "order": row["order"]})
        added: set[tuple[str, str, str]] = set()
        for row in rows.relates:
            src = concept(row["subject_label"], row, "subject_id", "subject")
            dst = concept(row["object_label"], row, "object_id", "object")
            key = f"RELATES:{rows.id}:{row['order']}"
            journal.add_edge(src, dst, key, {"type": "RELATES", "predicate": row["predicate"],
                                             "action": rows.id, "order": row["order"]})
            added.add((src, dst, key))
        self._relates_by_action[rows.id] = added
        journal.record(lambda: self._relates_by_action.pop(rows.id, None))
        for row in rows.poses:
            journal.add_edge(action, concept("BodyPart", row), f"SHOWS:{row['order']}",
                             {"type": "SHOWS", "pose": row["pose"], "order": row["order"]})
        for row in rows.phases:
            phase = node_key("Phase", row["id"])
            journal.set_node(phase, {"label": "Phase", "id": row["id"], "text": row["text"]}, replace=True)
            journal.add_edge(action, phase, "HAS_PHASE",
                             {"type": "HAS_PHASE", "order": row["order"], "step": row["order"] + 1})
        for row in rows.next:
            journal.add_edge(node_key("Phase", row["src"]), node_key("Phase", row["dst"]), "NEXT", {"type": "NEXT"})
        for row in rows.moves:
            journal.add_edge(node_key("Phase", row["phase"]), concept("BodyPart", row), f"MOVES:{row['order']}",
                             {"type": "MOVES", "motion": row["motion"], "order": row["order"]})
        for row in rows.handles:
            journal.add_edge(node_key("Phase", row["phase"]), concept("Object", row), "HANDLES",
                             {"type": "HANDLES", "order": row["order"]})

    def set_concept_merges(self, label: str, canonical_id: str, merged_names: Iterable[str]) -> bool:
        if label not in CONCEPT_LABELS:
            raise ValueError(f"not a concept label: {label!r}")
        key = node_key(label, canonical_id)
        if key not in self.graph:
            return False
        attrs = self.graph.nodes[key]
        attrs["merged_from"] = sorted({*attrs.get("merged_from", []), *merged_names})
        self._dirty = True
        self.flush()
        return True

    def set_curated(self, ids: Iterable[str], flag: bool) -> int:
        records = self.get_actions(ids)
        for record in records:
            attrs = self.graph.nodes[node_key("Action", record.id)]
            attrs.update({"curated": flag, CONTENT_HASH_KEY: content_hash(record)})
            self._dirty = True
        self.flush()
        return len(records)

    def concept_merges(self, label: str) -> dict[str, list[str]]:
        return {
            attrs["id"]: list(attrs["merged_from"])
            for _, attrs in self.graph.nodes(data=True)
            if attrs["label"] == label and attrs.get("merged_from")
        }

    # --- reads -------------------------------------------------------------------------------

    def action_ids(self) -> list[str]:
        return sorted(attrs["id"] for _, attrs in self.graph.nodes(data=True) if attrs["label"] == "Action")

    def get_actions(self, ids: Iterable[str] | None = None) -> list[ActionRecord]:
        wanted = self.action_ids() if ids is None else sorted(set(ids))
        return [self._read_action(i) for i in wanted if node_key("Action", i) in self.graph]

    def _out(self, key: str, rel_type: str) -> list[tuple[str, dict[str, Any]]]:
        return [(dst, attrs) for _, dst, attrs in self.graph.out_edges(key, data=True) if attrs["type"] == rel_type]

    def _read_action(self, action_id: str) -> ActionRecord:
        graph = self.graph
        action = node_key("Action", action_id)
        props = {k: v for k, v in graph.nodes[action].items() if k != "label"}

        def name(key: str) -> str:
            return str(graph.nodes[key]["name"])

        uses = [{"name": name(d), "predicate": a.get("predicate"), "order": a.get("order")}
                for d, a in self._out(action, "USES")]
        scenes = [{"name": name(d), "order": a.get("order")} for d, a in self._out(action, "IN_SCENE")]
        relates = [
            {"subject": name(s), "object": name(d), "predicate": graph.edges[s, d, k]["predicate"],
             "order": graph.edges[s, d, k].get("order")}
            for s, d, k in self._relates_by_action.get(action_id, set())
        ]
        poses = [{"body_part": name(d), "pose": a["pose"], "order": a.get("order")}
                 for d, a in self._out(action, "SHOWS")]
        phases = [
            {
                "text": graph.nodes[p]["text"],
                "order": a.get("order"),
                "motions": [{"body_part": name(b), "motion": m["motion"], "order": m.get("order")}
                            for b, m in self._out(p, "MOVES")],
                "handles": [{"name": name(o), "order": h.get("order")} for o, h in self._out(p, "HANDLES")],
            }
            for p, a in self._out(action, "HAS_PHASE")
        ]
        return record_from_rows(props, uses, scenes, relates, phases, poses)

    def stats(self) -> GraphStats:
        nodes = Counter(attrs["label"] for _, attrs in self.graph.nodes(data=True))
        rels = Counter(attrs["type"] for _, _, attrs in self.graph.edges(data=True))
        return GraphStats.from_counts(dict(nodes), dict(rels))
