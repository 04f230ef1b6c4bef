"""Two processes with torchrun on CPU (gloo): gradients are averaged correctly and replicas stay identical."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import torch

from model.training.metrics import read_jsonl
from tests.helpers_tiny_run import TINY_CONFIG, MakeConfig
from tests.patience import patience

REPO = Path(__file__).resolve().parents[2]


def torchrun(*args: str, timeout: float = patience()) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
               "--max-restarts", "0", *args]
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def test_ddp_step_matches_the_full_batch_step(tmp_path: Path) -> None:
    torchrun(str(Path(__file__).with_name("ddp_step_worker.py")), str(tmp_path))
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=False) for r in (0, 1)]
    assert [r["world"] for r in ranks] == [2, 2]
    for result in ranks:
        assert result["grad_keys"] == result["expected_keys"]
        assert result["worst_grad_error"] < 1e-5
    for name, weight in ranks[0]["weights"].items():
        assert torch.equal(weight, ranks[1]["weights"][name]), name


def test_stdd_train_under_torchrun_keeps_replicas_in_sync(make_config: MakeConfig, tmp_path: Path) -> None:
    config = make_config("optim.epochs=2", out=tmp_path / "ddp")
    config_file = tmp_path / "config.yaml"
    import yaml

    config_file.write_text(yaml.safe_dump(config.model_dump(mode="json")))
    torchrun("-m", "cli.stdd_app", "train", "--config", str(config_file), "--no-progress")
    epochs = [r for r in read_jsonl(tmp_path / "ddp" / "metrics.jsonl") if r["kind"] == "epoch"]
    assert [r["epoch"] for r in epochs] == [0, 1]
    assert all(r["rank_weight_spread"] == 0.0 for r in epochs)
    assert (tmp_path / "ddp" / "model.pt").is_file()
    assert TINY_CONFIG.is_file()


def test_train_frees_its_ddp_wrapper_before_destroying_the_process_group(
    make_config: MakeConfig, tmp_path: Path
) -> None:
    """The DDP reducer's destructor holds the GIL; were it the process group's last holder, the group's gloo
    threads could not finish and the process hung at exit (it did, once, in CI)."""
    import json

    import yaml

    config = make_config("optim.epochs=1", out=tmp_path / "run")
    config_file = tmp_path / "config.yaml"
    config_file.write_text(yaml.safe_dump(config.model_dump(mode="json")))
    torchrun(str(Path(__file__).with_name("ddp_teardown_worker.py")), str(config_file), str(tmp_path))
    for rank in (0, 1):
        assert json.loads((tmp_path / f"teardown{rank}.json").read_text()) == [0], rank
