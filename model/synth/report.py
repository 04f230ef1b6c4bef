"""Temporal-order report on `stdd synth` data: top-1 and reversed-pair accuracy, seen and unseen classes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from model.data.datasets import ClipConfig, VideoDataset
from model.data.splits import class_key, read_class_map, split_items
from model.evaluation.metrics import pairwise_accuracy, topk_accuracy
from model.evaluation.runner import score_videos
from model.loading import class_text_features, load_trained_model
from model.synth.render import MOTIONS, reversed_twin

SPLITS = {"seen": "test", "unseen (zero-shot)": "zeroshot"}


def twin_indices(class_names: Sequence[str]) -> list[int | None]:
    """For each class, the index of its time-reversed twin in the list (None when absent)."""
    keys = {class_key(name): index for index, name in enumerate(class_names)}
    twins: list[int | None] = []
    for name in class_names:
        motion = next((m for m in MOTIONS if name.endswith(" " + m)), None)
        twin = None if motion is None else keys.get(class_key(name[: -len(motion)] + reversed_twin(motion)))
        twins.append(twin)
    return twins


def temporal_report(checkpoint: Path, data_dir: Path, prompts: Path, workers: int = 1) -> dict[str, Any]:
    model, state = load_trained_model(checkpoint)
    clip = ClipConfig.model_validate(state["config"]["data"]["clip"])
    kinds = tuple(state["config"]["data"].get("prompt_kinds", ("label", "spatial", "temporal")))
    results: dict[str, Any] = {}
    for label, split in SPLITS.items():
        names = read_class_map(data_dir / "splits" / f"{split}-index2cls.json")
        items = split_items(data_dir / "splits" / f"{split}.csv", data_dir, len(names))
        text, mask = class_text_features(model, prompts, kinds, names)
        scores, labels, skipped = score_videos(model, VideoDataset(items, clip, train=False), text, mask, 32, workers)
        results[label] = {
            "videos": len(labels), "classes": len(names), "skipped": skipped,
            "top1": topk_accuracy(scores, labels, 1), "top5": topk_accuracy(scores, labels, 5),
            "reversed_pair": pairwise_accuracy(scores, labels, twin_indices(names)),
            "chance_top1": 1 / len(names),
        }
    stca = state["config"]["model"]["stca"]
    temporal = stca["temporal_scales"] != [0]
    return {"checkpoint": str(checkpoint), "stca": stca, "model": "STDD (STCA)" if temporal else "frame averaging",
            "splits": results}


def write_report(
    reports: Sequence[dict[str, Any]], json_path: Path, png_path: Path | None = None,
    explain: dict[str, Any] | None = None,
) -> None:
    """``explain``: what `stdd explain` wrote for the report's example video (recorded in the JSON)."""
    json_path.parent.mkdir(parents=True, exist_ok=True)
    document: dict[str, Any] = {"models": list(reports)}
    if explain is not None:
        document["explain"] = explain
    json_path.write_text(json.dumps(document, indent=2) + "\n")
    if png_path is None:
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = [(split, key) for split in SPLITS for key in ("top1", "reversed_pair")]
    figure, axis = plt.subplots(figsize=(8, 3.8))
    width = 0.8 / max(1, len(reports))
    for number, report in enumerate(reports):
        values = [report["splits"][split][key] for split, key in metrics]
        bars = axis.bar([i + number * width for i in range(len(metrics))], values, width, label=report["model"])
        axis.bar_label(bars, labels=[f"{100 * v:.0f}" for v in values], fontsize=8)
    axis.axhline(0.5, color="grey", linestyle=":", linewidth=1)
    axis.set_xticks([i + width * (len(reports) - 1) / 2 for i in range(len(metrics))],
                    [f"{split}\n{key.replace('_', ' ')}" for split, key in metrics], fontsize=8)
    axis.set(ylim=(0, 1.05), ylabel="accuracy", title="synthetic temporal-order test")
    axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(png_path, dpi=110)
    plt.close(figure)
