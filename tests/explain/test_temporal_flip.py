"""The flip measurement `stdd report` writes on the explain sheet: rank correlation, phase positions, mirroring."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.data.splits import class_key
from model.explain.synthetic import split_flip_summary, synthetic_phases
from model.explain.temporal_flip import flip_summary, measure_flip, phase_positions, spearman
from model.prompts_file import load_prompts_file
from tests.helpers_tiny_run import export_synth_prompts


def test_spearman_ranks_with_ties_and_is_undefined_on_constants() -> None:
    assert spearman([0, 1, 2, 3], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([0, 1, 2, 3], [7, 5, 2, 0]) == pytest.approx(-1.0)
    # scipy.stats.spearmanr([0, .5, 1.5, 2, 0, 1, 2], [7, 7, 6, 0, 6, 6, 0]) = -0.81791...
    assert spearman([0, 0.5, 1.5, 2, 0, 1, 2], [7, 7, 6, 0, 6, 6, 0]) == pytest.approx(-0.8179128813519698)
    assert spearman([0, 1, 2], [4, 4, 4]) is None
    with pytest.raises(ValueError, match="3 against 2"):
        spearman([0, 1, 2], [0, 1])


def test_phase_positions_follow_the_phase_texts_a_prompt_quotes() -> None:
    phases = ["showing the cube at the left edge", "sliding the cube to the right", "bringing the cube home"]
    prompts = ["Cube, starting with showing the cube at the left edge",
               "cube: first showing the cube at the left edge, then sliding the cube to the right",
               "cube: while bringing the cube home, it arrives"]
    assert phase_positions(prompts, phases) == [0.0, 0.5, 2.0]
    assert phase_positions([*prompts, "a cube doing something"], phases) is None


def test_a_mirrored_pattern_flips_the_order_correlation() -> None:
    best = {"original": [0, 3, 7], "reversed": [7, 5, 0]}  # the middle one is not mirrored (7 - 3 = 4)
    flip = measure_flip("cube", ["a", "b", "c"], best, 8, None)
    assert flip.order_correlation is None and flip.mirrored == pytest.approx(2 / 3)
    phases = ["a", "b", "c"]
    flip = measure_flip("cube", ["a", "b", "c"], best, 8, phases)
    assert flip.order_correlation == {"original": pytest.approx(1.0), "reversed": pytest.approx(-1.0)}
    assert "original +1.00, reversed -1.00" in flip_summary(flip) and "2/3" in flip_summary(flip)
    unchanged = measure_flip("cube", ["a", "b", "c"], {"original": [0, 3, 7], "reversed": [0, 3, 7]}, 8, phases)
    summary = split_flip_summary("zeroshot", [flip, unchanged])
    assert summary["order_sign_flipped"] == pytest.approx(0.5)
    assert summary["mean_order_correlation"] == {"original": pytest.approx(1.0), "reversed": pytest.approx(0.0)}
    assert summary["mean_mirrored"] == pytest.approx(1 / 3)


def test_exported_synthetic_prompts_get_their_phase_positions(synth_dir: Path, tmp_path: Path) -> None:
    """The real chain: `stdd synth` seeds -> askg build + export-prompts -> each temporal prompt placed."""
    prompts = export_synth_prompts(synth_dir, tmp_path)
    phases = synthetic_phases(synth_dir)
    exported = load_prompts_file(prompts)
    assert sorted(phases) == sorted(class_key(name) for name in exported.class_names)
    for item in exported.classes:
        texts = phases[class_key(item.name)]
        positions = phase_positions(item.temporal, texts)
        assert positions is not None, item.temporal
        assert min(positions) == 0 and max(positions) == len(texts) - 1


def test_the_per_frame_reading_sees_a_flip_that_one_hub_frame_hides_from_the_per_prompt_reading() -> None:
    """One frame matching every prompt best leaves Spearman(phase, best frame) undefined, while each frame's
    own best prompt can still follow the phases forward and backward."""
    phases = ["a", "b", "c"]
    hub = {"original": [3, 3, 3], "reversed": [3, 3, 3]}
    per_frame = {"original": [0, 0, 1, 2], "reversed": [2, 1, 0, 0]}
    flip = measure_flip("cube", ["a", "b", "c"], hub, 4, phases, per_frame)
    assert flip.order_correlation == {"original": None, "reversed": None}
    assert flip.frame_order_correlation is not None
    assert flip.frame_order_correlation["original"] == pytest.approx(spearman([0, 1, 2, 3], [0, 0, 1, 2]))
    assert flip.frame_order_correlation["original"] > 0.9 and flip.frame_order_correlation["reversed"] < -0.9
    assert "phase of its best temporal prompt): original +0.95, reversed -0.95" in flip_summary(flip)
    same = measure_flip("cube", ["a", "b", "c"], hub, 4, phases, {"original": [0, 0, 1, 2], "reversed": [0, 0, 1, 2]})
    summary = split_flip_summary("zeroshot", [flip, same])
    assert summary["order_sign_flipped"] == 0.0
    assert summary["frame_order_sign_flipped"] == pytest.approx(0.5)
    assert summary["mean_frame_order_correlation"]["reversed"] == pytest.approx(0.0)
    # without phases the per-frame reading is undefined too
    assert measure_flip("cube", ["a", "b", "c"], hub, 4, None, per_frame).frame_order_correlation is None
