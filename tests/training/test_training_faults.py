"""Faults on the model side: nothing trainable, hostile checkpoints and split files, a full disk, a
read-only output, a resumed run's metrics. Each error is one line naming the file; no file is lost."""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from model.data.splits import SplitFileError, read_class_map, read_split_file, split_items
from model.evaluation import load_trained_model
from model.prompts_file import PromptsFileError, load_prompts_file
from model.training import TrainConfig, load_config, train
from model.training.checkpoint import CheckpointError, load_checkpoint
from model.training.config import ConfigError
from model.training.metrics import read_jsonl
from model.training.trainer import OutputDirError, TrainingDataError
from tests.helpers_tiny_run import TINY_CONFIG as CONFIG
from tests.patience import patience

RUN_FILES = ("checkpoint.pt", "model.pt", "metrics.jsonl")


def _config(synth: Path, out: Path, split: Path | None = None, *extra: str) -> TrainConfig:
    return load_config(CONFIG, [
        f"data.root={synth}", f"data.train_split={split or synth / 'splits' / 'train.csv'}",
        f"data.classes={synth / 'splits' / 'train-index2cls.json'}",
        f"data.prompts={synth / 'prompts.json'}", f"output_dir={out}", "optim.epochs=1", "optim.warmup_epochs=0",
        "data.batch_size=2", "data.workers=0", "threads=1", "log_every=1", *extra,
    ])


@pytest.fixture(scope="module")
def trained_run(synth_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("trained") / "run"
    train(_config(synth_dir, out), progress=False)
    return out


def _digests(folder: Path) -> dict[str, str]:
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in RUN_FILES}


def _copy_run(source: Path, target: Path) -> Path:
    target.mkdir(parents=True)
    for name in RUN_FILES:
        (target / name).write_bytes((source / name).read_bytes())
    return target


@pytest.mark.parametrize("rows", ["", "missing/a.mp4,0\nmissing/b.mp4,1\nmissing/c.mp4,0\nmissing/d.mp4,1\n"])
def test_nothing_trainable_fails_and_keeps_the_runs_files(
    rows: str, trained_run: Path, synth_dir: Path, tmp_path: Path
) -> None:
    out = _copy_run(trained_run, tmp_path / "run")
    before = _digests(out)
    split = tmp_path / "train.csv"
    split.write_text(rows)
    with pytest.raises(TrainingDataError) as raised:
        train(_config(synth_dir, out, split), progress=False)
    assert str(split) in str(raised.value) and "\n" not in str(raised.value)
    assert _digests(out) == before


def test_skipped_fraction_over_the_limit_fails(synth_dir: Path, tmp_path: Path) -> None:
    good = (synth_dir / "splits" / "train.csv").read_text().splitlines()
    split = tmp_path / "train.csv"
    split.write_text("\n".join([*good[:2], *[f"gone/{i}.mp4,0" for i in range(6)]]) + "\n")
    with pytest.raises(TrainingDataError, match=r"max_skipped_fraction=0\.5"):
        train(_config(synth_dir, tmp_path / "run", split), progress=False)
    assert not (tmp_path / "run" / "checkpoint.pt").exists()
    assert not (tmp_path / "run" / "metrics.jsonl").exists()


