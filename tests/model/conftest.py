from __future__ import annotations

import logging

import pytest
import torch
from stdd_test_support import TINY_FRAMES, TINY_IMAGE, TINY_MODEL, MakeModel

from model import StcaConfig, StddVideoClip, create_stdd


@pytest.fixture(autouse=True)
def _quiet_open_clip() -> None:
    logging.getLogger().setLevel(logging.ERROR)


@pytest.fixture
def make_tiny() -> MakeModel:
    def make(stca: StcaConfig | None = None, seed: int = 0, **kwargs: object) -> StddVideoClip:
        torch.manual_seed(seed)
        model, _ = create_stdd(TINY_MODEL, num_frames=TINY_FRAMES, stca=stca, **kwargs)  # type: ignore[arg-type]
        return model

    return make


@pytest.fixture
def tiny_video() -> torch.Tensor:
    generator = torch.Generator().manual_seed(1)
    return torch.randn(2, TINY_FRAMES, 3, TINY_IMAGE, TINY_IMAGE, generator=generator)
