"""The toolkit's own JSON graph file and the GraphML export."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
from pydantic import ValidationError

from askg.errors import InputError
from askg.formats.yaml_io import load_json
from askg.schema import ActionRecord, GraphDocument
from askg.store.rows import record_to_rows


def read_graph_json(path: Path) -> list[ActionRecord]:
    raw = load_json(path)
    try:
        return GraphDocument.model_validate(raw).actions
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = ".".join(str(p) for p in error["loc"])
        raise InputError(f"{path}: invalid graph document at {loc}: {error['msg']}") from None


def graph_json_text(records: list[ActionRecord]) -> str:
    document = GraphDocument(actions=sorted(records, key=lambda r: r.id))
    return json.dumps(document.model_dump(mode="json"), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def records_to_networkx(records: list[ActionRecord]) -> nx.MultiDiGraph:
    """The graph shape both stores hold, built from records (lists become JSON strings for GraphML)."""
    graph = nx.MultiDiGraph()

    def node(label: str, node_id: str, **props: object) -> str:
        key = f"{label}:{node_id}"
        if key not in graph:
            graph.add_node(key, label=label, id=node_id, **props)
        return key

    for record in sorted(records, key=lambda r: r.id):
        rows = record_to_rows(record)
        props = {k: json.dumps(v) if isinstance(v, list) else v for k, v in rows.props.items() if k != "id"}
        action = node("Action", record.id, **props)
        for row in rows.uses:
            graph.add_edge(action, node("Object", row["id"], name=row["name"]), type="USES",
                           predicate=row["predicate"], order=row["order"])
        for row in rows.scenes:
            graph.add_edge(action, node("Scene", row["id"], name=row["name"]), type="IN_SCENE", order=row["order"])
        for row in rows.relates:
            graph.add_edge(node(row["subject_label"], row["subject_id"], name=row["subject"]),
                           node(row["object_label"], row["object_id"], name=row["object"]), type="RELATES",
                           predicate=row["predicate"], action=record.id, order=row["order"])
        for row in rows.poses:
            graph.add_edge(action, node("BodyPart", row["id"], name=row["name"]), type="SHOWS",
                           pose=row["pose"], order=row["order"])
        for row in rows.phases:
            graph.add_edge(action, node("Phase", row["id"], text=row["text"]), type="HAS_PHASE", order=row["order"])
        for row in rows.next:
            graph.add_edge(f"Phase:{row['src']}", f"Phase:{row['dst']}", type="NEXT")
        for row in rows.moves:
            graph.add_edge(f"Phase:{row['phase']}", node("BodyPart", row["id"], name=row["name"]), type="MOVES",
                           motion=row["motion"], order=row["order"])
        for row in rows.handles:
            graph.add_edge(f"Phase:{row['phase']}", node("Object", row["id"], name=row["name"]), type="HANDLES",
                           order=row["order"])
    return graph


def write_graphml(records: list[ActionRecord], path: Path) -> None:
    nx.write_graphml(records_to_networkx(records), path)
