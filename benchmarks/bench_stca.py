"""Benchmark STCA formulations against plain per-frame CLIP (ViT-B/16 shapes, random weights, CPU fp32).

Run: python benchmarks/bench_stca.py [--quick] [--backward-flops] [--model ViT-B-16] [--frames 8] [--repeats 3]
Variants are measured interleaved (one repetition of every variant, then the next) and the median is
reported as a ratio to plain CLIP.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import open_clip
import torch
from torch import Tensor, nn
from torch.utils.flop_counter import FlopCounterMode

from model.factory import register_model_configs
from model.frame_context import FrameContext
from model.stca import patch_visual_blocks
from model.stca_config import StcaConfig


@dataclass(frozen=True)
class Variant:
    name: str
    stca: StcaConfig | None  # None: plain per-frame CLIP


VARIANTS = (
    Variant("plain CLIP (per frame)", None),
    Variant("STCA official semantics", StcaConfig.official()),
    Variant("STCA fast (default, MLP<-padded)", StcaConfig()),
    Variant("STCA fast, MLP<-full", StcaConfig(mlp_input="full")),
)


def make_runner(visual: nn.Module, context: FrameContext, variant: Variant, frames: int) -> Callable[..., Tensor]:
    def run(video: Tensor, backward: bool, grad: bool | None = None) -> Tensor:
        if variant.stca is not None:
            patch_visual_blocks(visual, variant.stca, context)
        context.num_frames = None if variant.stca is None else frames
        with torch.set_grad_enabled(backward if grad is None else grad):
            features: Tensor = visual(video.flatten(0, 1))
            if backward:
                features.float().pow(2).sum().backward()
        return features

    return run


def timed(run: Callable[..., Tensor], video: Tensor, backward: bool) -> float:
    start = time.perf_counter()
    run(video, backward)
    return time.perf_counter() - start


def count_flops(run: Callable[..., Tensor], video: Tensor, backward: bool) -> int:
    # With grad enabled, nn.MultiheadAttention skips its fused inference kernel, which the counter cannot see.
    with FlopCounterMode(display=False) as counter:
        run(video, backward, True)
    return int(counter.get_total_flops())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="ViT-B-16")
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one repetition, no warm-up")
    parser.add_argument("--backward-flops", action="store_true", help="also count forward + backward FLOPs (slow)")
    args = parser.parse_args()
    repeats = 1 if args.quick else args.repeats

    torch.manual_seed(0)
    register_model_configs()
    clip = open_clip.create_model(args.model, pretrained=None)
    visual = clip.visual.eval()
    visual.zero_grad(set_to_none=True)
    size = visual.image_size[0]
    video = torch.randn(1, args.frames, 3, size, size)
    context = FrameContext()
    runners = [make_runner(visual, context, variant, args.frames) for variant in VARIANTS]
    params = sum(p.numel() for p in visual.parameters())

    modes = (False, True) if args.backward_flops else (False,)
    flops = {mode: [count_flops(run, video, mode) for run in runners] for mode in modes}
    times: dict[bool, list[list[float]]] = {False: [[] for _ in runners], True: [[] for _ in runners]}
    if not args.quick:
        for run in runners:
            run(video, False)
    for _ in range(repeats):
        for backward in (False, True):
            for index, run in enumerate(runners):
                times[backward][index].append(timed(run, video, backward))
                visual.zero_grad(set_to_none=True)

    print(
        f"{args.model}, {args.frames} frames at {size}x{size}, batch 1, CPU fp32, "
        f"{torch.get_num_threads()} threads, median of {repeats} interleaved repetitions, random weights"
    )
    header = (
        f"{'variant':34} {'fwd s':>7} {'fwd x':>6} {'f+b s':>7} {'f+b x':>6} "
        f"{'fwd GFLOP':>10} {'f+b GFLOP':>10} {'params':>11}"
    )
    print(header)
    print("-" * len(header))
    base_fwd = statistics.median(times[False][0])
    base_bwd = statistics.median(times[True][0])
    for index, variant in enumerate(VARIANTS):
        fwd = statistics.median(times[False][index])
        bwd = statistics.median(times[True][index])
        fwd_flops = flops[False][index] / 1e9
        bwd_flops = f"{flops[True][index] / 1e9:10.1f}" if True in flops else f"{'-':>10}"
        print(
            f"{variant.name:34} {fwd:7.2f} {fwd / base_fwd:6.2f} {bwd:7.2f} {bwd / base_bwd:6.2f} "
            f"{fwd_flops:10.1f} {bwd_flops} {params:11,d}"
        )


if __name__ == "__main__":
    main()
