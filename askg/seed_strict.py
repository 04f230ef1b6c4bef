"""`askg seeds check --strict`: every rule of graph_seeds/SEED_FORMAT.md that a program can check.

A rule is a small function. `SEED_RULES` look at one seed at a time (`(seed, context) -> problems`);
`CROSS_SEED_RULES` look at all seeds together (`(seeds, context) -> {seed label: problems}`), e.g. a
name used as an Object in one seed and as a Scene in another. Each problem is one line naming what is
wrong. Word lists live in graph_seeds/seed_rules.yaml, names in graph_seeds/vocabulary.yaml.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from askg.errors import InputError
from askg.names import normalise_name
from askg.schema import normalise_concept
from askg.seed_check import body_part_vocabulary, seed_problems
from askg.seeds import Seed, load_seeds
from askg.vocabulary import Vocabulary, load_vocabulary

RULES_FILE = "seed_rules.yaml"
_WORD = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*")


class WordLists(BaseModel):
    """graph_seeds/seed_rules.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = 1
    non_visual_words: frozenset[str] = Field(default_factory=frozenset)
    generic_scenes: frozenset[str] = Field(default_factory=frozenset)
    vague_predicates: frozenset[str] = Field(default_factory=frozenset)
    class_verbs: frozenset[str] = Field(default_factory=frozenset)
    not_gerunds: frozenset[str] = Field(default_factory=frozenset)


@cache
def load_word_lists(seeds_dir: Path) -> WordLists:
    path = seeds_dir / RULES_FILE
    if not path.is_file():
        return WordLists()
    try:
        return WordLists.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    except (yaml.YAMLError, ValueError) as exc:
        raise InputError(f"{path}: invalid seed rule word lists ({str(exc).splitlines()[0]})") from None


@dataclass(frozen=True)
class RuleContext:
    vocabulary: Vocabulary
    body_parts: frozenset[str]
    words: WordLists


Rule = Callable[[Seed, RuleContext], list[str]]
CrossSeedRule = Callable[[dict[str, Seed], RuleContext], dict[str, list[str]]]


# --- words ---------------------------------------------------------------------------------------


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def verb_key(word: str) -> str:
    """One key for the inflections of a verb: applies/applied/applying/apply -> "apply",
    runs/running/run -> "run", dribbles/dribbling/dribble -> "dribbl" (irregular forms are not folded)."""
    w = word.lower()
    if len(w) > 4 and w.endswith(("ies", "ied")):
        w = w[:-3] + "y"
    elif w.endswith("ing") and len(w) >= 6:
        w = w[:-3]
    elif len(w) >= 5 and (w.endswith("ed") or (w.endswith("es") and (w[-3] in "sxz" or w[-4:-2] in ("ch", "sh")))):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith("ss") and len(w) > 3:
        w = w[:-1]
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiouls":
        w = w[:-1]
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    return w


def class_verbs(class_name: str, lists: WordLists) -> set[str]:
    """The class's own verbs, as `verb_key`s: its -ing words and its words in `class_verbs`
    ("ApplyEyeMakeup" -> apply, "brush_hair" -> brush, "abseiling" -> abseil)."""
    name_words = words(normalise_name(class_name))
    verbs = {w for w in name_words if w.endswith("ing") and len(w) > 4 and w not in lists.not_gerunds}
    verbs |= {w for w in name_words if w in lists.class_verbs}
    return {verb_key(w) for w in verbs}


_DETERMINERS = ("the", "a", "an", "its", "his", "her", "their")


def without_names(text: str, names: set[str]) -> str:
    """The text with the seed's own concept names blanked ("bowling ball" is not the verb "bowl"),
    and their head nouns after a determiner ("the hoop" of "hula hoop")."""
    folded = " " + " ".join(words(text)) + " "
    for name in sorted(names, key=len, reverse=True):
        folded = folded.replace(f" {' '.join(words(name))} ", " _ ")
    for name in names:
        head = (words(name) or [""])[-1]
        for determiner in _DETERMINERS:
            folded = folded.replace(f" {determiner} {head} ", f" {determiner} _ ")
    return folded


def mentions(text: str, name: str) -> bool:
    """`name`, or its head noun (last word, singular or plural), is a word sequence of `text`."""
    text_words = " " + " ".join(words(text)) + " "
    name_words = words(name)
    if not name_words:
        return False
    if f" {' '.join(name_words)} " in text_words:
        return True
    head = name_words[-1]
    forms = {head, head.removesuffix("s"), head.removesuffix("es"), head + "s", head + "es"}
    return any(f" {form} " in text_words for form in forms if form)


# --- one seed at a time -----------------------------------------------------------------------


def thresholds(seed: Seed, context: RuleContext) -> list[str]:
    """The thresholds of `askg seeds check` (phases, body parts, scenes, static concepts)."""
    return seed_problems(seed.name, seed.decomposition, context.body_parts)


