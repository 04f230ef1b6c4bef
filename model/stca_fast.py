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
  every scale's sequence. On CPU, W g + bias and c are two more rows of the QKV product (ln_1's gain and
  shift appended to its input), so they cost no pass over W of their own, forward or backward.
* The scales' attention outputs are averaged before the output projection (it is linear); their values are
  pre-scaled by 1/S inside that multiply-add, so the average is a sum.
* With the MLP reading the padded tensor, the full path is needed at masked positions only, so only their
  queries are attended, and mixed and masked rows share one output projection.
Gradients are exact too: LayerNorm's statistics outputs carry no gradient, so ``_RowStatistics`` supplies it.
On CPU, ``_CorrectedAttentionByProducts`` differentiates the correction and both attentions by hand into one
QKV gradient buffer; elsewhere ``_CorrectedSequences`` does the correction and autograd the attention.
Results differ from the reference by float rounding only (see tests/model).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple, cast

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.autograd.function import FunctionCtx

from model.channel_mixing import mix_head_channels, mixed_width
from model.masking import TokenSplit
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


def _corrected_qkv(coefficients: Tensor, basis: Tensor, qkv_rows: Tensor, ratio: Tensor) -> Tensor:
    """(B, S, T, R, 3D) every scale's QKV ``ratio * qkv_rows + coefficients @ basis``, in one buffer: the product,
    then the rescaled rows added in place."""
    sequences = torch.matmul(coefficients, basis)
    sequences.view((*ratio.shape[:-1], qkv_rows.shape[-1])).addcmul_(qkv_rows, ratio)
    return sequences


def _rows_gradient(grad_parts: Tensor, ratio: Tensor, out: Tensor) -> Tensor:
    """Gradient of qkv_rows written into ``out`` (B, T, R, 3, D): a multiply-add per scale (no gradient-sized
    product to sum). grad_parts (B, S, T, R, 3, D)."""
    out.copy_(grad_parts[:, 0]).mul_(ratio[:, 0])
    for scale in range(1, grad_parts.shape[1]):
        out.addcmul_(grad_parts[:, scale], ratio[:, scale])
    return out


def _low_rank_gradients(flat_grad: Tensor, coefficients: Tensor, basis: Tensor) -> tuple[Tensor, Tensor]:
    """Gradients of coefficients (their shape) and basis (K, 3D) from the (rows, 3D) gradient of their product."""
    grad_coefficients = torch.matmul(flat_grad, basis.t()).view(coefficients.shape)
    return grad_coefficients, coefficients.reshape(flat_grad.shape[0], -1).t() @ flat_grad


class _CorrectedSequences(torch.autograd.Function):
    """Every scale's QKV ``ratio * qkv + coefficients @ basis``, in one buffer (the product, then the rescaled
    rows added in place), with a hand-written backward: the rows' gradient is a multiply-add per scale (no
    gradient-sized product to sum), the ratio's a row-wise dot product, the basis' coefficients^T @ grad.

    coefficients (B, S, T, R, K); basis (K, 3D); qkv (B, 1, T, R, 3, D); ratio (B, S, T, R, 3, 1)."""

    @staticmethod
    def forward(ctx: FunctionCtx, coefficients: Tensor, basis: Tensor, qkv: Tensor, ratio: Tensor) -> Tensor:
        ctx.save_for_backward(coefficients, basis, qkv, ratio)
        return _corrected_qkv(coefficients, basis, qkv, ratio)

    @staticmethod
    def backward(ctx: FunctionCtx, grad: Tensor) -> tuple[Tensor | None, Tensor | None, Tensor | None, Tensor | None]:
        coefficients, basis, qkv, ratio = ctx.saved_tensors  # type: ignore[attr-defined]
        needs = ctx.needs_input_grad  # type: ignore[attr-defined]
        grad = grad.contiguous()
        flat = grad.view(-1, grad.shape[-1])
        grad_coefficients = grad_basis = grad_qkv = grad_ratio = None
        if needs[0] or needs[1]:
            grad_coefficients, grad_basis = _low_rank_gradients(flat, coefficients, basis)
        parts = grad.view(ratio.shape[:-1] + qkv.shape[-1:])  # (B, S, T, R, 3, D)
        if needs[2]:
            grad_qkv = _rows_gradient(parts, ratio, parts.new_empty(parts[:, 0].shape)).unsqueeze(1)
        if needs[3]:
            grad_ratio = torch.linalg.vecdot(parts, qkv).unsqueeze(-1)
        return grad_coefficients, grad_basis, grad_qkv, grad_ratio


