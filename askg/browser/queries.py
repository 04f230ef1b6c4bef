"""Ready Cypher queries for exploring and curating the ASKG in Neo4j Browser.

Each query is data: a key, a title, a description, the Cypher with `$param` placeholders and an
example value per parameter (taken from the shipped seeds, so every query returns rows on a graph
built from them; tests/browser/test_queries.py runs each one against a real Neo4j). `askg browse`
prints them with the `:param` lines Browser needs before a parameterised query.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class BrowserQuery:
    key: str
    title: str
    description: str
    cypher: str
    params: dict[str, Any] = field(default_factory=dict)
    graph: bool = True  # returns nodes/relationships (Browser draws a graph) rather than a table

    def param_commands(self, values: dict[str, Any] | None = None) -> list[str]:
        """Browser `:param` commands for this query, e.g. `:param action => "abseiling"`."""
        merged = {**self.params, **(values or {})}
        return [f":param {name} => {json.dumps(value)}" for name, value in merged.items()]

    def browser_text(self, values: dict[str, Any] | None = None) -> str:
        """What to paste into Browser: the `:param` lines, then the query (one frame each)."""
        return "\n".join([*self.param_commands(values), self.cypher.strip()])


ACTION_PHASES = BrowserQuery(
    key="action-phases",
    title="An action with its phases in order",
    description="The action, its phases (HAS_PHASE order, NEXT chain) and the body-part motions of each "
    "phase. `action` is the action id (its normalised name, e.g. `askg show NAME --json`).",
    cypher="""
MATCH (a:Action {id: $action})-[h:HAS_PHASE]->(p:Phase)
OPTIONAL MATCH (p)-[m:MOVES]->(b:BodyPart)
OPTIONAL MATCH (p)-[n:NEXT]->(q:Phase)
RETURN a, h, p, m, b, n, q
ORDER BY h.order, m.order
""",
    params={"action": "abseiling"},
)

ACTIONS_USING_OBJECT = BrowserQuery(
    key="actions-using-object",
    title="Actions that use a given object",
    description="Every action with a USES link to the object (matched by id or by its current name, "
    "so objects renamed in Browser are found too), and the phases that handle it.",
    cypher="""
MATCH (o:Object) WHERE o.id = $object OR toLower(o.name) = toLower($object)
MATCH (a:Action)-[u:USES]->(o)
OPTIONAL MATCH (a)-[h:HAS_PHASE]->(p:Phase)-[x:HANDLES]->(o)
RETURN a, u, o, h, p, x
ORDER BY a.name
""",
    params={"object": "climbing harness"},
)

ACTIONS_SHARING_MOTION = BrowserQuery(
    key="actions-sharing-motion",
    title="Actions sharing a body-part motion",
    description="Actions whose phases move the body part with a motion containing the keyword "
    "(case-insensitive): actions that share how a body part moves.",
    cypher="""
MATCH (b:BodyPart) WHERE b.id = $body_part OR toLower(b.name) = toLower($body_part)
MATCH (a:Action)-[h:HAS_PHASE]->(p:Phase)-[m:MOVES]->(b)
WHERE toLower(m.motion) CONTAINS toLower($motion)
RETURN a, h, p, m, b
ORDER BY a.name, h.order
""",
    params={"body_part": "hands", "motion": "grip"},
)

MOST_CONNECTED = BrowserQuery(
    key="most-connected-concepts",
    title="The most connected concepts",
    description="Objects, scenes and body parts by number of relationships, with how many distinct "
    "actions reach them (directly or through a phase).",
    cypher="""
MATCH (c) WHERE c:Object OR c:Scene OR c:BodyPart
WITH c, COUNT { (c)--() } AS degree
ORDER BY degree DESC, c.name
LIMIT toInteger($limit)
RETURN labels(c)[0] AS label, c.name AS concept, degree,
       COUNT { MATCH (a:Action) WHERE (a)--(c) OR (a)-[:HAS_PHASE]->(:Phase)--(c) } AS actions
ORDER BY degree DESC, concept
""",
    params={"limit": 25},
    graph=False,
)

MERGED_CONCEPTS = BrowserQuery(
    key="merged-concepts",
    title="Concepts merged by de-duplication",
    description="Concept nodes that absorbed other spellings (`merged_from`, written by askg's "
    "de-duplication), with the actions linked to them.",
    cypher="""
MATCH (c) WHERE (c:Object OR c:Scene OR c:BodyPart) AND size(coalesce(c.merged_from, [])) > 0
RETURN labels(c)[0] AS label, c.id AS id, c.name AS name, c.merged_from AS merged_from,
       COUNT { (c)--() } AS degree
ORDER BY label, name
""",
    graph=False,
)

CURATED_ACTIONS = BrowserQuery(
    key="curated-actions",
    title="Curated actions",
    description="Actions marked curated (`askg curate`, or edited here and written back): "
    "`askg build` keeps them unless --rebuild. Edits not yet flagged are found by askg on read.",
    cypher="""
MATCH (a:Action) WHERE a.curated = true
RETURN a.id AS id, a.name AS name, a.source AS source, COUNT { (a)-[:HAS_PHASE]->() } AS phases
ORDER BY id
""",
    graph=False,
)

QUERIES: tuple[BrowserQuery, ...] = (
    ACTION_PHASES,
    ACTIONS_USING_OBJECT,
    ACTIONS_SHARING_MOTION,
    MOST_CONNECTED,
    MERGED_CONCEPTS,
    CURATED_ACTIONS,
)


def query(key: str) -> BrowserQuery:
    for candidate in QUERIES:
        if candidate.key == key:
            return candidate
    raise KeyError(f"no Browser query {key!r}; known: {', '.join(q.key for q in QUERIES)}")