def gerund_phases(seed: Seed, context: RuleContext) -> list[str]:
    return [f"phase is not a gerund phrase: {p.text!r}" for p in seed.decomposition.phases
            if not (first := next(iter(words(p.text)), "")).endswith("ing") or first in context.words.not_gerunds]


def own_verb(seed: Seed, context: RuleContext) -> list[str]:
    verbs = class_verbs(seed.name, context.words)
    names = _concept_names(seed)
    problems = []
    for phase in seed.decomposition.phases:
        used = sorted({w for w in words(without_names(phase.text, names)) if verb_key(w) in verbs})
        if used:
            problems.append(f"phase uses the class's own verb ({', '.join(used)}): {phase.text!r}")
    return problems


def non_visual_words(seed: Seed, context: RuleContext) -> list[str]:
    problems = []
    for phase in seed.decomposition.phases:
        found = sorted(set(words(phase.text)) & context.words.non_visual_words)
        if found:
            problems.append(f"phase names what cannot be seen ({', '.join(found)}): {phase.text!r}")
    return problems


def or_alternatives(seed: Seed, context: RuleContext) -> list[str]:
    return [f"phase gives alternatives with 'or': {p.text!r}" for p in seed.decomposition.phases
            if "or" in words(p.text)]


def objects_used(seed: Seed, context: RuleContext) -> list[str]:
    d = seed.decomposition
    handled = {h for p in d.phases for h in p.handles}
    texts = " . ".join(p.text for p in d.phases)
    return [f"object neither handled nor named in a phase: {o.name!r}" for o in d.objects
            if o.name not in handled and not mentions(texts, o.name)]


def canonical_names(seed: Seed, context: RuleContext) -> list[str]:
    vocabulary = context.vocabulary
    problems = []
    for name in sorted(_concept_names(seed)):
        if vocabulary.is_alias(name):
            problems.append(f"{name!r} is a synonym: use {vocabulary.canonical(name)!r}")
        elif vocabulary.is_ambiguous(name):
            problems.append(f"{name!r} is ambiguous: use one of {', '.join(vocabulary.senses[name])}")
    raw = seed.raw
    if raw is not None:
        written = [u["name"] for u in raw.object_uses()] + list(raw.scenes)
        problems.extend(f"name is not lower case: {n!r}" for n in written if n != n.lower())
    return problems


def predicates(seed: Seed, context: RuleContext) -> list[str]:
    if seed.raw is not None and seed.raw.legacy_objects and seed.raw.objects:
        return ["objects are a list: write a mapping of object name to predicate"]
    problems = []
    for use in seed.decomposition.objects:
        first = next(iter(words(use.predicate)), "")
        if first in context.words.vague_predicates:
            problems.append(f"vague predicate {use.predicate!r} for {use.name!r}")
    return problems


def relation_endpoints(seed: Seed, context: RuleContext) -> list[str]:
    d = seed.decomposition
    declared = {o.name for o in d.objects} | set(d.scenes)
    return [f"relation end {end!r} is not an object or scene of the seed: [{r.subject}, {r.predicate}, {r.object}]"
            for r in d.object_relations for end in (r.subject, r.object) if end not in declared]


def object_and_scene(seed: Seed, context: RuleContext) -> list[str]:
    """Within the seed as written (the loader keeps such a name as one of the two)."""
    raw = seed.raw
    if raw is None:
        return []
    objects = {normalise_concept(u["name"]) for u in raw.object_uses()}
    objects |= {normalise_concept(h) for p in raw.phases for h in p.handles}
    both = sorted(objects & {normalise_concept(s) for s in raw.scenes})
    return [f"{name!r} is both an object and a scene" for name in both]


def generic_scenes(seed: Seed, context: RuleContext) -> list[str]:
    return [f"generic scene {s!r}: name the specific place" for s in seed.decomposition.scenes
            if s in context.words.generic_scenes]


def body_only_poses(seed: Seed, context: RuleContext) -> list[str]:
    d = seed.decomposition
    if d.objects or len(d.poses) >= 2:
        return []
    return [f"body-only action (no objects) with {len(d.poses)} poses (< 2)"]


def body_parts(seed: Seed, context: RuleContext) -> list[str]:
    d = seed.decomposition
    used = {p.body_part for p in d.poses} | {m.body_part for p in d.phases for m in p.motions}
    unknown = sorted(used - context.body_parts)
    return [f"body part not in body_parts.yaml: {part!r}" for part in unknown]


def poses(seed: Seed, context: RuleContext) -> list[str]:
    """A pose reads after "the <body part>": no article, no repeated body part, no alternatives."""
    problems = []
    for pose in seed.decomposition.poses:
        pose_words = words(pose.pose)
        if not pose_words or pose_words[0] in ("a", "an", "the") or pose_words[: len(words(pose.body_part))] == words(
            pose.body_part
        ):
            problems.append(f"pose does not read after 'the {pose.body_part}': {pose.pose!r}")
        elif "or" in pose_words:
            problems.append(f"pose gives alternatives with 'or': {pose.pose!r}")
    return problems