def _layer_norm_affine(block: StcaBlock) -> tuple[Tensor, Tensor]:
    """ln_1's gain and shift (ones and zeros where it has none)."""
    ln, weight = block.ln_1, block.attn.in_proj_weight
    dim = weight.shape[1]
    gain = ln.weight if ln.weight is not None else weight.new_ones(dim)
    shift = ln.bias if ln.bias is not None else weight.new_zeros(dim)
    return gain, shift


def _head_basis(block: StcaBlock, width: int) -> Tensor:
    """(w, 3D) = (W[:, :w] * g[:w])^T: how the QKV of a row follows its normalised head channels."""
    weight = block.attn.in_proj_weight
    return (weight[:, :width] * _layer_norm_affine(block)[0][:width]).t()


def _statistics_rows(block: StcaBlock) -> Tensor:
    """(2, 3D) = [W g, W b + bias]: how the QKV of a row follows its LayerNorm statistics. One (2, D) x W^T
    product, whose backward reads W row by row (a W^T x (3D, 2) product is several times slower)."""
    attn = block.attn
    rows = F.linear(torch.stack(_layer_norm_affine(block)), attn.in_proj_weight)
    if attn.in_proj_bias is None:
        return rows
    return torch.cat([rows[:1], rows[1:] + attn.in_proj_bias])


def _value_scale(num_scales: int, like: Tensor) -> Tensor:
    """(3, 1): 1 for queries and keys, 1/S for values."""
    return like.new_tensor([[1.0], [1.0], [1.0 / num_scales]])


def _low_rank_basis(head_basis: Tensor, statistics_rows: Tensor, num_scales: int) -> Tensor:
    """(w + 2, 3D) = [W[:, :w] * g[:w], W g, W b + bias]^T, value columns divided by the number of scales,
    row-major in the layout the correction's products read."""
    basis = torch.cat([head_basis, statistics_rows])
    if num_scales == 1:
        return basis
    dim = basis.shape[-1] // 3
    return (basis.view(-1, 3, dim) * _value_scale(num_scales, basis)).view(-1, 3 * dim)


class _Correction(NamedTuple):
    """Every scale's [CLS, kept] QKV is ``ratio * qkv_rows + coefficients @ basis`` (values divided by S), with
    ``basis = _low_rank_basis(head_basis, statistics_rows, S)``.

    coefficients (B, S, T, R, w + 2); head_basis (w, 3D); ratio (B, S, T, R, 3, 1)."""

    coefficients: Tensor
    head_basis: Tensor
    ratio: Tensor


def _mixed_correction(
    block: StcaBlock, x_rows: Tensor, mean: Tensor, rstd: Tensor, num_frames: int
) -> tuple[_Correction, Tensor]:
    """How every scale's [CLS, mixed kept] QKV follows from the unmixed rows' QKV without re-projecting, and
    the change of the rows' head channels averaged over scales (BT, 1+n, w).

    x_rows: (BT, 1+n, D) input rows [CLS, kept]; mean, rstd: their LayerNorm statistics."""
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
    ratio = ratio[..., None] * _value_scale(num_scales, ratio)  # (B, S, T, R, 3, 1)
    correction = _Correction(coefficients, _head_basis(block, width), ratio)
    head_change = delta.mean(dim=1).view(frames_total, rows, width)
    return correction, head_change


