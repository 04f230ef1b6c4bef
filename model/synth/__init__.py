"""Synthetic videos where classes differ by appearance or only by temporal order (time-reversed twins)."""

from model.synth.dataset import SynthSummary, write_seeds, write_synthetic_dataset
from model.synth.render import MOTIONS, Appearance, render_clip, reversed_twin
from model.synth.spec import SynthSpec, class_name
from model.synth.video_writer import write_mp4

__all__ = [
    "MOTIONS",
    "Appearance",
    "SynthSpec",
    "SynthSummary",
    "class_name",
    "render_clip",
    "reversed_twin",
    "write_mp4",
    "write_seeds",
    "write_synthetic_dataset",
]
