from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from model.data import transforms
from model.data.readers import make_reader


@pytest.mark.parametrize("name", ["decord", "pyav"])
def test_readers_decode_the_written_frames(name: str, clip_video: tuple[Path, np.ndarray]) -> None:
    path, frames = clip_video
    video = make_reader(name).open(path)  # type: ignore[arg-type]
    assert video.num_frames == 16
    decoded = video.read([0, 5, 15])
    assert decoded.shape == (3, 32, 32, 3) and decoded.dtype == np.uint8
    assert np.abs(decoded.astype(int) - frames[[0, 5, 15]]).mean() < 10  # lossy codec, same content


def test_decord_and_pyav_agree(clip_video: tuple[Path, np.ndarray]) -> None:
    path, _ = clip_video
    indices = [1, 3, 5, 7, 9, 11, 13, 15]
    a, b = make_reader("decord").open(path).read(indices), make_reader("pyav").open(path).read(indices)
    assert np.abs(a.astype(int) - b.astype(int)).mean() < 3


def test_train_transform_shapes_and_normalisation() -> None:
    frames = np.full((8, 40, 60, 3), 255, dtype=np.uint8)
    clip = transforms.train_transform(frames, (32, 40), 32, flip=True, rng=np.random.default_rng(0))
    assert clip.shape == (8, 3, 32, 32)
    white = (1 - transforms.CLIP_MEAN[0]) / transforms.CLIP_STD[0]
    assert torch.allclose(clip[:, 0], torch.full_like(clip[:, 0], white), atol=1e-4)


def test_no_flip_keeps_left_right() -> None:
    frames = np.zeros((2, 32, 32, 3), dtype=np.uint8)
    frames[:, :, :8] = 255  # bright left side
    for seed in range(10):
        clip = transforms.train_transform(frames, (32, 32), 32, flip=False, rng=np.random.default_rng(seed))
        assert clip[0, 0, :, :4].mean() > clip[0, 0, :, -4:].mean()


def test_three_spatial_crops_cover_the_long_side() -> None:
    frames = np.zeros((4, 32, 64, 3), dtype=np.uint8)
    frames[..., :4, :] = 255
    views = transforms.test_transforms(frames, 32, 32, spatial_views=3)
    assert len(views) == 3 and all(v.shape == (4, 3, 32, 32) for v in views)
    assert views[0][0, 0, 0, 0] > views[2][0, 0, 0, 0]
