"""STCA formulation "reference": the official code's structure, one attention pass per temporal scale on
the mixed kept tokens plus the full pass, each through the block's own ``attn`` module."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import Tensor

from model.channel_mixing import mix_channels
from model.masking import TokenSplit
from model.stca_registry import register_stca_formulation

if TYPE_CHECKING:
    from model.stca import StcaBlock


def attention_residual(block: StcaBlock, tokens: Tensor) -> Tensor:
    """``ls_1(MHSA(ln_1(tokens)))`` for batch-first tokens, whatever layout the block's attention uses."""
    normed = block.ln_1(tokens)
    if not block.attn.batch_first:
        normed = normed.transpose(0, 1)
    out = block.attn(normed, normed, normed, need_weights=False)[0]
    if not block.attn.batch_first:
        out = out.transpose(0, 1)
    return block.ls_1(out)


@register_stca_formulation("reference")
def reference_stca_forward(block: StcaBlock, x: Tensor, num_frames: int, split: TokenSplit) -> Tensor:
    """x: (B*T, 1 + P*P, D) batch-first, CLS first."""
    config = block.config
    frames_total, _, dim = x.shape
    batch = frames_total // num_frames
    cls, patches = x[:, :1], x[:, 1:]
    kept_index = split.kept.reshape(frames_total, -1, 1).expand(-1, -1, dim)
    kept = torch.gather(patches, 1, kept_index)
    num_kept = kept.shape[1]

    branches = []
    for scale in config.temporal_scales:
        mixed = mix_channels(kept.reshape(batch, num_frames, num_kept, dim), config.channel_fold, scale)
        sequence = torch.cat([cls, mixed.reshape(frames_total, num_kept, dim)], dim=1)
        branches.append(sequence + attention_residual(block, sequence))
    mixed_out = torch.stack(branches).mean(dim=0)

    full = x + attention_residual(block, x)
    padded_patches = full[:, 1:].scatter(1, kept_index, mixed_out[:, 1:])
    padded = torch.cat([mixed_out[:, :1], padded_patches], dim=1)
    mlp_input = full if config.mlp_input == "full" else padded
    return padded + block.ls_2(block.mlp(block.ln_2(mlp_input)))
