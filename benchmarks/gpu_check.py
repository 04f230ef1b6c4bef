"""One-GPU check of the STCA model: bf16 throughput and peak memory against plain CLIP, then 50 training
steps of the official recipe on synthetic tensors. Run through ``benchmarks/gpu_check.sh``.

``--dry-run`` does the same on CPU with the tiny test model in seconds (tests run it), so the script is known
to work before a GPU is at hand. Nothing is downloaded: weights are random (``model.pretrained`` is unset).
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import open_clip
import torch
from torch import Tensor, nn

from benchmarks.tower_copies import copy_sharing_weights
from model.factory import register_model_configs
from model.frame_context import FrameContext
from model.loading import build_model
from model.losses import StddObjective
from model.stca import install_stca_blocks
from model.stca_config import StcaConfig
from model.training.config import DEFAULT_TRAIN_CONFIG, load_config, resolve_config
from model.training.schedule import build_optimizer, build_scheduler
from model.training.step import TrainStep, forward_backward, optimizer_step


@dataclass(frozen=True)
class Settings:
    device: torch.device
    model: str
    frames: int
    batches: tuple[int, ...]
    iterations: int
    steps: int
    recipe_overrides: tuple[str, ...]


def settings_from_args(args: argparse.Namespace) -> Settings:
    if args.dry_run:
        return Settings(torch.device("cpu"), "ViT-Tiny-Test", 4, (2,), 1, 2, (
            "model.name=ViT-Tiny-Test", "model.pretrained=null", "data.clip.num_frames=4",
            "data.clip.crop_size=32", "data.batch_size=2", *args.set,
        ))
    if not torch.cuda.is_available():
        raise SystemExit("gpu_check: no CUDA device visible (use --dry-run for the CPU smoke test)")
    return Settings(torch.device("cuda"), args.model, args.frames, tuple(args.batches), args.iterations, args.steps,
                    ("model.pretrained=null", *args.set))


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def reset_peak(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)


def peak_gib(device: torch.device) -> str:
    return f"{torch.cuda.max_memory_allocated(device) / 2**30:.2f}" if device.type == "cuda" else "-"


def clips_per_second(run: Callable[[], None], clips: int, iterations: int, device: torch.device) -> float:
    for _ in range(2 if device.type == "cuda" else 1):  # warm-up (kernels, autotuning, allocator)
        run()
    times = []
    for _ in range(iterations):
        synchronize(device)
        start = time.perf_counter()
        run()
        synchronize(device)
        times.append(time.perf_counter() - start)
    return clips / statistics.median(times)


def tower_variants(visual: nn.Module, frames: int) -> dict[str, tuple[nn.Module, FrameContext | None]]:
    towers: dict[str, tuple[nn.Module, FrameContext | None]] = {"plain CLIP (per frame)": (visual, None)}
    for name, config, checkpointing in (
        ("STCA fast", StcaConfig(), False),
        ("STCA official semantics", StcaConfig.official(), False),
        ("STCA fast + grad ckpt", StcaConfig(), True),
    ):
        # With a copy of the weights per tower, all four would be live and counted in every tower's peak.
        tower = copy_sharing_weights(visual)
        context = FrameContext()
        context.num_frames = frames
        for block in install_stca_blocks(tower, config, context):
            block.grad_checkpointing = checkpointing
        towers[name] = (tower, context)
    return towers


def throughput(settings: Settings) -> None:
    device, size = settings.device, None
    register_model_configs()
    torch.manual_seed(0)
    visual = open_clip.create_model(settings.model, pretrained=None).visual.to(device)
    size = visual.image_size[0]
    towers = tower_variants(visual, settings.frames)
    print(f"== bf16 autocast throughput, {settings.model}, {settings.frames} frames at {size}x{size}, "
          f"clips/s (median of {settings.iterations}); ratio = STCA / plain ==")
    print(f"{'variant':26} {'batch':>5} {'infer clip/s':>13} {'ratio':>6} {'train clip/s':>13} {'ratio':>6} "
          f"{'peak train GiB':>15}")
    for batch in settings.batches:
        video = torch.randn(batch * settings.frames, 3, size, size, device=device)
        base: dict[str, float] = {}
        for name, (tower, _) in towers.items():

            def infer(tower: nn.Module = tower, video: Tensor = video) -> None:
                with torch.no_grad(), torch.autocast(device.type, dtype=torch.bfloat16):
                    tower.eval()(video)

            def train(tower: nn.Module = tower, video: Tensor = video) -> None:
                with torch.autocast(device.type, dtype=torch.bfloat16):
                    features: Tensor = tower.train()(video)
                features.float().pow(2).mean().backward()  # backward outside autocast
                tower.zero_grad(set_to_none=True)

            infer_rate = clips_per_second(infer, batch, settings.iterations, device)
            reset_peak(device)
            train_rate = clips_per_second(train, batch, settings.iterations, device)
            peak = peak_gib(device)
            base.setdefault("infer", infer_rate)
            base.setdefault("train", train_rate)
            print(f"{name:26} {batch:5d} {infer_rate:13.1f} {base['infer'] / infer_rate:6.3f} "
                  f"{train_rate:13.1f} {base['train'] / train_rate:6.3f} {peak:>15}")
    del towers, visual


def recipe_steps(settings: Settings) -> None:
    path, _ = resolve_config(DEFAULT_TRAIN_CONFIG)
    config = load_config(path, list(settings.recipe_overrides))
    device = settings.device
    frames, size, batch = config.data.clip.num_frames, config.data.clip.crop_size, config.data.batch_size
    torch.manual_seed(config.seed)
    model = build_model(config.model, frames, keep_teacher=config.loss.distill_weight > 0, device=device)
    objective = StddObjective(model.visual.output_dim, config.loss).to(device)
    classes, prompts = 400, 4
    text = nn.functional.normalize(torch.randn(classes, prompts, model.visual.output_dim, device=device), dim=-1)
    step_module = TrainStep(model, objective, text, torch.ones(classes, prompts, dtype=torch.bool, device=device))
    optim = config.optim
    optimizer = build_optimizer(step_module.named_parameters(), optim.lr, optim.weight_decay, optim.betas)
    scheduler = build_scheduler(optimizer, settings.steps, max(1, settings.steps // 10), optim.min_lr_ratio)
    use_amp = optim.amp and device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    print(f"== {DEFAULT_TRAIN_CONFIG}: {settings.steps} steps on synthetic tensors, batch {batch} x {frames} frames "
          f"at {size}x{size}, {config.model.name}, stca {config.model.stca.formulation}, "
          f"compute {config.model.compute.model_dump()}, amp {use_amp} ==")
    reset_peak(device)
    step_module.train()
    times, losses = [], []
    for step in range(settings.steps):
        video = torch.randn(batch, frames, 3, size, size, device=device)
        labels = torch.randint(classes, (batch,), device=device)
        synchronize(device)
        start = time.perf_counter()
        terms, _ = forward_backward(step_module, video, labels, scaler, use_amp)  # the trainer's step
        optimizer_step(optimizer, scheduler, scaler, step_module.parameters(), optim.grad_clip)
        synchronize(device)
        times.append(time.perf_counter() - start)
        losses.append(float(terms.total.detach()))
        if not math.isfinite(losses[-1]):
            raise SystemExit(f"gpu_check: non-finite loss at step {step}")
        if step % 10 == 0 or step == settings.steps - 1:
            print(f"step {step:3d}  loss {losses[-1]:.4f}  {times[-1] * 1000:8.1f} ms")
    steady = times[min(5, len(times) - 1):]
    print(f"recipe: {statistics.median(steady) * 1000:.1f} ms/step (median after warm-up), "
          f"{batch / statistics.median(steady):.1f} clips/s, peak {peak_gib(device)} GiB, "
          f"loss {losses[0]:.4f} -> {losses[-1]:.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dry-run", action="store_true", help="CPU, tiny model, a few steps: seconds")
    parser.add_argument("--model", default="ViT-B-16")
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--batches", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--set", action="append", default=[], help="override of the recipe config, key=value")
    settings = settings_from_args(parser.parse_args())
    started = time.perf_counter()
    device_name = torch.cuda.get_device_name(settings.device) if settings.device.type == "cuda" else "CPU"
    print(f"gpu_check on {device_name}, torch {torch.__version__}, open_clip {open_clip.__version__}"
          + (" (dry run)" if settings.device.type == "cpu" else ""))
    throughput(settings)
    recipe_steps(settings)
    print(f"gpu_check done in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
