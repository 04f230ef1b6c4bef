"""STCA fast formulation ("fast"): the reference function at about the cost of a plain block.

Per block, all exact in exact arithmetic:
* Tokens are reordered once to [CLS, kept, masked] per frame (attention does not depend on the order of keys),
  so every later selection is a slice; the output goes back to raster order once, at the end. Both are row
  gathers, and so are their gradients.
* One LayerNorm and one QKV projection of all tokens. A mixed kept token differs from its input token only in
  the ``w = 2*D/fold`` head channels (change ``delta``). With LN(x) = g*(x - mu)*r + b and c = W b + bias,
  its QKV is ``ratio*qkv + [r'*delta, -(mu' - mu)*r', 1 - ratio] @ [W[:, :w]*g[:w], W g, c]^T`` with
  ``ratio = r'/r``: a per-row rescale plus a rank-(w+2) product, where the new statistics mu', r' follow from
  LayerNorm's own statistics and head-channel sums. One gather mixes the head channels of every scale (the
  CLS row reads its own frame, so its change is 0 and it rides along); one matmul and one multiply-add give
  every scale's sequence.
* The scales' attention outputs are averaged before the output projection (it is linear); their values are
  pre-scaled by 1/S inside that multiply-add, so the average is a sum.
* With the MLP reading the padded tensor, the full path is needed at masked positions only, so only their
  queries are attended, and mixed and masked rows share one output projection.
Gradients are exact too: LayerNorm's statistics outputs carry no gradient, so ``_RowStatistics`` supplies it;
``_CorrectedSequences`` builds every scale's QKV in one buffer and differentiates it by hand (per-scale
multiply-adds for the rows, the basis' gradient in the layout its product prefers).
Results differ from the reference by float rounding only (see tests/model).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, cast

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.autograd.function import FunctionCtx

from model.channel_mixing import mix_head_channels, mixed_width
from model.masking import TokenSplit
from model.stca_registry import register_stca_formulation

if TYPE_CHECKING:
    from model.stca import StcaBlock


def _attend(query: Tensor, key: Tensor, value: Tensor, heads: int) -> Tensor:
    if query.device.type == "cpu" and not torch.is_grad_enabled():
        return _attend_by_products(query, key, value, heads)

    def split(t: Tensor) -> Tensor:
        return t.unflatten(-1, (heads, -1)).transpose(-3, -2)

    out = F.scaled_dot_product_attention(split(query), split(key), split(value))
    return out.transpose(-3, -2).flatten(-2)


def _attend_by_products(query: Tensor, key: Tensor, value: Tensor, heads: int) -> Tensor:
    """CPU inference: two batched products and a softmax, as nn.MultiheadAttention's inference path computes it
    (measured at ViT-B/16 sizes: 10.6 against 12.1 ms per block for the CPU flash kernel, which also keeps the
    statistics a backward pass would need)."""
    *lead, length, dim = query.shape
    head_dim = dim // heads

    def split(t: Tensor) -> Tensor:
        return t.reshape(-1, t.shape[-2], heads, head_dim).transpose(1, 2).reshape(-1, t.shape[-2], head_dim)

    weights = torch.bmm(split(query), split(key).transpose(1, 2)).mul_(head_dim**-0.5).softmax(dim=-1)
    out = torch.bmm(weights, split(value)).view(-1, heads, length, head_dim).transpose(1, 2)
    return out.reshape(*lead, length, dim)


@lru_cache(maxsize=64)
def _mixing_sources(num_frames: int, rows: int, dim: int, fold: int, scales: tuple[int, ...]) -> Tensor:
    """(S*T, rows, w) frame each mixed head channel is read from (``num_frames``: a zero frame), for the
    [CLS, kept] rows of every frame and scale; the CLS row reads its own frame. Derived from
    ``mix_head_channels`` itself, applied to frame numbers."""
    frame_numbers = torch.arange(1, num_frames + 1, dtype=torch.float64)[None, :, None, None]
    probe = frame_numbers.expand(1, num_frames, 1, dim)
    tables = []
    for scale in scales:
        source = mix_head_channels(probe, fold, scale)[0, :, 0].long() - 1  # (T, w); -1 where no frame
        source = torch.where(source < 0, num_frames, source)
        table = source[:, None, :].repeat(1, rows, 1)
        table[:, 0] = torch.arange(num_frames)[:, None]
        tables.append(table)
    return torch.cat(tables)


def _split_order(split: TokenSplit, frames_total: int, length: int, device: torch.device) -> Tensor:
    """Flat row index (BT*L,) into x.flatten(0, 1) that lists each frame's tokens as [CLS, kept, masked]."""
    kept = split.kept.reshape(frames_total, -1)
    masked = split.masked.reshape(frames_total, -1)
    order = torch.cat([kept.new_full((frames_total, 1), -1), kept, masked], dim=1) + 1
    return (order + torch.arange(0, frames_total * length, length, device=device)[:, None]).flatten()


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


