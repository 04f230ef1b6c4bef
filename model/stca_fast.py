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


def _layer_norm_stats(x: Tensor, eps: float) -> tuple[Tensor, Tensor]:
    var, mean = torch.var_mean(x, dim=-1, keepdim=True, unbiased=False)
    return mean, torch.rsqrt(var + eps)


def _mixed_branch_inputs(
    block: ResidualAttentionBlock, config: StcaConfig, x_kept: Tensor, qkv_kept: Tensor, num_frames: int
) -> tuple[Tensor, Tensor]:
    """Per scale, the mixed kept tokens (S, BT, n, D) and their QKV (S, BT, n, 3D) without re-projecting."""
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

    mean, rstd = _layer_norm_stats(x_kept, ln.eps)
    raw = (qkv_kept - offset) / rstd  # = W(g*x) - mean * Wg
    grouped = x_kept.reshape(frames_total // num_frames, num_frames, num_kept, dim)
    tokens, projections = [], []
    for scale in config.temporal_scales:
        head = mix_head_channels(grouped, config.channel_fold, scale).reshape(frames_total, num_kept, width)
        mixed = torch.cat([head, x_kept[..., width:]], dim=-1)
        mixed_mean, mixed_rstd = _layer_norm_stats(mixed, ln.eps)
        correction = F.linear(head - x_kept[..., :width], head_weight)
        projections.append((raw + (mean - mixed_mean) * weight_gain + correction) * mixed_rstd + offset)
        tokens.append(mixed)
    return torch.stack(tokens), torch.stack(projections)


def fast_stca_forward(
    block: ResidualAttentionBlock, config: StcaConfig, x: Tensor, num_frames: int, split: TokenSplit
) -> Tensor:
    """x: (B*T, 1 + P*P, D) batch-first, CLS first."""
    attn = block.attn
    frames_total, _, dim = x.shape
    heads = attn.num_heads
    qkv = F.linear(block.ln_1(x), attn.in_proj_weight, attn.in_proj_bias)
    query, key, value = qkv.split(dim, dim=-1)

    kept_rows = split.kept.reshape(frames_total, -1) + 1
    mixed_x, mixed_qkv = _mixed_branch_inputs(
        block, config, _gather_rows(x, kept_rows), _gather_rows(qkv, kept_rows), num_frames
    )
    scales = mixed_qkv.shape[0]
    cls_qkv = qkv[:, :1].expand(scales, -1, -1, -1) if scales > 1 else qkv[:, :1][None]
    sequence_qkv = torch.cat([cls_qkv, mixed_qkv], dim=2).flatten(0, 1)
    sequence_query, sequence_key, sequence_value = sequence_qkv.split(dim, dim=-1)
    mixed_attended = _attend(sequence_query, sequence_key, sequence_value, heads)
    mixed_attended = mixed_attended.unflatten(0, (scales, frames_total)).mean(dim=0)
    mixed_residual = torch.cat([x[:, :1], mixed_x.mean(dim=0)], dim=1)

    if config.mlp_input == "full":
        full = x + block.ls_1(attn.out_proj(_attend(query, key, value, heads)))
        mixed_out = mixed_residual + block.ls_1(attn.out_proj(mixed_attended))
        kept_index = (kept_rows - 1)[:, :, None].expand(-1, -1, dim)
        padded = torch.cat([mixed_out[:, :1], full[:, 1:].scatter(1, kept_index, mixed_out[:, 1:])], dim=1)
        return padded + block.ls_2(block.mlp(block.ln_2(full)))

    masked_rows = split.masked.reshape(frames_total, -1) + 1
    if masked_rows.shape[1]:
        masked_attended = _attend(_gather_rows(query, masked_rows), key, value, heads)
        attended = torch.cat([mixed_attended, masked_attended], dim=1)
        residual = torch.cat([mixed_residual, _gather_rows(x, masked_rows)], dim=1)
    else:
        attended, residual = mixed_attended, mixed_residual
    # Token order here: CLS, kept patches, masked patches.
    permuted = residual + block.ls_1(attn.out_proj(attended))
    permuted = permuted + block.ls_2(block.mlp(block.ln_2(permuted)))
    order = torch.cat([x.new_zeros(frames_total, 1, dtype=torch.long), kept_rows, masked_rows], dim=1)
    return torch.empty_like(permuted).scatter(1, order[:, :, None].expand(-1, -1, dim), permuted)
