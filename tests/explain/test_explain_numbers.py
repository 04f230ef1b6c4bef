"""The heatmap numbers are the scoring function's terms; the reversal and attention maps are what they claim."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from model.data.datasets import ClipConfig, VideoDataset
from model.data.splits import VideoItem
from model.explain import explain_video
from model.explain.attention import attention_while, last_block
from model.explain.compute import prompt_rows
from model.factory import create_stdd
from model.loading import class_text_features, load_trained_model
from model.predict import predict_video
from model.prompts_file import load_prompts_file
from model.scoring import class_scores
from model.stca_config import StcaConfig


def _model_input(checkpoint: Path, video: Path) -> torch.Tensor:
    _, state = load_trained_model(checkpoint)
    clip = ClipConfig.model_validate(state["config"]["data"]["clip"])
    return VideoDataset([VideoItem(video, 0)], clip, train=False).load(0).video[0]


def test_heatmap_numbers_are_the_terms_of_class_scores(stdd_checkpoint: Path, synth_dir: Path,
                                                       a_video: Path) -> None:
    prompts = synth_dir / "prompts.json"
    explanation, _ = explain_video(a_video, stdd_checkpoint, prompts, topk=4, reverse=True)
    model, _ = load_trained_model(stdd_checkpoint)
    names = load_prompts_file(prompts).class_names
    text, mask = class_text_features(model, prompts, explanation.prompt_kinds, names)
    frames = _model_input(stdd_checkpoint, a_video)
    with torch.no_grad():
        for explained, clip in zip(explanation.videos, (frames, frames.flip(0)), strict=True):
            expected = class_scores(model.encode_video(clip.unsqueeze(0)), text, mask, model.logit_scale)[0]
            assert len(explained.classes) == 4
            for item in explained.classes:
                assert item.score == pytest.approx(float(expected[item.index]), abs=1e-5)
                assert item.score == pytest.approx(0.5 * (item.prompt_side + item.frame_side), abs=1e-5)
                rows, columns = item.similarity, list(zip(*item.similarity, strict=True))
                assert len(rows) == int(mask[item.index].sum()) == 6 and len(columns) == 8
                assert [p.kind for p in item.prompts] == ["label", "spatial", "spatial", *["temporal"] * 3]
                for n, row in enumerate(rows):  # □: the best frame of each prompt
                    assert row[item.best_frame[n]] == max(row) == pytest.approx(item.best_frame_value[n])
                for t, column in enumerate(columns):  # ●: the best prompt of each frame
                    assert column[item.best_prompt[t]] == max(column) == pytest.approx(item.best_prompt_value[t])
                assert item.prompt_side == pytest.approx(sum(item.best_frame_value) / len(rows), abs=1e-5)
                assert item.frame_side == pytest.approx(sum(item.best_prompt_value) / len(columns), abs=1e-5)
    original, reversed_ = explanation.videos
    assert [c.name for c in reversed_.classes] == [c.name for c in original.classes]
    assert reversed_.frame_indices == original.frame_indices[::-1]
    assert original.frame_indices == sorted(original.frame_indices)
    predicted = predict_video(a_video, stdd_checkpoint, prompts, topk=4)
    assert len(original.predictions) == len(predicted) == 4
    for mine, theirs in zip(original.predictions, predicted, strict=True):
        assert mine.name == theirs.name and mine.score == pytest.approx(theirs.score, abs=1e-5)


def test_reversal_reverses_the_time_axis_of_a_frame_averaging_model(frame_averaging_checkpoint: Path,
                                                                   synth_dir: Path, a_video: Path) -> None:
    """Without temporal modelling a frame's features depend on that frame alone: reversing the clip only
    reverses the columns, and the score, a symmetric function of the frames, stays the same."""
    explanation, images = explain_video(a_video, frame_averaging_checkpoint, synth_dir / "prompts.json",
                                        topk=2, reverse=True)
    original, reversed_ = explanation.videos
    assert (images["reversed"] == images["original"][::-1]).all()
    for forward, backward in zip(original.classes, reversed_.classes, strict=True):
        for row, flipped in zip(forward.similarity, backward.similarity, strict=True):
            assert flipped == pytest.approx(row[::-1], abs=1e-5)
        assert backward.score == pytest.approx(forward.score, abs=1e-5)


def test_attention_maps_sum_to_one_and_match_the_blocks_own_attention(stdd_checkpoint: Path, synth_dir: Path,
                                                                      a_video: Path) -> None:
    explanation, _ = explain_video(a_video, stdd_checkpoint, synth_dir / "prompts.json", topk=1,
                                   compare_plain=True)
    explained = explanation.videos[0]
    assert explained.plain_attention is not None
    for maps in (explained.attention, explained.plain_attention):
        grids = torch.tensor(maps.maps)
        assert grids.shape == (8, 4, 4)  # 32 px frames, 8 px patches
        assert torch.allclose(grids.sum(dim=(1, 2)), torch.ones(8), atol=1e-5)
        assert (grids >= 0).all() and all(0.0 < weight < 1.0 for weight in maps.cls_self)
    assert not torch.allclose(torch.tensor(explained.attention.maps), torch.tensor(explained.plain_attention.maps))

    # Recompute the plain-CLIP CLS attention of the last block by hand from its packed projection.
    model, _ = load_trained_model(stdd_checkpoint)
    frames = _model_input(stdd_checkpoint, a_video)
    block = last_block(model.visual)
    captured: list[torch.Tensor] = []
    handle = block.register_forward_pre_hook(lambda _m, args: captured.append(args[0]))
    with torch.no_grad():
        model.visual(frames)
    handle.remove()
    x = block.ln_1(captured[0] if block.attn.batch_first else captured[0].transpose(0, 1))
    heads, width = block.attn.num_heads, block.attn.embed_dim
    q, k, _ = torch.nn.functional.linear(x, block.attn.in_proj_weight, block.attn.in_proj_bias).split(width, -1)
    q = q.unflatten(-1, (heads, -1)).transpose(1, 2)
    k = k.unflatten(-1, (heads, -1)).transpose(1, 2)
    weights = ((q @ k.transpose(-1, -2)) / (width // heads) ** 0.5).softmax(-1).mean(dim=1)[:, 0]
    by_hand = weights[:, 1:] / weights[:, 1:].sum(dim=1, keepdim=True)
    assert torch.allclose(torch.tensor(explained.plain_attention.maps).flatten(1), by_hand, atol=1e-5)
    assert torch.allclose(torch.tensor(explained.plain_attention.cls_self), weights[:, 0], atol=1e-5)


def test_plain_means_the_same_weights_with_stca_switched_off(stdd_checkpoint: Path, synth_dir: Path,
                                                             a_video: Path) -> None:
    explanation, _ = explain_video(a_video, stdd_checkpoint, synth_dir / "prompts.json", topk=1,
                                   compare_plain=True)
    plain = explanation.videos[0].plain_attention
    assert plain is not None
    trained, _ = load_trained_model(stdd_checkpoint)
    stca_off, _ = create_stdd("ViT-Tiny-Test", num_frames=8, stca=StcaConfig.identity(), keep_teacher=False)
    stca_off.load_state_dict(trained.state_dict())
    stca_off.eval()
    frames = _model_input(stdd_checkpoint, a_video).unsqueeze(0)
    with torch.no_grad():
        attention = attention_while(stca_off.visual, lambda: stca_off.encode_video(frames))
    assert torch.allclose(attention.patches, torch.tensor(plain.maps), atol=1e-5)


def test_candidates_rank_only_those_classes_with_the_same_scores(stdd_checkpoint: Path, synth_dir: Path,
                                                                 a_video: Path) -> None:
    prompts = synth_dir / "prompts.json"
    everything, _ = explain_video(a_video, stdd_checkpoint, prompts, topk=4)
    names = load_prompts_file(prompts).class_names
    chosen = [names[-1], names[0]]  # an order unlike the file's
    restricted, _ = explain_video(a_video, stdd_checkpoint, prompts, topk=2, candidates=chosen)
    full = {item.name: item for item in everything.videos[0].classes + everything.videos[0].predictions}
    ranked = restricted.videos[0].classes
    assert sorted(item.name for item in ranked) == sorted(chosen)
    rows = prompt_rows(load_prompts_file(prompts), tuple(restricted.prompt_kinds))
    for item in ranked:  # its own prompts, and the same score as when ranked among all classes
        assert [p.text for p in item.prompts] == [p.text for p in rows[names.index(item.name)]]
        if item.name in full:
            assert item.score == pytest.approx(full[item.name].score, abs=1e-5)
