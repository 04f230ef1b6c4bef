"""Compile one action's subgraph into label, spatial and temporal prompts (DESIGN.md §6).

Pure and deterministic: the output depends only on the record's content and the template file,
in the record's stored order — no sets, no LLM.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

from askg.prompts.grammar import (
    join_clauses,
    motion_clause,
    relation_phrase,
    scene_preposition,
    strip_article,
)
from askg.schema import ActionRecord

TEMPLATES_PATH = Path(__file__).with_name("templates.yaml")


class SpatialTemplates(BaseModel):
    uses: str
    scene: str
    relation: str


class TemporalTemplates(BaseModel):
    first: str
    pair: str
    last: str
    motions: str
    handles: str


class XpromptTemplates(BaseModel):
    ao: str
    oo: str
    first: str
    pair: str


class Templates(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: str
    label: list[str]
    spatial: SpatialTemplates
    temporal: TemporalTemplates
    xprompt: XpromptTemplates
    scene_prepositions: dict[str, list[str]]
    singular_words_ending_in_s: frozenset[str]


@cache
def load_templates(path: Path = TEMPLATES_PATH) -> Templates:
    return Templates.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class CompiledPrompts:
    label: list[str]
    spatial: list[str]
    temporal: list[str]


def _unique(prompts: list[str]) -> list[str]:
    return list(dict.fromkeys(prompts))


def compile_label(action: str, templates: Templates) -> list[str]:
    return _unique([t.format(action=action) for t in templates.label])


def compile_prompts(record: ActionRecord, templates: Templates, action: str | None = None) -> CompiledPrompts:
    """`action` is the label used in the text (default: the record's normalised name)."""
    action = action or record.name
    exceptions = templates.singular_words_ending_in_s
    sp, tp = templates.spatial, templates.temporal
    spatial = [sp.uses.format(action=action, predicate=use.predicate, object=strip_article(use.name))
               for use in record.objects]
    spatial += [
        sp.scene.format(action=action, scene=strip_article(scene),
                        preposition=scene_preposition(scene, templates.scene_prepositions))
        for scene in record.scenes
    ]
    spatial += [
        sp.relation.format(action=action, subject=strip_article(rel.subject),
                           relation=relation_phrase(rel.subject, rel.predicate, rel.object, exceptions))
        for rel in record.object_relations
    ]
    texts = [phase.text for phase in record.phases]
    temporal: list[str] = []
    if texts:
        temporal.append(tp.first.format(action=action, phase=texts[0]))
        temporal += [tp.pair.format(action=action, first=a, then=b) for a, b in pairwise(texts)]
        if len(texts) > 1:
            temporal.append(tp.last.format(action=action, phase=texts[-1]))
    for phase in record.phases:
        if phase.motions:
            clauses = [motion_clause(m.body_part, m.motion, exceptions) for m in phase.motions]
            temporal.append(tp.motions.format(action=action, phase=phase.text, motions=join_clauses(clauses)))
        unmentioned = [o for o in phase.handles if o not in phase.text.lower()]
        if unmentioned:
            objects = join_clauses([strip_article(o) for o in unmentioned]).replace(" and ", " and the ")
            temporal.append(tp.handles.format(action=action, phase=phase.text, objects=objects))
    return CompiledPrompts(label=compile_label(action, templates), spatial=_unique(spatial),
                           temporal=_unique(temporal))


def compile_xprompt(record: ActionRecord, templates: Templates) -> dict[str, list[str]]:
    """The official STDD `classes_xprompt_*.yml` lists: one phrase per object–object triple (oo),
    per action–object link (ao) and per ordered pair of sub-actions, led by the first one (aa)."""
    exceptions = templates.singular_words_ending_in_s
    xp = templates.xprompt
    texts = [phase.text for phase in record.phases]
    aa = [xp.first.format(phase=texts[0])] if texts else []
    aa += [xp.pair.format(first=a, then=b) for a, b in pairwise(texts)]
    return {
        "xprompt_oo": [
            xp.oo.format(subject=strip_article(rel.subject),
                         relation=relation_phrase(rel.subject, rel.predicate, rel.object, exceptions))
            for rel in record.object_relations
        ],
        "xprompt_ao": [xp.ao.format(predicate=use.predicate, object=strip_article(use.name)) for use in record.objects],
        "xprompt_aa": aa,
    }
