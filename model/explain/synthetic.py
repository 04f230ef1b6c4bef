"""The explain sheet of `stdd report`: the first unseen-class video of `stdd synth` data and its reversal,
ranked among the classes of its split (as the zero-shot evaluation ranks them), with the measured flip of the
temporal prompts' pattern written on the sheet and into the report (for that video and over its whole split)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml

from model.data.datasets import ClipConfig, VideoDataset
from model.data.splits import SplitFileError, class_key, class_names_for, split_items
from model.explain.compute import Explanation, explain_video, prompt_rows, single_view
from model.explain.output import write_explanation
from model.explain.temporal_flip import TemporalFlip, flip_summary, format_correlations, measure_flip
from model.loading import class_text_features, load_trained_model
from model.prompts_file import ALL_PROMPT_KINDS, load_prompts_file
from model.scoring import score_terms


def first_synthetic_video(data_dir: Path) -> tuple[Path, list[str], Path]:
    """The first video of the zero-shot split (held-out combinations), else of the seen test split, the
    classes of that split (the candidates its evaluation ranks) and the split file."""
    for split in ("zeroshot", "test"):
        path = data_dir / "splits" / f"{split}.csv"
        if path.is_file() and (items := split_items(path, data_dir)):
            return items[0].path, class_names_for(path, None), path
    raise SplitFileError(f"no zeroshot.csv or test.csv with videos under {data_dir / 'splits'}")


def synthetic_phases(data_dir: Path) -> dict[str, list[str]]:
    """Class key -> its phase texts in order, from the seeds `stdd synth` writes (empty when absent)."""
    phases: dict[str, list[str]] = {}
    for seeds in sorted((data_dir / "graph_seeds" / "askg").glob("*.yaml")):
        document = yaml.safe_load(seeds.read_text()) or {}
        for name, entry in (document.get("actions") or {}).items():
            texts = [str(phase.get("text", "")) for phase in (entry or {}).get("phases") or []]
            if texts:
                phases[class_key(name)] = texts
    return phases


def temporal_flip(explanation: Explanation, phases: dict[str, list[str]]) -> TemporalFlip:
    """For the top class of the original video: per temporal prompt, the frame position (0 = first shown)
    it matches best, in the original and in each other variant, and how far the reversal flips them."""
    top = explanation.videos[0].classes[0]
    rows = [n for n, prompt in enumerate(top.prompts) if prompt.kind == "temporal"]
    by_variant: dict[str, list[int]] = {}
    best_prompt: dict[str, list[int]] = {}
    for explained in explanation.videos:
        item = next(c for c in explained.classes if c.index == top.index)
        by_variant[explained.variant] = [item.best_frame[n] for n in rows]
        temporal = np.asarray([item.similarity[n] for n in rows])  # (prompts, frames)
        best_prompt[explained.variant] = temporal.argmax(axis=0).tolist()
    frames = len(explanation.videos[0].frame_indices)
    return measure_flip(top.name, [top.prompts[n].text for n in rows], by_variant, frames,
                        phases.get(class_key(top.name)), best_prompt)


@torch.no_grad()
def split_temporal_flip(checkpoint: Path, data_dir: Path, prompts: Path, split: Path,
                        phases: dict[str, list[str]]) -> dict[str, Any]:
    """The same measurement for every video of ``split`` and its reversed copy, on the video's own class (so
    the sheet's one video can be read against its split): mean Spearman(phase order, best frame) per variant,
    the share of videos whose correlation changes sign from + to -, and the mean mirrored fraction."""
    model, state = load_trained_model(checkpoint)
    clip = single_view(ClipConfig.model_validate(state["config"]["data"]["clip"]))
    kinds = tuple(state["config"]["data"].get("prompt_kinds", ALL_PROMPT_KINDS))
    names = class_names_for(split, None)
    text, mask = class_text_features(model, prompts, kinds, names)
    prompts_file = load_prompts_file(prompts)
    rows_by_key = {class_key(name): rows for name, rows in
                   zip(prompts_file.class_names, prompt_rows(prompts_file, kinds), strict=True)}
    items = split_items(split, data_dir, len(names))
    dataset = VideoDataset(items, clip, train=False)
    flips = []
    for index, item in enumerate(items):
        frames = dataset.load(index).video[0].unsqueeze(0).to(model.device)
        rows = rows_by_key[class_key(names[item.label])]
        temporal = [n for n, row in enumerate(rows) if row.kind == "temporal"]
        best: dict[str, list[int]] = {}
        best_prompt: dict[str, list[int]] = {}
        for variant, video in (("original", frames), ("reversed", frames.flip(1))):
            terms = score_terms(model.encode_video(video), text, mask, model.logit_scale)
            similarity = terms.similarity[0, :, item.label, temporal]  # (T, temporal prompts)
            best[variant] = similarity.argmax(dim=0).tolist()
            best_prompt[variant] = similarity.argmax(dim=1).tolist()
        flips.append(measure_flip(names[item.label], [rows[n].text for n in temporal], best, frames.shape[1],
                                  phases.get(class_key(names[item.label])), best_prompt))
    return split_flip_summary(split.stem, flips)


def _sign_flipped(correlation: dict[str, float | None]) -> bool:
    original, reversed_ = correlation.get("original"), correlation.get("reversed")
    return original is not None and reversed_ is not None and original > 0 > reversed_


def split_flip_summary(split: str, flips: list[TemporalFlip]) -> dict[str, Any]:
    def mean(values: list[float | None]) -> float | None:
        known = [v for v in values if v is not None]
        return float(np.mean(known)) if known else None

    def correlation_stats(per_video: list[dict[str, float | None] | None]) -> tuple[Any, Any]:
        known = [correlation for correlation in per_video if correlation is not None]
        if not known:
            return None, None
        means = {variant: mean([correlation.get(variant) for correlation in known])
                 for variant in ("original", "reversed")}
        return means, float(np.mean([_sign_flipped(correlation) for correlation in known]))

    correlation, sign_flipped = correlation_stats([f.order_correlation for f in flips])
    frame_correlation, frame_sign_flipped = correlation_stats([f.frame_order_correlation for f in flips])
    return {"split": split, "videos": len(flips), "mean_order_correlation": correlation,
            "order_sign_flipped": sign_flipped, "mean_mirrored": mean([f.mirrored for f in flips]),
            "mean_frame_order_correlation": frame_correlation, "frame_order_sign_flipped": frame_sign_flipped}


def split_summary_line(stats: dict[str, Any]) -> str:
    parts = [f"over the {stats['videos']} videos of {stats['split']} (own class)"]
    correlation = stats["mean_order_correlation"]
    if correlation is not None:
        parts.append("mean Spearman(phase order, best frame) " + format_correlations(correlation))
        parts.append(f"+ to - in {100 * stats['order_sign_flipped']:.0f}% of videos")
    if stats["mean_mirrored"] is not None:
        parts.append(f"mirrored best frames {100 * stats['mean_mirrored']:.0f}%")
    frame_correlation = stats.get("mean_frame_order_correlation")
    if frame_correlation is not None:
        parts.append("per frame, mean Spearman(frame order, phase of its best temporal prompt) "
                     + format_correlations(frame_correlation))
        parts.append(f"+ to - in {100 * stats['frame_order_sign_flipped']:.0f}% of videos")
    return "; ".join(parts)


def explain_synthetic_video(checkpoint: Path, data_dir: Path, prompts: Path, out: Path) -> dict[str, Any]:
    """Write the sheet (HTML, PNGs, JSON) into ``out``; return what the report records about it."""
    video, candidates, split = first_synthetic_video(data_dir)
    explanation, images = explain_video(video, checkpoint, prompts, topk=3, reverse=True, compare_plain=True,
                                        candidates=candidates)
    phases = synthetic_phases(data_dir)
    flip = temporal_flip(explanation, phases)
    across = split_temporal_flip(checkpoint, data_dir, prompts, split, phases)
    notes = [f"measured: {flip_summary(flip)}", f"for comparison, {split_summary_line(across)}"]
    explanation = explanation.model_copy(update={"notes": notes})
    written = write_explanation(explanation, images, out, "html")
    return {"video": str(video), "checkpoint": str(checkpoint), "candidates": candidates,
            "files": [str(path) for path in written],
            "temporal_prompts": {"class": flip.class_name, "prompts": flip.prompts, "best_frame": flip.best_frame,
                                 "phase": flip.phase, "order_correlation": flip.order_correlation,
                                 "mirrored": flip.mirrored, "best_prompt": flip.best_prompt,
                                 "frame_order_correlation": flip.frame_order_correlation,
                                 "summary": flip_summary(flip)},
            "temporal_prompts_over_split": across}
