"""STCA fast formulation ("fast"): the reference function at about the cost of a plain block.

Per block, all exact in exact arithmetic:
* Tokens are reordered once to [CLS, kept, masked] (attention does not depend on the order of keys), so
  every later selection is a slice; the output goes back to raster order once, at the end.
* One LayerNorm and one QKV projection of all tokens. A mixed kept token differs from its input token only in
  the ``w = 2*D/fold`` head channels (change ``delta``). With LN(x) = g*(x - mu)*r + b and c = W b + bias,
  its QKV is ``ratio*qkv + [r'*delta, -(mu' - mu)*r', 1 - ratio] @ [W[:, :w]*g[:w], W g, c]^T`` with
  ``ratio = r'/r``: a per-row rescale plus a rank-(w+2) product, where the new statistics mu', r' follow from
  the old ones and head-channel sums. One matmul and one fused multiply-add give every scale's sequence;
  the CLS row (ratio 1, coefficients 0) rides along unchanged.
* The scales' attention outputs are averaged before the output projection (it is linear), and the mixed and
  full paths share one output projection call.
* With the MLP reading the padded tensor, the full path is needed at masked positions only, so only their
  queries are attended.
Results differ from the reference by float rounding only (see tests/model).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import Tensor

from model.channel_mixing import mix_head_channels, mixed_width
from model.masking import TokenSplit
from model.stca_registry import register_stca_formulation

if TYPE_CHECKING:
    from model.stca import StcaBlock


def _attend(query: Tensor, key: Tensor, value: Tensor, heads: int) -> Tensor:
    def split(t: Tensor) -> Tensor:
        return t.unflatten(-1, (heads, -1)).transpose(-3, -2)

    out = F.scaled_dot_product_attention(split(query), split(key), split(value))
    return out.transpose(-3, -2).flatten(-2)


def _raster_to_split_order(split: TokenSplit, frames_total: int, length: int, device: torch.device) -> Tensor:
    """Flat row index (BT*L,) into x.flatten(0, 1) that lists each frame's tokens as [CLS, kept, masked]."""
    kept = split.kept.reshape(frames_total, -1) + 1
    masked = split.masked.reshape(frames_total, -1) + 1
    cls = torch.zeros(frames_total, 1, dtype=kept.dtype, device=device)
    order = torch.cat([cls, kept, masked], dim=1)
    return (order + torch.arange(frames_total, device=device)[:, None] * length).flatten()


def _permute_rows(rows: Tensor, flat_order: Tensor, to_split_order: bool) -> Tensor:
    """Gather (``to_split_order``) or scatter back the rows of (BT, L, D) tokens with one row copy.

    Written as ``index_copy`` both ways: its backward is a plain row gather (no scatter-add)."""
    shape = rows.shape
    flat = rows.reshape(-1, shape[-1])
    out = torch.empty_like(flat)
    if to_split_order:
        inverse = torch.empty_like(flat_order)
        inverse[flat_order] = torch.arange(flat_order.numel(), device=flat_order.device)
        out.index_copy_(0, inverse, flat)
    else:
        out.index_copy_(0, flat_order, flat)
    return out.view(shape)


