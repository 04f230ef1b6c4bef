"""Frame index sampling: segment-based (TSN style) or dense (fixed stride), for training and testing.

Training draws one random position per segment (or a random clip start); testing takes centres, and
multi-view testing shifts the positions evenly so that ``views`` different index sets cover the video.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

SamplingMode = Literal["segment", "dense"]


def segment_indices(
    total: int, segments: int, rng: np.random.Generator | None = None, view: int = 0, views: int = 1
) -> list[int]:
    """One index per equal segment of ``range(total)``: random (rng given) or at (view+½)/views inside it."""
    if total <= 0 or segments <= 0:
        raise ValueError(f"need total > 0 and segments > 0, got {total}, {segments}")
    edges = np.linspace(0.0, total, segments + 1)
    starts, lengths = edges[:-1], np.diff(edges)
    positions = starts + rng.random(segments) * lengths if rng is not None else starts + (view + 0.5) / views * lengths
    return [min(int(p), total - 1) for p in positions]


def dense_indices(
    total: int, frames: int, rate: int, rng: np.random.Generator | None = None, view: int = 0, views: int = 1
) -> list[int]:
    """``frames`` indices ``rate`` apart from a random start (rng) or evenly spread starts; clamped at the end."""
    if total <= 0 or frames <= 0 or rate <= 0:
        raise ValueError(f"need total, frames and rate > 0, got {total}, {frames}, {rate}")
    span = (frames - 1) * rate + 1
    room = max(total - span, 0)
    if rng is not None:
        start = int(rng.integers(0, room + 1))
    else:
        start = round(room * (view + 0.5) / views) if views > 1 else room // 2
    return [min(start + i * rate, total - 1) for i in range(frames)]


def sample_indices(
    mode: SamplingMode,
    total: int,
    frames: int,
    rate: int = 1,
    rng: np.random.Generator | None = None,
    view: int = 0,
    views: int = 1,
) -> list[int]:
    if mode == "segment":
        return segment_indices(total, frames, rng, view, views)
    return dense_indices(total, frames, rate, rng, view, views)
