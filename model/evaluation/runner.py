"""`stdd eval`: deterministic scores over (temporal × spatial) views, top-1/top-5 per split, mean ± std."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor
from torch.utils.data import DataLoader

from model.data.datasets import ClipConfig, VideoDataset, collate_skipping
from model.data.splits import split_items
from model.evaluation.metrics import mean_std, topk_accuracy
from model.evaluation.protocols import ResolvedSplit, resolve_splits
from model.loading import class_text_features
from model.scoring import class_scores
from model.video_clip import StddVideoClip

if TYPE_CHECKING:
    from model.training.config import EvalSection


@dataclass
class SplitResult:
    name: str
    videos: int
    classes: int
    skipped: int
    top1: float
    top5: float


@dataclass
class EvalReport:
    protocol: str
    views: dict[str, int]
    splits: list[SplitResult] = field(default_factory=list)
    summary: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@torch.no_grad()
def score_videos(
    model: StddVideoClip, dataset: VideoDataset, text: Tensor, mask: Tensor, batch_size: int, workers: int
) -> tuple[Tensor, Tensor, int]:
    """(N, K) scores averaged over views, (N,) labels, number of skipped videos. Order follows the dataset."""
    model.eval()
    loader: DataLoader[Any] = DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=workers,
                                           collate_fn=collate_skipping)
    all_scores, all_labels, skipped = [], [], 0
    for batch in loader:
        skipped += batch.skipped
        if batch.video is None:
            continue
        videos, views = batch.video.shape[0], batch.video.shape[1]
        features = model.encode_video(batch.video.flatten(0, 1).to(model.device))
        scores = class_scores(features, text, mask, model.logit_scale).float()
        all_scores.append(scores.reshape(videos, views, -1).mean(dim=1).cpu())
        all_labels.append(batch.labels)
    if not all_scores:
        return torch.zeros(0, text.shape[0]), torch.zeros(0, dtype=torch.long), skipped
    return torch.cat(all_scores), torch.cat(all_labels), skipped


def evaluate_split(
    model: StddVideoClip, split: ResolvedSplit, section: EvalSection, clip: ClipConfig
) -> tuple[SplitResult, Tensor, Tensor]:
    items = split_items(split.file, section.root, len(split.class_names))
    text, mask = class_text_features(model, section.prompts, section.prompt_kinds, split.class_names)
    dataset = VideoDataset(items, clip, train=False)
    scores, labels, skipped = score_videos(model, dataset, text.to(model.device), mask.to(model.device),
                                           section.batch_size, section.workers)
    result = SplitResult(split.name, len(labels), len(split.class_names), skipped,
                         topk_accuracy(scores, labels, 1), topk_accuracy(scores, labels, 5))
    return result, scores, labels


def evaluate(model: StddVideoClip, section: EvalSection, clip: ClipConfig | None = None) -> EvalReport:
    clip = clip or section.clip
    report = EvalReport(section.protocol, {"temporal": clip.temporal_views, "spatial": clip.spatial_views})
    for split in resolve_splits(section):
        report.splits.append(evaluate_split(model, split, section, clip)[0])
    for metric in ("top1", "top5"):
        mean, std = mean_std([getattr(result, metric) for result in report.splits])
        report.summary[f"{metric}_mean"], report.summary[f"{metric}_std"] = mean, std
    return report