class _RowStatistics(torch.autograd.Function):
    """Mean and variance + eps of the rows of x, read off LayerNorm's statistics (no extra pass), with the
    gradient LayerNorm's statistics outputs do not carry: d mean = 1/D, d (var + eps) = 2 (x - mean) / D."""

    @staticmethod
    def forward(ctx: FunctionCtx, rows: Tensor, mean: Tensor, rstd: Tensor) -> tuple[Tensor, Tensor]:
        ctx.save_for_backward(rows, mean)
        return mean.clone(), rstd.pow(-2)

    @staticmethod
    def backward(
        ctx: FunctionCtx, grad_mean: Tensor | None, grad_variance: Tensor | None
    ) -> tuple[Tensor | None, None, None]:
        rows, mean = ctx.saved_tensors  # type: ignore[attr-defined]
        dim = rows.shape[-1]
        grad = None
        if grad_variance is not None:
            grad = (rows - mean) * (grad_variance * (2.0 / dim))
        if grad_mean is not None:
            grad = grad_mean / dim if grad is None else grad.add_(grad_mean / dim)
        return grad, None, None


class _CorrectedSequences(torch.autograd.Function):
    """Every scale's QKV ``ratio * qkv + coefficients @ basis``, in one buffer (the product, then the rescaled
    rows added in place), with a hand-written backward: the rows' gradient is a multiply-add per scale (no
    gradient-sized product to sum), the ratio's a row-wise dot product, the basis' coefficients^T @ grad.

    coefficients (B, S, T, R, K); basis (K, 3D); qkv (B, 1, T, R, 3, D); ratio (B, S, T, R, 3, 1)."""

    @staticmethod
    def forward(ctx: FunctionCtx, coefficients: Tensor, basis: Tensor, qkv: Tensor, ratio: Tensor) -> Tensor:
        sequences = torch.matmul(coefficients, basis)
        sequences.view(ratio.shape[:-1] + qkv.shape[-1:]).addcmul_(qkv, ratio)
        ctx.save_for_backward(coefficients, basis, qkv, ratio)
        return sequences

    @staticmethod
    def backward(ctx: FunctionCtx, grad: Tensor) -> tuple[Tensor | None, Tensor | None, Tensor | None, Tensor | None]:
        coefficients, basis, qkv, ratio = ctx.saved_tensors  # type: ignore[attr-defined]
        needs = ctx.needs_input_grad  # type: ignore[attr-defined]
        grad = grad.contiguous()
        flat = grad.view(-1, grad.shape[-1])
        grad_coefficients = grad_basis = grad_qkv = grad_ratio = None
        if needs[0]:
            grad_coefficients = torch.matmul(flat, basis.t()).view(coefficients.shape)
        if needs[1]:
            grad_basis = coefficients.reshape(flat.shape[0], -1).t() @ flat
        parts = grad.view(ratio.shape[:-1] + qkv.shape[-1:])  # (B, S, T, R, 3, D)
        if needs[2]:
            grad_qkv = parts[:, 0] * ratio[:, 0]
            for scale in range(1, parts.shape[1]):
                grad_qkv.addcmul_(parts[:, scale], ratio[:, scale])
            grad_qkv = grad_qkv.unsqueeze(1)
        if needs[3]:
            grad_ratio = torch.linalg.vecdot(parts, qkv).unsqueeze(-1)
        return grad_coefficients, grad_basis, grad_qkv, grad_ratio


