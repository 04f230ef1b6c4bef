"""Benchmark STCA formulations against plain per-frame CLIP (ViT-B/16 shapes, random weights, CPU fp32).

Run: python -m benchmarks.bench_stca [--quick] [--backward-flops] [--model ViT-B-16] [--frames 8] [--repeats 4]
     [--threads 2] [--variants plain,fast,official,fast-full,formulation:NAME] [--import MODULE] [--compile]
     [--allocator keep|default]
(defaults: plain, fast and official, 4 timed rounds after one warm-up round: about 4 minutes on a quiet machine)
Every variant is its own copy of the same visual tower (plain = untouched open_clip blocks) whose modules are
copied and whose weights are shared: with a copy of the weights each, where each copy landed in memory moved the
ratios from run to run (the same code gave 1.04x and 1.11x forward, and the MLP's products of one copy took
36.5-39.0 ms per block from one process to the next), so a ratio measured placement as much as code. Variants are
measured interleaved (one repetition of every variant, then the next round), so machine noise hits them
alike; the table gives the median time, its ratio to plain CLIP, and the range of the per-round ratios; the
per-round ratios themselves follow. ``formulation:NAME`` adds the registered formulation NAME (MLP reads the
padded tensor); ``--import MODULE`` imports a module that registers one first, e.g. a copy of an older
formulation, to compare two formulations side by side in one run (robust to machine load).
``--allocator keep`` (default) keeps freed memory in the process (``benchmarks.host_allocator``): with glibc's
defaults a forward pass page-faults on fresh memory, more or less depending on what ran just before (plain CLIP's
forward ran 1.59 s after a backward and 1.84-2.00 s after a forward), so the ratios measured the order of the runs
as much as the code; ``default`` leaves glibc as it is. The load average before and after is printed: on a busy
machine the ratios grow with the load (STCA runs more, smaller kernels than plain CLIP), so compare figures taken
on a quiet machine.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import open_clip
import torch
from torch import Tensor, nn
from torch.utils.flop_counter import FlopCounterMode, sdpa_backward_flop_count, sdpa_flop_count

from benchmarks.host_allocator import keep_freed_memory
from benchmarks.tower_copies import copy_sharing_weights
from model.factory import register_model_configs
from model.frame_context import FrameContext
from model.stca import install_stca_blocks
from model.stca_config import StcaConfig
from model.stca_registry import UnknownFormulationError, stca_formulation


@dataclass(frozen=True)
class Variant:
    key: str
    name: str
    stca: StcaConfig | None  # None: plain per-frame CLIP
    compiled: bool = False


VARIANTS = (
    Variant("plain", "plain CLIP (per frame)", None),
    Variant("official", "STCA official semantics", StcaConfig.official()),
    Variant("fast", "STCA fast (default, MLP<-padded)", StcaConfig()),
    Variant("fast-full", "STCA fast, MLP<-full", StcaConfig(mlp_input="full")),
)
COMPILED = (
    Variant("plain-compiled", "plain CLIP, torch.compile", None, compiled=True),
    Variant("fast-compiled", "STCA fast, torch.compile", StcaConfig(), compiled=True),
)


def make_runner(visual: nn.Module, variant: Variant, frames: int) -> Callable[..., Tensor]:
    """A copy of ``visual`` turned into ``variant``; returns run(video, backward, grad=None)."""
    tower = copy_sharing_weights(visual)  # every variant reads the same parameter memory
    context = FrameContext()
    if variant.stca is not None:
        install_stca_blocks(tower, variant.stca, context)
        context.num_frames = frames
    forward: Callable[[Tensor], Tensor] = torch.compile(tower) if variant.compiled else tower

    def run(video: Tensor, backward: bool, grad: bool | None = None) -> Tensor:
        with torch.set_grad_enabled(backward if grad is None else grad):
            features = forward(video.flatten(0, 1))
            if backward:
                features.float().pow(2).sum().backward()
        tower.zero_grad(set_to_none=True)
        return features

    return run


def timed(run: Callable[..., Tensor], video: Tensor, backward: bool) -> float:
    start = time.perf_counter()
    run(video, backward)
    return time.perf_counter() - start


def _cpu_attention_flops(query: torch.Size, key: torch.Size, value: torch.Size, *_: object, **__: object) -> int:
    return int(sdpa_flop_count(query, key, value))


def _cpu_attention_backward_flops(
    grad_out: torch.Size, query: torch.Size, key: torch.Size, value: torch.Size, *_: object, **__: object
) -> int:
    return int(sdpa_backward_flop_count(grad_out, query, key, value))


def flop_counter() -> FlopCounterMode:
    """PyTorch's FLOP counter, also counting the CPU kernel of ``scaled_dot_product_attention`` (it has no
    formula for it and would count plain CLIP's attention as 0 FLOPs)."""
    aten = torch.ops.aten
    return FlopCounterMode(display=False, custom_mapping={
        aten._scaled_dot_product_flash_attention_for_cpu: _cpu_attention_flops,
        aten._scaled_dot_product_flash_attention_for_cpu_backward: _cpu_attention_backward_flops,
    })


