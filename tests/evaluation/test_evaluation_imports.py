"""Evaluation, prediction, explanation and synthetic reports stand on model/loading.py, not on the training
package: importing them loads no ``model.training`` module (the training loop, DDP and rich stay out)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


MODULES = ("model.loading", "model.evaluation", "model.predict", "model.explain", "model.synth")


def test_importing_them_does_not_load_the_training_package() -> None:
    code = ("import importlib, json, sys\n"
            f"for name in {MODULES!r}:\n"
            "    importlib.import_module(name)\n"
            "    print(name, json.dumps(sorted(m for m in sys.modules if m.startswith('model.training'))))\n")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    loaded = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    assert {name: json.loads(modules) for name, modules in loaded.items()} == {name: [] for name in MODULES}