def _to_heads(rows: Tensor, heads: int) -> Tensor:
    """(N, L, D), any strides -> (N * heads, L, D / heads), contiguous: one pass. (No ``out=`` anywhere here:
    under torch.compile an op's ``out`` takes the strides of its result.)"""
    count, length, dim = rows.shape
    out = rows.new_empty(count, heads, length, dim // heads)
    out.copy_(rows.unflatten(-1, (heads, -1)).transpose(1, 2))
    return out.view(-1, length, dim // heads)


class _AttentionSaved(NamedTuple):
    query: Tensor  # (N*H, Lq, d)
    key: Tensor  # (N*H, L, d)
    value: Tensor  # (N*H, L, d)
    probabilities: Tensor  # (N*H, Lq, L)
    out: Tensor  # (N*H, Lq, d)


def _attend_heads(query: Tensor, key: Tensor, value: Tensor, scale: float) -> _AttentionSaved:
    """Softmax attention of (N*H, Lq, d) queries over (N*H, L, d) keys and values, logits times ``scale``."""
    logits = torch.baddbmm(query.new_empty(()), query, key.transpose(1, 2), beta=0, alpha=scale)
    probabilities = logits.softmax(dim=-1)
    return _AttentionSaved(query, key, value, probabilities, torch.bmm(probabilities, value))


def _attention_backward(saved: _AttentionSaved, grad_out: Tensor, scale: float) -> tuple[Tensor, Tensor, Tensor]:
    """Gradients of query, key and value, (N*H, L., d) each, from the output's (N*H, Lq, d).

    sum_j dP_ij P_ij = dO_i . O_i (O_i = sum_j P_ij v_j): the softmax backward needs no pass over dP * P."""
    grad_value = torch.bmm(saved.probabilities.transpose(1, 2), grad_out)
    row_dot = torch.linalg.vecdot(grad_out, saved.out).unsqueeze(-1)
    grad_logits = torch.bmm(grad_out, saved.value.transpose(1, 2)).sub_(row_dot).mul_(saved.probabilities)
    grad_query = torch.baddbmm(grad_out.new_empty(()), grad_logits, saved.key, beta=0, alpha=scale)
    grad_key = torch.baddbmm(grad_out.new_empty(()), grad_logits.transpose(1, 2), saved.query, beta=0, alpha=scale)
    return grad_query, grad_key, grad_value


def _corrected_heads(
    qkv_rows: Tensor, coefficients: Tensor, basis: Tensor, ratio: Tensor, heads: int
) -> tuple[Tensor, Tensor, Tensor]:
    """Every scale's corrected query, key and value, (B*S*T*H, R, d) each; the corrected QKV they are copied
    from is freed on return."""
    dim = qkv_rows.shape[-1]
    sequences = _corrected_qkv(coefficients, basis, qkv_rows, ratio).view(-1, qkv_rows.shape[3], 3 * dim)
    return (
        _to_heads(sequences[..., :dim], heads),
        _to_heads(sequences[..., dim : 2 * dim], heads),
        _to_heads(sequences[..., 2 * dim :], heads),
    )


class _CorrectedAttentionByProducts(torch.autograd.Function):
    """CPU: the attention of every scale's corrected [CLS, kept] sequence (summed over scales) and of the
    queries from row ``start`` on over all rows, as batched products and a softmax, forward and backward by
    hand. The backward writes the gradient of both attentions and of the correction into one buffer in the
    projection's own layout: no gradient of a slice or a split is zero-filled, concatenated or summed.

    projected (BT * L + 2, 3D): the QKV of every row [CLS, kept, masked] of every frame, then of ln_1's gain
    and shift (the basis' statistics rows, W g + bias and W b + bias, ride through the projection's product);
    coefficients, head_basis, ratio as in ``_Correction``; bias: the projection's (or None). Returns (BT, R, D)
    and (BT, L - start, D) (no rows when ``start`` is None)."""

    @staticmethod
    def forward(
        ctx: FunctionCtx,
        projected: Tensor,
        coefficients: Tensor,
        head_basis: Tensor,
        bias: Tensor | None,
        ratio: Tensor,
        shape: tuple[int, int, int],
        rows: int,
        start: int | None,
    ) -> tuple[Tensor, Tensor]:
        frames_total, length, heads = shape
        dim3 = projected.shape[-1]
        dim = dim3 // 3
        batch, scales, frames = ratio.shape[:3]
        scale = (dim // heads) ** -0.5
        qkv = projected[:-2].view(frames_total, length, dim3)
        statistics_rows = projected[-2:]
        if bias is not None:
            statistics_rows = torch.cat([statistics_rows[:1] - bias.to(projected.dtype), statistics_rows[1:]])
        basis = _low_rank_basis(head_basis, statistics_rows, scales).to(projected.dtype)
        qkv_rows = qkv[:, :rows].view(batch, 1, frames, rows, 3, dim)
        mixed_saved = _attend_heads(*_corrected_heads(qkv_rows, coefficients, basis, ratio, heads), scale)
        per_scale = mixed_saved.out.view(batch, scales, frames, heads, rows, -1)
        mixed = qkv.new_empty(batch, frames, rows, heads, dim // heads)
        mixed.permute(0, 1, 3, 2, 4).copy_(_sum_over_scales(per_scale))
        # Without a backward to come, every intermediate goes as soon as it is read.
        saving = any(ctx.needs_input_grad)  # type: ignore[attr-defined]
        tensors = [coefficients, basis, projected, ratio, *mixed_saved] if saving else []
        del per_scale, mixed_saved
        full = qkv.new_empty(frames_total, 0, dim)
        if start is not None:
            full_saved = _attend_heads(
                _to_heads(qkv[:, start:, :dim], heads),
                _to_heads(qkv[..., dim : 2 * dim], heads),
                _to_heads(qkv[..., 2 * dim :], heads),
                scale,
            )
            full = full_saved.out.view(frames_total, heads, length - start, -1).transpose(1, 2)
            full = full.reshape(frames_total, length - start, dim)
            if saving:
                tensors += full_saved
            del full_saved
        ctx.save_for_backward(*tensors)
        ctx.layout = (shape, rows, start, scale, bias is not None)  # type: ignore[attr-defined]
        return mixed.view(frames_total, rows, dim), full

    @staticmethod
    def backward(ctx: FunctionCtx, grad_mixed: Tensor, grad_full: Tensor) -> tuple[Tensor | None, ...]:
        (frames_total, length, heads), rows, start, scale, has_bias = ctx.layout  # type: ignore[attr-defined]
        coefficients, basis, projected, ratio, *saved = ctx.saved_tensors  # type: ignore[attr-defined]
        dim3 = projected.shape[-1]
        dim = dim3 // 3
        head_dim = dim // heads
        width = basis.shape[0] - 2
        batch, scales, frames = ratio.shape[:3]
        qkv = projected[:-2].view(frames_total, length, dim3)

        # Every scale's output had the same gradient (their sum is the output).
        grad_heads = grad_mixed.new_empty(batch, scales, frames, heads, rows, head_dim)
        grad_heads.copy_(grad_mixed.reshape(batch, 1, frames, rows, heads, head_dim).transpose(3, 4))
        grads = _attention_backward(_AttentionSaved(*saved[:5]), grad_heads.view(-1, rows, head_dim), scale)
        grad_sequences = grad_mixed.new_empty(batch, scales, frames, rows, 3, dim)
        for part, grad_part in enumerate(grads):
            shaped = grad_part.view(batch, scales, frames, heads, rows, head_dim).transpose(3, 4)
            grad_sequences[..., part, :].view(shaped.shape).copy_(shaped)

        grad_coefficients, grad_basis = _low_rank_gradients(grad_sequences.view(-1, dim3), coefficients, basis)
        if scales > 1:
            grad_basis = (grad_basis.view(-1, 3, dim) * _value_scale(scales, grad_basis)).view(-1, dim3)
        qkv_rows = qkv[:, :rows].view(batch, 1, frames, rows, 3, dim)
        grad_ratio = torch.linalg.vecdot(grad_sequences, qkv_rows).unsqueeze(-1)
        grad_bias = -grad_basis[width] if has_bias else None

        grad_projected = projected.new_empty(projected.shape)
        grad_projected[-2:] = grad_basis[width:]
        grad_qkv = grad_projected[:-2].view(frames_total, length, dim3)
        _rows_gradient(grad_sequences, ratio, grad_qkv[:, :rows].view(batch, frames, rows, 3, dim))
        grads_in = (grad_projected, grad_coefficients, grad_basis[:width], grad_bias, grad_ratio, None, None, None)
        if start is None:
            grad_qkv[:, rows:].zero_()
            return grads_in
        grads = _attention_backward(_AttentionSaved(*saved[5:]), _to_heads(grad_full, heads), scale)
        for part, grad_part in enumerate(grads):
            # Rows [first, rows) already hold the correction's gradient; rows from max(first, rows) on hold nothing.
            first = start if part == 0 else 0
            shaped = grad_part.view(frames_total, heads, length - first, head_dim).transpose(1, 2)
            target = grad_qkv[..., part * dim : (part + 1) * dim].unflatten(-1, (heads, head_dim))
            if first < rows:
                target[:, first:rows].add_(shaped[:, : rows - first])
            else:
                target[:, rows:first].zero_()
            fresh = max(first, rows)
            target[:, fresh:].copy_(shaped[:, fresh - first :])
        return grads_in


def _corrected_attention(
    block: StcaBlock, normed: Tensor, correction: _Correction, rows: int, start: int | None
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
        inputs = torch.cat([normed.reshape(-1, dim), torch.stack(_layer_norm_affine(block))])
        projected = F.linear(inputs, attn.in_proj_weight, attn.in_proj_bias)
        dtype = projected.dtype
        return cast(
            tuple[Tensor, Tensor],
            _CorrectedAttentionByProducts.apply(
                projected,
                coefficients.to(dtype),
                head_basis.to(dtype),
                attn.in_proj_bias,
                ratio.to(dtype),
                (frames_total, length, heads),
                rows,
                start,
            ),
        )
    qkv = F.linear(normed, attn.in_proj_weight, attn.in_proj_bias)
    dtype = qkv.dtype
    basis = _low_rank_basis(head_basis, _statistics_rows(block), scales).to(dtype)
    qkv_rows = qkv[:, :rows].view(batch, 1, frames, rows, 3, dim)
    sequences = cast(Tensor, _CorrectedSequences.apply(coefficients.to(dtype), basis, qkv_rows, ratio.to(dtype)))
    query, key, value = sequences.view(-1, rows, 3 * dim).split(dim, dim=-1)
    per_scale = _attend(query, key, value, heads).view(batch, scales, frames, rows, dim)
    mixed = _sum_over_scales(per_scale).view(frames_total, rows, dim)
    if start is None:
        return mixed, qkv.new_empty(frames_total, 0, dim)
    query, key, value = qkv.split(dim, dim=-1)
    return mixed, _attend(query[:, start:], key, value, heads)


def _sum_over_scales(attended: Tensor) -> Tensor:
    """(B, S, ...) -> (B, ...) as S - 1 elementwise adds (a reduction over a middle dim is slower)."""
    parts = attended.unbind(dim=1)
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    return total


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
    order = _split_order(split, frames_total, length, x.device)
    inverse = torch.empty_like(order)
    inverse[order] = torch.arange(order.numel(), device=order.device)
    xp = _permute_rows(x, order, inverse)

    normed, mean, rstd = torch.native_layer_norm(xp, (dim,), ln.weight, ln.bias, ln.eps)
    correction, head_change = _mixed_correction(block, xp[:, :rows], mean[:, :rows], rstd[:, :rows], num_frames)
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
    split_rows = order.view(frames_total, length)
    mixed_rows, masked_rows = split_rows[:, :rows].flatten(), split_rows[:, rows:].flatten()
    attended = _AttentionInRasterOrder.apply(mixed, full_attended, mixed_rows, masked_rows)
    projected = block.ls_1(F.linear(attended.view(x.shape), out_proj.weight, out_proj.bias))
    padded = cast(Tensor, _MixedResidual.apply(x, projected, head_change, mixed_rows))
    return padded + block.ls_2(block.mlp(block.ln_2(padded)))
