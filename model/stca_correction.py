"""The exact correction behind STCA's fast formulation: every scale's mixed [CLS, kept] QKV from the unmixed
rows' QKV, without re-projecting.

A mixed kept token differs from its input token only in the ``w = 2*D/fold`` head channels (change
``delta``). With LN(x) = g*(x - mu)*r + b and c = W b + bias, its QKV is
``ratio*qkv + [r'*delta, -(mu' - mu)*r', 1 - ratio] @ [W[:, :w]*g[:w], W g, c]^T`` with ``ratio = r'/r``: a
per-row rescale plus a rank-(w+2) product, where the new statistics mu', r' follow from LayerNorm's own
statistics and head-channel sums (``_RowStatistics`` supplies the gradient LayerNorm's statistics outputs do
not carry). One gather mixes the head channels of every scale (the CLS row reads its own frame, so its change
is 0 and it rides along). Values are pre-scaled by 1/S, so the scales' attention outputs sum to their average.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.autograd.function import FunctionCtx

from model.channel_mixing import mix_head_channels, mixed_width
from model.shape_cache import shape_cache

if TYPE_CHECKING:
    from model.stca import StcaBlock


@shape_cache
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


def corrected_qkv(coefficients: Tensor, basis: Tensor, qkv_rows: Tensor, ratio: Tensor) -> Tensor:
    """(B, S, T, R, 3D) every scale's QKV ``ratio * qkv_rows + coefficients @ basis``, in one buffer: the product,
    then the rescaled rows added in place."""
    sequences = torch.matmul(coefficients, basis)
    sequences.view((*ratio.shape[:-1], qkv_rows.shape[-1])).addcmul_(qkv_rows, ratio)
    return sequences


def rows_gradient(grad_parts: Tensor, ratio: Tensor, out: Tensor) -> Tensor:
    """Gradient of qkv_rows written into ``out`` (B, T, R, 3, D): a multiply-add per scale (no gradient-sized
    product to sum). grad_parts (B, S, T, R, 3, D)."""
    out.copy_(grad_parts[:, 0]).mul_(ratio[:, 0])
    for scale in range(1, grad_parts.shape[1]):
        out.addcmul_(grad_parts[:, scale], ratio[:, scale])
    return out


def low_rank_gradients(flat_grad: Tensor, coefficients: Tensor, basis: Tensor) -> tuple[Tensor, Tensor]:
    """Gradients of coefficients (their shape) and basis (K, 3D) from the (rows, 3D) gradient of their product."""
    grad_coefficients = torch.matmul(flat_grad, basis.t()).view(coefficients.shape)
    return grad_coefficients, coefficients.reshape(flat_grad.shape[0], -1).t() @ flat_grad


class CorrectedSequences(torch.autograd.Function):
    """Every scale's QKV ``ratio * qkv + coefficients @ basis``, in one buffer (the product, then the rescaled
    rows added in place), with a hand-written backward: the rows' gradient is a multiply-add per scale (no
    gradient-sized product to sum), the ratio's a row-wise dot product, the basis' coefficients^T @ grad.

    coefficients (B, S, T, R, K); basis (K, 3D); qkv (B, 1, T, R, 3, D); ratio (B, S, T, R, 3, 1)."""

    @staticmethod
    def forward(ctx: FunctionCtx, coefficients: Tensor, basis: Tensor, qkv: Tensor, ratio: Tensor) -> Tensor:
        ctx.save_for_backward(coefficients, basis, qkv, ratio)
        return corrected_qkv(coefficients, basis, qkv, ratio)

    @staticmethod
    def backward(ctx: FunctionCtx, grad: Tensor) -> tuple[Tensor | None, Tensor | None, Tensor | None, Tensor | None]:
        coefficients, basis, qkv, ratio = ctx.saved_tensors  # type: ignore[attr-defined]
        needs = ctx.needs_input_grad  # type: ignore[attr-defined]
        grad = grad.contiguous()
        flat = grad.view(-1, grad.shape[-1])
        grad_coefficients = grad_basis = grad_qkv = grad_ratio = None
        if needs[0] or needs[1]:
            grad_coefficients, grad_basis = low_rank_gradients(flat, coefficients, basis)
        parts = grad.view(ratio.shape[:-1] + qkv.shape[-1:])  # (B, S, T, R, 3, D)
        if needs[2]:
            grad_qkv = rows_gradient(parts, ratio, parts.new_empty(parts[:, 0].shape)).unsqueeze(1)
        if needs[3]:
            grad_ratio = torch.linalg.vecdot(parts, qkv).unsqueeze(-1)
        return grad_coefficients, grad_basis, grad_qkv, grad_ratio


def layer_norm_affine(block: StcaBlock) -> tuple[Tensor, Tensor]:
    """ln_1's gain and shift (ones and zeros where it has none)."""
    ln, weight = block.ln_1, block.attn.in_proj_weight
    dim = weight.shape[1]
    gain = ln.weight if ln.weight is not None else weight.new_ones(dim)
    shift = ln.bias if ln.bias is not None else weight.new_zeros(dim)
    return gain, shift


