"""Render small synthetic clips: a coloured shape on a plain background doing one motion.

Every motion has a time-reversed twin (left <-> right, up <-> down, grow <-> shrink): the twin's clip is
literally the same rendering played backwards, so the two classes differ only in temporal order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (230, 40, 40),
    "green": (40, 210, 60),
    "blue": (50, 90, 240),
    "yellow": (235, 225, 40),
}
SHAPES = ("square", "circle", "triangle")

# motion -> (base motion rendered forwards, played backwards?)
MOTIONS: dict[str, tuple[str, bool]] = {
    "moving right": ("horizontal", False),
    "moving left": ("horizontal", True),
    "moving down": ("vertical", False),
    "moving up": ("vertical", True),
    "growing": ("scale", False),
    "shrinking": ("scale", True),
}


def reversed_twin(motion: str) -> str:
    base, backwards = MOTIONS[motion]
    return next(name for name, (other, rev) in MOTIONS.items() if other == base and rev != backwards)


@dataclass(frozen=True)
class Appearance:
    colour: str
    shape: str

    @property
    def name(self) -> str:
        return f"{self.colour} {self.shape}"


def _shape_mask(shape: str, size: int, cx: float, cy: float, radius: float) -> np.ndarray:
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    dx, dy = xs - cx, ys - cy
    if shape == "square":
        return (np.abs(dx) <= radius) & (np.abs(dy) <= radius)
    if shape == "circle":
        return dx * dx + dy * dy <= radius * radius
    if shape == "triangle":  # apex up; width grows linearly from the apex to the base
        inside_y = (dy >= -radius) & (dy <= radius)
        return inside_y & (np.abs(dx) <= (dy + radius) / 2)
    raise ValueError(f"unknown shape {shape!r}")


def _trajectory(base: str, frames: int, size: int, rng: np.random.Generator) -> list[tuple[float, float, float]]:
    """(cx, cy, radius) per frame of the forward version of ``base``."""
    steps = np.linspace(0.0, 1.0, frames)
    if base == "scale":
        cx, cy = rng.uniform(0.4, 0.6, size=2) * size
        small, large = rng.uniform(0.07, 0.11) * size, rng.uniform(0.3, 0.38) * size
        return [(cx, cy, small + (large - small) * s) for s in steps]
    radius = rng.uniform(0.12, 0.17) * size
    start, end = radius + rng.uniform(0.0, 0.08) * size, size - radius - rng.uniform(0.0, 0.08) * size
    across = rng.uniform(0.3, 0.7) * size
    along = [start + (end - start) * s for s in steps]
    if base == "horizontal":
        return [(x, across, radius) for x in along]
    return [(across, y, radius) for y in along]


@dataclass(frozen=True)
class ShapePlacement:
    """Where the shape is in one frame, in pixels: centre (cx, cy) and radius."""

    cx: float
    cy: float
    radius: float


def render_clip_with_placements(
    appearance: Appearance, motion: str, frames: int, size: int, rng: np.random.Generator
) -> tuple[np.ndarray, list[ShapePlacement]]:
    """(frames, size, size, 3) uint8 RGB and the shape's placement in each frame, both in playing order."""
    base, backwards = MOTIONS[motion]
    background = rng.integers(15, 70, size=3).astype(np.float32)
    texture = rng.normal(0.0, 6.0, size=(size, size, 3)).astype(np.float32)
    colour = np.array(COLOURS[appearance.colour], dtype=np.float32) * rng.uniform(0.85, 1.0)
    video = np.empty((frames, size, size, 3), dtype=np.uint8)
    placements = [ShapePlacement(cx, cy, radius) for cx, cy, radius in _trajectory(base, frames, size, rng)]
    for index, placement in enumerate(placements):
        frame = background + texture
        frame[_shape_mask(appearance.shape, size, placement.cx, placement.cy, placement.radius)] = colour
        video[index] = np.clip(frame, 0, 255).astype(np.uint8)
    if backwards:
        return video[::-1].copy(), placements[::-1]
    return video, placements


def render_clip(
    appearance: Appearance, motion: str, frames: int, size: int, rng: np.random.Generator
) -> np.ndarray:
    """(frames, size, size, 3) uint8 RGB."""
    return render_clip_with_placements(appearance, motion, frames, size, rng)[0]
