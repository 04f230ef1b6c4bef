"""The knowledge benchmark's parts: name masking, the scores (with a bag-of-words embedder), and the
three sources read from the real reference files."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from benchmarks.bench_knowledge import (
    MASK,
    Dataset,
    load_dataset,
    mask_name,
    masked,
    official_compiled_prompts,
    official_xprompt_prompts,
    score,
    seed_prompts,
)
from tests.conftest import reference_file


@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        ("snatch weight lifting: the person lifts the barbell in the weightlifting gym", "snatch weight lifting",
         f"{MASK}: the person {MASK} the barbell in the {MASK} gym"),
        ("the swimmer swims in the pool", "swimming front crawl", f"the {MASK} in the pool"),
        ("a dancer dancing on stage", "dancing ballet", f"a {MASK} on stage"),
        ("the person rides the horses, riding", "ride_horse", f"the person {MASK} the {MASK}, {MASK}"),
        ("hits the ball, hitting it near the hitch", "hit", f"{MASK} the ball, {MASK} it near the hitch"),
        ("dribbles the basketball on the court", "Basketball", f"dribbles the {MASK} on the court"),
        ("hugging the baby", "hugging (not baby)", f"{MASK} the {MASK}"),
    ],
)
def test_mask_name_masks_every_word_inflection_and_compound(text: str, name: str, expected: str) -> None:
    assert mask_name(text, name) == expected


def bag_of_words(texts: list[str]) -> np.ndarray:
    vectors = np.zeros((len(texts), 256))
    for row, text in enumerate(texts):
        for word in text.lower().replace(",", " ").split():
            vectors[row, zlib.crc32(word.encode()) % 256] += 1.0
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


CLASSES = ["archery", "bowling", "surfing"]


def test_distinctive_prompts_score_full_marks() -> None:
    prompts = {"archery": ["archery target arrow", "archery arrow bow"],
               "bowling": ["bowling pins lane", "bowling lane ball"],
               "surfing": ["surfing wave board", "surfing board ocean"]}
    result = score(CLASSES, prompts, bag_of_words)
    assert (result.id1, result.id5, result.loo, result.covered) == (1.0, 1.0, 1.0, 3)
    assert result.prompts_per_class == 2.0


def test_shared_prompts_do_not_separate_and_missing_classes_score_zero() -> None:
    shared = {c: ["a person moves the arms", "a person stands"] for c in CLASSES}
    assert score(CLASSES, shared, bag_of_words).loo == 0.0
    partial = {"archery": ["archery target arrow", "archery arrow bow"]}
    result = score(CLASSES, partial, bag_of_words)
    assert result.covered == 1 and result.id1 == pytest.approx(1 / 3) and result.loo == pytest.approx(1 / 3)


def test_masking_removes_the_name_echo_from_the_score() -> None:
    echo = {c: [f"{c}, {c}", f"a video of {c}"] for c in CLASSES}
    assert score(CLASSES, echo, bag_of_words).id1 == 1.0
    masked_echo = masked({c: {"spatial": p, "temporal": []} for c, p in echo.items()}, "spatial")
    assert score(CLASSES, masked_echo, bag_of_words).loo == 0.0


def test_sources_cover_the_dataset_with_spatial_and_temporal_prompts() -> None:
    reference = reference_file("stdd_askg", "classes_ASKG_hmdb51.yml").parent
    dataset = load_dataset("hmdb51")
    assert len(dataset.classes) == 51
    for source in (seed_prompts(dataset), official_compiled_prompts(dataset, reference),
                   official_xprompt_prompts(dataset, reference)):
        assert set(source) == set(dataset.classes)  # fall_floor is "falling to the floor" officially
        assert all(source[c]["spatial"] for c in dataset.classes)
    xprompt = official_xprompt_prompts(Dataset("ucf101", ["Archery"]), reference)
    assert xprompt["Archery"]["spatial"][0].startswith("archery, ")
