"""Video readers behind one interface: decord (default) and PyAV. Frames come back as uint8 (T, H, W, 3).

``open`` reads the container once; the frame count and the wanted frames then come from that one handle.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

ReaderName = Literal["decord", "pyav"]


class VideoReadError(RuntimeError):
    """The video is missing, empty, truncated or cannot be decoded."""

    exit_code = 2


class OpenedVideo(Protocol):
    num_frames: int

    def read(self, indices: Sequence[int]) -> np.ndarray: ...

    def close(self) -> None: ...


class VideoReader(Protocol):
    name: str

    def open(self, path: Path) -> OpenedVideo: ...


def _check_file(path: Path) -> None:
    if not path.is_file():
        raise VideoReadError(f"missing video: {path}")
    if path.stat().st_size == 0:
        raise VideoReadError(f"empty video file: {path}")


class _DecordVideo:
    def __init__(self, path: Path, handle: Any) -> None:
        self.path, self.handle = path, handle
        self.num_frames = len(handle)
        if self.num_frames == 0:
            raise VideoReadError(f"no frames in {path}")

    def read(self, indices: Sequence[int]) -> np.ndarray:
        try:
            frames: np.ndarray = self.handle.get_batch([min(i, self.num_frames - 1) for i in indices]).asnumpy()
        except Exception as error:  # decord raises its own DECORDError and RuntimeError
            raise VideoReadError(f"cannot decode {self.path}: {error}") from error
        return frames

    def close(self) -> None:
        self.handle = None


class DecordReader:
    name = "decord"

    def open(self, path: Path) -> OpenedVideo:
        import decord

        _check_file(path)
        try:
            handle = decord.VideoReader(str(path), num_threads=1)
        except Exception as error:
            raise VideoReadError(f"cannot open {path}: {error}") from error
        return _DecordVideo(path, handle)


class _PyAVVideo:
    """Decodes sequentially and keeps what it decoded (clips are short); stops at the last wanted frame."""

    def __init__(self, path: Path) -> None:
        import av

        self.path = path
        self.frames: list[Any] = []  # av.VideoFrame, converted to RGB only when read
        try:
            self.container = av.open(str(path))
            stream = self.container.streams.video[0]
        except (av.FFmpegError, IndexError, ValueError) as error:
            raise VideoReadError(f"cannot open {path}: {error}") from error
        stream.thread_type = "NONE"  # one decoding thread per worker process; parallelism comes from workers
        self.decoder = self.container.decode(stream)
        self.exhausted = False
        self.num_frames = int(stream.frames or 0)
        if self.num_frames <= 0:  # no count in the container: decode everything to know
            self._decode_until(None)
            self.num_frames = len(self.frames)
        if self.num_frames <= 0:
            self.close()
            raise VideoReadError(f"no frames in {path}")

    def close(self) -> None:
        # An open container keeps FFmpeg's decoder threads alive, and forking DataLoader workers while they
        # exist can deadlock the child: always close.
        self.exhausted = True
        self.container.close()

    def _decode_until(self, last: int | None) -> None:
        import av

        try:
            while not self.exhausted and (last is None or len(self.frames) <= last):
                try:
                    frame = next(self.decoder)
                except StopIteration:
                    self.exhausted = True
                    break
                self.frames.append(frame)
        except (av.FFmpegError, ValueError) as error:
            self.close()
            if not self.frames:
                raise VideoReadError(f"cannot decode {self.path}: {error}") from error

    def read(self, indices: Sequence[int]) -> np.ndarray:
        self._decode_until(max(indices))
        if not self.frames:
            raise VideoReadError(f"no decodable frames in {self.path}")
        # The container's count can exceed what decodes (truncated files): clamp to the last good frame.
        last = len(self.frames) - 1
        converted = {i: self.frames[min(i, last)].to_ndarray(format="rgb24") for i in set(indices)}
        return np.stack([converted[i] for i in indices])


class PyAVReader:
    name = "pyav"

    def open(self, path: Path) -> OpenedVideo:
        _check_file(path)
        return _PyAVVideo(path)


def make_reader(name: ReaderName = "decord") -> VideoReader:
    if name == "decord":
        return DecordReader()
    if name == "pyav":
        return PyAVReader()
    raise ValueError(f"unknown video reader {name!r} (decord or pyav)")
