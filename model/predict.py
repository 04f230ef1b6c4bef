"""`stdd predict`: top-k classes of one video from a trained checkpoint and a prompts file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from model.data.datasets import ClipConfig, VideoDataset
from model.data.readers import VideoReadError
from model.data.splits import VideoItem
from model.loading import class_text_features, load_trained_model
from model.prompts_file import load_prompts_file
from model.scoring import class_scores


@dataclass(frozen=True)
class Prediction:
    name: str
    index: int
    score: float
    probability: float


@torch.no_grad()
def predict_video(
    video: Path, checkpoint: Path, prompts: Path, topk: int = 5, clip: ClipConfig | None = None
) -> list[Prediction]:
    model, state = load_trained_model(checkpoint)
    clip = clip or ClipConfig.model_validate(state["config"]["data"]["clip"])
    names = load_prompts_file(prompts).class_names
    kinds = tuple(state["config"]["data"].get("prompt_kinds", ("label", "spatial", "temporal")))
    text, mask = class_text_features(model, prompts, kinds, names)
    sample = VideoDataset([VideoItem(video, 0)], clip, train=False).load(0)  # raises on a bad video
    features = model.encode_video(sample.video.to(model.device))
    scores = class_scores(features, text, mask, model.logit_scale).float().mean(dim=0)
    probabilities = scores.softmax(dim=-1)
    best = scores.topk(min(topk, len(names)))
    return [
        Prediction(names[i], i, float(scores[i]), float(probabilities[i])) for i in best.indices.tolist()
    ]


__all__ = ["Prediction", "VideoReadError", "predict_video"]
