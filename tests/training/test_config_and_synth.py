from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from model.data.readers import make_reader
from model.data.splits import read_class_map, read_split_file, write_split_file
from model.synth import Appearance, render_clip, reversed_twin, write_mp4
from model.synth.report import twin_indices
from model.training import ConfigError, load_config, train
from model.training.config import apply_override
from model.training.schedule import warmup_cosine
from tests.helpers_tiny_run import TINY_SPEC, MakeConfig, export_synth_prompts

CONFIGS = Path(__file__).resolve().parents[2] / "model" / "configs" / "train"


def test_shipped_configs_validate() -> None:
    official = load_config(CONFIGS / "k400_vitb16_8x16.yaml")
    assert official.model.name == "ViT-B-16" and official.data.clip.num_frames == 8
    assert official.data.clip.sampling_rate == 16 and official.optim.lr == pytest.approx(3.33e-6)
    assert official.loss.distill_weight == 2.0 and official.model.stca.temporal_scales == (1, 2)
    tiny = load_config(CONFIGS / "synthetic_tiny_cpu.yaml", ["optim.epochs=3", "model.stca.temporal_scales=[0]"])
    assert tiny.optim.epochs == 3 and tiny.model.stca.temporal_scales == (0,) and tiny.data.clip.flip is False


def test_overrides_and_errors(tmp_path: Path) -> None:
    raw: dict[str, object] = {"a": {"b": [{"c": 1}]}}
    apply_override(raw, "a.b.0.c=[1, 2]")
    apply_override(raw, "x.y=true")
    assert raw == {"a": {"b": [{"c": [1, 2]}]}, "x": {"y": True}}
    with pytest.raises(ConfigError):
        apply_override(raw, "a.b.5.c=1")
    with pytest.raises(ConfigError):
        apply_override(raw, "novalue")
    with pytest.raises(ConfigError, match="optim"):
        load_config(CONFIGS / "synthetic_tiny_cpu.yaml", ["optim.lr=-1"])
    with pytest.raises(ConfigError):
        load_config(tmp_path / "missing.yaml")


def test_warmup_cosine_schedule() -> None:
    factor = warmup_cosine(total_steps=10, warmup_steps=2)
    assert [round(factor(s), 3) for s in (0, 1, 2, 6, 10)] == [0.5, 1.0, 1.0, 0.5, 0.0]


def test_synthetic_twins_are_time_reversed() -> None:
    appearance = Appearance("red", "square")
    forward = render_clip(appearance, "moving right", 8, 32, np.random.default_rng(5))
    backward = render_clip(appearance, "moving left", 8, 32, np.random.default_rng(5))
    assert np.array_equal(forward[::-1], backward)
    assert reversed_twin("growing") == "shrinking" and reversed_twin("moving up") == "moving down"
    assert twin_indices(["red square moving left", "x", "red square moving right"]) == [2, None, 0]


def test_synthetic_clips_are_written_lossless(tmp_path: Path) -> None:
    """Grey frames (no chroma to subsample) come back within YUV rounding (1); the crf 10 encoding they replaced
    was off by up to 4 here and, worse, encoded some clips differently from one process to the next."""
    rng = np.random.default_rng(0)
    grey = np.clip(100 + rng.normal(0, 12, size=(8, 32, 32, 1)), 0, 255).astype(np.uint8).repeat(3, axis=-1)
    write_mp4(tmp_path / "grey.mp4", grey)
    back = make_reader("decord").open(tmp_path / "grey.mp4").read(range(8))
    assert np.abs(back.astype(np.int16) - grey).max() <= 1


def test_synth_output_layout(synth_dir: Path) -> None:
    names = read_class_map(synth_dir / "classes-index2cls.json")
    assert names == (synth_dir / "classes.txt").read_text().split("\n")[:-1] and len(names) == 4
    zeroshot = read_class_map(synth_dir / "splits" / "zeroshot-index2cls.json")
    assert zeroshot == ["blue circle moving right", "blue circle moving left"]
    assert not set(zeroshot) & set(read_class_map(synth_dir / "splits" / "train-index2cls.json"))
    rows = read_split_file(synth_dir / "splits" / "train.csv")
    assert len(rows) == 2 * TINY_SPEC.train_per_class
    assert make_reader("decord").open(synth_dir / rows[0][0]).num_frames == TINY_SPEC.frames


def test_synth_seeds_build_and_export_with_askg(synth_dir: Path, tmp_path: Path) -> None:
    prompts = export_synth_prompts(synth_dir, tmp_path)
    from model.prompts_file import load_prompts_file

    exported = load_prompts_file(prompts)
    assert exported.class_names == read_class_map(synth_dir / "classes-index2cls.json")
    left = next(c for c in exported.classes if c.name == "red square moving left")
    assert any("right edge" in text for text in left.temporal) and left.spatial


def test_training_skips_bad_videos(make_config: MakeConfig, synth_dir: Path, tmp_path: Path) -> None:
    rows = read_split_file(synth_dir / "splits" / "train.csv")
    root = tmp_path / "root"  # split paths must stay inside data.root: the good videos are linked in
    root.mkdir()
    (root / "videos").symlink_to(synth_dir / "videos")
    (root / "garbage.mp4").write_bytes(b"\x00garbage" * 100)
    (root / "empty.mp4").write_bytes(b"")
    split = tmp_path / "train.csv"
    bad = [(str(root / "garbage.mp4"), 0), ("empty.mp4", 1), ("missing.mp4", 0)]
    write_split_file(split, [*rows, *bad])
    classes = synth_dir / "splits" / "train-index2cls.json"
    config = make_config("optim.epochs=1", f"data.root={root}", f"data.train_split={split}",
                         f"data.classes={classes}", "data.batch_size=11", out=tmp_path / "run")
    result = train(config, progress=False)
    assert result.skipped == 3
