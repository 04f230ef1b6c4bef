"""STCA blocks: explicit modules that take the place of an open_clip VisionTransformer's blocks.

``install_stca_blocks`` swaps every ``visual.transformer.resblocks[i]`` for an ``StcaBlock`` that adopts the
original block's submodules (``ln_1``, ``attn``, ``ls_1``, ``ln_2``, ``mlp``, ``ls_2``) under the same names,
so parameter names, count and state dict stay those of open_clip: plain open_clip checkpoints load into the
model and its state dict loads back into plain open_clip. The block reads the number of frames from a shared
``FrameContext``; without one (plain images) it computes exactly what the original block computes.
"""

from __future__ import annotations

import math
from typing import cast

import torch
import torch.nn.functional as F
from open_clip.transformer import ResidualAttentionBlock, VisionTransformer
from torch import Tensor, nn
from torch.utils.checkpoint import checkpoint

from model.channel_mixing import mixed_width
from model.frame_context import FrameContext
from model.masking import (
    TokenSplit,
    masked_tokens_per_window,
    sample_start_offsets,
    shuffle_frames,
    split_tokens,
    window_patterns,
    window_token_positions,
)
from model.shape_cache import shape_cache
from model.stca_config import StcaConfig
from model.stca_registry import stca_formulation

BLOCK_PARTS = ("ln_1", "attn", "ls_1", "ln_2", "mlp", "ls_2")


def token_split(
    config: StcaConfig, batch: int, num_frames: int, grid_size: int, training: bool, device: torch.device
) -> TokenSplit:
    """The masked/kept split of every frame: drawn per call in training, fixed (and computed once) in eval."""
    if not training:
        return _eval_token_split(config.mask_rate, batch, num_frames, grid_size, device)
    offsets = sample_start_offsets(batch, config.train_random_offset, device)
    patterns = window_patterns(num_frames, config.mask_rate, offsets)
    if config.train_temporal_shuffle:
        patterns = shuffle_frames(patterns)
    return split_tokens(patterns, grid_size, masked_tokens_per_window(config.mask_rate))


@shape_cache
def _eval_token_split(
    mask_rate: float, batch: int, num_frames: int, grid_size: int, device: torch.device
) -> TokenSplit:
    """Eval's split depends on the shapes only; every block of every eval forward shares this one (its tensors
    are read, never written)."""
    patterns = window_patterns(num_frames, mask_rate, sample_start_offsets(batch, False, device))
    return split_tokens(patterns, grid_size, masked_tokens_per_window(mask_rate))


