"""The embedded store: a networkx MultiDiGraph persisted to one JSON file with atomic replace.

The default when no Neo4j is configured. Same graph shape as Neo4j (labels, relationship types,
properties), so exports from both stores are identical.

Several processes may share one file (two `askg build` runs, a build and a curation): every
read-modify-write holds an exclusive lock (`.<name>.lock` beside the file, via `filelock`), re-reads
the file when another process replaced it since this one last read it, applies its change and writes
the file before releasing the lock. So no process's actions are ever overwritten by another's. Under
the lock, temporary files left by a killed writer are removed.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import networkx as nx
from filelock import FileLock, Timeout
from pydantic import ValidationError

from askg.atomic import atomic_write
from askg.errors import AskgError, InputError, OutputError
from askg.schema import NODE_LABELS, REL_TYPES, ActionRecord
from askg.store.base import GraphStats, GraphStore
from askg.store.curation import CONTENT_HASH_KEY, content_hash
from askg.store.journal import GraphJournal
from askg.store.rows import ActionRows, Row, record_from_rows, record_to_rows

FILE_FORMAT = "askg-embedded-store"
FILE_VERSION = 1
CONCEPT_LABELS = ("Object", "Scene", "BodyPart")
LOCK_TIMEOUT_S = 300.0
T = TypeVar("T")


def node_key(label: str, node_id: str) -> str:
    return f"{label}:{node_id}"


class StoreLockedError(AskgError):
    """Another process held the store's lock for longer than the timeout."""

    exit_code = 3


class EmbeddedStore(GraphStore):
    def __init__(self, path: Path, lock_timeout_s: float = LOCK_TIMEOUT_S) -> None:
        self.path = Path(path)
        self.description = f"embedded store {self.path}"
        self.graph: nx.MultiDiGraph = nx.MultiDiGraph()
        self._relates_by_action: dict[str, set[tuple[str, str, str]]] = {}
        self._dirty = False
        self._stamp: tuple[int, int, int] | None = None
        self._lock = FileLock(self.path.parent / f".{self.path.name}.lock", timeout=lock_timeout_s)
        if self.path.is_dir():
            raise InputError(f"{self.path}: is a folder, not an embedded store file")
        self._refresh()

    # --- persistence -------------------------------------------------------------------------

    def _file_stamp(self) -> tuple[int, int, int] | None:
        try:
            st = self.path.stat()
        except (FileNotFoundError, NotADirectoryError):  # not there (yet); writing will say if it cannot be
            return None
        except OSError as exc:
            raise InputError(f"{self.path}: cannot read the embedded store ({exc.strerror})") from None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _refresh(self) -> None:
        """Re-read the file when it changed since this process last read or wrote it."""
        stamp = self._file_stamp()
        if stamp == self._stamp:
            return
        graph: nx.MultiDiGraph = nx.MultiDiGraph()
        relates: dict[str, set[tuple[str, str, str]]] = {}
        if stamp is not None:
            _read_store_file(self.path, graph, relates)
        self.graph, self._relates_by_action, self._stamp = graph, relates, stamp
        self._dirty = False

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Exclusive access for a read-modify-write: the newest file, written back before release."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._lock.acquire()
        except Timeout:
            raise StoreLockedError(
                f"{self.path}: another process has held the store lock {self._lock.lock_file} for "
                f"{self._lock.timeout:g} s"
            ) from None
        except OSError as exc:
            raise OutputError(f"{self.path}: cannot write the embedded store here ({exc.strerror})") from None
        try:
            self._remove_stale_temporaries()
            self._refresh()
            yield
        finally:
            try:
                self.flush()
            finally:
                self._lock.release()

    def _remove_stale_temporaries(self) -> None:
        """Writers only write under the lock, so a temporary file seen while holding it is left over
        from a killed process."""
        for stale in self.path.parent.glob(f".{self.path.name}.*.tmp"):
            stale.unlink(missing_ok=True)

    def check_writable(self) -> None:
        """Fail now (one line) when the file cannot be written, rather than after the work."""
        with self._locked():
            probe = self.path.parent / f".{self.path.name}.write-check.tmp"
            try:
                probe.write_bytes(b"")
                probe.unlink()
            except OSError as exc:
                raise OutputError(f"{self.path}: cannot write the embedded store here ({exc.strerror})") from None

    def _reading(self, read: Callable[[], T]) -> T:
        """Run a read on the newest file; a file whose content does not fit the schema is one line."""
        self._refresh()
        try:
            return read()
        except (KeyError, TypeError, ValueError, ValidationError) as exc:
            raise InputError(f"{self.path}: the embedded store is damaged ({_brief(exc)})") from None

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
        try:
            atomic_write(
                self.path, lambda handle: json.dump(document, handle, ensure_ascii=False, separators=(",", ":"))
            )
        except OSError as exc:
            raise OutputError(f"{self.path}: cannot write the embedded store ({exc.strerror or exc})") from None
        self._dirty = False
        self._stamp = self._file_stamp()

    def close(self) -> None:
        self.flush()

    def ensure_schema(self) -> None:
        """Uniqueness holds by construction: node keys are label:id."""

    # --- writes ------------------------------------------------------------------------------

    def put_actions(self, records: Iterable[ActionRecord]) -> int:
        records = list(records)
        count = 0
        with self._locked():
            for record in records:
                journal = GraphJournal(self.graph)
                try:
                    self._write_action(journal, record_to_rows(record))
                except BaseException:
                    journal.rollback()
                    raise
                self._dirty = True
                count += 1
        return count

    def delete_actions(self, ids: Iterable[str]) -> int:
        ids = list(ids)
        deleted = 0
        with self._locked():
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
        merged = list(merged_names)
        with self._locked():
            key = node_key(label, canonical_id)
            if key not in self.graph:
                return False
            attrs = self.graph.nodes[key]
            attrs["merged_from"] = sorted({*attrs.get("merged_from", []), *merged})
            self._dirty = True
        return True

    def set_curated(self, ids: Iterable[str], flag: bool) -> int:
        ids = list(ids)
        with self._locked():
            records = self.get_actions(ids)
            for record in records:
                attrs = self.graph.nodes[node_key("Action", record.id)]
                attrs.update({"curated": flag, CONTENT_HASH_KEY: content_hash(record)})
                self._dirty = True
        return len(records)

    def concept_merges(self, label: str) -> dict[str, list[str]]:
        return self._reading(lambda: {
            attrs["id"]: list(attrs["merged_from"])
            for _, attrs in self.graph.nodes(data=True)
            if attrs["label"] == label and attrs.get("merged_from")
        })

    # --- reads -------------------------------------------------------------------------------

    def action_ids(self) -> list[str]:
        return self._reading(
            lambda: sorted(attrs["id"] for _, attrs in self.graph.nodes(data=True) if attrs["label"] == "Action")
        )

    def get_actions(self, ids: Iterable[str] | None = None) -> list[ActionRecord]:
        wanted = self.action_ids() if ids is None else sorted(set(ids))
        return self._reading(lambda: [self._read_action(i) for i in wanted if node_key("Action", i) in self.graph])

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
        def count() -> GraphStats:
            nodes = Counter(attrs["label"] for _, attrs in self.graph.nodes(data=True))
            rels = Counter(attrs["type"] for _, _, attrs in self.graph.edges(data=True))
            return GraphStats.from_counts(dict(nodes), dict(rels))

        return self._reading(count)


