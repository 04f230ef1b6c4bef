from __future__ import annotations

import logging
from pathlib import Path

import pytest

from model.training import TrainConfig
from tests.helpers_tiny_run import MakeConfig, tiny_config, write_tiny_synth


@pytest.fixture(autouse=True)
def _quiet_logs() -> None:
    logging.getLogger().setLevel(logging.ERROR)


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_synth(tmp_path_factory.mktemp("synth"), seed=3)


@pytest.fixture
def make_config(synth_dir: Path, tmp_path: Path) -> MakeConfig:
    def make(*overrides: str, out: Path | None = None) -> TrainConfig:
        evaluation = [
            f"eval.root={synth_dir}", f"eval.prompts={synth_dir / 'prompts.json'}",
            f"eval.splits.0.file={synth_dir / 'splits' / 'test.csv'}",
            f"eval.splits.1.file={synth_dir / 'splits' / 'zeroshot.csv'}", "eval.workers=0",
        ]
        return tiny_config(synth_dir, out or tmp_path / "run", "optim.epochs=2", *evaluation, *overrides)

    return make
