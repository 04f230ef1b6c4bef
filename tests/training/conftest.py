from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from model.synth import SynthSpec, write_synthetic_dataset
from model.training import TrainConfig, load_config

CONFIG = Path(__file__).resolve().parents[2] / "model" / "configs" / "train" / "synthetic_tiny_cpu.yaml"
TINY_SPEC = SynthSpec(
    frames=8,
    appearances=(("red", "square"), ("blue", "circle")),
    motions=("moving right", "moving left"),
    held_out=(("blue circle", "moving right"), ("blue circle", "moving left")),
    train_per_class=4,
    test_per_class=2,
    zeroshot_per_class=2,
)


@pytest.fixture(autouse=True)
def _quiet_logs() -> None:
    logging.getLogger().setLevel(logging.ERROR)


def write_prompts(path: Path, names: list[str]) -> Path:
    classes = [{"name": n, "index": i, "label": [n, f"a video of {n}"], "spatial": [], "temporal": []}
               for i, n in enumerate(names)]
    path.write_text(json.dumps({"format": "stdd-prompts", "version": 1, "template_version": "test",
                                "graph_hash": "test", "classes": classes}))
    return path


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    summary = write_synthetic_dataset(out, TINY_SPEC, seed=3)
    write_prompts(out / "prompts.json", summary.classes)
    return out


MakeConfig = Callable[..., TrainConfig]


@pytest.fixture
def make_config(synth_dir: Path, tmp_path: Path) -> MakeConfig:
    def make(*overrides: str, out: Path | None = None) -> TrainConfig:
        base = [
            f"data.root={synth_dir}", f"data.train_split={synth_dir / 'splits' / 'train.csv'}",
            f"data.prompts={synth_dir / 'prompts.json'}", f"output_dir={out or tmp_path / 'run'}",
            "optim.epochs=2", "optim.warmup_epochs=0.5", "data.batch_size=2", "data.workers=0", "threads=1",
            "log_every=1", f"eval.root={synth_dir}", f"eval.prompts={synth_dir / 'prompts.json'}",
            f"eval.splits.0.file={synth_dir / 'splits' / 'test.csv'}",
            f"eval.splits.1.file={synth_dir / 'splits' / 'zeroshot.csv'}", "eval.workers=0",
        ]
        return load_config(CONFIG, [*base, *overrides])

    return make