def _read_store_file(
    path: Path, graph: nx.MultiDiGraph, relates: dict[str, set[tuple[str, str, str]]]
) -> None:
    """Load and check the file's structure (labels, relationship types, keys, ends); InputError names it."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict) or raw.get("format") != FILE_FORMAT:
            raise ValueError(f"not an {FILE_FORMAT} file")
        if raw.get("version") != FILE_VERSION:
            raise ValueError(f"unsupported version {raw.get('version')!r}")
        for index, node in enumerate(raw["nodes"]):
            attrs = node["attrs"]
            label = attrs["label"]
            if label not in NODE_LABELS or not isinstance(attrs["id"], str) or node["key"] != node_key(
                label, attrs["id"]
            ):
                raise ValueError(f"node {index} ({node.get('key')!r}) has a bad label, id or key")
            if label != "Phase" and not isinstance(attrs["name"], str):
                raise ValueError(f"node {node['key']!r} has no name")
            if label == "Phase" and not isinstance(attrs["text"], str):
                raise ValueError(f"node {node['key']!r} has no text")
            graph.add_node(node["key"], **attrs)
        for index, edge in enumerate(raw["edges"]):
            attrs = edge["attrs"]
            if attrs["type"] not in REL_TYPES:
                raise ValueError(f"edge {index} has an unknown type {attrs['type']!r}")
            if edge["src"] not in graph or edge["dst"] not in graph:
                raise ValueError(f"edge {index} ({edge['key']!r}) joins a node the file does not have")
            graph.add_edge(edge["src"], edge["dst"], key=edge["key"], **attrs)
            if attrs["type"] == "RELATES":
                relates.setdefault(str(attrs["action"]), set()).add((edge["src"], edge["dst"], edge["key"]))
    except UnicodeDecodeError:
        raise InputError(f"{path}: cannot read the embedded store (not UTF-8 text)") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read the embedded store ({exc.strerror or exc})") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"{path}: cannot read the embedded store ({_brief(exc)})") from None


def _brief(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc}"
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
