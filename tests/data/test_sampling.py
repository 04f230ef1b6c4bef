from __future__ import annotations

import itertools

import numpy as np
import pytest

from model.data.sampling import dense_indices, sample_indices, segment_indices


def test_test_segments_take_centres() -> None:
    assert segment_indices(16, 8) == [1, 3, 5, 7, 9, 11, 13, 15]
    assert segment_indices(80, 4) == [10, 30, 50, 70]


def test_train_segments_stay_inside_their_segment_and_vary() -> None:
    rng = np.random.default_rng(0)
    draws = [segment_indices(100, 8, rng) for _ in range(50)]
    for draw in draws:
        for segment, index in enumerate(draw):
            assert int(segment * 12.5) <= index < (segment + 1) * 12.5
    assert len({tuple(draw) for draw in draws}) > 40


def test_multi_view_segments_are_distinct_and_ordered() -> None:
    views = [segment_indices(64, 8, view=v, views=4) for v in range(4)]
    assert views[0] == [1, 9, 17, 25, 33, 41, 49, 57]
    assert len({tuple(v) for v in views}) == 4
    for left, right in itertools.pairwise(views):
        assert all(a < b for a, b in zip(left, right, strict=True))


def test_short_videos_repeat_frames_instead_of_failing() -> None:
    assert segment_indices(3, 8) == [0, 0, 0, 1, 1, 2, 2, 2]
    assert dense_indices(10, 8, 4) == [0, 4, 8, 9, 9, 9, 9, 9]


def test_dense_sampling_stride_and_views() -> None:
    assert dense_indices(200, 8, 16) == [43 + 16 * i for i in range(8)]  # centred: (200 - 113) // 2
    rng = np.random.default_rng(1)
    for _ in range(20):
        draw = dense_indices(200, 8, 16, rng)
        assert np.all(np.diff(draw) == 16) and 0 <= draw[0] <= 200 - 113
    starts = [dense_indices(200, 8, 16, view=v, views=3)[0] for v in range(3)]
    assert starts == sorted(starts) and len(set(starts)) == 3


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError):
        segment_indices(0, 8)
    with pytest.raises(ValueError):
        sample_indices("dense", 10, 8, rate=0)
