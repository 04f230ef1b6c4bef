"""Top-k accuracy, pairwise accuracy on time-reversed twins, mean ± std over splits."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor


def topk_accuracy(scores: Tensor, labels: Tensor, k: int) -> float:
    if labels.numel() == 0:
        return float("nan")
    k = min(k, scores.shape[-1])
    hits = (scores.topk(k, dim=-1).indices == labels[:, None]).any(dim=-1)
    return float(hits.float().mean())


def pairwise_accuracy(scores: Tensor, labels: Tensor, twin_of: Sequence[int | None]) -> float:
    """Share of clips whose class scores above its twin class (clips of classes without a twin are ignored)."""
    rows = [i for i, label in enumerate(labels.tolist()) if twin_of[label] is not None]
    if not rows:
        return float("nan")
    index = torch.tensor(rows)
    own = scores[index, labels[index]]
    twins = scores[index, torch.tensor([twin_of[int(labels[i])] for i in rows])]
    return float((own > twins).float().mean())


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and population standard deviation (ddof 0) over splits."""
    tensor = torch.tensor(list(values), dtype=torch.float64)
    return float(tensor.mean()), float(tensor.std(unbiased=False)) if len(values) > 1 else 0.0
