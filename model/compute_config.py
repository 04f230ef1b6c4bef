"""How the visual towers run: autocast precision and gradient checkpointing. Changes no parameter."""

from __future__ import annotations

from typing import Literal

import torch
from pydantic import BaseModel, ConfigDict, Field

Autocast = Literal["off", "bf16"]


class ComputeConfig(BaseModel):
    """``autocast="bf16"``: the student and teacher visual forwards run under ``torch.autocast`` in bfloat16
    (matmuls and attention in bf16, LayerNorm statistics and the residual stream in fp32); the backward pass
    runs outside autocast, as PyTorch recommends. Works on CUDA and CPU.

    ``grad_checkpointing``: each visual block keeps only its input during a training forward and recomputes
    its activations in the backward pass (same masks: they are drawn before the recomputed part), trading
    about one extra forward for much less activation memory.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    autocast: Autocast = "off"
    grad_checkpointing: bool = Field(False, description="recompute block activations in the backward pass")

    @property
    def autocast_dtype(self) -> torch.dtype | None:
        return torch.bfloat16 if self.autocast == "bf16" else None
