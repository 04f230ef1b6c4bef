"""top-k accuracy, pairwise accuracy and mean ± std against numbers worked out by hand."""

from __future__ import annotations

import math

import pytest
import torch

from model.evaluation.metrics import mean_std, pairwise_accuracy, topk_accuracy

# 4 clips x 3 classes. Class ranking per clip (best first) and where the true class lands:
#   clip 0, label 0: 0 > 1 > 2   rank 1
#   clip 1, label 1: 0 > 1 > 2   rank 2
#   clip 2, label 2: 0 > 1 > 2   rank 3
#   clip 3, label 1: 1 > 2 > 0   rank 1
SCORES = torch.tensor([
    [0.90, 0.06, 0.04],
    [0.40, 0.35, 0.25],
    [0.60, 0.30, 0.10],
    [0.10, 0.70, 0.20],
])
LABELS = torch.tensor([0, 1, 2, 1])


@pytest.mark.parametrize(("k", "expected"), [(1, 2 / 4), (2, 3 / 4), (3, 4 / 4), (5, 4 / 4)])
def test_topk_accuracy_counts_the_true_class_among_the_k_best(k: int, expected: float) -> None:
    assert topk_accuracy(SCORES, LABELS, k) == pytest.approx(expected)  # k=5 > 3 classes: clamped to 3


def test_topk_accuracy_is_not_fooled_by_the_label_order() -> None:
    shuffled = torch.tensor([2, 0, 3, 1])
    assert topk_accuracy(SCORES[shuffled], LABELS[shuffled], 1) == pytest.approx(0.5)
    # other labels, same scores: top-1 predictions are 0, 0, 0, 1, so only clip 0 is right
    assert topk_accuracy(SCORES, torch.tensor([0, 2, 1, 0]), 1) == pytest.approx(1 / 4)


def test_topk_accuracy_of_no_clips_is_nan() -> None:
    assert math.isnan(topk_accuracy(torch.zeros(0, 3), torch.zeros(0, dtype=torch.long), 1))


def test_pairwise_accuracy_compares_each_clip_with_its_twin_class_only() -> None:
    # classes 0 and 1 are time-reversed twins, class 2 has none (its clip is ignored):
    #   clip 0 (label 0): 0.90 > 0.06 right;  clip 1 (label 1): 0.35 < 0.40 wrong;  clip 3 (label 1): 0.70 > 0.10 right
    assert pairwise_accuracy(SCORES, LABELS, [1, 0, None]) == pytest.approx(2 / 3)
    # scored against class 2 as the twin instead: clip 0 0.90 > 0.04, clip 1 0.35 > 0.25, clip 3 0.70 > 0.20
    assert pairwise_accuracy(SCORES, LABELS, [2, 2, None]) == pytest.approx(3 / 3)


def test_pairwise_accuracy_counts_a_tie_as_wrong_and_no_twins_as_nan() -> None:
    tied = torch.tensor([[0.5, 0.5], [0.2, 0.8]])
    assert pairwise_accuracy(tied, torch.tensor([0, 1]), [1, 0]) == pytest.approx(1 / 2)
    assert math.isnan(pairwise_accuracy(SCORES, LABELS, [None, None, None]))


def test_mean_std_is_the_population_standard_deviation() -> None:
    mean, std = mean_std([0.5, 0.75, 1.0])
    assert mean == pytest.approx(0.75)
    # deviations -0.25, 0, 0.25: variance (0.0625 + 0 + 0.0625) / 3 (not / 2, the sample variance)
    assert std == pytest.approx(math.sqrt(0.125 / 3))
    assert mean_std([0.2, 0.4]) == pytest.approx((0.3, 0.1))


def test_mean_std_of_one_split_has_no_spread() -> None:
    assert mean_std([0.62]) == (pytest.approx(0.62), 0.0)
