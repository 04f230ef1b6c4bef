"""Torch-only clip transforms: uint8 (T, H, W, 3) -> normalised float (T, 3, H, W).

Training: random short-side scale in [min, max], random crop, optional horizontal flip. Testing: short side
to ``test_scale``, then one centre crop or three crops along the long side (multi-view).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


def to_float_clip(frames: np.ndarray | Tensor) -> Tensor:
    tensor = torch.as_tensor(frames)
    return tensor.permute(0, 3, 1, 2).float().div_(255.0)


def resize_short_side(clip: Tensor, short: int) -> Tensor:
    height, width = clip.shape[-2:]
    if min(height, width) == short:
        return clip
    scale = short / min(height, width)
    size = (max(short, round(height * scale)), max(short, round(width * scale)))
    return F.interpolate(clip, size=size, mode="bilinear", align_corners=False, antialias=True)


def crop(clip: Tensor, top: int, left: int, size: int) -> Tensor:
    return clip[..., top : top + size, left : left + size]


def normalise(clip: Tensor) -> Tensor:
    mean = torch.tensor(CLIP_MEAN, dtype=clip.dtype).view(1, 3, 1, 1)
    std = torch.tensor(CLIP_STD, dtype=clip.dtype).view(1, 3, 1, 1)
    return (clip - mean) / std


def train_transform(
    frames: np.ndarray, scale_range: tuple[int, int], crop_size: int, flip: bool, rng: np.random.Generator
) -> Tensor:
    clip = resize_short_side(to_float_clip(frames), int(rng.integers(scale_range[0], scale_range[1] + 1)))
    height, width = clip.shape[-2:]
    clip = crop(clip, int(rng.integers(0, height - crop_size + 1)), int(rng.integers(0, width - crop_size + 1)),
                crop_size)
    if flip and rng.random() < 0.5:
        clip = clip.flip(-1)
    return normalise(clip)


def test_transforms(frames: np.ndarray, test_scale: int, crop_size: int, spatial_views: int) -> list[Tensor]:
    """``spatial_views`` crops (1: centre; 3: start, centre, end of the long side)."""
    clip = resize_short_side(to_float_clip(frames), test_scale)
    height, width = clip.shape[-2:]
    anchors = [0.5] if spatial_views == 1 else [i / (spatial_views - 1) for i in range(spatial_views)]
    views = []
    for anchor in anchors:
        if width >= height:
            top, left = (height - crop_size) // 2, round((width - crop_size) * anchor)
        else:
            top, left = round((height - crop_size) * anchor), (width - crop_size) // 2
        views.append(normalise(crop(clip, top, left, crop_size)))
    return views
