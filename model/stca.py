"""Patch the blocks of an open_clip VisionTransformer into STCA blocks, in place.

Only each block's ``forward`` is replaced (an instance attribute), so module names, parameters and the
state dict stay those of open_clip. The patched forward reads the number of frames from a shared
``FrameContext``; without one (plain images) the block runs its original forward.
"""

from __future__ import annotations

import math
from functools import partial

import torch
from open_clip.transformer import ResidualAttentionBlock, VisionTransformer
from torch import Tensor, nn

from model.channel_mixing import mixed_width
from model.frame_context import FrameContext
from model.masking import (
    TokenSplit,
    sample_start_offsets,
    shuffle_frames,
    split_tokens,
    window_patterns,
    window_token_positions,
)
from model.stca_config import StcaConfig
from model.stca_fast import fast_stca_forward
from model.stca_reference import reference_stca_forward

STCA_CONFIG_ATTRIBUTE = "stca_config"


def token_split(
    config: StcaConfig, batch: int, num_frames: int, grid_size: int, training: bool, device: torch.device
) -> TokenSplit:
    random_offset = training and config.train_random_offset
    offsets = sample_start_offsets(batch, random_offset, device)
    patterns = window_patterns(num_frames, config.mask_rate, offsets)
    if training and config.train_temporal_shuffle:
        patterns = shuffle_frames(patterns)
    return split_tokens(patterns, grid_size)


def stca_block_forward(
    block: ResidualAttentionBlock,
    config: StcaConfig,
    context: FrameContext,
    q_x: Tensor,
    k_x: Tensor | None = None,
    v_x: Tensor | None = None,
    attn_mask: Tensor | None = None,
) -> Tensor:
    num_frames = context.num_frames
    if num_frames is None or k_x is not None or v_x is not None or attn_mask is not None:
        return ResidualAttentionBlock.forward(block, q_x, k_x, v_x, attn_mask)
    x = q_x if block.attn.batch_first else q_x.transpose(0, 1)
    frames_total, length, _ = x.shape
    if frames_total % num_frames:
        raise ValueError(
            f"{frames_total} frames in the batch is not a multiple of {num_frames} frames per video"
        )
    grid_size = math.isqrt(length - 1)
    split = token_split(config, frames_total // num_frames, num_frames, grid_size, block.training, x.device)
    run = fast_stca_forward if config.formulation == "fast" else reference_stca_forward
    out = run(block, config, x, num_frames, split)
    return out if block.attn.batch_first else out.transpose(0, 1)


def _check_block(block: nn.Module, index: int, config: StcaConfig) -> ResidualAttentionBlock:
    if not isinstance(block, ResidualAttentionBlock) or hasattr(block, "ln_1_kv"):
        raise TypeError(
            f"STCA supports open_clip ResidualAttentionBlock, block {index} is {type(block).__name__}"
        )
    if not block.attn._qkv_same_embed_dim:
        raise TypeError(f"STCA needs a packed QKV projection, block {index} has separate ones")
    dim = block.attn.embed_dim
    if mixed_width(dim, config.channel_fold) == 0:
        raise ValueError(f"channel_fold {config.channel_fold} leaves no channel to mix at width {dim}")
    return block


def patch_visual_blocks(visual: nn.Module, config: StcaConfig, context: FrameContext) -> None:
    """Turn ``visual.transformer.resblocks`` (all or ``config.blocks``) into STCA blocks."""
    if not isinstance(visual, VisionTransformer):
        raise TypeError(f"STCA needs an open_clip VisionTransformer tower, got {type(visual).__name__}")
    grid_h, grid_w = visual.grid_size
    if grid_h != grid_w:
        raise ValueError(f"STCA needs a square patch grid, got {grid_h}x{grid_w}")
    window_token_positions(grid_h)  # raises on odd grids
    blocks = visual.transformer.resblocks
    chosen = range(len(blocks)) if config.blocks is None else config.blocks
    for index in chosen:
        block = _check_block(blocks[index], index, config)
        block.forward = partial(stca_block_forward, block, config, context)
        setattr(block, STCA_CONFIG_ATTRIBUTE, config)
