"""The prompt lint: it catches each ungrammatical pattern, and the compiler produces none of them,
on hand-made records covering every grammar case and on every shipped seed."""

from __future__ import annotations

import pytest

from askg.names import normalise_name
from askg.prompts.compiler import compile_prompts, load_templates
from askg.prompts.lint import lint_prompt, lint_prompts
from askg.schema import Decomposition
from askg.seeds import default_seeds_dir, load_seeds

TEMPLATES = load_templates()


@pytest.mark.parametrize(
    ("prompt", "problem"),
    [
        ("hitting baseball: while the ball arcing through the air, the arms swing", "'while' before"),
        ("x: while the hands pulling the rope, the feet push", "'while' before"),
        ("frowning: while glaring, the face frowns and glare", "unconjugated"),
        ("x: while rinsing, the mouth spits and swish water", "unconjugated"),
        ("x: wrapping the box, with the wrapping paper, gift box and the tape", "without an article"),
        ("x: lifting the bar overhead, with the barbell", "redundant"),
        ("x: loading a plate on each side, with the weight plates", "redundant"),
        ("x: the person lifts the the barbell", "doubled article"),
        ("x: the person lifts the ", "empty slot"),
        ("x: the person lifts the {object}", "empty slot"),
        ("x , with the rope", "empty slot"),
    ],
)
def test_lint_catches_each_pattern(prompt: str, problem: str) -> None:
    assert any(problem in line for line in lint_prompt(prompt)), lint_prompt(prompt)


@pytest.mark.parametrize(
    "prompt",
    [
        "x: while gripping the bar, the face frowns and glares",
        "x: while slowly lowering the bar, the hands grip and pull",
        "applauding: cheering while the clapping continues",
        "beatboxing: bobbing the head while the lips keep vibrating",
        "x: the ball arcing through the air, as the arms follow through",
        "x: wrapping the present, with the wrapping paper, the gift box and the tape",
        "x: the hands lift rocks and reach into hollows",
        "x: lifting the bar overhead, with the chalk",
        "finger snapping, with the hands raised in front of the chest and relaxed",
    ],
)
def test_lint_passes_grammatical_prompts(prompt: str) -> None:
    assert lint_prompt(prompt) == []


def test_duplicates_within_a_class_are_reported() -> None:
    problems = lint_prompts(["x: the rope", "X: the  rope", "x: the bar"])
    assert problems[0] == "duplicate prompt: 'X: the  rope'" and len(problems) == 2  # and the double space


HAND_MADE = {
    "snatch": Decomposition.model_validate({
        "objects": [{"name": "barbell", "predicate": "lifts"}, {"name": "bumper plates", "predicate": "loads"},
                    {"name": "lifting chalk", "predicate": "dusts the palms with"}],
        "scenes": ["weightlifting gym"],
        "object_relations": [{"subject": "bumper plates", "predicate": "loaded on both ends of", "object": "barbell"}],
        "poses": [{"body_part": "arms", "pose": "locked straight overhead holding the bar"}],
        "phases": [
            {"text": "gripping the bar wide over the platform", "handles": ["barbell", "lifting chalk"],
             "motions": [{"body_part": "hands", "motion": "grip the bar wide"},
                         {"body_part": "back", "motion": "flatten and tighten"}]},
            {"text": "the bar rising past the hips", "handles": ["barbell"],
             "motions": [{"body_part": "torso", "motion": "extend and shrug then pull under"}]},
            {"text": "standing up with the bar locked overhead", "handles": ["barbell", "bumper plates"],
             "motions": [{"body_part": "legs", "motion": "straightening out of the squat"}]},
        ],
    }),
    "wrapping present": Decomposition.model_validate({
        "objects": [{"name": "wrapping paper", "predicate": "folds"}, {"name": "gift box", "predicate": "wraps"},
                    {"name": "tape", "predicate": "tears off"}, {"name": "ribbon", "predicate": "ties"}],
        "scenes": ["living room"],
        "object_relations": [{"subject": "ribbon", "predicate": "tied around", "object": "gift box"}],
        "phases": [
            {"text": "folding the paper over the box", "handles": ["wrapping paper", "gift box", "tape", "ribbon"],
             "motions": [{"body_part": "face", "motion": "frown and glare"},
                         {"body_part": "mouth", "motion": "spit and swish water"}]},
            {"text": "taping the seams", "handles": ["tape"]},
            {"text": "tying the ribbons into a bow", "handles": ["ribbon", "gift box"],
             "motions": [{"body_part": "fingers", "motion": "loop and knot the ribbon"}]},
        ],
    }),
    "finger snapping": Decomposition.model_validate({
        "scenes": ["stage"],
        "poses": [{"body_part": "hands", "pose": "raised in front of the chest"},
                  {"body_part": "fingers", "pose": "pressed against the thumb"}],
        "phases": [
            {"text": "pressing the middle finger against the thumb",
             "motions": [{"body_part": "hand", "motion": "tense, press and flick"}]},
            {"text": "sliding the finger down onto the palm",
             "motions": [{"body_part": "wrist", "motion": "hold steady then relax"}]},
            {"text": "the hand lowering to the side",
             "motions": [{"body_part": "arm", "motion": "dropping to the side"}]},
        ],
    }),
}


