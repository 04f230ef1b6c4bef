"""The numbers of an explanation: per class the frames × prompts similarities and the two halves of its score,
and per frame where the visual tower looks. Everything comes from the scoring function's own terms."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict
from torch import Tensor

from model.data.datasets import ClipConfig, VideoDataset
from model.data.readers import make_reader
from model.data.sampling import sample_indices
from model.data.splits import VideoItem, class_key
from model.data.transforms import CLIP_MEAN, CLIP_STD
from model.explain.attention import ATTENTION_METHOD, FrameAttention, attention_while
from model.loading import class_text_features, load_trained_model
from model.prompts_file import ALL_PROMPT_KINDS, PromptKind, PromptsFile, load_prompts_file
from model.scoring import ScoreTerms, score_terms
from model.video_clip import StddVideoClip

Variant = Literal["original", "reversed"]
PLAIN_METHOD = "plain CLIP: the same weights with STCA off (every frame encoded on its own)"


class PromptRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: PromptKind
    text: str


class ClassExplanation(BaseModel):
    """similarity[n][t]: prompt n against frame t (logit-scaled cosine); best_frame[n] = argmax_t,
    best_prompt[t] = argmax_n; score = ½(prompt_side + frame_side), exactly ``class_scores``."""

    name: str
    index: int
    score: float
    probability: float
    prompt_side: float
    frame_side: float
    prompts: list[PromptRow]
    similarity: list[list[float]]
    best_frame: list[int]
    best_frame_value: list[float]
    best_prompt: list[int]
    best_prompt_value: list[float]


class Prediction(BaseModel):
    name: str
    index: int
    score: float
    probability: float


class AttentionMaps(BaseModel):
    """maps[t]: a g × g grid per frame that sums to 1; cls_self[t]: weight the CLS token kept on itself."""

    method: str
    maps: list[list[list[float]]]
    cls_self: list[float]


class VideoExplanation(BaseModel):
    variant: Variant
    frame_indices: list[int]
    predictions: list[Prediction]
    classes: list[ClassExplanation]
    attention: AttentionMaps
    plain_attention: AttentionMaps | None = None


class Explanation(BaseModel):
    video: str
    checkpoint: str
    prompts: str
    prompt_kinds: list[PromptKind]
    logit_scale: float
    views: str
    videos: list[VideoExplanation]
    notes: list[str] = []  # measured statements a caller adds (e.g. `stdd report`'s flip of the temporal prompts)


def prompt_rows(prompts_file: PromptsFile, kinds: tuple[PromptKind, ...]) -> list[list[PromptRow]]:
    """Per class, its prompts in the order the text features stack them (label, spatial, temporal)."""
    return [[PromptRow(kind=kind, text=text) for kind in ALL_PROMPT_KINDS if kind in kinds
             for text in getattr(item, kind)] for item in prompts_file.classes]


def single_view(clip: ClipConfig) -> ClipConfig:
    return clip.model_copy(update={"temporal_views": 1, "spatial_views": 1})


def sampled_frame_indices(video: Path, clip: ClipConfig) -> list[int]:
    opened = make_reader(clip.reader).open(video)
    try:
        total = opened.num_frames
    finally:
        opened.close()
    return sample_indices(clip.sampling, total, clip.num_frames, clip.sampling_rate, None, 0, 1)


def frames_as_images(video: Tensor) -> np.ndarray:
    """(T, 3, H, W) normalised model input -> (T, H, W, 3) uint8: exactly what the model saw."""
    mean = torch.tensor(CLIP_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(CLIP_STD).view(1, 3, 1, 1)
    pixels = (video.float().cpu() * std + mean).clamp(0, 1).mul(255).round().to(torch.uint8)
    return pixels.permute(0, 2, 3, 1).numpy()


def _attention_maps(attention: FrameAttention, method: str) -> AttentionMaps:
    return AttentionMaps(method=method, maps=attention.patches.tolist(), cls_self=attention.cls_self.tolist())


def explain_class(terms: ScoreTerms, rows: list[PromptRow], k: int, name: str, probability: float) -> ClassExplanation:
    count = len(rows)
    similarity = terms.similarity[0, :, k, :count].float()  # (T, N)
    return ClassExplanation(
        name=name, index=k, score=float(terms.score[0, k]), probability=probability,
        prompt_side=float(terms.prompt_side[0, k]), frame_side=float(terms.frame_side[0, k]), prompts=rows,
        similarity=similarity.T.tolist(),
        best_frame=similarity.argmax(dim=0).tolist(), best_frame_value=terms.best_frame[0, k, :count].tolist(),
        best_prompt=similarity.argmax(dim=1).tolist(), best_prompt_value=terms.best_prompt[0, :, k].tolist(),
    )


@torch.no_grad()
def explain_frames(
    model: StddVideoClip, video: Tensor, text: Tensor, mask: Tensor, rows: list[list[PromptRow]],
    names: list[str], variant: Variant, frame_indices: list[int], topk: int, show: list[int] | None,
    compare_plain: bool,
) -> VideoExplanation:
    """video (T, 3, H, W). ``show``: the classes to explain (default: this video's own top-k)."""
    batch = video.unsqueeze(0).to(model.device)
    holder: list[Tensor] = []
    attention = attention_while(model.visual, lambda: holder.append(model.encode_video(batch)))
    terms = score_terms(holder[0], text, mask, model.logit_scale)
    scores = terms.score[0].float()
    probabilities = scores.softmax(dim=-1)
    best = scores.topk(min(topk, len(names))).indices.tolist()
    predictions = [Prediction(name=names[i], index=i, score=float(scores[i]), probability=float(probabilities[i]))
                   for i in best]
    classes = [explain_class(terms, rows[k], k, names[k], float(probabilities[k])) for k in (show or best)]
    plain = None
    if compare_plain:  # outside encode_video no frame count is set, so the blocks run their original forward
        plain = _attention_maps(attention_while(model.visual, lambda: model.visual(batch[0])), PLAIN_METHOD)
    return VideoExplanation(variant=variant, frame_indices=frame_indices, predictions=predictions, classes=classes,
                            attention=_attention_maps(attention, ATTENTION_METHOD), plain_attention=plain)


def explain_video(
    video: Path, checkpoint: Path, prompts: Path, topk: int = 3, reverse: bool = False, compare_plain: bool = False,
    candidates: Sequence[str] | None = None,
) -> tuple[Explanation, dict[Variant, np.ndarray]]:
    """The explanation and, per variant, the frames the model saw ((T, H, W, 3) uint8).

    ``candidates``: the class names to rank (a split's classes, as its evaluation ranks them); default: every
    class of the prompts file.

    One centre view (the checkpoint's test clip with 1 × 1 views). The reversed variant is the same sampled
    frames in reverse order and explains the same classes as the original, so the two sheets line up.
    """
    model, state = load_trained_model(checkpoint)
    clip = single_view(ClipConfig.model_validate(state["config"]["data"]["clip"]))
    prompts_file = load_prompts_file(prompts)
    kinds = tuple(state["config"]["data"].get("prompt_kinds", ALL_PROMPT_KINDS))
    names = list(candidates) if candidates is not None else prompts_file.class_names
    text, mask = class_text_features(model, prompts, kinds, names)  # raises when a candidate has no prompts
    all_rows = prompt_rows(prompts_file, kinds)
    by_key = {class_key(name): row for name, row in zip(prompts_file.class_names, all_rows, strict=True)}
    rows = [by_key[class_key(name)] for name in names]
    sample = VideoDataset([VideoItem(video, 0)], clip, train=False).load(0)  # raises on a bad video
    frames = sample.video[0]
    indices = sampled_frame_indices(video, clip)
    original = explain_frames(model, frames, text, mask, rows, names, "original", indices, topk, None, compare_plain)
    explained = [original]
    images: dict[Variant, np.ndarray] = {"original": frames_as_images(frames)}
    if reverse:
        shown = [item.index for item in original.classes]
        explained.append(explain_frames(model, frames.flip(0), text, mask, rows, names, "reversed", indices[::-1],
                                        topk, shown, compare_plain))
        images["reversed"] = images["original"][::-1].copy()
    explanation = Explanation(
        video=str(video), checkpoint=str(checkpoint), prompts=str(prompts), prompt_kinds=list(kinds),
        logit_scale=float(model.logit_scale.detach()), views="1x1 (one centre view)", videos=explained,
    )
    return explanation, images
