"""One training step: the module DDP wraps (video -> frame features -> class scores -> loss terms, teacher
included), its forward/backward on a micro-batch, and the optimiser step on the accumulated gradients."""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import Tensor, nn
from torch.optim.lr_scheduler import LRScheduler

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


def forward_backward(
    module: nn.Module, video: Tensor, labels: Tensor, scaler: torch.amp.GradScaler, amp: bool, loss_divisor: int = 1
) -> tuple[LossTerms, Tensor]:
    """One micro-batch: the forward of ``module`` (a ``TrainStep``, DDP-wrapped or not) under mixed-precision
    autocast when ``amp``, then the backward of the scaled ``total / loss_divisor`` outside autocast."""
    with torch.autocast(video.device.type, enabled=amp):
        terms, scores = module(video, labels)
    scaler.scale(terms.total / loss_divisor).backward()
    return terms, scores


def optimizer_step(
    optimizer: torch.optim.Optimizer, scheduler: LRScheduler, scaler: torch.amp.GradScaler,
    parameters: Iterable[Tensor], grad_clip: float | None,
) -> None:
    """Apply the accumulated gradients: unscale and clip them (``grad_clip``), step, advance the schedule."""
    if grad_clip:
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(parameters, grad_clip)
    scaler.step(optimizer)
    scaler.update()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)