def count_flops(run: Callable[..., Tensor], video: Tensor, backward: bool) -> int:
    # With grad enabled, nn.MultiheadAttention skips its fused inference kernel, which the counter cannot see.
    with flop_counter() as counter:
        run(video, backward, True)
    return int(counter.get_total_flops())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="ViT-B-16")
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--variants", default="plain,fast,official", help="comma-separated keys")
    parser.add_argument(
        "--import", dest="imports", action="append", default=[], help="module registering extra formulations"
    )
    parser.add_argument("--compile", action="store_true", help="add torch.compile'd plain and fast variants")
    parser.add_argument("--allocator", choices=("keep", "default"), default="keep",
                        help="keep: freed memory stays in the process (no page faults once warm); default: glibc's")
    parser.add_argument("--quick", action="store_true", help="one repetition, no warm-up")
    parser.add_argument("--backward-flops", action="store_true", help="also count forward + backward FLOPs (slow)")
    args = parser.parse_args()
    repeats = 1 if args.quick else args.repeats
    allocator = "freed memory kept" if args.allocator == "keep" and keep_freed_memory() else "glibc defaults"
    torch.set_num_threads(args.threads)
    started, load_before = time.perf_counter(), _load_average()

    for module in args.imports:
        importlib.import_module(module)
    known = {variant.key: variant for variant in (*VARIANTS, *COMPILED)}
    keys = ["plain"] + [key for key in args.variants.split(",") if key and key != "plain"]
    for key in keys:
        if key.startswith("formulation:"):
            name = key.split(":", 1)[1]
            try:
                stca_formulation(name)
            except UnknownFormulationError as error:
                parser.error(f"variant {key}: {error}")
            known[key] = Variant(key, f"STCA formulation {name!r}", StcaConfig(formulation=name))
    if args.compile:
        keys += [variant.key for variant in COMPILED if variant.key not in keys]
    unknown = [key for key in keys if key not in known]
    if unknown:
        parser.error(f"unknown variants {unknown}; known: {', '.join(known)}")
    variants = [known[key] for key in keys]

    torch.manual_seed(0)
    register_model_configs()
    clip = open_clip.create_model(args.model, pretrained=None)
    visual = clip.visual.eval()
    size = visual.image_size[0]
    video = torch.randn(1, args.frames, 3, size, size)
    runners = [make_runner(visual, variant, args.frames) for variant in variants]
    params = sum(p.numel() for p in visual.parameters())
    del clip

    modes = (False, True) if args.backward_flops else (False,)
    flops = {
        mode: [0 if v.compiled else count_flops(run, video, mode) for v, run in zip(variants, runners, strict=True)]
        for mode in modes
    }
    times: dict[bool, list[list[float]]] = {False: [[] for _ in runners], True: [[] for _ in runners]}
    if not args.quick:
        for backward in (False, True):
            for run in runners:
                run(video, backward)
    for _ in range(repeats):
        for backward in (False, True):
            for index, run in enumerate(runners):
                times[backward][index].append(timed(run, video, backward))

    print(
        f"{args.model}, {args.frames} frames at {size}x{size}, batch 1, CPU fp32, {torch.get_num_threads()} "
        f"threads, median of {repeats} interleaved repetitions, random weights, allocator: {allocator}; x = ratio "
        "to plain CLIP (median times), [range of the per-round ratios]"
    )
    header = (
        f"{'variant':34} {'fwd s':>7} {'fwd x':>6} {'per-round':>13} {'f+b s':>7} {'f+b x':>6} {'per-round':>13} "
        f"{'fwd GFLOP':>10} {'f+b GFLOP':>10} {'params':>11}"
    )
    print(header)
    print("-" * len(header))
    base = {mode: statistics.median(times[mode][0]) for mode in (False, True)}
    for index, variant in enumerate(variants):
        cells = []
        for mode in (False, True):
            median = statistics.median(times[mode][index])
            rounds = [t / b for t, b in zip(times[mode][index], times[mode][0], strict=True)]
            cells.append(f"{median:7.2f} {median / base[mode]:6.3f} [{min(rounds):5.3f},{max(rounds):5.3f}]")
        fwd_flops = f"{flops[False][index] / 1e9:10.1f}" if flops[False][index] else f"{'-':>10}"
        bwd_flops = f"{flops[True][index] / 1e9:10.1f}" if True in flops and flops[True][index] else f"{'-':>10}"
        print(f"{variant.name:34} {cells[0]} {cells[1]} {fwd_flops} {bwd_flops} {params:11,d}")
    for index, variant in enumerate(variants[1:], start=1):
        ratios = [statistics.median(times[mode][index]) / base[mode] for mode in (False, True)]
        print(f"{variant.key}: forward {ratios[0]:.3f}x, forward+backward {ratios[1]:.3f}x plain CLIP")
        for mode, label in ((False, "forward"), (True, "forward+backward")):
            rounds = [t / b for t, b in zip(times[mode][index], times[mode][0], strict=True)]
            print(f"  per-round {label} ratios: {' '.join(f'{r:.3f}' for r in rounds)}")
    print(
        f"load average (1 min) {load_before} before, {_load_average()} after, on {os.cpu_count()} CPUs "
        f"({platform.processor() or platform.machine()}); torch {torch.__version__}, open_clip "
        f"{open_clip.__version__}; {time.perf_counter() - started:.0f} s"
    )


def _load_average() -> str:
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "n/a"


if __name__ == "__main__":
    main()
