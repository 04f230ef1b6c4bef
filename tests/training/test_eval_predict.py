from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from cli.stdd_app import app
from model.data.datasets import VideoDataset
from model.data.splits import read_class_map, split_items
from model.evaluation import evaluate, load_trained_model, score_videos
from model.loading import class_text_features
from model.training import TrainConfig, train
from tests.helpers_tiny_run import MakeConfig


@pytest.fixture
def trained(make_config: MakeConfig, tmp_path: Path) -> tuple[TrainConfig, Path]:
    config = make_config("optim.epochs=1", out=tmp_path / "run")
    return config, train(config, progress=False).final_checkpoint


def test_eval_is_deterministic_single_and_multi_view(trained: tuple[TrainConfig, Path], synth_dir: Path) -> None:
    config, checkpoint = trained
    assert config.eval is not None
    model, _ = load_trained_model(checkpoint)
    names = read_class_map(synth_dir / "splits" / "test-index2cls.json")
    items = split_items(synth_dir / "splits" / "test.csv", synth_dir, len(names))
    text, mask = class_text_features(model, config.eval.prompts, config.eval.prompt_kinds, names)
    for views in ({}, {"temporal_views": 2, "spatial_views": 3}):
        clip = config.eval.clip.model_copy(update=views)
        runs = [score_videos(model, VideoDataset(items, clip, train=False), text, mask, 3, workers)
                for workers in (0, 1)]
        assert torch.equal(runs[0][0], runs[1][0]) and torch.equal(runs[0][1], runs[1][1])
        assert runs[0][0].shape == (len(items), len(names))
    reports = [evaluate(load_trained_model(checkpoint)[0], config.eval).to_dict() for _ in range(2)]
    assert reports[0] == reports[1]
    assert [s["name"] for s in reports[0]["splits"]] == ["seen-test", "zero-shot"]
    assert reports[0]["splits"][0]["videos"] == 4 and reports[0]["splits"][1]["classes"] == 2


def test_eval_cli_json(trained: tuple[TrainConfig, Path], tmp_path: Path) -> None:
    config, checkpoint = trained
    import yaml

    config_file = tmp_path / "c.yaml"
    config_file.write_text(yaml.safe_dump(config.model_dump(mode="json")))
    result = CliRunner().invoke(app, ["eval", "--config", str(config_file), "--checkpoint", str(checkpoint),
                                      "--protocol", "custom", "--views", "2x1", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["views"] == {"temporal": 2, "spatial": 1}
    assert set(report["summary"]) == {"top1_mean", "top1_std", "top5_mean", "top5_std"}
    assert 0.0 <= report["summary"]["top1_mean"] <= 1.0


def test_predict_output(trained: tuple[TrainConfig, Path], synth_dir: Path) -> None:
    _, checkpoint = trained
    video = sorted((synth_dir / "videos" / "test").rglob("*.mp4"))[0]
    prompts = synth_dir / "prompts.json"
    args = ["predict", str(video), "--checkpoint", str(checkpoint), "--prompts", str(prompts), "--topk", "3"]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    predictions = payload["predictions"]
    assert payload["video"] == str(video) and len(predictions) == 3
    names = [c["name"] for c in json.loads(prompts.read_text())["classes"]]
    assert all(p["name"] == names[p["index"]] for p in predictions)
    assert [p["score"] for p in predictions] == sorted((p["score"] for p in predictions), reverse=True)
    assert 0 < sum(p["probability"] for p in predictions) <= 1 + 1e-6
    assert CliRunner().invoke(app, [*args, "--json"]).output == result.output  # deterministic
    table = CliRunner().invoke(app, args)
    assert table.exit_code == 0 and predictions[0]["name"] in table.output


def test_predict_on_a_bad_video_is_a_clean_error(trained: tuple[TrainConfig, Path], synth_dir: Path,
                                                 tmp_path: Path) -> None:
    _, checkpoint = trained
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video")
    from model.data.readers import VideoReadError
    from model.predict import predict_video

    with pytest.raises(VideoReadError):
        predict_video(bad, checkpoint, synth_dir / "prompts.json")
