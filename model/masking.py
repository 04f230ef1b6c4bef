"""Window-shift masking for STCA.

The P×P patch grid is split into 2×2 windows. In every window the same number of tokens is masked; the
masked/kept pattern is rotated by one window position per frame, so the k-th kept token of a window sits
at a different position in neighbouring frames. Kept tokens are ordered window by window (windows in
raster order, positions inside a window in raster order); that order is what channel mixing pairs up
across frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

WINDOW_SIDE = 2
WINDOW_AREA = WINDOW_SIDE * WINDOW_SIDE


def masked_tokens_per_window(mask_rate: float) -> int:
    # The small epsilon keeps e.g. 0.75 * 4 from flooring to 2 through float error.
    return int(mask_rate * WINDOW_AREA + 1e-6)


@dataclass(frozen=True, eq=False)
class TokenSplit:
    """Patch indices (0-based, CLS excluded): kept (B, T, n_kept) and masked (B, T, n_masked). Compared and
    hashed by identity (so a split can key a cache of what is derived from it)."""

    kept: Tensor
    masked: Tensor


def window_patterns(num_frames: int, mask_rate: float, start_offsets: Tensor) -> Tensor:
    """Boolean (B, T, 4), True where a window position is masked; frame t is rotated by (t + offset) mod 4."""
    num_masked = masked_tokens_per_window(mask_rate)
    base = torch.arange(WINDOW_AREA, device=start_offsets.device) < num_masked
    frames = torch.arange(num_frames, device=start_offsets.device)
    rotation = (frames[None, :] + start_offsets[:, None]) % WINDOW_AREA  # (B, T)
    positions = torch.arange(WINDOW_AREA, device=start_offsets.device)
    # Rotating right by r: position p takes the base entry at (p - r) mod 4.
    source = (positions[None, None, :] - rotation[:, :, None]) % WINDOW_AREA
    return base[source]


def shuffle_frames(patterns: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """Assign the per-frame patterns to frames in a random order, independently per video (training only)."""
    batch, frames = patterns.shape[:2]
    order = torch.rand(batch, frames, generator=generator, device=patterns.device).argsort(dim=1)
    return torch.gather(patterns, 1, order[:, :, None].expand_as(patterns))


def window_token_positions(grid_size: int, device: torch.device | None = None) -> Tensor:
    """(num_windows, 4) raster patch index of each window position."""
    if grid_size % WINDOW_SIDE:
        raise ValueError(f"STCA needs an even patch grid for 2x2 windows, got {grid_size}x{grid_size}")
    cells = torch.arange(grid_size // WINDOW_SIDE, device=device)
    offsets = torch.arange(WINDOW_SIDE, device=device)
    rows = (cells[:, None, None, None] * WINDOW_SIDE + offsets[None, None, :, None]) * grid_size
    cols = cells[None, :, None, None] * WINDOW_SIDE + offsets[None, None, None, :]
    return (rows + cols).reshape(-1, WINDOW_AREA)


def split_tokens(patterns: Tensor, grid_size: int, num_masked: int | None = None) -> TokenSplit:
    """Turn (B, T, 4) window patterns into kept and masked patch indices over the whole grid.

    ``num_masked`` (masked positions per window, as the patterns were drawn) saves reading it off the patterns,
    a data-dependent value that ``torch.compile`` cannot trace through."""
    windows = window_token_positions(grid_size, patterns.device)
    # A stable sort puts kept window positions (False) first, each group in increasing position order.
    order = torch.argsort(patterns.to(torch.uint8), dim=-1, stable=True)
    if num_masked is not None:
        num_kept = WINDOW_AREA - num_masked
    else:
        num_kept = int((~patterns[0, 0]).sum()) if patterns.numel() else WINDOW_AREA
    batch, frames = patterns.shape[:2]

    def gather(window_slots: Tensor) -> Tensor:
        slots = window_slots[:, :, None, :].expand(batch, frames, windows.shape[0], window_slots.shape[-1])
        table = windows[None, None].expand(batch, frames, -1, -1)
        return torch.gather(table, 3, slots).flatten(2)

    return TokenSplit(kept=gather(order[..., :num_kept]), masked=gather(order[..., num_kept:]))


def sample_start_offsets(batch: int, training: bool, device: torch.device) -> Tensor:
    """Eval: offset 0 for every video (deterministic). Training: a random rotation start per video."""
    if not training:
        return torch.zeros(batch, dtype=torch.long, device=device)
    return torch.randint(WINDOW_AREA, (batch,), device=device)
