"""Pieces shared by training, evaluation and prediction: the model from a config, class text features."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
from torch import Tensor

from model.data.splits import SplitFileError, class_key, read_class_map
from model.factory import create_stdd
from model.prompts_file import PromptKind, PromptsFileError
from model.text_features import DEFAULT_CACHE_DIR, ClassTextFeatures, prompt_text_features
from model.training.config import ModelSection
from model.video_clip import StddVideoClip


def build_model(
    section: ModelSection, num_frames: int, keep_teacher: bool, device: str | torch.device = "cpu"
) -> StddVideoClip:
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


def resolve_class_map(split_file: Path, explicit: Path | None) -> Path:
    """Explicit, else ``<stem>-index2cls.json`` next to the CSV, else ``classes-index2cls.json`` there or above."""
    if explicit is not None:
        return explicit
    candidates = [
        split_file.with_name(f"{split_file.stem}-index2cls.json"),
        split_file.with_name("classes-index2cls.json"),
        split_file.parent.parent / "classes-index2cls.json",
    ]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise SplitFileError(
        f"no class map for {split_file}: give one (classes: ...) or put {candidates[0].name} next to it"
    )


def class_names_for(split_file: Path, explicit: Path | None) -> list[str]:
    return read_class_map(resolve_class_map(split_file, explicit))