def _low_rank_basis(block: StcaBlock, width: int, num_scales: int) -> Tensor:
    """(w + 2, 3D) = [W[:, :w] * g[:w], W g, W b + bias]^T, value columns divided by the number of scales.

    Built row-major in the layout the correction's products read; W g and W b come from one (2, D) x W^T
    product, whose backward reads W row by row (a W^T x (3D, 2) product is several times slower)."""
    ln, attn = block.ln_1, block.attn
    weight = attn.in_proj_weight
    dim = weight.shape[1]
    gain = ln.weight if ln.weight is not None else weight.new_ones(dim)
    shift = ln.bias if ln.bias is not None else weight.new_zeros(dim)
    bias = attn.in_proj_bias if attn.in_proj_bias is not None else weight.new_zeros(3 * dim)
    gain_and_shift = F.linear(torch.stack([gain, shift]), weight)  # (2, 3D)
    basis = torch.cat([(weight[:, :width] * gain[:width]).t(), gain_and_shift[:1], gain_and_shift[1:] + bias])
    if num_scales == 1:
        return basis
    return (basis.view(-1, 3, dim) * _value_scale(num_scales, basis)).view(-1, 3 * dim)


def _value_scale(num_scales: int, like: Tensor) -> Tensor:
    """(3, 1): 1 for queries and keys, 1/S for values."""
    return like.new_tensor([[1.0], [1.0], [1.0 / num_scales]])


def _mixed_sequences(
    block: StcaBlock, x_rows: Tensor, qkv_rows: Tensor, mean: Tensor, rstd: Tensor, num_frames: int
) -> tuple[Tensor, Tensor]:
    """QKV of every scale's [CLS, mixed kept] sequence, (B*S*T, 1+n, 3D) with values divided by S, without
    re-projecting, and the change of the rows' head channels averaged over scales (BT, 1+n, w).

    x_rows: (BT, 1+n, D) input rows [CLS, kept]; qkv_rows, mean, rstd: their QKV and LayerNorm statistics."""
    config = block.config
    frames_total, rows, dim = x_rows.shape
    batch = frames_total // num_frames
    num_scales = len(config.temporal_scales)
    width = mixed_width(dim, config.channel_fold)
    mean, variance = _RowStatistics.apply(x_rows, mean, rstd)  # variance + eps

    head = x_rows[..., :width].reshape(batch, num_frames, rows, width)
    padded = torch.cat([head, head.new_zeros(batch, 1, rows, width)], dim=1)
    sources = _mixing_sources(num_frames, rows, dim, config.channel_fold, config.temporal_scales)
    sources = sources.to(x_rows.device)[None].expand(batch, -1, -1, -1)
    mixed_heads = torch.gather(padded, 1, sources).view(batch, num_scales, num_frames, rows, width)
    head = head[:, None]  # (B, 1, T, R, w)
    mean = mean.view(batch, 1, num_frames, rows, 1)
    variance = variance.view(batch, 1, num_frames, rows, 1)
    delta = mixed_heads - head  # (B, S, T, R, w)
    mean_shift = delta.sum(dim=-1, keepdim=True) / dim
    # D * (var' - var) = sum over head channels of (h' - mu)^2 - (h - mu)^2, minus D * (mu' - mu)^2
    square_change = (delta * torch.add(delta, head - mean, alpha=2)).sum(dim=-1, keepdim=True)
    mixed_rstd = torch.rsqrt(variance + square_change / dim - mean_shift.square())
    ratio = mixed_rstd * torch.sqrt(variance)
    coefficients = torch.cat([delta * mixed_rstd, -mean_shift * mixed_rstd, 1 - ratio], dim=-1)
    basis = _low_rank_basis(block, width, num_scales).to(qkv_rows.dtype)
    ratio = (ratio[..., None] * _value_scale(num_scales, ratio)).to(qkv_rows.dtype)  # (B, S, T, R, 3, 1)
    qkv_rows = qkv_rows.view(batch, 1, num_frames, rows, 3, dim)
    sequences = cast(Tensor, _CorrectedSequences.apply(coefficients.to(qkv_rows.dtype), basis, qkv_rows, ratio))
    head_change = delta.mean(dim=1).view(frames_total, rows, width)
    return sequences.view(-1, rows, 3 * dim), head_change


def _sum_over_scales(attended: Tensor) -> Tensor:
    """(B, S, ...) -> (B, ...) as S - 1 elementwise adds (a reduction over a middle dim is slower)."""
    parts = attended.unbind(dim=1)
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    return total


