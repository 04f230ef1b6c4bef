"""Compile one action's subgraph into label, spatial and temporal prompts.

Pure and deterministic: the output depends only on the record's content and the template file,
in the record's stored order — no sets, no LLM.

Spatial prompts: one per object ("snatch: the person lifts the barbell"; the link's predicate has
the performer as subject), scene, object–object relation and pose ("finger snapping, with the hands
raised in front of the chest"). Temporal prompts: the first phase, each ordered pair, the last
phase, each phase with its body-part motions, and each phase with the objects it handles that its
text does not already name.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

from askg.prompts.grammar import (
    article_list,
    is_gerund_phrase,
    join_clauses,
    motion_clause,
    names_object,
    relation_phrase,
    scene_preposition,
    strip_article,
)
from askg.schema import Decomposition, PhaseSpec

TEMPLATES_PATH = Path(__file__).with_name("templates.yaml")


class SpatialTemplates(BaseModel):
    object: str
    scene: str
    relation: str
    pose: str


class TemporalTemplates(BaseModel):
    first: str
    pair: str
    last: str
    motions: str
    motions_after: str
    handles: str


class XpromptTemplates(BaseModel):
    ao: str
    scene: str
    pose: str
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


def _spatial_parts(record: Decomposition, templates: Templates) -> dict[str, list[dict[str, str]]]:
    """The slot values of each spatial statement, shared by the prompt and the xprompt shapes."""
    exceptions = templates.singular_words_ending_in_s
    return {
        "object": [{"predicate": use.predicate, "object": strip_article(use.name)} for use in record.objects],
        "scene": [{"scene": strip_article(scene), "preposition": scene_preposition(scene, templates.scene_prepositions)}
                  for scene in record.scenes],
        "relation": [{"subject": strip_article(rel.subject),
                      "relation": relation_phrase(rel.subject, rel.predicate, rel.object, exceptions)}
                     for rel in record.object_relations],
        "pose": [{"body_part": pose.body_part, "pose": pose.pose} for pose in record.poses],
    }


def compile_spatial(record: Decomposition, templates: Templates, action: str) -> list[str]:
    sp = templates.spatial
    parts = _spatial_parts(record, templates)
    prompts = [sp.object.format(action=action, **slots) for slots in parts["object"]]
    prompts += [sp.scene.format(action=action, **slots) for slots in parts["scene"]]
    prompts += [sp.relation.format(action=action, **slots) for slots in parts["relation"]]
    prompts += [sp.pose.format(action=action, **slots) for slots in parts["pose"]]
    return _unique(prompts)


def unnamed_handles(phase: PhaseSpec) -> list[str]:
    """The objects a phase handles that its text does not already name (by name or head noun)."""
    return [name for name in phase.handles if not names_object(phase.text, name)]


def compile_temporal(record: Decomposition, templates: Templates, action: str) -> list[str]:
    tp = templates.temporal
    exceptions = templates.singular_words_ending_in_s
    texts = [phase.text for phase in record.phases]
    prompts: list[str] = []
    if texts:
        prompts.append(tp.first.format(action=action, phase=texts[0]))
        prompts += [tp.pair.format(action=action, first=a, then=b) for a, b in pairwise(texts)]
        if len(texts) > 1:
            prompts.append(tp.last.format(action=action, phase=texts[-1]))
    for phase in record.phases:
        if phase.motions:
            motions = join_clauses([motion_clause(m.body_part, m.motion, exceptions) for m in phase.motions])
            template = tp.motions if is_gerund_phrase(phase.text) else tp.motions_after
            prompts.append(template.format(action=action, phase=phase.text, motions=motions))
        unnamed = unnamed_handles(phase)
        if unnamed:
            prompts.append(tp.handles.format(action=action, phase=phase.text, objects=article_list(unnamed)))
    return _unique(prompts)


def compile_prompts(record: Decomposition, templates: Templates, action: str | None = None) -> CompiledPrompts:
    """`action` is the label used in the text (default: the record's normalised name)."""
    if action is None:
        name = getattr(record, "name", None)
        if not isinstance(name, str):
            raise ValueError("compile_prompts needs `action` for a Decomposition without a name")
        action = name
    return CompiledPrompts(label=compile_label(action, templates), spatial=compile_spatial(record, templates, action),
                           temporal=compile_temporal(record, templates, action))


def compile_xprompt(record: Decomposition, templates: Templates) -> dict[str, list[str]]:
    """The official STDD `classes_xprompt_*.yml` lists: one phrase per object–object triple (oo),
    per action–object link, scene and pose (ao) and per ordered pair of sub-actions, led by the
    first one (aa)."""
    xp = templates.xprompt
    parts = _spatial_parts(record, templates)
    texts = [phase.text for phase in record.phases]
    aa = [xp.first.format(phase=texts[0])] if texts else []
    aa += [xp.pair.format(first=a, then=b) for a, b in pairwise(texts)]
    ao = [xp.ao.format(**slots) for slots in parts["object"]]
    ao += [xp.scene.format(**slots) for slots in parts["scene"]]
    ao += [xp.pose.format(**slots) for slots in parts["pose"]]
    return {
        "xprompt_oo": [xp.oo.format(**slots) for slots in parts["relation"]],
        "xprompt_ao": ao,
        "xprompt_aa": aa,
    }
