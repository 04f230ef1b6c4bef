"""Multi-scale temporal channel mixing of STCA's kept tokens.

With ``width = D // fold``, channels [0, width) are read from earlier frames and [width, 2*width) from later
frames; the rest stay. Scale s applies the shifts of distance 1..s in turn, each one overwriting the
previous on half as many channels (distance i on the first/last ``width >> (i-1)`` channels of the two
groups) and only where the source frame exists. Hence a frame near the clip edge keeps the shorter
shift instead of zeros, and only channels that no shift reaches are zero. Scale 0 means no mixing.
"""

from __future__ import annotations

import torch
from torch import Tensor

from model.shape_cache import shape_cache


def mixed_width(dim: int, fold: int) -> int:
    return 2 * (dim // fold)


@shape_cache
def _source_frames(num_frames: int, group: int, scale: int) -> Tensor:
    """(T, 2*group) source frame per mixed channel; ``num_frames`` stands for a zero frame."""
    table = torch.full((num_frames, 2 * group), num_frames, dtype=torch.long)
    for step in range(scale):
        distance, span = step + 1, group >> step
        if span == 0:
            break
        for frame in range(num_frames):
            if frame - distance >= 0:
                table[frame, :span] = frame - distance
            if frame + distance < num_frames:
                table[frame, 2 * group - span :] = frame + distance
    return table


def mix_head_channels(tokens: Tensor, fold: int, scale: int) -> Tensor:
    """Mixed values of the first ``2 * (D // fold)`` channels of (B, T, N, D) tokens."""
    width = mixed_width(tokens.shape[-1], fold)
    head = tokens[..., :width]
    if scale == 0 or width == 0:
        return head
    batch, frames, count, _ = tokens.shape
    padded = torch.cat([head, head.new_zeros(batch, 1, count, width)], dim=1)
    index = _source_frames(frames, width // 2, scale).to(tokens.device)
    index = index[None, :, None, :].expand(batch, frames, count, width)
    return torch.gather(padded, 1, index)


def mix_channels(tokens: Tensor, fold: int, scale: int) -> Tensor:
    """Channel-mixed copy of (B, T, N, D) tokens."""
    width = mixed_width(tokens.shape[-1], fold)
    return torch.cat([mix_head_channels(tokens, fold, scale), tokens[..., width:]], dim=-1)
