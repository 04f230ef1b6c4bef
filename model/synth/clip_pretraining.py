"""``stdd synth-clip``: pretrain a tiny CLIP (both towers, from random init) on the synthetic frames' captions.

STDD fine-tunes a CLIP whose text tower already ties words to what they look like; a random tiny CLIP has no
such tie ("the left edge" and "the right edge" embed almost alike), so on the demo the temporal prompts could
not line up with the frames they describe. This gives the demo that starting point in miniature: every frame of
the *training* split (seen classes only; the zero-shot split is never read) is paired with its caption, and the
image tower learns to pick it among all distinct captions, their colour-only and shape-only forms and the
captions said in their video's class ("red square moving right: a red square at the left edge of the frame")
(cross-entropy with soft targets over image-to-caption similarities: the many frames that share one caption are
never treated as negatives of each other). The last form teaches the text tower what a class name says about one
frame: "moving right" is said of frames at every place, so a prompt's place words, not its class name, decide
where it matches.
The result is an open_clip state dict that ``model.pretrained`` loads like any local checkpoint.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import open_clip
import torch
import torch.nn.functional as F
from pydantic import BaseModel, ConfigDict, Field
from torch import Tensor

from model.atomic_files import atomic_torch_save
from model.data.readers import make_reader
from model.data.transforms import normalise, to_float_clip
from model.factory import register_model_configs, without_random_init_warning
from model.synth.captions import caption_in_context, partial_captions
from model.synth.dataset import FRAME_CAPTIONS_FILE, class_of_folder


class SynthClipError(RuntimeError):
    """The synthetic folder has no usable frame captions."""


class SynthClipConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = "ViT-Tiny-Test"
    steps: int = Field(400, ge=1)
    batch_size: int = Field(256, ge=2)
    lr: float = Field(2e-3, gt=0)
    weight_decay: float = Field(0.05, ge=0)
    seed: int = 0
    threads: int | None = Field(None, ge=1)


class SynthClipResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    out: Path
    captions: int
    train_frames: int
    test_frames: int
    steps: int
    final_loss: float
    train_accuracy: float
    test_accuracy: float
    seconds: float


def _read_frame_captions(data_dir: Path) -> Any:
    path = data_dir / FRAME_CAPTIONS_FILE
    if not path.is_file():
        raise SynthClipError(f"no {FRAME_CAPTIONS_FILE} in {data_dir} (write the folder with `stdd synth`)")
    try:
        return json.loads(path.read_text())
    except ValueError as error:
        raise SynthClipError(f"{path}: not JSON ({error})") from None


def _captioned_frames(data_dir: Path, captions: Any, split: str) -> tuple[np.ndarray, list[str], list[str]]:
    """The split's frames, their captions and the class of the video each comes from (its folder name)."""
    path = data_dir / FRAME_CAPTIONS_FILE
    try:
        per_video = captions[split]
    except (KeyError, TypeError) as error:
        raise SynthClipError(f"{path}: no captions for the {split!r} split ({error})") from None
    reader = make_reader("decord")
    frames, captions, classes = [], [], []
    for relative, video_captions in per_video.items():
        video = reader.open(data_dir / relative)
        try:
            frames.append(video.read(range(len(video_captions))))
        finally:
            video.close()
        captions.extend(video_captions)
        classes.extend([class_of_folder(Path(relative).parent.name)] * len(video_captions))
    if not frames:
        raise SynthClipError(f"{path}: the {split!r} split has no videos")
    return np.concatenate(frames), captions, classes


def _images(frames: np.ndarray, device: torch.device) -> Tensor:
    return normalise(to_float_clip(frames)).to(device)


@torch.no_grad()
def _caption_accuracy(
    clip: open_clip.CLIP, frames: np.ndarray, targets: Tensor, text_tokens: Tensor, batch: int
) -> float:
    clip.eval()
    text = F.normalize(clip.encode_text(text_tokens), dim=-1)
    correct = 0
    for start in range(0, len(frames), batch):
        image = F.normalize(clip.encode_image(_images(frames[start : start + batch], text.device)), dim=-1)
        correct += int(((image @ text.T).argmax(dim=-1).cpu() == targets[start : start + batch]).sum())
    clip.train()
    return correct / len(frames)


