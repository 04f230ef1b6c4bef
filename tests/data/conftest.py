from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from model.synth import Appearance, render_clip, write_mp4


@pytest.fixture(autouse=True)
def _quiet_logs() -> None:
    logging.getLogger().setLevel(logging.ERROR)


@pytest.fixture(scope="session")
def clip_video(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    """A real 16-frame 32x32 mp4 and the frames it was encoded from."""
    frames = render_clip(Appearance("red", "square"), "moving right", 16, 32, np.random.default_rng(0))
    path = tmp_path_factory.mktemp("videos") / "clip.mp4"
    write_mp4(path, frames)
    return path, frames
