from __future__ import annotations

from pathlib import Path

import pytest
import torch

from model.training import train
from model.training.checkpoint import CheckpointError, atomic_save, load_checkpoint
from model.training.metrics import read_jsonl
from tests.helpers_tiny_run import MakeConfig

# Exercise the teacher, weight averaging and gradient accumulation in the same run.
EXTRAS = ("loss.distill_weight=1.0", "weight_averaging=true", "optim.accumulation_steps=2", "optim.epochs=4")


def assert_same_tensors(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        assert torch.equal(a[name], b[name]), name


def test_resume_equals_uninterrupted_training(make_config: MakeConfig, tmp_path: Path) -> None:
    straight = train(make_config(*EXTRAS, out=tmp_path / "straight"), progress=False)
    interrupted = make_config(*EXTRAS, out=tmp_path / "resumed")
    first = train(interrupted, progress=False, stop_after_epochs=2)
    assert first.epochs == 2 and load_checkpoint(tmp_path / "resumed" / "checkpoint.pt")["epoch"] == 1
    resumed = train(interrupted, resume=True, progress=False)
    assert resumed.epochs == 4

    a, b = load_checkpoint(straight.output_dir / "checkpoint.pt"), load_checkpoint(resumed.output_dir / "checkpoint.pt")
    assert a["global_step"] == b["global_step"] == 8  # 8 clips / batch 2 / accumulation 2 = 2 steps x 4 epochs
    assert_same_tensors(a["model"], b["model"])
    assert_same_tensors(a["objective"], b["objective"])
    assert_same_tensors(a["averager"]["average"], b["averager"]["average"])
    for state_a, state_b in zip(a["optimizer"]["state"].values(), b["optimizer"]["state"].values(), strict=True):
        assert_same_tensors(state_a, state_b)
    assert a["scheduler"] == b["scheduler"]
    assert_same_tensors(load_checkpoint(straight.final_checkpoint)["model"],
                        load_checkpoint(resumed.final_checkpoint)["model"])
    # The metrics of the resumed run continue the file instead of replacing it.
    epochs = [r["epoch"] for r in read_jsonl(resumed.metrics) if r["kind"] == "epoch"]
    assert epochs == [0, 1, 2, 3]
    assert (resumed.output_dir / "metrics.png").stat().st_size > 0


def test_training_changes_the_visual_tower_only(make_config: MakeConfig, tmp_path: Path) -> None:
    from model.evaluation import load_trained_model
    from model.loading import build_model

    config = make_config("optim.epochs=1", out=tmp_path / "one")
    result = train(config, progress=False)
    torch.manual_seed(config.seed)
    initial = build_model(config.model, 8, keep_teacher=False).state_dict()
    trained, _ = load_trained_model(result.final_checkpoint)
    changed = {n for n, v in trained.state_dict().items() if not torch.equal(v, initial[n])}
    assert changed and all(n.startswith("clip.visual.") or n == "clip.logit_scale" for n in changed)


def test_resume_from_a_checkpoint_that_does_not_fit_is_one_line_and_changes_nothing(
    make_config: MakeConfig, tmp_path: Path
) -> None:
    config = make_config("weight_averaging=true", out=tmp_path / "run")
    train(config, progress=False, stop_after_epochs=1)
    path = tmp_path / "run" / "checkpoint.pt"
    state = load_checkpoint(path)
    state["averager"]["count"] = -1  # e.g. edited by hand or written by another tool
    atomic_save(state, path)
    before = path.read_bytes()
    with pytest.raises(CheckpointError) as caught:
        train(config, resume=True, progress=False)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message and "cannot resume" in message and "count" in message
    assert path.read_bytes() == before
    assert [r["epoch"] for r in read_jsonl(tmp_path / "run" / "metrics.jsonl") if r["kind"] == "epoch"] == [0]
