"""The module DDP wraps: video -> frame features -> class scores -> loss terms, teacher included."""

from __future__ import annotations

from torch import Tensor, nn

from model.losses import LossTerms, StddObjective
from model.scoring import class_scores
from model.video_clip import StddVideoClip


class TrainStep(nn.Module):
    """Holds the model and the objective (its distillation MLP is trained too) so one DDP covers both."""

    def __init__(self, model: StddVideoClip, objective: StddObjective, text: Tensor, mask: Tensor) -> None:
        super().__init__()
        self.model = model
        self.objective = objective
        self.text: Tensor
        self.mask: Tensor
        self.register_buffer("text", text, persistent=False)
        self.register_buffer("mask", mask, persistent=False)
        self.use_teacher = objective.config.distill_weight > 0

    def forward(self, video: Tensor, labels: Tensor) -> tuple[LossTerms, Tensor]:
        features = self.model.encode_video(video)
        scores = class_scores(features, self.text, self.mask, self.model.logit_scale)
        frozen = self.model.encode_video_frozen(video) if self.use_teacher else None
        return self.objective(scores, labels, features, frozen), scores
