"""Video-to-class scores from frame features and per-class prompt features."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def class_scores(
    frame_features: Tensor, prompt_features: Tensor, prompt_mask: Tensor, logit_scale: Tensor | float
) -> Tensor:
    """score[b, k] = ½(mean_n max_t s + mean_t max_n s), s = logit_scale · cos(f[b, t], g[k, n]).

    frame_features (B, T, D); prompt_features (K, N, D); prompt_mask (K, N) marks real prompts (padding is
    excluded from both the max and the mean). Returns (B, K).
    """
    frames = F.normalize(frame_features, dim=-1)
    prompts = F.normalize(prompt_features, dim=-1)
    similarity = logit_scale * torch.einsum("btd,knd->btkn", frames, prompts)
    mask = prompt_mask.to(torch.bool)
    counts = mask.sum(dim=-1).clamp(min=1).to(similarity.dtype)
    best_frame = similarity.amax(dim=1)  # (B, K, N)
    prompt_side = (best_frame * mask).sum(dim=-1) / counts
    best_prompt = similarity.masked_fill(~mask, float("-inf")).amax(dim=-1)  # (B, T, K)
    frame_side = best_prompt.mean(dim=1)
    return 0.5 * (prompt_side + frame_side)
