from __future__ import annotations

import pytest

from askg.prompts.compiler import load_templates
from askg.prompts.grammar import (
    is_plural,
    motion_clause,
    plural_agreement,
    relation_phrase,
    scene_preposition,
    third_person,
)

EXC = load_templates().singular_words_ending_in_s


@pytest.mark.parametrize(("verb", "expected"), [("bend", "bends"), ("reach", "reaches"), ("carry", "carries"),
                                                ("stay", "stays"), ("go", "goes"), ("press", "presses")])
def test_third_person(verb: str, expected: str) -> None:
    assert third_person(verb) == expected


@pytest.mark.parametrize(("verb", "expected"), [("holds", "hold"), ("catches", "catch"), ("carries", "carry"),
                                                ("is", "are"), ("press", "press")])
def test_plural_agreement(verb: str, expected: str) -> None:
    assert plural_agreement(verb) == expected


@pytest.mark.parametrize(("noun", "plural"), [("weight plates", True), ("glass", False), ("harness", False),
                                              ("feet", True), ("rope", False), ("gymnastics", False)])
def test_is_plural(noun: str, plural: bool) -> None:
    assert is_plural(noun, EXC) is plural


@pytest.mark.parametrize(
    ("subject", "predicate", "obj", "expected"),
    [
        ("rope", "attached to", "harness", "is attached to the harness"),
        ("weight plates", "loaded on", "barbell", "are loaded on the barbell"),
        ("carabiner", "connects rope to", "harness", "connects rope to the harness"),
        ("gloves", "protects", "hands", "protect the hands"),
        ("bow", "held in", "the hand", "is held in the hand"),
        ("cup", "on", "table", "is on the table"),
        ("players", "are on", "court", "are on the court"),
        ("barbell", "resting on", "lifting platform", "is resting on the lifting platform"),
        ("strings", "string", "guitar", "string the guitar"),
    ],
)
def test_relation_phrase(subject: str, predicate: str, obj: str, expected: str) -> None:
    assert relation_phrase(subject, predicate, obj, EXC) == expected


@pytest.mark.parametrize(
    ("part", "motion", "expected"),
    [
        ("hands", "grip the bar", "the hands grip the bar"),
        ("head", "tilt back", "the head tilts back"),
        ("whole body", "rotate in the air", "the whole body rotates in the air"),
        ("hands", "pulling the rope downward", "with the hands pulling the rope downward"),
        ("head", "nods", "the head nods"),
        ("legs", "swing back in a kick", "the legs swing back in a kick"),
        ("arms", "bring the bar down", "the arms bring the bar down"),
    ],
)
def test_motion_clause(part: str, motion: str, expected: str) -> None:
    assert motion_clause(part, motion, EXC) == expected


def test_scene_prepositions() -> None:
    prepositions = load_templates().scene_prepositions
    assert scene_preposition("beach", prepositions) == "on"
    assert scene_preposition("tennis court", prepositions) == "on"
    assert scene_preposition("kitchen", prepositions) == "in"
    assert scene_preposition("office desk", prepositions) == "at"
