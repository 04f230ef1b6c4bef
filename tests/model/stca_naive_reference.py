"""A deliberately naive, loop-based STCA block (the paper's steps spelled out on an open_clip block), a
cross-check for every formulation."""

from __future__ import annotations

import math

import torch
from open_clip.transformer import ResidualAttentionBlock
from torch import Tensor


def _attention_residual(block: ResidualAttentionBlock, tokens: Tensor) -> Tensor:
    return block.ls_1(block.attention(block.ln_1(tokens[None])))[0]


def _kept_positions(frame: int, offset: int, grid: int, num_masked: int) -> list[int]:
    rotation = (frame + offset) % 4
    base = [True] * num_masked + [False] * (4 - num_masked)
    masked = [base[(slot - rotation) % 4] for slot in range(4)]
    positions = []
    for window_row in range(grid // 2):
        for window_col in range(grid // 2):
            for slot in range(4):
                if not masked[slot]:
                    positions.append((2 * window_row + slot // 2) * grid + 2 * window_col + slot % 2)
    return positions


def _mix(kept: Tensor, fold: int, scale: int) -> Tensor:
    frames, _, dim = kept.shape
    group = dim // fold
    mixed = kept.clone()
    if scale == 0:
        return mixed
    mixed[:, :, : 2 * group] = 0
    for frame in range(frames):
        for channel in range(2 * group):
            source = None
            for step in range(scale):
                span = group >> step
                if channel < group and channel < span and frame - step - 1 >= 0:
                    source = frame - step - 1
                if channel >= group and channel >= 2 * group - span and frame + step + 1 < frames:
                    source = frame + step + 1
            if source is not None:
                mixed[frame, :, channel] = kept[source, :, channel]
    return mixed


@torch.no_grad()
def naive_stca_block(
    block: ResidualAttentionBlock,
    x: Tensor,
    frames: int,
    mask_rate: float,
    fold: int,
    scales: tuple[int, ...],
    mlp_input: str,
    offset: int = 0,
) -> Tensor:
    """x: (B*T, 1 + P*P, D), batch-first."""
    total, length, _ = x.shape
    grid = math.isqrt(length - 1)
    num_masked = int(mask_rate * 4 + 1e-6)
    out = torch.empty_like(x)
    for video in range(total // frames):
        rows = [video * frames + t for t in range(frames)]
        kept_positions = [_kept_positions(t, offset, grid, num_masked) for t in range(frames)]
        kept = torch.stack([x[rows[t], 1:][kept_positions[t]] for t in range(frames)])
        branch_outputs = []
        for scale in scales:
            mixed = _mix(kept, fold, scale)
            per_frame = []
            for t in range(frames):
                sequence = torch.cat([x[rows[t], :1], mixed[t]])
                per_frame.append(sequence + _attention_residual(block, sequence))
            branch_outputs.append(torch.stack(per_frame))
        mixed_out = torch.stack(branch_outputs).mean(dim=0)
        for t in range(frames):
            full = x[rows[t]] + _attention_residual(block, x[rows[t]])
            padded = full.clone()
            padded[0] = mixed_out[t, 0]
            for index, position in enumerate(kept_positions[t]):
                padded[1 + position] = mixed_out[t, 1 + index]
            mlp_in = full if mlp_input == "full" else padded
            out[rows[t]] = padded + block.ls_2(block.mlp(block.ln_2(mlp_in)))
    return out