def _head_basis(block: StcaBlock, width: int) -> Tensor:
    """(w, 3D) = (W[:, :w] * g[:w])^T: how the QKV of a row follows its normalised head channels."""
    weight = block.attn.in_proj_weight
    return (weight[:, :width] * layer_norm_affine(block)[0][:width]).t()


def statistics_rows(block: StcaBlock) -> Tensor:
    """(2, 3D) = [W g, W b + bias]: how the QKV of a row follows its LayerNorm statistics. One (2, D) x W^T
    product, whose backward reads W row by row (a W^T x (3D, 2) product is several times slower)."""
    attn = block.attn
    rows = F.linear(torch.stack(layer_norm_affine(block)), attn.in_proj_weight)
    if attn.in_proj_bias is None:
        return rows
    return torch.cat([rows[:1], rows[1:] + attn.in_proj_bias])


def value_scale(num_scales: int, like: Tensor) -> Tensor:
    """(3, 1): 1 for queries and keys, 1/S for values."""
    return like.new_tensor([[1.0], [1.0], [1.0 / num_scales]])


def low_rank_basis(head_basis: Tensor, statistics_rows: Tensor, num_scales: int) -> Tensor:
    """(w + 2, 3D) = [W[:, :w] * g[:w], W g, W b + bias]^T, value columns divided by the number of scales,
    row-major in the layout the correction's products read."""
    return divide_value_columns(torch.cat([head_basis, statistics_rows]), num_scales)


def divide_value_columns(rows: Tensor, num_scales: int) -> Tensor:
    """(K, 3D) rows with their value columns divided by the number of scales, in place (the basis, and its
    gradient the same way)."""
    if num_scales > 1:
        rows[:, 2 * (rows.shape[-1] // 3) :] /= num_scales
    return rows


class Correction(NamedTuple):
    """Every scale's [CLS, kept] QKV is ``ratio * qkv_rows + coefficients @ basis`` (values divided by S), with
    ``basis = low_rank_basis(head_basis, statistics_rows, S)``.

    coefficients (B, S, T, R, w + 2); head_basis (w, 3D); ratio (B, S, T, R, 3, 1)."""

    coefficients: Tensor
    head_basis: Tensor
    ratio: Tensor


def mixed_correction(
    block: StcaBlock, x_rows: Tensor, mean: Tensor, rstd: Tensor, num_frames: int
) -> tuple[Correction, Tensor]:
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
    ratio = ratio[..., None] * value_scale(num_scales, ratio)  # (B, S, T, R, 3, 1)
    correction = Correction(coefficients, _head_basis(block, width), ratio)
    head_change = delta.mean(dim=1).view(frames_total, rows, width)
    return correction, head_change
