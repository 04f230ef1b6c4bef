"""The number of frames per video, shared by the video model and its patched blocks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class FrameContext:
    """Set by the video model around a forward pass; ``None`` means plain images (blocks act unchanged)."""

    def __init__(self) -> None:
        self.num_frames: int | None = None

    @contextmanager
    def frames(self, num_frames: int) -> Iterator[None]:
        previous, self.num_frames = self.num_frames, num_frames
        try:
            yield
        finally:
            self.num_frames = previous
