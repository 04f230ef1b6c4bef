"""Write uint8 RGB frames to an mp4 file with PyAV."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def write_mp4(path: str | Path, frames: np.ndarray, fps: int = 8, codec: str = "libx264") -> None:
    """frames (T, H, W, 3) uint8 RGB, H and W even. ``libx264`` lossless (of the 4:2:0 frames), else ``mpeg4``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if codec not in av.codecs_available:
        codec = "mpeg4"
    height, width = frames.shape[1:3]
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=fps)
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = Fraction(1, fps)
        if codec == "libx264":
            # Lossless (qp 0) and one encoder thread: at crf 10 some clips (16 of 576 between two processes)
            # were encoded differently from run to run, even single-threaded, so the decoded pixels and every
            # number measured on them moved; lossless, the decoded frames are the same whatever the encoder
            # decides. These clips are tiny either way.
            stream.options = {"qp": "0", "preset": "veryfast", "bf": "0", "threads": "1"}
        else:
            stream.bit_rate = 2_000_000
        for image in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
