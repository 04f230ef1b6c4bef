"""STCA fast formulation ("fast"): the reference function at about the cost of a plain block.

Per block, all exact in exact arithmetic:
* Tokens are reordered once to [CLS, kept, masked] per frame (attention does not depend on the order of keys),
  so every later selection is a slice; the output goes back to raster order once, at the end. Both are row
  gathers, and so are their gradients.
* One LayerNorm and one QKV projection of all tokens; every scale's mixed [CLS, kept] QKV follows from it by a
  per-row rescale and a rank-(w+2) product (``model.stca_correction``). On CPU, the rank-2 part's W g + bias
  and W b + bias are two more rows of the QKV product (ln_1's gain and shift appended to its input), so they
  cost no pass over W of their own, forward or backward.
* The scales' attention outputs are averaged before the output projection (it is linear); their values are
  pre-scaled by 1/S inside that multiply-add, so the average is a sum.
* With the MLP reading the padded tensor, the full path is needed at masked positions only, so only their
  queries are attended, and mixed and masked rows share one output projection.
Gradients are exact too. On CPU, ``CorrectedAttentionByProducts`` (``model.stca_attention_products``)
differentiates the correction and both attentions by hand into one QKV gradient buffer; elsewhere
``CorrectedSequences`` does the correction and autograd the attention.
Results differ from the reference by float rounding only (see tests/model).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple, cast

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.autograd.function import FunctionCtx

from model.masking import TokenSplit
from model.shape_cache import shape_cache
from model.stca_attention_products import CorrectedAttentionByProducts, sum_over_scales
from model.stca_correction import (
    CorrectedSequences,
    Correction,
    layer_norm_affine,
    low_rank_basis,
    mixed_correction,
    statistics_rows,
)
from model.stca_registry import register_stca_formulation

if TYPE_CHECKING:
    from model.stca import StcaBlock


ATTENTION_BY_PRODUCTS_ON: frozenset[str] = frozenset({"cpu"})
"""Devices whose attention runs as batched products with a hand-written backward; elsewhere it runs as
``scaled_dot_product_attention``. On CPU the flash kernel is slower at these lengths, and through autograd the
gradients of its inputs pass through splits and slices that are zero-filled, concatenated and summed (one
ViT-B/16 block over 8 frames, forward and backward, 2 threads: 416.5 ms this way, 431.7 ms with SDPA, plain
CLIP's block 408.2 ms)."""


def _attend(query: Tensor, key: Tensor, value: Tensor, heads: int) -> Tensor:
    def split(t: Tensor) -> Tensor:
        return t.unflatten(-1, (heads, -1)).transpose(-3, -2)

    out = F.scaled_dot_product_attention(split(query), split(key), split(value))
    return out.transpose(-3, -2).flatten(-2)


class _RowLayout(NamedTuple):
    """Flat row indices into x.flatten(0, 1): ``order`` (BT*L,) lists each frame's tokens as [CLS, kept, masked]
    and ``inverse`` undoes it; ``mixed_rows`` (BT*R,) and ``masked_rows`` are its [CLS, kept] and masked parts."""

    order: Tensor
    inverse: Tensor
    mixed_rows: Tensor
    masked_rows: Tensor


def _row_layout(split: TokenSplit, frames_total: int, length: int) -> _RowLayout:
    kept = split.kept.reshape(frames_total, -1)
    masked = split.masked.reshape(frames_total, -1)
    order = torch.cat([kept.new_full((frames_total, 1), -1), kept, masked], dim=1) + 1
    order += torch.arange(0, frames_total * length, length, device=order.device)[:, None]
    inverse = torch.empty_like(order).view(-1)
    inverse[order.view(-1)] = torch.arange(order.numel(), device=order.device)
    rows = 1 + kept.shape[1]
    return _RowLayout(order.view(-1), inverse, order[:, :rows].flatten(), order[:, rows:].flatten())


@shape_cache
def _eval_row_layout(split: TokenSplit, frames_total: int, length: int) -> _RowLayout:
    """Eval's split is one object per shape (``model.stca``), so its layout is computed once for all blocks."""
    return _row_layout(split, frames_total, length)


class _PermuteRows(torch.autograd.Function):
    """rows[order] for a permutation ``order`` of the rows; the backward is the inverse permutation, a row
    gather again (index_select's own backward is a zero fill and a scatter-add)."""

    @staticmethod
    def forward(ctx: FunctionCtx, rows: Tensor, order: Tensor, inverse: Tensor) -> Tensor:
        ctx.save_for_backward(inverse)
        return rows.index_select(0, order)

    @staticmethod
    def backward(ctx: FunctionCtx, grad: Tensor) -> tuple[Tensor, None, None]:
        (inverse,) = ctx.saved_tensors  # type: ignore[attr-defined]
        return grad.index_select(0, inverse), None, None


def _permute_rows(rows: Tensor, order: Tensor, inverse: Tensor) -> Tensor:
    """(BT, L, D) tokens with the rows of rows.flatten(0, 1) taken in ``order``."""
    return cast(Tensor, _PermuteRows.apply(rows.reshape(-1, rows.shape[-1]), order, inverse)).view(rows.shape)


def _corrected_attention(
    block: StcaBlock, normed: Tensor, correction: Correction, rows: int, start: int | None
) -> tuple[Tensor, Tensor]:
    """(BT, R, D) attention of every scale's corrected [CLS, kept] sequence, summed over scales, and
    (BT, L - start, D) attention of the queries from row ``start`` on over all rows (none if ``start`` is None).

    normed (BT, L, D): ln_1 of the rows [CLS, kept, masked] of every frame."""
    attn = block.attn
    frames_total, length, dim = normed.shape
    heads = attn.num_heads
    coefficients, head_basis, ratio = correction
    batch, scales, frames = ratio.shape[:3]
    if normed.device.type in ATTENTION_BY_PRODUCTS_ON:
        inputs = torch.cat([normed.reshape(-1, dim), torch.stack(layer_norm_affine(block))])
        projected = F.linear(inputs, attn.in_proj_weight, attn.in_proj_bias)
        dtype = projected.dtype
        return cast(
            tuple[Tensor, Tensor],
            CorrectedAttentionByProducts.apply(
                projected,
                coefficients.to(dtype),
                head_basis.to(dtype),
                attn.in_proj_bias,
                ratio.to(dtype),
                (frames_total, length, heads),
                rows,
                start,
                torch.is_grad_enabled(),
            ),
        )
    qkv = F.linear(normed, attn.in_proj_weight, attn.in_proj_bias)
    dtype = qkv.dtype
    basis = low_rank_basis(head_basis, statistics_rows(block), scales).to(dtype)
    qkv_rows = qkv[:, :rows].view(batch, 1, frames, rows, 3, dim)
    sequences = cast(Tensor, CorrectedSequences.apply(coefficients.to(dtype), basis, qkv_rows, ratio.to(dtype)))
    query, key, value = sequences.view(-1, rows, 3 * dim).split(dim, dim=-1)
    per_scale = _attend(query, key, value, heads).view(batch, scales, frames, rows, dim)
    mixed = sum_over_scales(per_scale).view(frames_total, rows, dim)
    if start is None:
        return mixed, qkv.new_empty(frames_total, 0, dim)
    query, key, value = qkv.split(dim, dim=-1)
    return mixed, _attend(query[:, start:], key, value, heads)


class _AttentionInRasterOrder(torch.autograd.Function):
    """(B*T*L, D) attention output in the input's row order: the mixed path's at the [CLS, kept] rows, the full
    path's at the masked rows. Written straight into one buffer, so neither a concatenation nor a permutation of
    the block output is needed; the backward gathers the two row sets.

    mixed (B*T, R, D); full (B*T, M, D); mixed_rows (B*T*R,), masked_rows (B*T*M,) flat row indices."""

    @staticmethod
    def forward(ctx: FunctionCtx, mixed: Tensor, full: Tensor, mixed_rows: Tensor, masked_rows: Tensor) -> Tensor:
        dim = mixed.shape[-1]
        out = mixed.new_empty(mixed_rows.numel() + masked_rows.numel(), dim)
        out.index_copy_(0, mixed_rows, mixed.reshape(-1, dim))
        if masked_rows.numel():
            out.index_copy_(0, masked_rows, full.reshape(-1, dim))
        ctx.save_for_backward(mixed_rows, masked_rows)
        ctx.shapes = (mixed.shape, full.shape)  # type: ignore[attr-defined]
        return out

    @staticmethod
    def backward(ctx: FunctionCtx, grad: Tensor) -> tuple[Tensor, Tensor, None, None]:
        mixed_rows, masked_rows = ctx.saved_tensors  # type: ignore[attr-defined]
        mixed_shape, full_shape = ctx.shapes  # type: ignore[attr-defined]
        return (
            grad.index_select(0, mixed_rows).view(mixed_shape),
            grad.index_select(0, masked_rows).view(full_shape),
            None,
            None,
        )


class _MixedResidual(torch.autograd.Function):
    """x + projected, with the mixed rows' head channels carrying their change (rows: flat row indices)."""

    @staticmethod
    def forward(ctx: FunctionCtx, x: Tensor, projected: Tensor, head_change: Tensor, rows: Tensor) -> Tensor:
        out = x + projected
        width = head_change.shape[-1]
        out.view(-1, out.shape[-1])[:, :width].index_add_(0, rows, head_change.reshape(-1, width))
        ctx.save_for_backward(rows)
        ctx.head_shape = head_change.shape  # type: ignore[attr-defined]
        return out

    @staticmethod
    def backward(ctx: FunctionCtx, grad: Tensor) -> tuple[Tensor, Tensor, Tensor, None]:
        (rows,) = ctx.saved_tensors  # type: ignore[attr-defined]
        head_shape = ctx.head_shape  # type: ignore[attr-defined]
        grad_head = grad.reshape(-1, grad.shape[-1])[:, : head_shape[-1]].index_select(0, rows)
        return grad, grad, grad_head.view(head_shape), None


@register_stca_formulation("fast")
def fast_stca_forward(block: StcaBlock, x: Tensor, num_frames: int, split: TokenSplit) -> Tensor:
    """x: (B*T, 1 + P*P, D) batch-first, CLS first."""
    config, attn, ln = block.config, block.attn, block.ln_1
    frames_total, length, dim = x.shape
    rows = 1 + split.kept.shape[-1]  # CLS + kept
    layout = (_row_layout if block.training else _eval_row_layout)(split, frames_total, length)
    order, inverse = layout.order, layout.inverse
    xp = _permute_rows(x, order, inverse)

    normed, mean, rstd = torch.native_layer_norm(xp, (dim,), ln.weight, ln.bias, ln.eps)
    correction, head_change = mixed_correction(block, xp[:, :rows], mean[:, :rows], rstd[:, :rows], num_frames)
    full_path = config.mlp_input == "full"
    start = 0 if full_path else rows if rows < length else None
    mixed, full_attended = _corrected_attention(block, normed, correction, rows, start)
    out_proj = attn.out_proj

    if full_path:
        width = head_change.shape[-1]
        projected = F.linear(torch.cat([mixed, full_attended], dim=1), out_proj.weight, out_proj.bias)
        projected = block.ls_1(projected)
        full = xp + projected[:, rows:]
        mixed_out = xp[:, :rows] + projected[:, :rows]
        mixed_out[..., :width] += head_change
        padded = torch.cat([mixed_out, full[:, rows:]], dim=1)
        permuted = padded + block.ls_2(block.mlp(block.ln_2(full)))
        return _permute_rows(permuted, inverse, order)

    # The MLP reads the padded tensor: everything after attention runs in the input's row order.
    mixed_rows, masked_rows = layout.mixed_rows, layout.masked_rows
    attended = _AttentionInRasterOrder.apply(mixed, full_attended, mixed_rows, masked_rows)
    projected = block.ls_1(F.linear(attended.view(x.shape), out_proj.weight, out_proj.bias))
    padded = cast(Tensor, _MixedResidual.apply(x, projected, head_change, mixed_rows))
    return padded + block.ls_2(block.mlp(block.ln_2(padded)))
