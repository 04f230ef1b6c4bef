"""Video datasets that never crash an epoch: a bad video yields ``None``, the collate drops and counts it."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import Tensor
from torch.utils.data import Dataset

from model.data.readers import OpenedVideo, ReaderName, VideoReadError, make_reader
from model.data.sampling import SamplingMode, sample_indices
from model.data.splits import VideoItem
from model.data.transforms import test_transforms, train_transform

logger = logging.getLogger(__name__)


class ClipConfig(BaseModel):
    """How a clip is read and turned into a tensor."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reader: ReaderName = "decord"
    num_frames: int = Field(8, ge=1)
    sampling: SamplingMode = "segment"
    sampling_rate: int = Field(1, ge=1, description="frame stride for dense sampling")
    train_scale: tuple[int, int] = (256, 320)
    crop_size: int = Field(224, ge=1)
    test_scale: int = 224
    flip: bool = Field(True, description="random horizontal flip (turn off when left/right matters)")
    temporal_views: int = Field(1, ge=1)
    spatial_views: Literal[1, 3] = 1


@dataclass(frozen=True)
class Sample:
    """video: (T, 3, H, W) for training, (V, T, 3, H, W) views for testing."""

    video: Tensor
    label: int
    index: int


@dataclass
class Batch:
    video: Tensor | None
    labels: Tensor
    indices: Tensor
    skipped: int = 0
    skipped_indices: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return int(self.labels.numel())


class VideoDataset(Dataset[Sample | None]):
    def __init__(self, items: Sequence[VideoItem], clip: ClipConfig, train: bool, seed: int = 0) -> None:
        self.items = list(items)
        self.clip = clip
        self.train = train
        self.seed = seed
        self.epoch = 0
        self.reader = make_reader(clip.reader)

    def set_epoch(self, epoch: int) -> None:
        """Training randomness of item i in epoch e depends on (seed, e, i) only: workers and resumes agree."""
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.items)

    def load(self, index: int) -> Sample:
        item = self.items[index]
        video = self.reader.open(item.path)
        try:
            return self._sample(video, item, index)
        finally:
            video.close()

    def _sample(self, video: OpenedVideo, item: VideoItem, index: int) -> Sample:
        clip = self.clip
        total = video.num_frames
        if self.train:
            rng = np.random.default_rng([self.seed, self.epoch, index])
            indices = sample_indices(clip.sampling, total, clip.num_frames, clip.sampling_rate, rng)
            frames = video.read(indices)
            return Sample(train_transform(frames, clip.train_scale, clip.crop_size, clip.flip, rng), item.label, index)
        per_view = [
            sample_indices(clip.sampling, total, clip.num_frames, clip.sampling_rate, None, view, clip.temporal_views)
            for view in range(clip.temporal_views)
        ]
        frames = video.read([i for indices in per_view for i in indices])  # one decode pass for all views
        views = []
        for view in range(clip.temporal_views):
            chunk = frames[view * clip.num_frames : (view + 1) * clip.num_frames]
            views.extend(test_transforms(chunk, clip.test_scale, clip.crop_size, clip.spatial_views))
        return Sample(torch.stack(views), item.label, index)

    def __getitem__(self, index: int) -> Sample | None:
        try:
            return self.load(index)
        except (VideoReadError, ValueError, RuntimeError) as error:
            logger.warning("skipping video %s: %s", self.items[index].path, error)
            return None


def collate_skipping(samples: Sequence[Sample | None]) -> Batch:
    good = [sample for sample in samples if sample is not None]
    skipped = [i for i, sample in enumerate(samples) if sample is None]
    if not good:
        empty = torch.zeros(0, dtype=torch.long)
        return Batch(None, empty, empty, len(skipped), skipped)
    return Batch(
        video=torch.stack([sample.video for sample in good]),
        labels=torch.tensor([sample.label for sample in good], dtype=torch.long),
        indices=torch.tensor([sample.index for sample in good], dtype=torch.long),
        skipped=len(skipped),
        skipped_indices=skipped,
    )
