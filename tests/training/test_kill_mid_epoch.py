"""SIGKILL of `stdd train` in the middle of an epoch: `--resume` ends with the same weights, bit for bit, as a
run that was never interrupted, and the metrics hold each epoch once."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml

from model.training import load_config, train
from model.training.checkpoint import load_checkpoint
from model.training.metrics import read_jsonl
from tests.helpers_tiny_run import MakeConfig
from tests.patience import patience

pytestmark = pytest.mark.slow
EPOCHS = ("optim.epochs=3", "weight_averaging=true")


def test_sigkill_mid_epoch_then_resume_equals_an_uninterrupted_run(make_config: MakeConfig, tmp_path: Path) -> None:
    straight = train(make_config(*EPOCHS, out=tmp_path / "straight"), progress=False)
    config = make_config(*EPOCHS, out=tmp_path / "killed")
    config_file = tmp_path / "killed.yaml"
    config_file.write_text(yaml.safe_dump(config.model_dump(mode="json")))
    proc = subprocess.Popen([sys.executable, "-m", "cli.stdd_app", "train", "--config", str(config_file),
                             "--no-progress"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    checkpoint = config.output_dir / "checkpoint.pt"
    deadline = time.monotonic() + patience()
    while not checkpoint.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert proc.poll() is None, f"the run ended before it could be killed: {proc.communicate()[1]}"
    proc.send_signal(signal.SIGKILL)  # epoch 0 is saved; epoch 1 is under way
    proc.wait(timeout=patience())
    killed_at = load_checkpoint(checkpoint)["epoch"]
    assert killed_at < 2 and not (config.output_dir / "model.pt").exists()

    resumed = train(load_config(config_file), resume=True, progress=False)
    a, b = load_checkpoint(straight.final_checkpoint), load_checkpoint(resumed.final_checkpoint)
    assert a["model"].keys() == b["model"].keys()
    for name, tensor in a["model"].items():
        assert torch.equal(tensor, b["model"][name]), name
    records = read_jsonl(resumed.metrics)
    assert [r["epoch"] for r in records if r["kind"] == "epoch"] == [0, 1, 2]
    steps = [r["step"] for r in records if r["kind"] == "step"]
    assert steps == sorted(set(steps))
    assert steps == [r["step"] for r in read_jsonl(straight.metrics) if r["kind"] == "step"]