class StcaBlock(nn.Module):
    """A pre-LN transformer block that runs Space-Time Cross Attention over the frames of each video.

    ``attn`` is the original ``nn.MultiheadAttention``; STCA formulations use it only through its public
    weights (``in_proj_weight``, ``in_proj_bias``, ``out_proj``, ``num_heads``). ``stca_enabled=False``
    (a block left out by ``StcaConfig.blocks``) always runs the plain block. ``grad_checkpointing``
    recomputes the block in the backward pass.
    """

    def __init__(
        self, block: nn.Module, config: StcaConfig, context: FrameContext, stca_enabled: bool = True
    ) -> None:
        super().__init__()
        self.ln_1 = cast(nn.LayerNorm, block.ln_1)
        self.attn = cast(nn.MultiheadAttention, block.attn)
        self.ls_1 = cast(nn.Module, block.ls_1)
        self.ln_2 = cast(nn.LayerNorm, block.ln_2)
        self.mlp = cast(nn.Module, block.mlp)
        self.ls_2 = cast(nn.Module, block.ls_2)
        self.config = config
        self.formulation = stca_formulation(config.formulation)
        self.frame_context = context
        self.stca_enabled = stca_enabled
        self.grad_checkpointing = False
        self.training = block.training

    def extra_repr(self) -> str:
        state = f"formulation={self.config.formulation!r}" if self.stca_enabled else "plain"
        return f"{state}, grad_checkpointing={self.grad_checkpointing}"

    def get_weight_dtype(self) -> torch.dtype:
        """open_clip asks the first block for the tower's cast dtype."""
        return cast(nn.Linear, self.mlp.c_fc).weight.dtype

    def forward(
        self,
        q_x: Tensor,
        k_x: Tensor | None = None,
        v_x: Tensor | None = None,
        attn_mask: Tensor | None = None,
    ) -> Tensor:
        """Called by open_clip's Transformer as ``block(x, attn_mask=...)`` (or positionally under its own
        gradient checkpointing); ``x`` is batch-first or not as ``attn.batch_first`` says."""
        if k_x is not None or v_x is not None:
            raise ValueError("STCA blocks are self-attention blocks: separate keys/values are not supported")
        num_frames = self.frame_context.num_frames if self.stca_enabled else None
        recompute = self.grad_checkpointing and torch.is_grad_enabled()
        if num_frames is None:
            if recompute:
                return cast(Tensor, checkpoint(self.plain_forward, q_x, attn_mask, use_reentrant=False))
            return self.plain_forward(q_x, attn_mask)
        if attn_mask is not None:
            raise ValueError("STCA blocks take no attention mask for video input")
        x = q_x if self.attn.batch_first else q_x.transpose(0, 1)
        frames_total, length, _ = x.shape
        if frames_total % num_frames:
            raise ValueError(f"{frames_total} frames in the batch is not a multiple of {num_frames} frames per video")
        grid_size = math.isqrt(length - 1)
        # Drawn here, outside the recomputed part, so that a checkpointed block recomputes the same masks.
        split = token_split(self.config, frames_total // num_frames, num_frames, grid_size, self.training, x.device)
        if recompute:
            out = checkpoint(self.formulation, self, x, num_frames, split, use_reentrant=False)
        else:
            out = self.formulation(self, x, num_frames, split)
        return out if self.attn.batch_first else out.transpose(0, 1)

    def plain_forward(self, x: Tensor, attn_mask: Tensor | None = None) -> Tensor:
        """The original block: ``x + ls_1(MHSA(ln_1(x)))``, then the MLP residual (x in ``attn``'s layout)."""
        normed = self.ln_1(x)
        mask = attn_mask.to(x.dtype) if attn_mask is not None else None
        x = x + self.ls_1(self.attn(normed, normed, normed, need_weights=False, attn_mask=mask)[0])
        return x + self.ls_2(self.mlp(self.ln_2(x)))

    def cls_attention(self, x: Tensor) -> Tensor:
        """Softmax attention of the CLS query over all tokens in this block's full spatial attention
        (heads separate): x is the block input, batch-first (N, L, D), CLS first -> (N, heads, L).

        For explanations: register a forward pre-hook on the block to capture its input, then call this."""
        heads = self.attn.num_heads
        normed = self.ln_1(x)
        dim = normed.shape[-1]
        weight, bias = self.attn.in_proj_weight, self.attn.in_proj_bias
        query = F.linear(normed[:, :1], weight[:dim], None if bias is None else bias[:dim])
        key = F.linear(normed, weight[dim : 2 * dim], None if bias is None else bias[dim : 2 * dim])
        query = query.unflatten(-1, (heads, -1)).transpose(1, 2)  # (N, H, 1, d)
        key = key.unflatten(-1, (heads, -1)).transpose(1, 2)  # (N, H, L, d)
        logits = (query @ key.transpose(-1, -2)) / math.sqrt(query.shape[-1])
        return logits.softmax(dim=-1)[:, :, 0]


def _check_block(block: nn.Module, index: int, config: StcaConfig) -> nn.Module:
    if isinstance(block, StcaBlock):
        return block
    if not isinstance(block, ResidualAttentionBlock) or hasattr(block, "ln_1_kv"):
        raise TypeError(f"STCA supports open_clip ResidualAttentionBlock, block {index} is {type(block).__name__}")
    attn = block.attn
    if not isinstance(attn, nn.MultiheadAttention) or attn.in_proj_weight is None:
        raise TypeError(f"STCA needs a packed QKV projection (nn.MultiheadAttention), block {index} has another")
    if not all(isinstance(getattr(block, name), nn.LayerNorm) for name in ("ln_1", "ln_2")):
        raise TypeError(f"STCA needs LayerNorm pre-norms, block {index} has others")
    if mixed_width(attn.embed_dim, config.channel_fold) == 0:
        raise ValueError(f"channel_fold {config.channel_fold} leaves no channel to mix at width {attn.embed_dim}")
    return block


def install_stca_blocks(visual: nn.Module, config: StcaConfig, context: FrameContext) -> list[StcaBlock]:
    """Replace every block of ``visual.transformer.resblocks`` by an ``StcaBlock`` (STCA on in the blocks
    ``config.blocks`` names, all by default). Installing again (another config) re-wraps the same weights."""
    if not isinstance(visual, VisionTransformer):
        raise TypeError(f"STCA needs an open_clip VisionTransformer tower, got {type(visual).__name__}")
    grid_h, grid_w = visual.grid_size
    if grid_h != grid_w:
        raise ValueError(f"STCA needs a square patch grid, got {grid_h}x{grid_w}")
    window_token_positions(grid_h)  # raises on odd grids
    blocks = visual.transformer.resblocks
    chosen = set(range(len(blocks)) if config.blocks is None else config.blocks)
    if not chosen <= set(range(len(blocks))):
        raise ValueError(f"StcaConfig.blocks {sorted(chosen)} names blocks outside 0..{len(blocks) - 1}")
    installed = []
    for index in range(len(blocks)):
        block = _check_block(blocks[index], index, config)
        stca_block = StcaBlock(block, config, context, stca_enabled=index in chosen)
        if isinstance(block, StcaBlock):
            stca_block.grad_checkpointing = block.grad_checkpointing
        blocks[index] = stca_block
        installed.append(stca_block)
    return installed


def stca_blocks(visual: nn.Module) -> list[StcaBlock]:
    """The STCA blocks of a visual tower, in order (empty if none were installed)."""
    return [module for module in visual.modules() if isinstance(module, StcaBlock)]
