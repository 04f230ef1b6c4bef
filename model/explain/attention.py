"""Where the visual tower looks: the CLS token's attention in the last block, per frame.

The block's input is captured with a forward pre-hook (the block's forward itself is never touched, so this
works whatever the block computes inside). The CLS attention is then recomputed from that input with the
block's own public weights: ``ln_1`` and the ``attn`` submodule's query/key projections, averaged over
heads. For an STCA block this is the attention of the CLS query over the frame's own tokens of the block
input; that input already carries the space-time context the earlier STCA blocks mixed in.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

import torch
from open_clip.transformer import VisionTransformer
from torch import Tensor, nn

ATTENTION_METHOD = "CLS attention of the last visual block (head mean), renormalised over the patches"


@dataclass(frozen=True)
class FrameAttention:
    """patches (F, g, g): CLS→patch attention per frame, each map sums to 1; cls_self (F,): the weight the
    CLS token kept on itself, so that ``cls_self + raw patch weights`` sum to 1 per frame."""

    patches: Tensor
    cls_self: Tensor


def last_block(visual: VisionTransformer) -> nn.Module:
    """The last visual block: open_clip's ResidualAttentionBlock or an STCA block, both pre-LN blocks with a
    public ``ln_1`` and an ``nn.MultiheadAttention`` ``attn``."""
    block = cast(nn.Module, visual.transformer.resblocks[-1])
    if not isinstance(getattr(block, "ln_1", None), nn.LayerNorm) or not isinstance(
        getattr(block, "attn", None), nn.MultiheadAttention
    ):
        raise TypeError(f"attention maps need a pre-LN block with ln_1 and attn, got {type(block).__name__}")
    return block


@contextmanager
def captured_block_input(block: nn.Module) -> Iterator[list[Tensor]]:
    """Within the context, every call of ``block`` appends its first input (the token stream) to the list."""
    inputs: list[Tensor] = []

    def hook(_module: nn.Module, args: tuple[Any, ...]) -> None:
        inputs.append(cast(Tensor, args[0]).detach())

    handle = block.register_forward_pre_hook(hook)
    try:
        yield inputs
    finally:
        handle.remove()


@torch.no_grad()
def cls_attention(block: nn.Module, tokens: Tensor) -> FrameAttention:
    """tokens: the block input, (F, L, D) when the block is batch-first, else (L, F, D)."""
    attn = cast(nn.MultiheadAttention, block.attn)
    ln_1 = cast(nn.LayerNorm, block.ln_1)
    x = tokens if attn.batch_first else tokens.transpose(0, 1)
    normed = ln_1(x)
    query = normed if attn.batch_first else normed.transpose(0, 1)
    _, weights = attn(query, query, query, need_weights=True, average_attn_weights=True)
    cls_row = weights[:, 0, :].float()  # (F, L)
    patches = cls_row[:, 1:]
    grid = math.isqrt(patches.shape[1])
    if grid * grid != patches.shape[1]:
        raise ValueError(f"{patches.shape[1]} patch tokens do not form a square grid")
    normalised = patches / patches.sum(dim=1, keepdim=True).clamp(min=torch.finfo(patches.dtype).tiny)
    return FrameAttention(normalised.reshape(-1, grid, grid), cls_row[:, 0])


def attention_while(visual: VisionTransformer, run: Callable[[], object]) -> FrameAttention:
    """Run ``run`` (a forward pass through ``visual``) and return the last block's CLS attention of that pass."""
    block = last_block(visual)
    with captured_block_input(block) as inputs:
        run()
    if len(inputs) != 1:
        raise RuntimeError(f"expected one pass through the last visual block, saw {len(inputs)}")
    return cls_attention(block, inputs[0])
