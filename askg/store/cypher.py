"""Every Cypher statement the toolkit runs. Values are always parameters; labels and relationship
types come only from the schema's fixed vocabulary (askg.schema.NODE_LABELS / REL_TYPES)."""

from __future__ import annotations

from askg.schema import NODE_LABELS

CONSTRAINTS = [
    f"CREATE CONSTRAINT askg_{label.lower()}_id IF NOT EXISTS FOR (n:{label}) REQUIRE n.id IS UNIQUE"
    for label in NODE_LABELS
]
# the server's own version (checked on connect against askg.store.server_version.MIN_NEO4J_VERSION)
SERVER_VERSION = "CALL dbms.components() YIELD name, versions WHERE name = 'Neo4j Kernel' RETURN versions[0] AS version"
INDEXES = ["CREATE INDEX askg_relates_action IF NOT EXISTS FOR ()-[r:RELATES]-() ON (r.action)"]

# --- replacing one action's subgraph (all in one transaction) ---------------------------------

# the concepts action `a` links to (checked for orphans once its subgraph is replaced)
TOUCHED_EXPRESSION = """COLLECT { MATCH (a)-[:USES|IN_SCENE|SHOWS]->(c) RETURN elementId(c) }
     + COLLECT { MATCH (a)-[:HAS_PHASE]->(:Phase)-[:MOVES|HANDLES]->(c) RETURN elementId(c) }
     + COLLECT { MATCH (c)-[:RELATES {action: $id}]-() RETURN elementId(c) }"""
TOUCHED_CONCEPTS = f"MATCH (a:Action {{id: $id}})\nRETURN {TOUCHED_EXPRESSION} AS touched"
# the action's own subgraph: its relations, its phases, its USES / IN_SCENE / SHOWS links
SUBGRAPH_DELETES = [
    "MATCH ()-[r:RELATES {action: $id}]->() DELETE r",
    "MATCH (:Action {id: $id})-[:HAS_PHASE]->(p:Phase) DETACH DELETE p",
    "MATCH (:Action {id: $id})-[r:USES|IN_SCENE|SHOWS]->() DELETE r",
]


def delete_orphans(touched: str) -> str:
    """Delete the concepts among `touched` (a parameter or variable) that nothing links to any more."""
    return (f"MATCH (c) WHERE elementId(c) IN {touched} AND (c:Object OR c:Scene OR c:BodyPart) "
            "AND NOT (c)--() DELETE c")


DELETE_ORPHANS = delete_orphans("$touched")
DELETE_ACTION = "MATCH (a:Action {id: $id}) DETACH DELETE a RETURN count(a) AS deleted"

MERGE_ACTION = "MERGE (a:Action {id: $id}) SET a = $props"
MERGE_USES = """
UNWIND $rows AS row
MATCH (a:Action {id: $id})
MERGE (o:Object {id: row.id}) ON CREATE SET o.name = row.name
MERGE (a)-[r:USES]->(o) SET r.predicate = row.predicate, r.order = row.order
"""
MERGE_SCENES = """
UNWIND $rows AS row
MATCH (a:Action {id: $id})
MERGE (s:Scene {id: row.id}) ON CREATE SET s.name = row.name
MERGE (a)-[r:IN_SCENE]->(s) SET r.order = row.order
"""
ENDPOINT_LABELS = ("Object", "Scene")


def create_relates(subject_label: str, object_label: str) -> str:
    """RELATES between ends of the given labels (an end among the action's scenes is a Scene)."""
    if subject_label not in ENDPOINT_LABELS or object_label not in ENDPOINT_LABELS:
        raise ValueError(f"not a relation end label: {subject_label!r} / {object_label!r}")
    return f"""
UNWIND $rows AS row
MERGE (s:{subject_label} {{id: row.subject_id}}) ON CREATE SET s.name = row.subject
MERGE (o:{object_label} {{id: row.object_id}}) ON CREATE SET o.name = row.object
CREATE (s)-[:RELATES {{predicate: row.predicate, action: $id, order: row.order}}]->(o)
"""


