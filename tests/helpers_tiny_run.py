"""A tiny synthetic dataset with label, spatial and temporal prompts, and the settings of a tiny CPU training
run on it: the one source for the fixtures of tests/training and tests/explain.

Imported as ``tests.helpers_tiny_run`` (a unique module name), never through a ``conftest`` module: test
folders without ``__init__.py`` each have a conftest.py, and one pytest run over several folders would
otherwise resolve ``from conftest import ...`` to whichever folder's conftest came first.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from model.synth import SynthSpec, write_synthetic_dataset
from model.training import TrainConfig, load_config
from tests.patience import patience

TINY_CONFIG = Path(__file__).resolve().parents[1] / "model" / "configs" / "train" / "synthetic_tiny_cpu.yaml"
TINY_SPEC = SynthSpec(
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

MakeConfig = Callable[..., TrainConfig]


def write_prompts(path: Path, names: list[str]) -> Path:
    """A prompts file for synthetic classes named "<shape> moving <direction>": the label, two spatial and
    three temporal prompts (the shape at the edges it passes, in order) per class."""
    classes = []
    for index, name in enumerate(names):
        shape, direction = name.rsplit(" moving ", 1)
        classes.append({
            "name": name, "index": index, "label": [name],
            "spatial": [f"a {shape}", f"a {shape} on a dark background"],
            "temporal": [f"the {shape} {phase}" for phase in PHASES[f"moving {direction}"]],
        })
    path.write_text(json.dumps({"format": "stdd-prompts", "version": 1, "template_version": "test",
                                "graph_hash": "test", "classes": classes}))
    return path


def write_tiny_synth(out: Path, seed: int) -> Path:
    """``TINY_SPEC``'s videos, splits and class maps under ``out``, with ``out/prompts.json``."""
    summary = write_synthetic_dataset(out, TINY_SPEC, seed=seed)
    write_prompts(out / "prompts.json", summary.classes)
    return out


def tiny_run_overrides(synth_dir: Path, out: Path, *extra: str) -> list[str]:
    """``--set`` values that train ``TINY_CONFIG`` on ``synth_dir`` into ``out``, one thread, no workers."""
    return [
        f"data.root={synth_dir}", f"data.train_split={synth_dir / 'splits' / 'train.csv'}",
        f"data.prompts={synth_dir / 'prompts.json'}", f"output_dir={out}", "optim.epochs=1",
        "optim.warmup_epochs=0.5", "data.batch_size=2", "data.workers=0", "threads=1", "log_every=1", *extra,
    ]


def tiny_config(synth_dir: Path, out: Path, *extra: str) -> TrainConfig:
    return load_config(TINY_CONFIG, tiny_run_overrides(synth_dir, out, *extra))


def export_synth_prompts(synth_dir: Path, work: Path) -> Path:
    """`askg build` + `askg export-prompts` of a `stdd synth` folder's classes from its own seeds, through the
    real CLI, into an embedded store in ``work``; returns the prompts file."""
    env = {**os.environ, "ASKG_SEEDS_DIR": str(synth_dir / "graph_seeds")}
    env.pop("ASKG_STORE", None)
    store, prompts = work / "graph.json", work / "prompts.json"
    classes = str(synth_dir / "classes.txt")
    for args in (["build", "--classes", classes], ["export-prompts", "--classes", classes, "--out", str(prompts)]):
        result = subprocess.run([sys.executable, "-m", "cli.askg_app", "--store", str(store), *args], env=env,
                                capture_output=True, text=True, timeout=patience())
        assert result.returncode == 0, result.stdout + result.stderr
    return prompts