def test_malicious_checkpoint_runs_nothing_through_stdd_predict(synth_dir: Path, tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"

    class Payload:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return os.system, (f"touch {marker}",)

    evil = tmp_path / "model.pt"
    torch.save({"config": {}, "model": Payload()}, evil)
    video = next((synth_dir / "videos").rglob("*.mp4")) if (synth_dir / "videos").is_dir() else next(
        synth_dir.rglob("*.mp4"))
    result = subprocess.run(
        [sys.executable, "-m", "cli.stdd_app", "predict", str(video), "--checkpoint", str(evil),
         "--prompts", str(synth_dir / "prompts.json")],
        capture_output=True, text=True, timeout=patience(),
    )
    assert not marker.exists()
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(evil) in lines[0] and "allow-list" in lines[0] and "posix.system" in lines[0]


def _checkpoint_variants(trained_run: Path, tmp_path: Path) -> dict[str, tuple[Path, str]]:
    good = (trained_run / "model.pt").read_bytes()
    variants: dict[str, tuple[bytes, str]] = {
        "empty": (b"", "empty file"),
        "truncated": (good[: len(good) // 2], "damaged or truncated"),
        "text": (b"this is not a checkpoint\n", "not a PyTorch checkpoint"),
        "pickle": (pickle.dumps({"config": 1}), "refused to load"),
    }
    paths = {}
    for name, (data, fragment) in variants.items():
        path = tmp_path / f"{name}.pt"
        path.write_bytes(data)
        paths[name] = (path, fragment)
    state = load_checkpoint(trained_run / "model.pt")
    plain = tmp_path / "plain.pt"
    torch.save(state["model"], plain)
    paths["plain state dict"] = (plain, "not a `stdd train` checkpoint")
    other = tmp_path / "other-shape.pt"
    reshaped = dict(state["model"])
    name = next(k for k, v in reshaped.items() if v.ndim == 2)
    reshaped[name] = torch.zeros(reshaped[name].shape[0] + 1, reshaped[name].shape[1])
    torch.save({**state, "model": reshaped}, other)
    paths["another shape"] = (other, "do not fit")
    return paths


def test_bad_checkpoints_are_one_line_naming_the_file(trained_run: Path, tmp_path: Path) -> None:
    for kind, (path, fragment) in _checkpoint_variants(trained_run, tmp_path).items():
        with pytest.raises(CheckpointError) as raised:
            load_trained_model(path)
        message = " ".join(str(raised.value).split())
        assert str(path) in message and fragment in message, (kind, message)


def test_zero_byte_checkpoint_through_the_cli_is_not_just_aborted(synth_dir: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    result = subprocess.run(
        [sys.executable, "-m", "cli.stdd_app", "predict", str(next(synth_dir.rglob("*.mp4"))), "--checkpoint",
         str(empty), "--prompts", str(synth_dir / "prompts.json")],
        capture_output=True, text=True, timeout=patience(),
    )
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {empty}: empty file (0 bytes), not a checkpoint"


@pytest.mark.parametrize("relative", ["../../etc/passwd", "/etc/shadow", "a/../../outside.mp4", "..", "."])
def test_split_rows_leaving_the_data_root_are_rejected(tmp_path: Path, relative: str) -> None:
    split = tmp_path / "split.csv"
    split.write_text(f"ok/video.mp4,0\n{relative},1\n")
    with pytest.raises(SplitFileError, match="leaves the data root") as raised:
        split_items(split, tmp_path / "data")
    assert f"{split}: row 2" in str(raised.value)


def test_split_paths_inside_the_data_root_are_kept(tmp_path: Path) -> None:
    split = tmp_path / "split.csv"
    root = tmp_path / "data"
    split.write_text(f"a/../b/x.mp4,0\n{root / 'c' / 'y.mp4'},1\n")
    assert [item.path for item in split_items(split, root)] == [root / "b" / "x.mp4", root / "c" / "y.mp4"]


def test_bom_keeps_the_first_row_and_class_name(tmp_path: Path) -> None:
    split = tmp_path / "split.csv"
    split.write_bytes("\ufeffa/first.mp4,0\nb/second.mp4,1\n".encode())
    assert read_split_file(split) == [("a/first.mp4", 0), ("b/second.mp4", 1)]
    names = tmp_path / "classes-index2cls.json"
    names.write_bytes('\ufeff{"0": "abseiling", "1": "archery"}'.encode())
    assert read_class_map(names) == ["abseiling", "archery"]


@pytest.mark.parametrize("text", ['{"0": "a",', "[1, 2]", '{"0": "a", "2": "b"}', '{"0": 5}', "{}"])
def test_malformed_class_map_is_one_line(tmp_path: Path, text: str) -> None:
    path = tmp_path / "x-index2cls.json"
    path.write_text(text)
    with pytest.raises(SplitFileError) as raised:
        read_class_map(path)
    assert str(path) in str(raised.value) and "\n" not in str(raised.value)


@pytest.mark.parametrize(
    "overrides, fragment",
    [(["optim.lr=.inf"], "optim.lr"), (["optim.lr=.nan"], "optim.lr"), (["optim.lr=[1"], "not valid YAML"),
     (["loss.distill_weight=.inf"], "distill_weight")],
)
def test_bad_overrides_are_one_line(overrides: list[str], fragment: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(CONFIG, overrides)
    assert fragment in str(raised.value) and "\n" not in str(raised.value)


def test_yaml_syntax_error_in_a_config_names_the_file(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("data:\n  root: [unclosed\n")
    with pytest.raises(ConfigError, match=re.escape(f"{config}: not valid YAML")) as raised:
        load_config(config)
    assert "line" in str(raised.value)


def test_output_dir_under_a_file_fails_before_any_work(synth_dir: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(OutputDirError, match=re.escape(f"output_dir {blocker / 'run'}")):
        train(_config(synth_dir, blocker / "run"), progress=False)
    assert blocker.read_text() == "x"


def test_full_disk_during_a_checkpoint_keeps_the_old_file(
    trained_run: Path, synth_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _copy_run(trained_run, tmp_path / "run")
    before = _digests(out)
    real_save = torch.save

    def full_disk(payload: object, stream: object, *args: object, **kwargs: object) -> None:
        real_save({"partial": torch.zeros(10)}, stream)  # some bytes reach the temporary file
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", full_disk)
    with pytest.raises(OSError, match="No space left on device") as raised:
        train(_config(synth_dir, out), progress=False)
    assert "checkpoint.pt" in str(raised.value) and "previous file is unchanged" in str(raised.value)
    monkeypatch.setattr(torch, "save", real_save)
    assert _digests(out) == before  # the metrics too: they are committed only once a checkpoint is on disk
    assert not list(out.glob(".*.tmp"))


def test_resume_trims_metrics_written_after_the_checkpoint(synth_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    config = _config(synth_dir, out, None, "optim.epochs=2")
    train(config, progress=False, stop_after_epochs=1)
    metrics = out / "metrics.jsonl"
    # A run killed after logging part of epoch 1 (and a torn last line), before its checkpoint:
    with metrics.open("a") as stream:
        stream.write('{"kind": "step", "epoch": 1, "step": 99, "loss": 1.0}\n{"kind": "ep')
    (out / ".checkpoint.pt.dead.tmp").write_bytes(b"half")
    train(config, resume=True, progress=False)
    records = read_jsonl(metrics)
    assert [r["epoch"] for r in records if r["kind"] == "epoch"] == [0, 1]
    steps = [r["step"] for r in records if r["kind"] == "step"]
    assert steps == sorted(set(steps)) and 99 not in steps
    assert not (out / ".checkpoint.pt.dead.tmp").exists()


def test_a_prompts_path_that_is_a_folder_is_one_line_naming_it(tmp_path: Path) -> None:
    with pytest.raises(PromptsFileError) as raised:
        load_prompts_file(tmp_path)
    assert str(raised.value) == f"prompts file {tmp_path} is a folder, not a file"


def test_a_config_key_with_a_newline_is_named_on_one_line(tmp_path: Path) -> None:
    """Found by tests/reliability/test_fuzz_parsers.py: the key was printed raw, splitting the message."""
    config = tmp_path / "train.yaml"
    config.write_text('{"\\n": null, "da\\tta": 1}')
    with pytest.raises(ConfigError) as raised:
        load_config(config)
    message = str(raised.value)
    assert message.startswith(f"invalid config {config}: ") and "\n" not in message
    assert "'\\n': Extra inputs are not permitted" in message