def _mixed_sequences(
    block: StcaBlock, x_head: Tensor, qkv_head: Tensor, mean: Tensor, rstd: Tensor, num_frames: int
) -> tuple[Tensor, Tensor]:
    """QKV of every scale's [CLS, mixed kept] sequence, (S, BT, 1+n, 3D), without re-projecting, and the
    kept tokens' head channels averaged over scales (BT, n, w) for the residual.

    x_head: (BT, 1+n, D) input rows [CLS, kept]; qkv_head, mean, rstd: their QKV and LN statistics."""
    config, ln, attn = block.config, block.ln_1, block.attn
    frames_total, rows, dim = x_head.shape
    width = mixed_width(dim, config.channel_fold)
    weight = attn.in_proj_weight
    gain = ln.weight if ln.weight is not None else weight.new_ones(dim)
    shift = ln.bias if ln.bias is not None else weight.new_zeros(dim)
    bias = attn.in_proj_bias if attn.in_proj_bias is not None else weight.new_zeros(3 * dim)
    # (3D, w + 2): [W[:, :w] * g[:w], W g, c] with c = W b + bias; one product reads W once
    gain_and_shift = weight @ torch.stack([gain, shift], dim=1)
    low_rank = torch.cat(
        [weight[:, :width] * gain[:width], gain_and_shift[:, :1], gain_and_shift[:, 1:] + bias[:, None]], dim=1
    )

    kept = x_head[:, 1:]
    kept_head = kept[..., :width]  # (BT, n, w)
    grouped = kept.reshape(frames_total // num_frames, num_frames, rows - 1, dim)
    heads = torch.stack(
        [mix_head_channels(grouped, config.channel_fold, scale) for scale in config.temporal_scales]
    ).flatten(1, 2)  # (S, BT, n, w)
    delta = heads - kept_head
    mean, rstd = mean[:, 1:], rstd[:, 1:]  # (BT, n, 1)
    mean_shift = delta.sum(dim=-1, keepdim=True) / dim
    # D * (var' - var) = sum over head channels of (h' - mu)^2 - (h - mu)^2, minus D * (mu' - mu)^2
    variance = rstd.pow(-2) - ln.eps
    mixed_variance = variance + (delta * (heads + kept_head - 2 * mean)).sum(dim=-1, keepdim=True) / dim
    mixed_rstd = torch.rsqrt(mixed_variance - mean_shift.square() + ln.eps)
    ratio = mixed_rstd / rstd
    coefficients = torch.cat([delta * mixed_rstd, -mean_shift * mixed_rstd, 1 - ratio], dim=-1)
    # The CLS row: coefficients 0 and ratio 1 keep its QKV as it is.
    coefficients = F.pad(coefficients, (0, 0, 1, 0)).to(qkv_head.dtype)
    ratio = F.pad(ratio, (0, 0, 1, 0), value=1.0).to(qkv_head.dtype)
    sequences = torch.matmul(coefficients, low_rank.t().to(qkv_head.dtype))
    sequences.addcmul_(qkv_head, ratio)
    return sequences, heads.mean(dim=0)


@register_stca_formulation("fast")
def fast_stca_forward(block: StcaBlock, x: Tensor, num_frames: int, split: TokenSplit) -> Tensor:
    """x: (B*T, 1 + P*P, D) batch-first, CLS first."""
    config, attn, ln = block.config, block.attn, block.ln_1
    frames_total, length, dim = x.shape
    heads = attn.num_heads
    mixed_rows = 1 + split.kept.shape[-1]  # CLS + kept
    flat_order = _raster_to_split_order(split, frames_total, length, x.device)
    xp = _permute_rows(x, flat_order, to_split_order=True)

    normed, mean, rstd = torch.native_layer_norm(xp, (dim,), ln.weight, ln.bias, ln.eps)
    qkv = F.linear(normed, attn.in_proj_weight, attn.in_proj_bias)
    sequences, kept_head = _mixed_sequences(
        block, xp[:, :mixed_rows], qkv[:, :mixed_rows], mean[:, :mixed_rows], rstd[:, :mixed_rows], num_frames
    )
    scales = sequences.shape[0]
    query, key, value = sequences.flatten(0, 1).split(dim, dim=-1)
    mixed_attended = _attend(query, key, value, heads).unflatten(0, (scales, frames_total)).mean(dim=0)
    width = kept_head.shape[-1]
    head_change = kept_head - xp[:, 1:mixed_rows, :width]

    query, key, value = qkv.split(dim, dim=-1)
    out_proj = attn.out_proj
    if config.mlp_input == "full":
        full_attended = _attend(query, key, value, heads)
        projected = F.linear(torch.cat([mixed_attended, full_attended], dim=1), out_proj.weight, out_proj.bias)
        projected = block.ls_1(projected)
        full = xp + projected[:, mixed_rows:]
        mixed = xp[:, :mixed_rows] + projected[:, :mixed_rows]
        mixed[:, 1:, :width] += head_change
        padded = torch.cat([mixed, full[:, mixed_rows:]], dim=1)
        permuted = padded + block.ls_2(block.mlp(block.ln_2(full)))
    else:
        attended = mixed_attended
        if mixed_rows < length:
            masked_attended = _attend(query[:, mixed_rows:], key, value, heads)
            attended = torch.cat([mixed_attended, masked_attended], dim=1)
        padded = xp + block.ls_1(F.linear(attended, out_proj.weight, out_proj.bias))
        padded[:, 1:mixed_rows, :width] += head_change
        permuted = padded + block.ls_2(block.mlp(block.ln_2(padded)))
    return _permute_rows(permuted, flat_order, to_split_order=False)
