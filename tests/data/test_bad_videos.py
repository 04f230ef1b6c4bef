from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from torch.utils.data import DataLoader

from model.data.datasets import Batch, ClipConfig, VideoDataset, collate_skipping
from model.data.splits import VideoItem


def bad_and_good_items(folder: Path, good: Path) -> list[VideoItem]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "empty.mp4").write_bytes(b"")
    payload = good.read_bytes()
    (folder / "truncated.mp4").write_bytes(payload[: len(payload) // 2])
    (folder / "garbage.mp4").write_bytes(np.random.default_rng(0).bytes(4096))
    names = ["missing.mp4", "empty.mp4", "truncated.mp4", "garbage.mp4"]
    return [VideoItem(good, 0), *[VideoItem(folder / name, 1) for name in names], VideoItem(good, 2)]


@pytest.mark.parametrize("reader", ["decord", "pyav"])
@pytest.mark.parametrize("train", [True, False])
def test_bad_videos_are_skipped_with_a_warning_and_counted(
    reader: str, train: bool, tmp_path: Path, clip_video: tuple[Path, np.ndarray], caplog: pytest.LogCaptureFixture
) -> None:
    items = bad_and_good_items(tmp_path / "bad", clip_video[0])
    clip = ClipConfig(reader=reader, num_frames=4, train_scale=(32, 32), crop_size=32, test_scale=32)  # type: ignore[arg-type]
    dataset = VideoDataset(items, clip, train=train)
    with caplog.at_level(logging.WARNING, logger="model.data.datasets"):
        batches: list[Batch] = list(DataLoader(dataset, batch_size=3, collate_fn=collate_skipping))
    assert sum(batch.skipped for batch in batches) == 4
    assert [label for batch in batches for label in batch.labels.tolist()] == [0, 2]
    assert len([r for r in caplog.records if "skipping video" in r.getMessage()]) == 4
    assert all(batch.video is None or batch.video.shape[-1] == 32 for batch in batches)


def test_an_all_bad_batch_is_empty_not_an_error(tmp_path: Path, clip_video: tuple[Path, np.ndarray]) -> None:
    items = bad_and_good_items(tmp_path / "bad", clip_video[0])[1:5]
    loader = DataLoader(VideoDataset(items, ClipConfig(num_frames=4, crop_size=32, test_scale=32), train=False),
                        batch_size=4, num_workers=1, collate_fn=collate_skipping)
    (batch,) = list(loader)
    assert batch.video is None and batch.skipped == 4 and len(batch) == 0
