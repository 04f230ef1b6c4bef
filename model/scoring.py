"""Video-to-class scores from frame features and per-class prompt features."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor


@dataclass(frozen=True)
class ScoreTerms:
    """The pieces of ``class_scores``; ``stdd explain`` draws exactly these.

    similarity (B, T, K, N); best_frame (B, K, N) max over frames per prompt (padding: 0); prompt_side
    (B, K) its mean over real prompts; best_prompt (B, T, K) max over real prompts per frame; frame_side
    (B, K) its mean over frames; score (B, K) = ½(prompt_side + frame_side).
    """

    similarity: Tensor
    best_frame: Tensor
    prompt_side: Tensor
    best_prompt: Tensor
    frame_side: Tensor
    score: Tensor


def score_terms(
    frame_features: Tensor, prompt_features: Tensor, prompt_mask: Tensor, logit_scale: Tensor | float
) -> ScoreTerms:
    frames = F.normalize(frame_features, dim=-1)
    prompts = F.normalize(prompt_features, dim=-1)
    similarity = logit_scale * torch.einsum("btd,knd->btkn", frames, prompts)
    mask = prompt_mask.to(torch.bool)
    counts = mask.sum(dim=-1).clamp(min=1).to(similarity.dtype)
    best_frame = similarity.amax(dim=1) * mask  # (B, K, N)
    prompt_side = best_frame.sum(dim=-1) / counts
    best_prompt = similarity.masked_fill(~mask, float("-inf")).amax(dim=-1)  # (B, T, K)
    frame_side = best_prompt.mean(dim=1)
    return ScoreTerms(similarity, best_frame, prompt_side, best_prompt, frame_side, 0.5 * (prompt_side + frame_side))


def class_scores(
    frame_features: Tensor, prompt_features: Tensor, prompt_mask: Tensor, logit_scale: Tensor | float
) -> Tensor:
    """score[b, k] = ½(mean_n max_t s + mean_t max_n s), s = logit_scale · cos(f[b, t], g[k, n]).

    frame_features (B, T, D); prompt_features (K, N, D); prompt_mask (K, N) marks real prompts (padding is
    excluded from both the max and the mean). Returns (B, K).
    """
    return score_terms(frame_features, prompt_features, prompt_mask, logit_scale).score
