from __future__ import annotations

import pytest

from askg.prompts.compiler import load_templates
from askg.prompts.grammar import (
    article_list,
    base_form,
    conjugate,
    is_gerund,
    is_gerund_phrase,
    is_plural,
    motion_clause,
    names_object,
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
        ("hands", "pulling the rope downward", "the hands are pulling the rope downward"),
        ("head", "turning to the left", "the head is turning to the left"),
        ("face", "frown and glare", "the face frowns and glares"),
        ("mouth", "spit and swish water", "the mouth spits and swishes water"),
        ("mouth", "spit and swish water", "the mouth spits and swishes water"),
        ("arms", "frown and glare", "the arms frown and glare"),
        ("torso", "hold steady then release the bar", "the torso holds steady then releases the bar"),
        ("body", "step on the beat, pause, step", "the body steps on the beat, pauses, steps"),
        ("head", "lift and lower", "the head lifts and lowers"),
        ("head", "pump up and down", "the head pumps up and down"),
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


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("frown and glare", "frowns and glares"),
        ("grip the apple and the peeler", "grips the apple and the peeler"),
        ("hold the fork and knife", "holds the fork and knife"),
        ("hold fork and knife", "holds fork and knife"),
        ("cover and uncover the holes", "covers and uncovers the holes"),
        ("tilt the pan and spoon the butter", "tilts the pan and spoons the butter"),
        ("lie flat and bare", "lies flat and bare"),
        ("shake back and forth", "shakes back and forth"),
        ("bend, twist and pull", "bends, twists and pulls"),
        ("swing up and then drop", "swings up and then drops"),
        ("nods", "nods"),
        ("carry and reach", "carries and reaches"),
    ],
)
def test_conjugate_conjugates_every_coordinated_verb_and_no_noun(phrase: str, expected: str) -> None:
    assert conjugate(phrase) == expected


@pytest.mark.parametrize(("word", "expected"), [("glares", "glare"), ("carries", "carry"), ("reaches", "reach"),
                                                ("swishes", "swish"), ("plates", None), ("glare", None)])
def test_base_form(word: str, expected: str | None) -> None:
    assert base_form(word) == expected


@pytest.mark.parametrize(("word", "expected"), [("pulling", True), ("going", True), ("swing", False),
                                                ("string", False), ("something", False), ("lifting,", True)])
def test_is_gerund(word: str, expected: bool) -> None:
    assert is_gerund(word) is expected


@pytest.mark.parametrize(("text", "expected"), [("gripping the bar", True), ("slowly lowering the bar", True),
                                                ("the ball arcing through the air", False),
                                                ("swing the bat", False), ("", False)])
def test_is_gerund_phrase(text: str, expected: bool) -> None:
    assert is_gerund_phrase(text) is expected


def test_article_list_puts_an_article_on_every_item() -> None:
    assert article_list(["wrapping paper", "the gift box", "tape"]) == "the wrapping paper, the gift box and the tape"
    assert article_list(["rope"]) == "the rope"
    assert article_list([]) == ""


@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        ("lifting the bar overhead", "barbell", True),
        ("loading a plate on each side", "weight plates", True),
        ("tying the ribbon", "ribbons", True),
        ("clipping into the harness", "climbing harness", True),
        ("pulling the rope through the device", "belay device", True),
        ("folding the paper", "tape", False),
        ("walking to the car", "carabiner", False),
        ("swinging the bat", "baseball", False),
    ],
)
def test_names_object_by_name_head_noun_or_compound_head(text: str, name: str, expected: bool) -> None:
    assert names_object(text, name) is expected
