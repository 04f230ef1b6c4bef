"""A trained STDD model and its classes' text features, as evaluation, prediction, explanation and reports use them.

Training builds its model with the same ``build_model``; nothing here imports the training loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor

from model.data.splits import class_key
from model.factory import create_stdd
from model.prompts_file import PromptKind, PromptsFileError
from model.text_features import DEFAULT_CACHE_DIR, ClassTextFeatures, prompt_text_features
from model.video_clip import StddVideoClip

if TYPE_CHECKING:
    from model.training.config import ModelSection


def build_model(
    section: ModelSection, num_frames: int, keep_teacher: bool, device: str | torch.device = "cpu"
) -> StddVideoClip:
    """The STDD model a config's ``model`` section describes, text tower frozen."""
    model, _ = create_stdd(
        section.name, pretrained=section.pretrained, num_frames=num_frames, stca=section.stca,
        device=device, keep_teacher=keep_teacher, compute=section.compute,
    )
    freeze_text_tower(model)
    return model


def freeze_text_tower(model: StddVideoClip) -> None:
    """The text features are the class weights and stay those of the frozen text tower."""
    for name, parameter in model.clip.named_parameters():
        if not name.startswith("visual.") and name != "logit_scale":
            parameter.requires_grad_(False)


def load_trained_model(checkpoint: Path, device: str | torch.device = "cpu") -> tuple[StddVideoClip, dict[str, Any]]:
    """Rebuild the model recorded in a `stdd train` checkpoint (final ``model.pt`` or ``checkpoint.pt``)."""
    from pydantic import ValidationError

    # Imported here: the checkpoint format and config schema live with training, whose package imports this module.
    from model.training.checkpoint import CheckpointError, load_checkpoint
    from model.training.config import ModelSection

    state = load_checkpoint(checkpoint)
    if not isinstance(state.get("config"), dict) or not isinstance(state.get("model"), dict):
        raise CheckpointError(
            f"{checkpoint}: not a `stdd train` checkpoint (no config/model entries; a plain state dict?)"
        )
    config = state["config"]
    try:
        section = ModelSection.model_validate(config["model"])
        num_frames = int(config["data"]["clip"]["num_frames"])
    except (KeyError, TypeError, ValueError, ValidationError) as error:
        raise CheckpointError(f"{checkpoint}: its recorded config is incomplete or invalid ({error!s:.200})") from None
    try:
        model = build_model(section, num_frames, keep_teacher=False, device=device)
    except (RuntimeError, ValueError) as error:
        raise CheckpointError(f"{checkpoint}: cannot build the model it records ({error!s:.200})") from None
    try:
        model.load_state_dict(state["model"])
    except (RuntimeError, KeyError, TypeError) as error:
        detail = " ".join(str(error).split())
        raise CheckpointError(
            f"{checkpoint}: its weights do not fit the model its config describes ({detail:.240})"
        ) from None
    model.eval()
    return model, state


def select_classes(features: ClassTextFeatures, class_names: Sequence[str]) -> tuple[Tensor, Tensor]:
    """(K, N, D) features and (K, N) mask of ``class_names``, matched spelling-insensitively to the prompts."""
    by_key = {class_key(name): index for index, name in enumerate(features.class_names)}
    missing = [name for name in class_names if class_key(name) not in by_key]
    if missing:
        raise PromptsFileError(f"{len(missing)} classes have no prompts, e.g. {missing[:5]}")
    rows = torch.tensor([by_key[class_key(name)] for name in class_names], device=features.features.device)
    return features.features[rows], features.mask[rows]


def class_text_features(
    model: StddVideoClip, prompts: Path, kinds: Sequence[PromptKind], class_names: Sequence[str], cache: bool = False
) -> tuple[Tensor, Tensor]:
    """``cache``: keep the features on disk (worth it for pretrained towers; random tiny ones are fast)."""
    features = prompt_text_features(model, prompts, tuple(kinds), cache_dir=DEFAULT_CACHE_DIR if cache else None)
    return select_classes(features, class_names)
