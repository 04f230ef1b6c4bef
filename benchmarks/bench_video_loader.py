"""Clips per second delivered by the training loader: decord vs. PyAV, 1 and 2 workers, interleaved.

`python -m benchmarks.bench_video_loader [--videos 256] [--rounds 3] [--data DIR]`

Synthetic videos from `stdd synth` (32x32, 16 frames, h264); 8 frames per clip by segment sampling, the
training transforms of the tiny config, batch 16. A round is one full pass of a fresh DataLoader, so worker
start-up is included (as in every training epoch without persistent workers).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path

from torch.utils.data import DataLoader

from benchmarks.timing import interleaved, table
from model.data.datasets import ClipConfig, VideoDataset, collate_skipping
from model.data.splits import split_items
from model.synth import SynthSpec, write_synthetic_dataset


def make_pass(items: list, reader: str, workers: int) -> Callable[[], object]:  # type: ignore[type-arg]
    clip = ClipConfig(reader=reader, num_frames=8, train_scale=(32, 36), crop_size=32, flip=False)  # type: ignore[arg-type]
    dataset = VideoDataset(items, clip, train=True)

    def run() -> int:
        loader = DataLoader(dataset, batch_size=16, num_workers=workers, collate_fn=collate_skipping)
        count = sum(len(batch) for batch in loader)
        assert count == len(items)
        return count

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--videos", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data", type=Path, default=None, help="an existing `stdd synth` folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        data = args.data
        if data is None:
            data = Path(scratch)
            write_synthetic_dataset(data, SynthSpec(train_per_class=max(1, args.videos // 18 + 1)), seed=0)
        items = split_items(data / "splits" / "train.csv", data)[: args.videos]
        variants = {f"{reader}, {workers} worker{'s' if workers > 1 else ''}": make_pass(items, reader, workers)
                    for workers in (1, 2) for reader in ("decord", "pyav")}
        times = interleaved(variants, rounds=args.rounds)
    print(f"{len(items)} clips per pass, {args.rounds} rounds (+1 warm-up), batch 16, 8 frames, segment sampling\n")
    print(table(times, baseline="decord, 1 worker"))
    print(f"\n{'variant':<40} {'clips/s (median)':>18}")
    for name, values in times.items():
        print(f"{name:<40} {len(items) / statistics.median(values):>18.0f}")


if __name__ == "__main__":
    main()
