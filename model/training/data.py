"""Training data from a config: the dataset, its class names, a distributed-aware loader."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from torch.utils.data import DataLoader, DistributedSampler

from model.data.datasets import ClipConfig, VideoDataset, collate_skipping
from model.data.splits import VideoItem, class_names_for, folder_items, split_items
from model.training.config import DataSection
from model.training.distributed import DistInfo


@dataclass
class TrainData:
    dataset: VideoDataset
    class_names: list[str]
    sampler: DistributedSampler[int]
    loader: DataLoader[Any]

    def set_epoch(self, epoch: int) -> None:
        self.sampler.set_epoch(epoch)
        self.dataset.set_epoch(epoch)


def training_items(section: DataSection) -> tuple[list[VideoItem], list[str]]:
    if section.train_split is None:
        return folder_items(section.root)
    names = class_names_for(section.train_split, section.classes)
    return split_items(section.train_split, section.root, len(names)), names


def build_train_data(section: DataSection, clip: ClipConfig, info: DistInfo, seed: int) -> TrainData:
    items, names = training_items(section)
    dataset = VideoDataset(items, clip, train=True, seed=seed)
    # Explicit replicas/rank: the same sampler serves one process and DDP, shuffled by (seed, epoch).
    sampler: DistributedSampler[int] = DistributedSampler(
        dataset, num_replicas=info.world_size, rank=info.rank, shuffle=True, seed=seed, drop_last=True
    )
    loader = DataLoader(
        dataset, batch_size=section.batch_size, sampler=sampler, num_workers=section.workers,
        collate_fn=collate_skipping, drop_last=True, persistent_workers=False,
    )
    return TrainData(dataset, names, sampler, loader)