@pytest.mark.parametrize("name", sorted(HAND_MADE))
def test_hand_made_records_compile_to_clean_prompts(name: str) -> None:
    compiled = compile_prompts(HAND_MADE[name], TEMPLATES, action=name)
    prompts = compiled.label + compiled.spatial + compiled.temporal
    assert lint_prompts(prompts) == []
    assert all(name in prompt for prompt in prompts)


def test_hand_made_prompts_read_as_intended() -> None:
    snatch = compile_prompts(HAND_MADE["snatch"], TEMPLATES, action="snatch")
    assert snatch.spatial[:3] == ["snatch: the person lifts the barbell", "snatch: the person loads the bumper plates",
                                  "snatch: the person dusts the palms with the lifting chalk"]
    assert "snatch in the weightlifting gym" in snatch.spatial
    assert "snatch, where the bumper plates are loaded on both ends of the barbell" in snatch.spatial
    assert "snatch, with the arms locked straight overhead holding the bar" in snatch.spatial
    temporal = snatch.temporal
    assert ("snatch: while gripping the bar wide over the platform, the hands grip the bar wide and the back "
            "flattens and tightens") in temporal
    # not a gerund phrase: no "while"
    assert ("snatch: the bar rising past the hips, as the torso extends and shrugs then pulls under") in temporal
    assert "snatch: standing up with the bar locked overhead, with the bumper plates" in temporal
    assert "snatch: gripping the bar wide over the platform, with the lifting chalk" in temporal  # bar = barbell
    assert not any(p.endswith("with the barbell") for p in temporal)
    assert any("the legs are straightening out of the squat" in p for p in temporal)

    wrapping = compile_prompts(HAND_MADE["wrapping present"], TEMPLATES, action="wrapping present").temporal
    assert "wrapping present: folding the paper over the box, with the tape and the ribbon" in wrapping
    assert any("the face frowns and glares and the mouth spits and swishes water" in p for p in wrapping)
    assert not any(p.startswith("wrapping present: taping the seams, with") for p in wrapping)
    assert "wrapping present: tying the ribbons into a bow, with the gift box" in wrapping  # ribbons = ribbon

    snapping = compile_prompts(HAND_MADE["finger snapping"], TEMPLATES, action="finger snapping")
    assert snapping.spatial == ["finger snapping on the stage", "finger snapping, with the hands raised in front of "
                                "the chest", "finger snapping, with the fingers pressed against the thumb"]
    assert any("the hand tenses, presses and flicks" in p for p in snapping.temporal)
    assert any("the wrist holds steady then relaxes" in p for p in snapping.temporal)
    assert any(p.startswith("finger snapping: the hand lowering to the side, as the arm is dropping") for p in
               snapping.temporal)


def test_every_shipped_seed_compiles_to_lint_clean_prompts() -> None:
    seeds = load_seeds(default_seeds_dir())
    problems = []
    for seed in seeds.values():
        compiled = compile_prompts(seed.decomposition, TEMPLATES, action=normalise_name(seed.name))
        problems += [f"{seed.name}: {p}" for p in lint_prompts(compiled.label + compiled.spatial + compiled.temporal)]
    assert len(seeds) >= 700
    assert problems == []
