"""Seed ASKG entries (graph_seeds/SEED_FORMAT.md) for the synthetic classes, so `askg build` can run on them."""

from __future__ import annotations

from typing import Any

from model.synth.render import MOTIONS, Appearance

_PATHS: dict[str, tuple[str, str, str]] = {
    "moving right": ("the left edge", "across the middle to the right", "the right edge"),
    "moving left": ("the right edge", "across the middle to the left", "the left edge"),
    "moving down": ("the top edge", "down through the middle", "the bottom edge"),
    "moving up": ("the bottom edge", "up through the middle", "the top edge"),
}


def _phases(appearance: Appearance, motion: str) -> list[dict[str, Any]]:
    shape = appearance.name
    if MOTIONS[motion][0] == "scale":
        sizes = ("tiny", "medium", "large") if motion == "growing" else ("large", "medium", "tiny")
        verb = "expanding" if motion == "growing" else "contracting"
        return [
            {"text": f"showing a {sizes[0]} {shape} in the centre of the frame",
             "motions": {"whole body": f"stays {sizes[0]} and still"}, "handles": []},
            {"text": f"{verb} the {shape} to a {sizes[1]} size",
             "motions": {"whole body": f"{verb} evenly on all sides"}, "handles": []},
            {"text": f"ending with a {sizes[2]} {shape} in the centre",
             "motions": {"whole body": f"stops {verb} at a {sizes[2]} size"}, "handles": []},
        ]
    start, middle, end = _PATHS[motion]
    return [
        {"text": f"showing the {shape} at {start} of the frame",
         "motions": {"whole body": f"rests at {start}"}, "handles": []},
        {"text": f"sliding the {shape} {middle}",
         "motions": {"whole body": f"slides {middle} at a steady speed"}, "handles": []},
        {"text": f"bringing the {shape} to {end} of the frame",
         "motions": {"whole body": f"arrives at {end}"}, "handles": []},
    ]


def seed_entry(appearance: Appearance, motion: str) -> dict[str, Any]:
    """One seed in the seed format: objects map to what the performer (here the shape) does with them."""
    shape = appearance.name
    return {
        "objects": {shape: "appears as", "dark background": "moves in front of"},
        "scenes": ["plain dark canvas"],
        "relations": [[shape, "in front of", "dark background"]],
        "phases": _phases(appearance, motion),
    }