def motions(seed: Seed, context: RuleContext) -> list[str]:
    """Motions are bare verb phrases ("grip the bar"), not gerunds or noun phrases."""
    problems = []
    for phase in seed.decomposition.phases:
        for motion in phase.motions:
            first = next(iter(words(motion.motion)), "")
            if first in ("a", "an", "the") or (first.endswith("ing") and first not in _ING_VERBS):
                problems.append(f"motion is not a bare verb phrase: {motion.body_part}: {motion.motion!r}")
    return problems


_ING_VERBS = frozenset({"bring", "cling", "fling", "ring", "sing", "sling", "spring", "sting", "string", "swing",
                        "wing", "wring"})


def _concept_names(seed: Seed) -> set[str]:
    d = seed.decomposition
    return d.object_names() | set(d.scenes)


SEED_RULES: list[tuple[str, Rule]] = [
    ("thresholds", thresholds),
    ("gerund_phases", gerund_phases),
    ("own_verb", own_verb),
    ("non_visual_words", non_visual_words),
    ("or_alternatives", or_alternatives),
    ("objects_used", objects_used),
    ("canonical_names", canonical_names),
    ("predicates", predicates),
    ("relation_endpoints", relation_endpoints),
    ("object_and_scene", object_and_scene),
    ("generic_scenes", generic_scenes),
    ("body_only_poses", body_only_poses),
    ("body_parts", body_parts),
    ("poses", poses),
    ("motions", motions),
]


# --- all seeds together -----------------------------------------------------------------------


def object_or_scene_across_seeds(seeds: dict[str, Seed], context: RuleContext) -> dict[str, list[str]]:
    """A name is an Object in all seeds or a Scene in all seeds, never both."""
    as_object: dict[str, list[str]] = {}
    as_scene: dict[str, list[str]] = {}
    for seed in seeds.values():
        for name in seed.decomposition.object_names():
            as_object.setdefault(name, []).append(seed.label)
        for name in seed.decomposition.scenes:
            as_scene.setdefault(name, []).append(seed.label)
    problems: dict[str, list[str]] = {}
    for name in sorted(as_object.keys() & as_scene.keys()):
        for label in as_object[name]:
            problems.setdefault(label, []).append(
                f"{name!r} is an object here and a scene in {', '.join(sorted(as_scene[name])[:3])}")
    return problems


def distinctiveness(seeds: dict[str, Seed], context: RuleContext) -> dict[str, list[str]]:
    """In every confusable group (declared families, and classes of one list whose compiled prompts are
    alike), each member has a spatial and a temporal statement that no other member has."""
    from askg.distinctiveness import distinctiveness_problems

    return distinctiveness_problems({seed.label: seed.decomposition for seed in seeds.values()})


CROSS_SEED_RULES: list[tuple[str, CrossSeedRule]] = [
    ("object_or_scene_across_seeds", object_or_scene_across_seeds),
    ("distinctiveness", distinctiveness),
]


# --- running the rules --------------------------------------------------------------------------


@dataclass
class StrictReport:
    seeds: int
    problems: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # label -> (rule, problem)

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts(self) -> dict[str, int]:
        """Failing seeds per rule, every rule listed."""
        counts = {name: 0 for name, _ in [*SEED_RULES, *CROSS_SEED_RULES]}
        for found in self.problems.values():
            for rule in {rule for rule, _ in found}:
                counts[rule] = counts.get(rule, 0) + 1
        return counts

    def as_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "seeds": self.seeds,
            "failing_seeds": len(self.problems),
            "failing_per_rule": self.counts(),
            "problems": {label: [{"rule": r, "problem": p} for r, p in found]
                         for label, found in sorted(self.problems.items())},
        }


def rule_context(seeds_dir: Path) -> RuleContext:
    return RuleContext(
        vocabulary=load_vocabulary(seeds_dir),
        body_parts=body_part_vocabulary(seeds_dir),
        words=load_word_lists(seeds_dir),
    )


def strict_problems(
    seeds: dict[str, Seed],
    context: RuleContext,
    rules: list[tuple[str, Rule]] | None = None,
    cross_rules: list[tuple[str, CrossSeedRule]] | None = None,
) -> StrictReport:
    """Run every rule over `seeds` (by key, as `load_seeds` returns them)."""
    report = StrictReport(seeds=len(seeds))
    for seed in seeds.values():
        for name, rule in SEED_RULES if rules is None else rules:
            for problem in rule(seed, context):
                report.problems.setdefault(seed.label, []).append((name, problem))
    for name, cross in CROSS_SEED_RULES if cross_rules is None else cross_rules:
        for label, found in cross(seeds, context).items():
            report.problems.setdefault(label, []).extend((name, p) for p in found)
    return report


def strict_check(seeds_dir: Path) -> StrictReport:
    """`askg seeds check --strict` over the seeds of `seeds_dir`."""
    return strict_problems(load_seeds(seeds_dir), rule_context(seeds_dir))
