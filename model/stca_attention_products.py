"""STCA fast formulation on CPU: the attention of every scale's corrected [CLS, kept] sequence and of the masked
queries over all tokens as batched products and a softmax, with the correction, differentiated by hand into
one QKV gradient buffer (``CorrectedAttentionByProducts``)."""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor
from torch.autograd.function import FunctionCtx

from model.stca_correction import (
    corrected_qkv,
    divide_value_columns,
    low_rank_basis,
    low_rank_gradients,
    rows_gradient,
)


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
    sequences = corrected_qkv(coefficients, basis, qkv_rows, ratio).view(-1, qkv_rows.shape[3], 3 * dim)
    return (
        _to_heads(sequences[..., :dim], heads),
        _to_heads(sequences[..., dim : 2 * dim], heads),
        _to_heads(sequences[..., 2 * dim :], heads),
    )


class CorrectedAttentionByProducts(torch.autograd.Function):
    """CPU: the attention of every scale's corrected [CLS, kept] sequence (summed over scales) and of the
    queries from row ``start`` on over all rows, as batched products and a softmax, forward and backward by
    hand. The backward writes the gradient of both attentions and of the correction into one buffer in the
    projection's own layout: no gradient of a slice or a split is zero-filled, concatenated or summed.

    projected (BT * L + 2, 3D): the QKV of every row [CLS, kept, masked] of every frame, then of ln_1's gain
    and shift (the basis' statistics rows, W g + bias and W b + bias, ride through the projection's product);
    coefficients, head_basis, ratio as in ``Correction``; bias: the projection's (or None); backward: whether a
    backward may follow (under no_grad, ``ctx.needs_input_grad`` still says whether the inputs require grad).
    Returns (BT, R, D) and (BT, L - start, D) (no rows when ``start`` is None)."""

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
        backward: bool,
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
        basis = low_rank_basis(head_basis, statistics_rows, scales).to(projected.dtype)
        qkv_rows = qkv[:, :rows].view(batch, 1, frames, rows, 3, dim)
        mixed_saved = _attend_heads(*_corrected_heads(qkv_rows, coefficients, basis, ratio, heads), scale)
        per_scale = mixed_saved.out.view(batch, scales, frames, heads, rows, -1)
        mixed = qkv.new_empty(batch, frames, rows, heads, dim // heads)
        mixed.permute(0, 1, 3, 2, 4).copy_(sum_over_scales(per_scale))
        # Without a backward to come, every intermediate goes as soon as it is read.
        saving = backward and any(ctx.needs_input_grad)  # type: ignore[attr-defined]
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

        grad_coefficients, grad_basis = low_rank_gradients(grad_sequences.view(-1, dim3), coefficients, basis)
        divide_value_columns(grad_basis, scales)
        qkv_rows = qkv[:, :rows].view(batch, 1, frames, rows, 3, dim)
        grad_ratio = torch.linalg.vecdot(grad_sequences, qkv_rows).unsqueeze(-1)
        grad_bias = -grad_basis[width] if has_bias else None

        grad_projected = projected.new_empty(projected.shape)
        grad_projected[-2:] = grad_basis[width:]
        grad_qkv = grad_projected[:-2].view(frames_total, length, dim3)
        rows_gradient(grad_sequences, ratio, grad_qkv[:, :rows].view(batch, frames, rows, 3, dim))
        grads_in = (grad_projected, grad_coefficients, grad_basis[:width], grad_bias, grad_ratio, *[None] * 4)
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


def sum_over_scales(attended: Tensor) -> Tensor:
    """(B, S, ...) -> (B, ...) as S - 1 elementwise adds (a reduction over a middle dim is slower)."""
    parts = attended.unbind(dim=1)
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    return total
