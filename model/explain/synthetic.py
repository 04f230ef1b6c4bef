"""The explain sheet of `stdd report`: the first unseen-class video of `stdd synth` data and its reversal,
ranked among the classes of its split (as the zero-shot evaluation ranks them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from model.data.splits import SplitFileError, class_names_for, split_items
from model.explain.compute import Explanation, explain_video
from model.explain.output import write_explanation


def first_synthetic_video(data_dir: Path) -> tuple[Path, list[str]]:
    """The first video of the zero-shot split (held-out combinations), else of the seen test split, and the
    classes of that split (the candidates its evaluation ranks)."""
    for split in ("zeroshot", "test"):
        path = data_dir / "splits" / f"{split}.csv"
        if path.is_file() and (items := split_items(path, data_dir)):
            return items[0].path, class_names_for(path, None)
    raise SplitFileError(f"no zeroshot.csv or test.csv with videos under {data_dir / 'splits'}")


def temporal_best_frames(explanation: Explanation) -> dict[str, Any]:
    """For the top class of the original video: per temporal prompt, the frame position (0 = first shown)
    it matches best, in the original and in each other variant. A reversal should mirror these."""
    top = explanation.videos[0].classes[0]
    rows = [n for n, prompt in enumerate(top.prompts) if prompt.kind == "temporal"]
    by_variant = {}
    for explained in explanation.videos:
        item = next(c for c in explained.classes if c.index == top.index)
        by_variant[explained.variant] = [item.best_frame[n] for n in rows]
    return {"class": top.name, "prompts": [top.prompts[n].text for n in rows], "best_frame": by_variant}


def explain_synthetic_video(checkpoint: Path, data_dir: Path, prompts: Path, out: Path) -> dict[str, Any]:
    """Write the sheet (HTML, PNGs, JSON) into ``out``; return what the report records about it."""
    video, candidates = first_synthetic_video(data_dir)
    explanation, images = explain_video(video, checkpoint, prompts, topk=3, reverse=True, compare_plain=True,
                                        candidates=candidates)
    written = write_explanation(explanation, images, out, "html")
    return {"video": str(video), "checkpoint": str(checkpoint), "candidates": candidates,
            "files": [str(path) for path in written],
            "temporal_prompts": temporal_best_frames(explanation)}
