"""The tiny synthetic dataset (label, spatial and temporal prompts) and tiny checkpoints trained on it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from model.training import train
from tests.helpers_tiny_run import tiny_config, write_tiny_synth


@pytest.fixture(autouse=True)
def _quiet_logs() -> None:
    logging.getLogger().setLevel(logging.ERROR)


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_synth(tmp_path_factory.mktemp("explain-synth"), seed=5)


def _train(synth_dir: Path, out: Path, *extra: str) -> Path:
    return train(tiny_config(synth_dir, out, "data.batch_size=4", *extra), progress=False).final_checkpoint


@pytest.fixture(scope="session")
def stdd_checkpoint(synth_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _train(synth_dir, tmp_path_factory.mktemp("explain-stdd"))


@pytest.fixture(scope="session")
def frame_averaging_checkpoint(synth_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """No temporal modelling: every frame's features depend on that frame alone."""
    return _train(synth_dir, tmp_path_factory.mktemp("explain-avg"), "model.stca.mask_rate=0",
                  "model.stca.temporal_scales=[0]")


@pytest.fixture(scope="session")
def a_video(synth_dir: Path) -> Path:
    return sorted((synth_dir / "videos" / "test").rglob("*.mp4"))[0]
