"""SIGKILL while a checkpoint is being saved: the run's checkpoint is always loadable and is the old one or
the new one, never a mix or a torn file; the next run drops the temporary file the killed save left.

A child process saves checkpoints back to back with `atomic_save` (what `stdd train` calls) and reports
each finished save; it is killed with SIGKILL at a random moment, most often while a save is writing or
syncing.
"""

from __future__ import annotations

import multiprocessing
import random
import time
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from pathlib import Path

import pytest
import torch

from model.training.checkpoint import load_checkpoint
from model.training.trainer import CHECKPOINT, prepare_output_dir
from tests.patience import patience

pytestmark = pytest.mark.slow

ROUNDS = 8
SHAPE = (1024, 2048)  # 8 MB: writing and fsync take most of each loop


def save_forever(path: Path, step: int, finished: Connection) -> None:
    """The child: save checkpoints back to back with what `stdd train` uses; report each finished save."""
    import numpy as np

    from model.training.checkpoint import atomic_save

    while True:
        step += 1
        weights = torch.from_numpy(np.full(SHAPE, float(step), dtype=np.float32))  # each value names its save
        atomic_save({"step": step, "model": {"w": weights}}, path)
        finished.send(step)


def _saves_then_kill(context: BaseContext, path: Path, first_step: int, saves_before_kill: int,
                     pause_s: float) -> int:
    """Let a saver finish `saves_before_kill` saves, wait `pause_s`, SIGKILL it; the last step it reported."""
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(target=save_forever, args=(path, first_step, sending))  # type: ignore[attr-defined]
    child.start()
    sending.close()
    last = first_step
    try:
        for _ in range(saves_before_kill):
            if not receiving.poll(patience()):
                raise AssertionError(f"the saver reported nothing (exit code {child.exitcode})")
            last = receiving.recv()
        time.sleep(pause_s)  # any moment is a valid moment to be killed: the clock decides nothing asserted
    finally:
        child.kill()
        child.join(patience())
    while receiving.poll():  # saves finished between the last read and the kill
        try:
            last = receiving.recv()
        except EOFError:
            break
    return last


def test_sigkill_mid_save_leaves_the_old_or_the_new_checkpoint_never_a_torn_one(tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    path = out / CHECKPOINT
    torch.save({"step": 0, "model": {"w": torch.zeros(SHAPE)}}, path)
    # One process imports torch once and forks every saver: a round costs a fork, not an interpreter start.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["torch", "numpy", "model.training.checkpoint"])
    chooser = random.Random(12)
    step, killed_mid_save = 0, 0
    for _ in range(ROUNDS):
        reported = _saves_then_kill(context, path, step, chooser.randint(1, 3), chooser.uniform(0.0, 0.2))
        state = load_checkpoint(path)
        # Old (the last save it reported) or new (one that finished renaming but not reporting).
        assert state["step"] in (reported, reported + 1), (state["step"], reported)
        weights = state["model"]["w"]
        assert weights.shape == SHAPE and bool((weights == state["step"]).all())
        leftovers = list(out.glob(f".{CHECKPOINT}.*.tmp"))
        killed_mid_save += bool(leftovers)
        prepare_output_dir(out)  # what the next `stdd train` does first
        assert not list(out.glob("*.tmp")) and not list(out.glob(".*.tmp"))
        assert load_checkpoint(path)["step"] == state["step"]
        step = state["step"]
    # The kills did land inside saves (a torn temporary file was there to clean up), not only between them.
    assert killed_mid_save >= 1