class _AttentionInRasterOrder(torch.autograd.Function):
    """(B*T*L, D) attention output in the input's row order: the scales' outputs summed at the [CLS, kept]
    rows, the full path's at the masked rows. Written straight into one buffer, so neither a concatenation
    nor a permutation of the block output is needed; the backward gathers the two row sets.

    mixed (B, S, T, R, D); full (B*T, M, D) or None (no masked rows); mixed_rows (B*T*R,), masked_rows (B*T*M,)
    flat row indices."""

    @staticmethod
    def forward(
        ctx: FunctionCtx, mixed: Tensor, full: Tensor | None, mixed_rows: Tensor, masked_rows: Tensor
    ) -> Tensor:
        dim = mixed.shape[-1]
        out = mixed.new_empty(mixed_rows.numel() + masked_rows.numel(), dim)
        out.index_copy_(0, mixed_rows, _sum_over_scales(mixed).reshape(-1, dim))
        if full is not None:
            out.index_copy_(0, masked_rows, full.reshape(-1, dim))
        ctx.save_for_backward(mixed_rows, masked_rows)
        ctx.shapes = (mixed.shape, None if full is None else full.shape)  # type: ignore[attr-defined]
        return out

    @staticmethod
    def backward(ctx: FunctionCtx, grad: Tensor) -> tuple[Tensor, Tensor | None, None, None]:
        mixed_rows, masked_rows = ctx.saved_tensors  # type: ignore[attr-defined]
        mixed_shape, full_shape = ctx.shapes  # type: ignore[attr-defined]
        batch, _, frames, rows, dim = mixed_shape
        grad_mixed = grad.index_select(0, mixed_rows).view(batch, 1, frames, rows, dim)
        grad_full = None if full_shape is None else grad.index_select(0, masked_rows).view(full_shape)
        return grad_mixed.expand(mixed_shape), grad_full, None, None


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
    heads = attn.num_heads
    rows = 1 + split.kept.shape[-1]  # CLS + kept
    order = _split_order(split, frames_total, length, x.device)
    inverse = torch.empty_like(order)
    inverse[order] = torch.arange(order.numel(), device=order.device)
    xp = _permute_rows(x, order, inverse)

    normed, mean, rstd = torch.native_layer_norm(xp, (dim,), ln.weight, ln.bias, ln.eps)
    qkv = F.linear(normed, attn.in_proj_weight, attn.in_proj_bias)
    sequences, head_change = _mixed_sequences(
        block, xp[:, :rows], qkv[:, :rows], mean[:, :rows], rstd[:, :rows], num_frames
    )
    query, key, value = sequences.split(dim, dim=-1)
    scales = len(config.temporal_scales)
    mixed_scales = _attend(query, key, value, heads).view(-1, scales, num_frames, rows, dim)
    query, key, value = qkv.split(dim, dim=-1)
    out_proj = attn.out_proj

    if config.mlp_input == "full":
        width = head_change.shape[-1]
        mixed = _sum_over_scales(mixed_scales).view(frames_total, rows, dim)
        full_attended = _attend(query, key, value, heads)
        projected = F.linear(torch.cat([mixed, full_attended], dim=1), out_proj.weight, out_proj.bias)
        projected = block.ls_1(projected)
        full = xp + projected[:, rows:]
        mixed_out = xp[:, :rows] + projected[:, :rows]
        mixed_out[..., :width] += head_change
        padded = torch.cat([mixed_out, full[:, rows:]], dim=1)
        permuted = padded + block.ls_2(block.mlp(block.ln_2(full)))
        return _permute_rows(permuted, inverse, order)

    # The MLP reads the padded tensor: everything after attention runs in the input's row order.
    split_rows = order.view(frames_total, length)
    mixed_rows, masked_rows = split_rows[:, :rows].flatten(), split_rows[:, rows:].flatten()
    masked_attended = _attend(query[:, rows:], key, value, heads) if rows < length else None
    attended = _AttentionInRasterOrder.apply(mixed_scales, masked_attended, mixed_rows, masked_rows)
    projected = block.ls_1(F.linear(attended.view(x.shape), out_proj.weight, out_proj.bias))
    padded = cast(Tensor, _MixedResidual.apply(x, projected, head_change, mixed_rows))
    return padded + block.ls_2(block.mlp(block.ln_2(padded)))
