"""A tiny synthetic dataset with label, spatial and temporal prompts, and tiny checkpoints trained on it."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from model.synth import SynthSpec, write_synthetic_dataset
from model.training import load_config, train

CONFIG = Path(__file__).resolve().parents[2] / "model" / "configs" / "train" / "synthetic_tiny_cpu.yaml"
SPEC = SynthSpec(
    frames=8,
    appearances=(("red", "square"), ("blue", "circle")),
    motions=("moving right", "moving left"),
    held_out=(("blue circle", "moving right"), ("blue circle", "moving left")),
    train_per_class=4,
    test_per_class=2,
    zeroshot_per_class=2,
)
PHASES = {"moving right": ("at the left edge", "in the middle", "at the right edge"),
          "moving left": ("at the right edge", "in the middle", "at the left edge")}


@pytest.fixture(autouse=True)
def _quiet_logs() -> None:
    logging.getLogger().setLevel(logging.ERROR)


def write_prompts(path: Path, names: list[str]) -> Path:
    classes = []
    for index, name in enumerate(names):
        shape, motion = name.rsplit(" moving ", 1)[0], "moving " + name.rsplit(" moving ", 1)[1]
        classes.append({
            "name": name, "index": index, "label": [name],
            "spatial": [f"a {shape}", f"a {shape} on a dark background"],
            "temporal": [f"the {shape} {phase}" for phase in PHASES[motion]],
        })
    path.write_text(json.dumps({"format": "stdd-prompts", "version": 1, "template_version": "test",
                                "graph_hash": "test", "classes": classes}))
    return path


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("explain-synth")
    summary = write_synthetic_dataset(out, SPEC, seed=5)
    write_prompts(out / "prompts.json", summary.classes)
    return out


def _train(synth_dir: Path, out: Path, *extra: str) -> Path:
    overrides = [
        f"data.root={synth_dir}", f"data.train_split={synth_dir / 'splits' / 'train.csv'}",
        f"data.prompts={synth_dir / 'prompts.json'}", f"output_dir={out}", "optim.epochs=1",
        "optim.warmup_epochs=0.5", "data.batch_size=4", "data.workers=0", "threads=1", "log_every=1", *extra,
    ]
    return train(load_config(CONFIG, overrides), progress=False).final_checkpoint


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
