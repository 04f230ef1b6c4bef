"""Quality thresholds for seed actions and coverage of the shipped class lists (`askg seeds check`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from askg.names import match_key
from askg.schema import Decomposition

MIN_PHASES = 3
MIN_BODY_PARTS = 2
MIN_SCENES = 1
MIN_STATIC_CONCEPTS = 3
MIN_BODY_ONLY_POSES = 2  # a body-only action (no objects) shows poses instead of 3 static concepts

_ARTICLE_START = re.compile(r"^(a|an|the)\s", re.IGNORECASE)


@cache
def body_part_vocabulary(seeds_dir: Path) -> frozenset[str]:
    raw = yaml.safe_load((seeds_dir / "body_parts.yaml").read_text(encoding="utf-8"))
    return frozenset(raw["body_parts"])


def seed_problems(name: str, decomposition: Decomposition, body_parts: frozenset[str]) -> list[str]:
    """Every threshold or vocabulary rule the seed for `name` breaks (empty when it passes)."""
    problems = []
    if len(decomposition.phases) < MIN_PHASES:
        problems.append(f"{len(decomposition.phases)} phases (< {MIN_PHASES})")
    used_parts = {m.body_part for p in decomposition.phases for m in p.motions}
    if len(used_parts) < MIN_BODY_PARTS:
        problems.append(f"{len(used_parts)} distinct body parts (< {MIN_BODY_PARTS})")
    unknown = sorted((used_parts | {p.body_part for p in decomposition.poses}) - body_parts)
    if unknown:
        problems.append(f"body parts not in the vocabulary: {', '.join(unknown)}")
    if len(decomposition.scenes) < MIN_SCENES:
        problems.append(f"{len(decomposition.scenes)} scenes (< {MIN_SCENES})")
    static = {o.name for o in decomposition.objects} | set(decomposition.scenes)
    body_only = not decomposition.objects and len(decomposition.poses) >= MIN_BODY_ONLY_POSES
    if len(static) < MIN_STATIC_CONCEPTS and not body_only:
        problems.append(f"{len(static)} static concepts (< {MIN_STATIC_CONCEPTS}; a body-only action with no "
                        f"objects needs >= {MIN_BODY_ONLY_POSES} poses instead)")
    for phase in decomposition.phases:
        if not phase.motions:
            problems.append(f"phase without motions: {phase.text!r}")
    concepts = [o.name for o in decomposition.objects] + list(decomposition.scenes)
    for concept in concepts:
        if _ARTICLE_START.match(concept):
            problems.append(f"concept starts with an article: {concept!r}")
    texts = [p.text for p in decomposition.phases]
    if len(set(texts)) != len(texts):
        problems.append("repeated phase text")
    if match_key(name) in {match_key(t) for t in texts}:
        problems.append("a phase text is just the action name")
    return problems


@dataclass
class CoverageReport:
    dataset: str
    classes: int
    seeded: int = 0
    missing: list[str] = field(default_factory=list)
    failing: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.missing and not self.failing


def coverage_reports(seeds_dir: Path) -> list[CoverageReport]:
    """One report per shipped class list in `graph_seeds/classes/` (seeded, missing, failing)."""
    from askg.class_lists import read_class_list
    from askg.seeds import find_seed, load_seeds

    seeds = load_seeds(seeds_dir)
    vocabulary = body_part_vocabulary(seeds_dir)
    reports = []
    for path in sorted((seeds_dir / "classes").glob("*.txt")):
        class_list = read_class_list(path)
        report = CoverageReport(dataset=path.stem, classes=len(class_list.entries))
        for entry in class_list.entries:
            seed = find_seed(seeds, entry.key, class_list.dataset)
            if seed is None:
                report.missing.append(entry.name)
                continue
            report.seeded += 1
            problems = seed_problems(entry.name, seed.decomposition, vocabulary)
            if problems:
                report.failing[entry.name] = problems
        reports.append(report)
    return reports


def concept_counts(seeds_dir: Path) -> dict[str, int]:
    """Distinct concepts over all seeds, by label."""
    from askg.seeds import load_seeds

    objects: set[str] = set()
    scenes: set[str] = set()
    body_parts: set[str] = set()
    for seed in load_seeds(seeds_dir).values():
        d = seed.decomposition
        objects.update(d.object_names())
        scenes.update(d.scenes)
        body_parts.update(m.body_part for p in d.phases for m in p.motions)
        body_parts.update(p.body_part for p in d.poses)
    return {"Object": len(objects), "Scene": len(scenes), "BodyPart": len(body_parts)}
