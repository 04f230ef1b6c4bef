from __future__ import annotations

import torch

from model.channel_mixing import mix_channels
from model.masking import masked_tokens_per_window, shuffle_frames, split_tokens, window_patterns


def test_pattern_rotates_by_one_position_per_frame() -> None:
    patterns = window_patterns(5, 0.5, torch.tensor([0, 1]))
    assert patterns[0, 0].tolist() == [True, True, False, False]
    for frame in range(4):
        assert torch.equal(patterns[0, frame + 1], patterns[0, frame].roll(1))
    assert torch.equal(patterns[1, 0], patterns[0, 1])
    assert torch.equal(patterns[0, 4], patterns[0, 0])
    assert (patterns.sum(-1) == 2).all()


def test_kept_index_moves_between_neighbouring_frames() -> None:
    split = split_tokens(window_patterns(4, 0.5, torch.tensor([0])), grid_size=4)
    assert split.kept.shape == (1, 4, 8) and split.masked.shape == (1, 4, 8)
    for frame in range(4):
        union = torch.cat([split.kept[0, frame], split.masked[0, frame]]).sort().values
        assert torch.equal(union, torch.arange(16))
    for frame in range(3):
        assert (split.kept[0, frame] != split.kept[0, frame + 1]).any()


def test_the_split_with_the_masked_count_given_equals_the_split_read_off_the_patterns() -> None:
    """STCA passes the count from its mask rate (so torch.compile traces the split without a graph break)."""
    for rate in (0.25, 0.5, 0.75):
        patterns = shuffle_frames(window_patterns(6, rate, torch.tensor([0, 3, 1])), torch.Generator().manual_seed(1))
        read, given = split_tokens(patterns, 4), split_tokens(patterns, 4, masked_tokens_per_window(rate))
        assert torch.equal(read.kept, given.kept) and torch.equal(read.masked, given.masked)
        assert given.masked.shape[-1] == 4 * masked_tokens_per_window(rate)


def test_scale_one_mixing_reads_neighbouring_frames_with_zero_edges() -> None:
    tokens = (
        torch.arange(4, dtype=torch.float32)[None, :, None, None].expand(1, 4, 1, 8) + 1
    )  # value = frame + 1
    mixed = mix_channels(tokens, fold=8, scale=1)  # group width 1: channel 0 <- t-1, channel 1 <- t+1
    assert mixed[0, :, 0, 0].tolist() == [0, 1, 2, 3]
    assert mixed[0, :, 0, 1].tolist() == [2, 3, 4, 0]
    assert torch.equal(mixed[..., 2:], tokens[..., 2:])
