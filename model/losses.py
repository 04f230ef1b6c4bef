"""Training objective: cross-entropy on class scores plus distillation towards the frozen CLIP."""

from __future__ import annotations

from dataclasses import dataclass

import torch.nn.functional as F
from pydantic import BaseModel, ConfigDict, Field
from torch import Tensor, nn


class LossConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    distill_weight: float = Field(2.0, ge=0.0)
    distill_alpha: float = 0.1
    label_smoothing: float = Field(0.0, ge=0.0, lt=1.0)


class FrameDistillation(nn.Module):
    """weight · mean(1 - cos(f + α·MLP(f), f_frozen)) over frames, f and f_frozen L2-normalised.

    The MLP (bias-free, last layer zero-initialised) is trainable and belongs to the loss, not the model.
    """

    def __init__(self, dim: int, alpha: float = 0.1, weight: float = 2.0) -> None:
        super().__init__()
        self.alpha, self.weight = alpha, weight
        first, last = nn.Linear(dim, dim, bias=False), nn.Linear(dim, dim, bias=False)
        nn.init.kaiming_normal_(first.weight)
        nn.init.zeros_(last.weight)
        self.projector = nn.Sequential(first, nn.GELU(), last)

    def forward(self, frame_features: Tensor, frozen_features: Tensor) -> Tensor:
        student = F.normalize(frame_features, dim=-1)
        student = student + self.alpha * self.projector(student)
        target = F.normalize(frozen_features.detach(), dim=-1)
        return self.weight * (1.0 - F.cosine_similarity(student, target, dim=-1)).mean()


@dataclass(frozen=True)
class LossTerms:
    total: Tensor
    classification: Tensor
    distillation: Tensor


class StddObjective(nn.Module):
    def __init__(self, feature_dim: int, config: LossConfig | None = None) -> None:
        super().__init__()
        self.config = config or LossConfig()
        self.distillation = FrameDistillation(
            feature_dim, self.config.distill_alpha, self.config.distill_weight
        )

    def forward(
        self, scores: Tensor, labels: Tensor, frame_features: Tensor, frozen_features: Tensor | None
    ) -> LossTerms:
        classification = F.cross_entropy(scores, labels, label_smoothing=self.config.label_smoothing)
        if frozen_features is None or self.config.distill_weight == 0:
            distillation = classification.new_zeros(())
        else:
            distillation = self.distillation(frame_features, frozen_features)
        return LossTerms(classification + distillation, classification, distillation)
