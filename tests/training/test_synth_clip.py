"""`stdd synth`'s frame captions and `stdd synth-clip`, the tiny CLIP the demo starts from."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from model.data.splits import read_split_file
from model.factory import create_stdd
from model.pretrained_loading import read_state_dict
from model.synth import Appearance, SynthSpec, write_synthetic_dataset
from model.synth.captions import caption_in_context, frame_caption, partial_captions
from model.synth.clip_pretraining import SynthClipConfig, SynthClipError, pretrain_synthetic_clip
from model.synth.dataset import FRAME_CAPTIONS_FILE
from model.synth.render import ShapePlacement, render_clip, render_clip_with_placements
from tests.helpers_tiny_run import TINY_SPEC

RED_SQUARE = Appearance("red", "square")


def test_captions_name_the_edge_the_middle_and_the_size() -> None:
    def caption(motion: str, cx: float, cy: float, radius: float) -> str:
        return frame_caption(RED_SQUARE, motion, ShapePlacement(cx, cy, radius), size=100)

    assert caption("moving right", 20, 50, 15) == "a red square at the left edge of the frame"
    assert caption("moving left", 80, 50, 15) == "a red square at the right edge of the frame"
    assert caption("moving right", 50, 20, 15) == "a red square in the middle of the frame"  # across: not named
    assert caption("moving down", 50, 15, 15) == "a red square at the top edge of the frame"
    assert caption("moving up", 50, 85, 15) == "a red square at the bottom edge of the frame"
    assert caption("growing", 50, 50, 8) == "a tiny red square in the centre of the frame"
    assert caption("shrinking", 50, 50, 20) == "a medium red square in the centre of the frame"
    assert caption("growing", 50, 50, 35) == "a large red square in the centre of the frame"
    assert partial_captions("a red square at the left edge of the frame") == [
        "a red shape at the left edge of the frame", "a square at the left edge of the frame"]
    assert partial_captions("a tiny blue triangle in the centre of the frame") == [
        "a tiny blue shape in the centre of the frame", "a tiny triangle in the centre of the frame"]
    assert caption_in_context("a red square at the left edge of the frame", "red square moving right") == (
        "red square moving right: a red square at the left edge of the frame")
    with pytest.raises(ValueError, match="no known colour and shape"):
        partial_captions("a purple hexagon at the top edge of the frame")


def test_placements_follow_the_playing_order_and_leave_the_pixels_unchanged() -> None:
    for motion in ("moving right", "moving left", "growing", "shrinking"):
        video, placements = render_clip_with_placements(RED_SQUARE, motion, 8, 32, np.random.default_rng(5))
        assert np.array_equal(video, render_clip(RED_SQUARE, motion, 8, 32, np.random.default_rng(5)))
        xs, radii = [p.cx for p in placements], [p.radius for p in placements]
        if motion == "moving right":
            assert xs == sorted(xs) and xs[0] < xs[-1]
        if motion == "moving left":
            assert xs == sorted(xs, reverse=True) and xs[0] > xs[-1]
        if motion == "growing":
            assert radii[0] < radii[-1]
        if motion == "shrinking":
            assert radii[0] > radii[-1]
        # The shape's colour is where the placement says (red channel high at the centre pixel).
        for frame, place in zip(video, placements, strict=True):
            assert frame[int(place.cy), int(place.cx), 0] > 150


def test_synth_writes_one_caption_per_frame_of_every_video(synth_dir: Path) -> None:
    captions = json.loads((synth_dir / FRAME_CAPTIONS_FILE).read_text())
    for split in ("train", "test", "zeroshot"):
        rows = read_split_file(synth_dir / "splits" / f"{split}.csv")
        assert sorted(captions[split]) == sorted(path for path, _ in rows)
        assert all(len(per_frame) == TINY_SPEC.frames for per_frame in captions[split].values())
    right = next(c for path, c in captions["train"].items() if "moving_right" in path)
    left = next(c for path, c in captions["train"].items() if "moving_left" in path)
    assert right[0] == "a red square at the left edge of the frame" == left[-1]
    assert right[-1] == "a red square at the right edge of the frame" == left[0]


SMALL_FULL_SPEC = SynthSpec(frames=8, train_per_class=2, test_per_class=1, zeroshot_per_class=1)


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """All appearances and motions (few videos each), pretrained after the zero-shot videos are deleted: they
    are never read. (With TINY_SPEC's three captions, which differ in one word, 100 steps do not leave chance.)"""
    data = tmp_path_factory.mktemp("synth-clip") / "synth"
    write_synthetic_dataset(data, SMALL_FULL_SPEC, seed=1)
    shutil.rmtree(data / "videos" / "zeroshot")
    out = data.parent / "weights" / "tiny-clip.pt"
    pretrain_synthetic_clip(data, out, SynthClipConfig(steps=100, batch_size=64, threads=1))
    return data, out


def test_pretraining_learns_the_captions_and_writes_loadable_weights(pretrained: tuple[Path, Path]) -> None:
    _, out = pretrained
    recorded = torch.load(out, weights_only=True)["synth_clip"]
    # 18 seen classes x 2 videos x 8 frames; 25 distinct captions (chance 4%), none of a held-out combination.
    assert recorded["train_frames"] == 18 * 2 * 8 and recorded["captions"] == 25
    assert not any("red triangle at the left edge" in text for text in recorded["caption_texts"])
    # Also trained against each caption said in its video's class: both directions at one place, no held-out class.
    answers = recorded["answer_texts"]
    left_edge = "a red square at the left edge of the frame"
    assert caption_in_context(left_edge, "red square moving right") in answers
    assert caption_in_context(left_edge, "red square moving left") in answers
    held_out = [f"{appearance} {motion}:" for appearance, motion in SMALL_FULL_SPEC.held_out]
    assert not any(text.startswith(name) for text in answers for name in held_out)
    assert sum(":" in text for text in answers) > recorded["captions"]
    assert recorded["train_accuracy"] > 0.2 and recorded["test_accuracy"] > 0.12
    model, _ = create_stdd("ViT-Tiny-Test", pretrained=out, num_frames=8, keep_teacher=False)
    state = read_state_dict(out)
    for name, tensor in model.clip.state_dict().items():
        assert torch.equal(tensor, state[name]), name
    assert model.weights_source.endswith("tiny-clip.pt")


def test_pretraining_is_deterministic(pretrained: tuple[Path, Path], tmp_path: Path) -> None:
    data, out = pretrained
    again = tmp_path / "again.pt"
    pretrain_synthetic_clip(data, again, SynthClipConfig(steps=100, batch_size=64, threads=1))
    first, second = read_state_dict(out), read_state_dict(again)
    assert all(torch.equal(first[name], second[name]) for name in first)


def test_a_folder_without_captions_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(SynthClipError, match=r"no frame_captions\.json in"):
        pretrain_synthetic_clip(tmp_path, tmp_path / "w.pt", SynthClipConfig(steps=1))
    result = subprocess.run(
        [sys.executable, "-m", "cli.stdd_app", "synth-clip", "--data", str(tmp_path), "--out", str(tmp_path / "w.pt")],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode != 0 and "frame_captions.json" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "w.pt").exists()
