"""Configuration of the Space-Time Cross Attention (STCA) blocks."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

MlpInput = Literal["padded", "full"]
Formulation = str  # a name in model.stca_registry: "fast", "reference" or one you registered


class StcaConfig(BaseModel):
    """How the visual blocks turn into STCA blocks. No field adds parameters.

    ``mlp_input``: "padded" feeds the MLP the spatially padded tensor it is added to, as the paper writes the
    block (default: the residual stream and the MLP input stay the same tensor, as in every pre-LN block, and
    the fast formulation then needs full-path queries only at masked positions); "full" feeds it the
    plain full-attention output, as the official code does (use it to reproduce official checkpoints).

    ``formulation``: the name of a registered formulation (``model.stca_registry``); all compute the same
    function up to float rounding. "reference" runs the three attention passes like the official code;
    "fast" uses one QKV projection of the block input, a low-rank correction for the mixed channels, one
    output projection and full-path queries only where they are used. An unknown name is an error.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    mask_rate: float = Field(0.5, ge=0.0, lt=1.0)
    channel_fold: int = Field(32, ge=2)
    temporal_scales: tuple[int, ...] = (1, 2)
    mlp_input: MlpInput = "padded"
    formulation: Formulation = "fast"
    train_random_offset: bool = True
    train_temporal_shuffle: bool = True
    blocks: tuple[int, ...] | None = Field(
        None, description="indices of the blocks that run STCA (the others run the plain block); None: all"
    )

    @field_validator("formulation")
    @classmethod
    def _formulation_known(cls, name: str) -> str:
        from model.stca_registry import stca_formulation  # imported late: formulations import this module

        stca_formulation(name)
        return name

    @field_validator("temporal_scales")
    @classmethod
    def _scales_valid(cls, scales: tuple[int, ...]) -> tuple[int, ...]:
        if not scales or any(scale < 0 for scale in scales):
            raise ValueError("temporal_scales needs at least one scale, each >= 0 (0: no mixing)")
        return scales

    @classmethod
    def official(cls) -> StcaConfig:
        """The official code's semantics: three attention passes, MLP reads the full-path output."""
        return cls(mlp_input="full", formulation="reference")

    @classmethod
    def identity(cls, formulation: Formulation = "fast") -> StcaConfig:
        """Masking and mixing switched off: the block computes exactly what the original block does."""
        return cls(mask_rate=0.0, temporal_scales=(0,), formulation=formulation)
