"""`stdd train` on a really full disk and into a really read-only folder (tests/private_mounts.py: a tiny
tmpfs, a read-only bind mount, in a private mount namespace). Each: exit 4, one line naming the file or
folder, and the run that was there before keeps its checkpoint, model and metrics byte for byte.

Where private mounts are not allowed these skip; test_training_faults.py injects the same errors instead.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from pathlib import Path

import pytest

from model.training import load_config, train
from tests.helpers_tiny_run import TINY_CONFIG as CONFIG
from tests.private_mounts import ReadOnly, SmallDisk, run_with_mounts, unavailable

pytestmark = pytest.mark.slow
RUN_FILES = ("checkpoint.pt", "model.pt", "metrics.jsonl")
PAGE = 4096


def _overrides(synth: Path, out: Path) -> list[str]:
    return [f"data.root={synth}", f"data.train_split={synth / 'splits' / 'train.csv'}",
            f"data.classes={synth / 'splits' / 'train-index2cls.json'}", f"data.prompts={synth / 'prompts.json'}",
            f"output_dir={out}", "optim.epochs=1", "optim.warmup_epochs=0", "data.batch_size=2",
            "data.workers=0", "threads=1", "log_every=1"]


@pytest.fixture(scope="module")
def previous_run(synth_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    reason = unavailable()
    if reason is not None:
        pytest.skip(reason)
    out = tmp_path_factory.mktemp("previous") / "run"
    train(load_config(CONFIG, _overrides(synth_dir, out)), progress=False)
    return out


def _digests(folder: Path) -> dict[str, str]:
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in RUN_FILES}


def _stdd_train(synth: Path, out: Path) -> list[str]:
    argv = [sys.executable, "-m", "cli.stdd_app", "train", "--config", str(CONFIG), "--no-progress"]
    for override in _overrides(synth, out):
        argv += ["--set", override]
    return argv


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def test_a_full_disk_fails_the_checkpoint_in_one_line_and_keeps_the_previous_run(
    previous_run: Path, synth_dir: Path, tmp_path: Path
) -> None:
    used = sum(-(-(previous_run / name).stat().st_size // PAGE) * PAGE for name in os.listdir(previous_run))
    room_left = (previous_run / "checkpoint.pt").stat().st_size // 2  # not enough for the next checkpoint
    disk, after = tmp_path / "disk", tmp_path / "after"
    result = run_with_mounts([SmallDisk(disk, used + room_left, fill=previous_run, copy_back=after)],
                             _stdd_train(synth_dir, disk), env={**os.environ, "COLUMNS": "200"})
    assert result.returncode == 4, result.stderr
    line = _one_line(result.stderr)
    assert line.startswith(f"error: cannot write {disk / 'checkpoint.pt'}: "), line
    assert line.endswith(": No space left on device; the previous file is unchanged"), line
    assert _digests(after) == _digests(previous_run)
    assert sorted(os.listdir(after)) == sorted(os.listdir(previous_run))  # no temporary file left behind


def test_a_read_only_output_dir_fails_before_any_work_and_keeps_the_previous_run(
    previous_run: Path, synth_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "read-only"
    shutil.copytree(previous_run, folder / "run")
    before = _digests(folder / "run")
    for out in (folder / "run", folder / "new-run"):
        result = run_with_mounts([ReadOnly(folder)], _stdd_train(synth_dir, out),
                                 env={**os.environ, "COLUMNS": "200"})
        assert result.returncode == 4, result.stderr
        assert _one_line(result.stderr) == f"error: output_dir {out}: cannot write there (Read-only file system)"
    assert _digests(folder / "run") == before
    assert sorted(os.listdir(folder)) == ["run"]
