"""STCA block, fast formulation: the same function as ``stca_reference`` with about plain-block cost.

Why it is cheaper, per block (all exact in exact arithmetic):
* One QKV projection of LN(x) for all tokens. A mixed token differs from the gathered input token only in
  the ``2*D/fold`` mixed channels, so with LN(x) = g*(x-mu)*r + b its projection is
  ``(qkv - c)/r*r' + (mu - mu')*r'*Wg + r'*W[:, mixed](g*delta) + c`` (c = W b + bias), i.e. a rank
  ``2*D/fold`` correction plus new LN statistics (mu', r') instead of a second full projection.
* The scales' attention outputs are averaged before the output projection (it is linear), and the mixed
  and full paths share one output projection call.
* With the MLP reading the padded tensor, the full path is only needed at masked positions, so only their
  queries are attended. Tokens stay in [CLS, kept, masked] order through the MLP and are put back in
  raster order once at the end.
Floating-point results differ from the reference by rounding only (see tests).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from open_clip.transformer import ResidualAttentionBlock
from torch import Tensor

from model.channel_mixing import mix_head_channels, mixed_width
from model.masking import TokenSplit
from model.stca_config import StcaConfig


def _gather_rows(tokens: Tensor, rows: Tensor) -> Tensor:
    return torch.gather(tokens, 1, rows[:, :, None].expand(-1, -1, tokens.shape[-1]))


def _attend(query: Tensor, key: Tensor, value: Tensor, heads: int) -> Tensor:
    def split(t: Tensor) -> Tensor:
        return t.unflatten(-1, (heads, -1)).transpose(1, 2)

    out = F.scaled_dot_product_attention(split(query), split(key), split(value))
    return out.transpose(1, 2).flatten(2)


def _mixed_branch_inputs(
    block: ResidualAttentionBlock,
    config: StcaConfig,
    x_kept: Tensor,
    qkv_kept: Tensor,
    mean: Tensor,
    rstd: Tensor,
    num_frames: int,
    out_qkv: Tensor,
) -> Tensor:
    """Writes, per scale s, the QKV of the mixed kept tokens into ``out_qkv[s]`` (S, BT, n, 3D) without
    re-projecting, and returns the mixed kept tokens averaged over scales (BT, n, D) for the residual.

    Only the ``width`` head channels change, so the LN statistics of a mixed token are updated from those
    of its input token (``mean``, ``rstd``) with head-channel sums: no full-width mixed tensor is built."""
    ln, attn = block.ln_1, block.attn
    frames_total, num_kept, dim = x_kept.shape
    weight = attn.in_proj_weight
    gain = ln.weight if ln.weight is not None else weight.new_ones(dim)
    shift = ln.bias if ln.bias is not None else weight.new_zeros(dim)
    bias = attn.in_proj_bias if attn.in_proj_bias is not None else weight.new_zeros(3 * dim)
    width = mixed_width(dim, config.channel_fold)
    offset = weight @ shift + bias
    weight_gain = weight @ gain
    head_weight = weight[:, :width] * gain[:width]

    raw = (qkv_kept - offset) / rstd  # = W(g*x) - mean * Wg
    variance = rstd.pow(-2) - ln.eps
    kept_head = x_kept[..., :width]
    grouped = x_kept.reshape(frames_total // num_frames, num_frames, num_kept, dim)
    head_sum = torch.zeros_like(kept_head)
    for index, scale in enumerate(config.temporal_scales):
        head = mix_head_channels(grouped, config.channel_fold, scale).reshape(frames_total, num_kept, width)
        head_sum += head
        mixed_mean = mean + (head - kept_head).sum(dim=-1, keepdim=True) / dim
        mixed_var = (
            variance
            + (mean - mixed_mean).square()
            + ((head - mixed_mean).square() - (kept_head - mixed_mean).square()).sum(dim=-1, keepdim=True) / dim
        )
        mixed_rstd = torch.rsqrt(mixed_var + ln.eps)
        correction = F.linear(head - kept_head, head_weight)
        out_qkv[index] = torch.addcmul(raw + correction, mean - mixed_mean, weight_gain) * mixed_rstd + offset
    residual = x_kept.clone()
    residual[..., :width] = head_sum / len(config.temporal_scales)
    return residual


def fast_stca_forward(
    block: ResidualAttentionBlock, config: StcaConfig, x: Tensor, num_frames: int, split: TokenSplit
) -> Tensor:
    """x: (B*T, 1 + P*P, D) batch-first, CLS first.

    The block works on the tokens reordered once to [CLS, kept, masked] (attention does not depend on the
    order of keys), so every later selection is a slice; the output is put back in raster order at the end."""
    attn, ln = block.attn, block.ln_1
    frames_total, _, dim = x.shape
    heads = attn.num_heads
    kept_rows = split.kept.reshape(frames_total, -1) + 1
    masked_rows = split.masked.reshape(frames_total, -1) + 1
    order = torch.cat([x.new_zeros(frames_total, 1, dtype=torch.long), kept_rows, masked_rows], dim=1)
    xp = _gather_rows(x, order)
    kept = slice(1, 1 + kept_rows.shape[1])
    masked = slice(1 + kept_rows.shape[1], None)

    normed, mean, rstd = torch.native_layer_norm(xp, (dim,), ln.weight, ln.bias, ln.eps)
    qkv = F.linear(normed, attn.in_proj_weight, attn.in_proj_bias)
    query, key, value = qkv.split(dim, dim=-1)
    scales = len(config.temporal_scales)
    sequence_qkv = qkv.new_empty(scales, frames_total, 1 + kept_rows.shape[1], 3 * dim)
    sequence_qkv[:, :, :1] = qkv[:, :1]
    mixed_kept = _mixed_branch_inputs(
        block, config, xp[:, kept], qkv[:, kept], mean[:, kept], rstd[:, kept], num_frames, sequence_qkv[:, :, 1:]
    )
    sequence_query, sequence_key, sequence_value = sequence_qkv.flatten(0, 1).split(dim, dim=-1)
    mixed_attended = _attend(sequence_query, sequence_key, sequence_value, heads)
    mixed_attended = mixed_attended.unflatten(0, (scales, frames_total)).mean(dim=0)

    if config.mlp_input == "full":
        full = xp + block.ls_1(attn.out_proj(_attend(query, key, value, heads)))
        mixed_out = torch.cat([xp[:, :1], mixed_kept], dim=1) + block.ls_1(attn.out_proj(mixed_attended))
        permuted = torch.cat([mixed_out, full[:, masked]], dim=1) + block.ls_2(block.mlp(block.ln_2(full)))
    else:
        attended = mixed_attended
        if masked_rows.shape[1]:
            masked_attended = _attend(query[:, masked], key, value, heads)
            attended = torch.cat([mixed_attended, masked_attended], dim=1)
        residual = torch.cat([xp[:, :1], mixed_kept, xp[:, masked]], dim=1)
        permuted = residual + block.ls_1(attn.out_proj(attended))
        permuted = permuted + block.ls_2(block.mlp(block.ln_2(permuted)))
    return torch.empty_like(permuted).scatter(1, order[:, :, None].expand(-1, -1, dim), permuted)
