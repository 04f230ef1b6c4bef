"""One caption per synthetic frame, naming the shape and where it is (or how big), in the words the seeds use.

These are the image-text pairs that ``stdd synth-clip`` pretrains a tiny CLIP on, so that the demo, like STDD on
a real CLIP, starts from a text tower that knows what "the left edge" or "a tiny square" looks like.
"""

from __future__ import annotations

from model.synth.render import COLOURS, MOTIONS, SHAPES, Appearance, ShapePlacement

EDGE_SHARE = 0.38  # a centre within 38% of the frame side from an edge is "at" that edge
TINY_RADIUS, LARGE_RADIUS = 0.16, 0.26  # radius as a share of the frame side


def _where(axis_share: float, low_edge: str, high_edge: str) -> str:
    if axis_share < EDGE_SHARE:
        return f"at the {low_edge} edge of the frame"
    if axis_share > 1.0 - EDGE_SHARE:
        return f"at the {high_edge} edge of the frame"
    return "in the middle of the frame"


def frame_caption(appearance: Appearance, motion: str, placement: ShapePlacement, size: int) -> str:
    base, _ = MOTIONS[motion]
    if base == "scale":
        share = placement.radius / size
        word = "tiny" if share < TINY_RADIUS else "large" if share > LARGE_RADIUS else "medium"
        return f"a {word} {appearance.name} in the centre of the frame"
    if base == "horizontal":
        return f"a {appearance.name} {_where(placement.cx / size, 'left', 'right')}"
    return f"a {appearance.name} {_where(placement.cy / size, 'top', 'bottom')}"


def partial_captions(caption: str) -> list[str]:
    """The caption with only the colour ("a red shape at ...") and with only the shape ("a square at ..."):
    also true of the frame. Pretraining counts them as right answers too, so the text tower learns "the left
    edge" apart from the shape it was seen with, which an unseen combination of shape and path needs."""
    for colour in COLOURS:
        for shape in SHAPES:
            if f" {colour} {shape} " in caption:
                return [caption.replace(f" {colour} {shape} ", f" {colour} shape "),
                        caption.replace(f" {colour} {shape} ", f" {shape} ")]
    raise ValueError(f"caption names no known colour and shape: {caption!r}")


def caption_in_context(caption: str, class_name: str) -> str:
    """The caption said of a frame of a ``class_name`` video ("red square moving right: a red square at the left
    edge of the frame"), as a video's frames are captioned on the web. Frames at one place in videos of opposite
    directions share the caption but not the context, so pretraining learns that a class name such as "moving
    right" says nothing about where one frame shows the shape, and a prompt's place words decide that."""
    return f"{class_name}: {caption}"