# (statement, ActionRows field) per pair of end labels; the field is read by `ActionRows.relates_between`
RELATES_WRITES = [
    (create_relates(s, o), f"relates_{s.lower()}_{o.lower()}") for s in ENDPOINT_LABELS for o in ENDPOINT_LABELS
]
CREATE_SHOWS = """
UNWIND $rows AS row
MATCH (a:Action {id: $id})
MERGE (b:BodyPart {id: row.id}) ON CREATE SET b.name = row.name
CREATE (a)-[:SHOWS {pose: row.pose, order: row.order}]->(b)
"""
CREATE_PHASES = """
UNWIND $rows AS row
MATCH (a:Action {id: $id})
MERGE (p:Phase {id: row.id}) SET p.text = row.text
CREATE (a)-[:HAS_PHASE {order: row.order, step: row.order + 1}]->(p)
"""
CREATE_NEXT = """
UNWIND $rows AS row
MATCH (p:Phase {id: row.src}), (q:Phase {id: row.dst})
CREATE (p)-[:NEXT]->(q)
"""
CREATE_MOVES = """
UNWIND $rows AS row
MATCH (p:Phase {id: row.phase})
MERGE (b:BodyPart {id: row.id}) ON CREATE SET b.name = row.name
CREATE (p)-[:MOVES {motion: row.motion, order: row.order}]->(b)
"""
CREATE_HANDLES = """
UNWIND $rows AS row
MATCH (p:Phase {id: row.phase})
MERGE (o:Object {id: row.id}) ON CREATE SET o.name = row.name
MERGE (p)-[r:HANDLES]->(o) SET r.order = row.order
"""

# (statement, name of the ActionRows field with its rows), in dependency order
BATCHED_WRITES = [
    (MERGE_USES, "uses"),
    (MERGE_SCENES, "scenes"),
    *RELATES_WRITES,
    (CREATE_SHOWS, "poses"),
    (CREATE_PHASES, "phases"),
    (CREATE_NEXT, "next"),
    (CREATE_MOVES, "moves"),
    (CREATE_HANDLES, "handles"),
]



def write_action_statement(writes: list[tuple[str, str]]) -> str:
    """The whole replacement of one action as ONE statement (one round trip): remember the concepts
    it linked to, drop its own subgraph, set its properties, run every batched write as a unit
    subquery reading its rows from the parameter named after its field, then drop orphans."""
    parts = [
        "MERGE (a:Action {id: $id})",
        f"WITH a, {TOUCHED_EXPRESSION} AS touched",
        *(f"CALL (a) {{ {delete} }}" for delete in SUBGRAPH_DELETES),
        "SET a = $props",
        "WITH a, touched",
    ]
    for statement, field in writes:
        body = statement.strip().replace("$rows", f"${field}")
        parts.append(f"CALL (a) {{\n{body}\n}}")
    parts.append(f"CALL (touched) {{ {delete_orphans('touched')} }}")
    return "\n".join(parts)


# --- reads -------------------------------------------------------------------------------------

ACTION_IDS = "MATCH (a:Action) RETURN a.id AS id ORDER BY id"
READ_ACTIONS = """
UNWIND $ids AS wanted
MATCH (a:Action {id: wanted})
RETURN properties(a) AS props,
  [(a)-[r:USES]->(o:Object) | {name: o.name, predicate: r.predicate, order: r.order}] AS uses,
  [(a)-[r:IN_SCENE]->(s:Scene) | {name: s.name, order: r.order}] AS scenes,
  [(s)-[r:RELATES {action: a.id}]->(o) |
     {subject: s.name, predicate: r.predicate, object: o.name, order: r.order}] AS relates,
  [(a)-[r:SHOWS]->(b:BodyPart) | {body_part: b.name, pose: r.pose, order: r.order}] AS poses,
  [(a)-[h:HAS_PHASE]->(p:Phase) | {
     text: p.text, order: h.order,
     motions: [(p)-[m:MOVES]->(b:BodyPart) | {body_part: b.name, motion: m.motion, order: m.order}],
     handles: [(p)-[x:HANDLES]->(o:Object) | {name: o.name, order: x.order}]
  }] AS phases
ORDER BY a.id
"""

# --- concept merges (askg dedup); one statement per concept label --------------------------------

CONCEPT_LABELS = ("Object", "Scene", "BodyPart")
SET_CONCEPT_MERGES = {
    label: f"""
MATCH (c:{label} {{id: $id}})
SET c.merged_from = coalesce(c.merged_from, [])
    + [n IN $names WHERE NOT n IN coalesce(c.merged_from, [])]
RETURN count(c) AS found
"""
    for label in CONCEPT_LABELS
}
CONCEPT_MERGES = {
    label: f"MATCH (c:{label}) WHERE c.merged_from IS NOT NULL RETURN c.id AS id, c.merged_from AS merged"
    for label in CONCEPT_LABELS
}

# --- curation (askg curate; askg.store.curation) ------------------------------------------------

SET_CURATED = """
UNWIND $rows AS row
MATCH (a:Action {id: row.id})
SET a.curated = $flag, a.content_hash = row.hash
RETURN count(a) AS updated
"""

NODE_COUNTS = "MATCH (n) UNWIND labels(n) AS label RETURN label, count(*) AS count"
REL_COUNTS = "MATCH ()-[r]->() RETURN type(r) AS type, count(*) AS count"
