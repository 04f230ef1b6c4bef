"""Text features of a prompts file, from the frozen text tower, cached on disk.

The cache key combines the prompts file's SHA-256, the model's ``weights_source`` ("ViT-B-16|openai"), a
fingerprint of the text tower weights and the prompt kinds, so a changed file or model never reuses stale features.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from model.atomic_files import atomic_torch_save
from model.prompts_file import ALL_PROMPT_KINDS, PromptKind, file_sha256, load_prompts_file
from model.video_clip import StddVideoClip

DEFAULT_CACHE_DIR = Path(os.environ.get("STDD_CACHE_DIR", Path.home() / ".cache" / "stdd" / "text_features"))


@dataclass(frozen=True)
class ClassTextFeatures:
    """features (K, N_max, D), L2-normalised; mask (K, N_max), True where a prompt exists."""

    features: Tensor
    mask: Tensor
    class_names: list[str]


def text_tower_fingerprint(model: StddVideoClip) -> str:
    digest = hashlib.sha256(model.weights_source.encode())
    for name, tensor in sorted(model.clip.state_dict().items()):
        if name.startswith("visual."):
            continue
        digest.update(name.encode())
        digest.update(tensor.detach().to("cpu", torch.float32).contiguous().numpy().tobytes())
    return digest.hexdigest()


def pad_class_features(per_class: Sequence[Tensor]) -> tuple[Tensor, Tensor]:
    """Stack (N_k, D) tensors into (K, N_max, D) with zero padding and a (K, N_max) validity mask."""
    longest = max(item.shape[0] for item in per_class)
    features = per_class[0].new_zeros(len(per_class), longest, per_class[0].shape[-1])
    mask = torch.zeros(len(per_class), longest, dtype=torch.bool, device=features.device)
    for index, item in enumerate(per_class):
        features[index, : item.shape[0]] = item
        mask[index, : item.shape[0]] = True
    return features, mask


@torch.no_grad()
def encode_class_prompts(
    model: StddVideoClip, prompts: Sequence[Sequence[str]], batch_size: int = 256
) -> tuple[Tensor, Tensor]:
    flat = [text for texts in prompts for text in texts]
    was_training = model.clip.training
    model.clip.eval()
    try:
        chunks = [
            model.encode_text(flat[i : i + batch_size], normalize=True)
            for i in range(0, len(flat), batch_size)
        ]
    finally:
        model.clip.train(was_training)
    encoded = torch.cat(chunks).float()
    return pad_class_features(list(encoded.split([len(texts) for texts in prompts])))


def prompt_text_features(
    model: StddVideoClip,
    prompts_path: str | Path,
    kinds: Sequence[PromptKind] = ALL_PROMPT_KINDS,
    cache_dir: str | Path | None = DEFAULT_CACHE_DIR,
) -> ClassTextFeatures:
    """Text features of every class's prompts; ``cache_dir=None`` disables the on-disk cache."""
    prompts_path = Path(prompts_path)
    prompts_file = load_prompts_file(prompts_path)
    device = model.device
    cache_path = None
    if cache_dir is not None:
        key = hashlib.sha256(
            "|".join([file_sha256(prompts_path), text_tower_fingerprint(model), ",".join(kinds)]).encode()
        ).hexdigest()
        cache_path = Path(cache_dir) / f"{key[:32]}.pt"
        if cache_path.is_file():
            cached = torch.load(cache_path, map_location=device, weights_only=True)
            return ClassTextFeatures(cached["features"], cached["mask"], list(cached["class_names"]))
    features, mask = encode_class_prompts(model, prompts_file.prompts_per_class(kinds))
    result = ClassTextFeatures(features, mask, prompts_file.class_names)
    if cache_path is not None:
        atomic_torch_save(
            {"features": features.cpu(), "mask": mask.cpu(), "class_names": result.class_names}, cache_path
        )
    return result
