"""Distinctiveness of confusable classes.

A class's *statements* are its compiled prompts with the class name removed (compiled with a
placeholder label): spatial statements come from objects, scenes, relations and poses, temporal
ones from phases and motions. Confusable groups are (a) the declared families of
`graph_seeds/families.yaml` (lifts, swimming strokes, baseball, dance styles, reversal pairs …) and
(b) pairs found automatically: classes whose spatial or whose temporal statements are most alike by
TF-IDF cosine over content words — cheap, deterministic and without any model.

`distinctiveness_problems` reports every member of a group that has no spatial statement, or no
temporal statement, that no other member of the group has.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from askg.class_lists import read_class_list
from askg.errors import InputError
from askg.names import match_key
from askg.prompts.compiler import Templates, compile_prompts, load_templates
from askg.schema import Decomposition
from askg.seeds import DATASET_TAGS, default_seeds_dir

Kind = Literal["spatial", "temporal"]
KINDS: tuple[Kind, Kind] = ("spatial", "temporal")
PLACEHOLDER = "xlabelx"
# Thresholds of the automatic detector (TF-IDF cosine of the classes' statements of one kind).
SPATIAL_THRESHOLD = 0.8
TEMPORAL_THRESHOLD = 0.5
# Class lists whose classes are told apart together: one per shipped dataset (the K600 splits are
# subsets of k600).
POOL_LISTS = DATASET_TAGS
STOPWORDS = frozenset([
    "a", "an", "the", "and", "or", "then", "of", "to", "in", "on", "at", "with", "while", "as", "by", "for",
    "from", "into", "onto", "over", "under", "up", "down", "out", "off", "its", "it", "their", "his", "her",
    "this", "that", "these", "those", "each", "one", "both", "is", "are", "be", "being", "it's",
    "person", "where", "starting", "first", "ending", PLACEHOLDER,
])
_TOKEN = re.compile(r"[a-z][a-z'-]*")


class FamiliesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str
    families: dict[str, list[str]]


@dataclass(frozen=True)
class Statements:
    spatial: frozenset[str]
    temporal: frozenset[str]

    def of(self, kind: Kind) -> frozenset[str]:
        return self.spatial if kind == "spatial" else self.temporal


@dataclass(frozen=True)
class ConfusablePair:
    first: str
    second: str
    kind: Kind
    similarity: float


@dataclass(frozen=True)
class Group:
    members: tuple[str, ...]
    reason: str  # "family <name>" or "<kind> prompts alike (cosine 0.83)"


def default_families_path() -> Path:
    return default_seeds_dir() / "families.yaml"


@cache
def load_families(path: Path | None = None) -> dict[str, list[str]]:
    path = path or default_families_path()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return FamiliesFile.model_validate(raw).families
    except FileNotFoundError:
        raise InputError(f"{path}: families file not found") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: malformed YAML ({exc})") from None
    except ValidationError as exc:
        error = exc.errors()[0]
        raise InputError(f"{path}: {'.'.join(str(p) for p in error['loc'])}: {error['msg']}") from None


def _normalise_statement(prompt: str) -> str:
    text = prompt.replace(PLACEHOLDER, " ").lower()
    text = re.sub(r"\s+", " ", text).strip(" ,:;")
    return text


def statements(decomposition: Decomposition, templates: Templates | None = None) -> Statements:
    compiled = compile_prompts(decomposition, templates or load_templates(), action=PLACEHOLDER)
    return Statements(spatial=frozenset(map(_normalise_statement, compiled.spatial)),
                      temporal=frozenset(map(_normalise_statement, compiled.temporal)))


def _tokens(texts: Iterable[str]) -> list[str]:
    return [t for text in sorted(texts) for t in _TOKEN.findall(text) if t not in STOPWORDS]


def similarity_matrix(documents: list[list[str]]) -> np.ndarray:
    """TF-IDF (sublinear tf, smoothed idf) cosine similarity between token lists."""
    vocabulary: dict[str, int] = {}
    for doc in documents:
        for token in doc:
            vocabulary.setdefault(token, len(vocabulary))
    matrix = np.zeros((len(documents), max(len(vocabulary), 1)), dtype=np.float64)
    for row, doc in enumerate(documents):
        for token, count in Counter(doc).items():
            matrix[row, vocabulary[token]] = 1.0 + math.log(count)
    df = (matrix > 0).sum(axis=0)
    matrix *= np.log((1 + len(documents)) / (1 + df)) + 1.0
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    matrix /= np.where(norms == 0, 1.0, norms)
    return matrix @ matrix.T


@cache
def shipped_pools() -> dict[str, frozenset[str]]:
    """Match keys of the classes of each shipped class list (`graph_seeds/classes/`)."""
    root = default_seeds_dir() / "classes"
    return {name: frozenset(match_key(n) for n in read_class_list(root / f"{name}.txt").names)
            for name in POOL_LISTS if (root / f"{name}.txt").is_file()}


def _pool_mask(names: list[str], pools: Mapping[str, frozenset[str]] | None) -> np.ndarray:
    """names x names: do the two classes appear in one class list? (classes in none: one pool)"""
    if pools is None:
        return np.ones((len(names), len(names)), dtype=bool)
    keys = [match_key(name.split("@", 1)[0]) for name in names]
    member = np.array([[key in pool for pool in pools.values()] + [not any(key in p for p in pools.values())]
                       for key in keys], dtype=bool)
    return (member.astype(np.int32) @ member.T.astype(np.int32)) > 0


def confusable_pairs(by_class: Mapping[str, Statements], *, pools: Mapping[str, frozenset[str]] | None = None,
                     spatial_threshold: float = SPATIAL_THRESHOLD,
                     temporal_threshold: float = TEMPORAL_THRESHOLD) -> list[ConfusablePair]:
    """Pairs of classes of one class list (any, when `pools` is None) whose statements of one kind
    are alike, most alike first (ties by name). `pools`: class list -> match keys of its classes."""
    names = sorted(by_class)
    together = _pool_mask(names, pools)
    pairs = []
    thresholds: dict[Kind, float] = {"spatial": spatial_threshold, "temporal": temporal_threshold}
    for kind, threshold in thresholds.items():
        sims = similarity_matrix([_tokens(by_class[name].of(kind)) for name in names])
        rows, cols = np.nonzero(np.triu((sims >= threshold) & together, k=1))
        pairs += [ConfusablePair(names[i], names[j], kind, round(float(sims[i, j]), 4))
                  for i, j in zip(rows.tolist(), cols.tolist(), strict=True)]
    return sorted(pairs, key=lambda p: (-p.similarity, p.first, p.second, p.kind))


def pair_components(pairs: Iterable[ConfusablePair]) -> list[tuple[str, ...]]:
    """Connected groups of classes linked by detected pairs, largest first (for reports)."""
    parent: dict[str, str] = {}

    def root(name: str) -> str:
        while parent.setdefault(name, name) != name:
            name = parent[name]
        return name

    for pair in pairs:
        a, b = root(pair.first), root(pair.second)
        if a != b:
            parent[max(a, b)] = min(a, b)
    components: dict[str, list[str]] = {}
    for name in parent:
        components.setdefault(root(name), []).append(name)
    return sorted((tuple(sorted(c)) for c in components.values()), key=lambda c: (-len(c), c))


def family_groups(class_names: Iterable[str], families: Mapping[str, list[str]]) -> list[Group]:
    """The declared families restricted to the classes present (by any spelling), with >= 2 members.
    A dataset-specific key `<class>@<dataset>` is a member wherever `<class>` is."""
    by_key: dict[str, list[str]] = {}
    for name in class_names:
        by_key.setdefault(match_key(name.split("@", 1)[0]), []).append(name)
    groups = []
    for family, members in families.items():
        present = sorted({name for member in members for name in by_key.get(match_key(member), [])})
        if len(present) >= 2:
            groups.append(Group(tuple(present), f"family {family!r}"))
    return groups


def confusable_groups(by_class: Mapping[str, Statements], families: Mapping[str, list[str]],
                      pools: Mapping[str, frozenset[str]] | None = None) -> list[Group]:
    groups = family_groups(by_class, families)
    groups += [Group((p.first, p.second), f"{p.kind} prompts alike (cosine {p.similarity:.2f})")
               for p in confusable_pairs(by_class, pools=pools)]
    return groups


def distinctiveness_problems(decompositions: Mapping[str, Decomposition], *,
                             families: Mapping[str, list[str]] | None = None,
                             templates: Templates | None = None,
                             pools: Mapping[str, frozenset[str]] | None = None) -> dict[str, list[str]]:
    """Class -> problems: in each confusable group, a member fails when it has no spatial statement,
    or no temporal statement, that no other member has (statements compared with the name removed).

    Groups: the declared `families` (default: `graph_seeds/families.yaml`), across datasets, and the
    pairs the detector finds among the classes of one class list (`pools`, default: the shipped
    lists; classes in none of them form one more list) — so the same action seeded once per dataset
    ("kiss" in HMDB51, "kissing" in Kinetics) is not a confusable pair."""
    templates = templates or load_templates()
    families = load_families() if families is None else families
    pools = shipped_pools() if pools is None else pools
    by_class = {name: statements(d, templates) for name, d in decompositions.items()}
    problems: dict[str, list[str]] = {}
    for group in confusable_groups(by_class, families, pools):
        for member in group.members:
            others = [m for m in group.members if m != member]
            for kind in KINDS:
                shared = set().union(*(by_class[o].of(kind) for o in others))
                if not by_class[member].of(kind) - shared:
                    who = others[0] if len(others) == 1 else f"the {len(others)} other members"
                    message = f"no {kind} statement that {who} lack ({group.reason})"
                    problems.setdefault(member, [])
                    if message not in problems[member]:
                        problems[member].append(message)
    return problems