def pretrain_synthetic_clip(data_dir: str | Path, out: str | Path, config: SynthClipConfig) -> SynthClipResult:
    """Train on ``train``-split frames, report caption accuracy on the seen-class ``test`` split, save ``out``."""
    started = time.perf_counter()
    data_dir, out = Path(data_dir), Path(out)
    captions = _read_frame_captions(data_dir)
    train_frames, train_captions, train_classes = _captioned_frames(data_dir, captions, "train")
    test_frames, test_captions, _ = _captioned_frames(data_dir, captions, "test")
    vocabulary = sorted(set(train_captions))
    index = {caption: number for number, caption in enumerate(vocabulary)}
    train_targets = torch.tensor([index[caption] for caption in train_captions])
    # Trained against the full captions, their partial forms and the caption said in its video's context; a
    # frame's target is 0.4 its caption, 0.2 each of its two partial captions and 0.2 the context form (accuracy
    # is measured on the full captions alone).
    pairs = sorted(set(zip(train_captions, train_classes, strict=True)))
    partial = sorted({form for caption in vocabulary for form in partial_captions(caption)} - set(vocabulary))
    in_context = sorted({caption_in_context(caption, name) for caption, name in pairs})
    answers = vocabulary + partial + in_context
    answer_index = {answer: number for number, answer in enumerate(answers)}
    soft_targets = torch.zeros(len(pairs), len(answers))
    for row, (caption, name) in enumerate(pairs):
        soft_targets[row, answer_index[caption]] = 0.4
        for form in partial_captions(caption):
            soft_targets[row, answer_index[form]] += 0.2
        soft_targets[row, answer_index[caption_in_context(caption, name)]] += 0.2
    pair_index = {pair: row for row, pair in enumerate(pairs)}
    train_rows = torch.tensor([pair_index[pair] for pair in zip(train_captions, train_classes, strict=True)])
    # A test caption never seen in training cannot be picked: it counts as a miss.
    test_targets = torch.tensor([index.get(caption, -1) for caption in test_captions])

    if config.threads:
        torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    generator = np.random.default_rng(config.seed)
    register_model_configs()
    with without_random_init_warning():
        clip = open_clip.create_model(config.model, pretrained=None)
    if not isinstance(clip, open_clip.CLIP):
        raise SynthClipError(f"{config.model}: not a plain open_clip CLIP model")
    device = next(clip.parameters()).device
    tokenizer = open_clip.get_tokenizer(config.model)
    text_tokens, answer_tokens = tokenizer(vocabulary).to(device), tokenizer(answers).to(device)
    optimizer = torch.optim.AdamW(clip.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=config.lr, total_steps=config.steps,
                                                   pct_start=0.1)
    clip.train()
    loss = torch.tensor(float("nan"))
    for _ in range(config.steps):
        batch = generator.choice(len(train_frames), size=min(config.batch_size, len(train_frames)), replace=False)
        image = F.normalize(clip.encode_image(_images(train_frames[batch], device)), dim=-1)
        text = F.normalize(clip.encode_text(answer_tokens), dim=-1)
        logits = clip.logit_scale.exp() * image @ text.T
        loss = F.cross_entropy(logits, soft_targets[train_rows[batch]].to(device))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
        with torch.no_grad():
            clip.logit_scale.clamp_(0, float(np.log(100.0)))

    train_accuracy = _caption_accuracy(clip, train_frames, train_targets, text_tokens, config.batch_size)
    test_accuracy = _caption_accuracy(clip, test_frames, test_targets, text_tokens, config.batch_size)
    result = SynthClipResult(
        out=out, captions=len(vocabulary), train_frames=len(train_frames), test_frames=len(test_frames),
        steps=config.steps, final_loss=loss.item(), train_accuracy=train_accuracy, test_accuracy=test_accuracy,
        seconds=time.perf_counter() - started,
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_torch_save(
        {"state_dict": clip.state_dict(), "synth_clip": result.model_dump(mode="json", exclude={"out"})
         | {"config": config.model_dump(mode="json"), "caption_texts": vocabulary, "answer_texts": answers}},
        out,
    )
    return result
