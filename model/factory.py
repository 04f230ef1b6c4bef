"""``create_stdd``: the one front door to an STDD video model built from any open_clip ViT."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import open_clip
import torch

from model.compute_config import ComputeConfig
from model.pretrained_loading import load_local_weights, looks_like_local_file
from model.stca_config import StcaConfig
from model.video_clip import StddVideoClip

MODEL_CONFIG_DIR = Path(__file__).parent / "configs"
_registered = False


def register_model_configs() -> None:
    """Make the JSON configs shipped in ``model/configs`` (e.g. ``ViT-Tiny-Test``) known to open_clip."""
    global _registered
    if not _registered:
        open_clip.add_model_config(MODEL_CONFIG_DIR)
        _registered = True


@dataclass(frozen=True)
class FrameTransforms:
    """Per-frame image transforms (PIL image -> (3, H, W) tensor) from open_clip."""

    train: Callable[[Any], torch.Tensor]
    eval: Callable[[Any], torch.Tensor]


class _RandomInitWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("No pretrained weights loaded for model")


@contextmanager
def without_random_init_warning() -> Iterator[None]:
    """open_clip warns "No pretrained weights loaded ... initialized randomly" whenever no tag is given; here
    that is either asked for (`pretrained: null`) or the weights come next (a local file, a trained
    checkpoint), so the warning would only mislead and add a line before any one-line error."""
    root = logging.getLogger()
    quiet = _RandomInitWarning()
    root.addFilter(quiet)
    try:
        yield
    finally:
        root.removeFilter(quiet)


def create_stdd(
    model_name: str = "ViT-B-16",
    pretrained: str | Path | None = None,
    num_frames: int = 8,
    stca: StcaConfig | None = None,
    device: str | torch.device = "cpu",
    keep_teacher: bool = True,
    compute: ComputeConfig | None = None,
) -> tuple[StddVideoClip, FrameTransforms]:
    """Build an open_clip model, load ``pretrained`` (open_clip tag or local file), install STCA blocks.

    ``keep_teacher`` keeps a frozen copy of the initial visual tower for the distillation loss;
    ``compute`` chooses bf16 autocast and gradient checkpointing.
    """
    register_model_configs()
    local_file = pretrained is not None and looks_like_local_file(pretrained)
    tag = None if pretrained is None or local_file else str(pretrained)
    with without_random_init_warning():
        clip, train_transform, eval_transform = open_clip.create_model_and_transforms(model_name, pretrained=tag)
    if local_file:
        assert pretrained is not None
        load_local_weights(clip, Path(pretrained))
    model = StddVideoClip(
        clip,
        tokenizer=open_clip.get_tokenizer(model_name),
        stca=stca or StcaConfig(),
        num_frames=num_frames,
        weights_source=f"{model_name}|{pretrained}",
        keep_teacher=keep_teacher,
        compute=compute,
    )
    model.to(device)
    return model, FrameTransforms(train=train_transform, eval=eval_transform)
