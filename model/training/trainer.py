"""`stdd train`: AdamW + warm-up/cosine, grad clipping, AMP, accumulation, DDP, atomic resumable checkpoints."""

from __future__ import annotations

import contextlib
import logging
import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from torch.nn.parallel import DistributedDataParallel
from torch.optim.lr_scheduler import LRScheduler

from model.loading import build_model, class_text_features
from model.losses import StddObjective
from model.training.checkpoint import CheckpointError, atomic_save, load_checkpoint, rng_state, set_rng_state
from model.training.config import TrainConfig
from model.training.data import TrainData, build_train_data
from model.training.distributed import DistInfo, all_reduce_sum, cleanup, init_distributed
from model.training.metrics import JsonlLogger, plot_metrics
from model.training.schedule import build_optimizer, build_scheduler
from model.training.step import TrainStep, forward_backward, optimizer_step
from model.video_clip import StddVideoClip
from model.weight_averaging import RunningWeightAverage

logger = logging.getLogger(__name__)
CHECKPOINT = "checkpoint.pt"
FINAL = "model.pt"


class TrainingDataError(RuntimeError):
    """Nothing trainable was read, or an epoch skipped more videos than `data.max_skipped_fraction`."""


class OutputDirError(OSError):
    """The run's output folder cannot be created or written."""

    exit_code = 4


@dataclass(frozen=True)
class TrainResult:
    output_dir: Path
    final_checkpoint: Path
    epochs: int
    skipped: int
    metrics: Path


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def _progress(enabled: bool) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    TextColumn("{task.fields[status]}"), disable=not enabled)


@dataclass
class TrainingRun:
    """Everything one process trains with, built once by ``setup_run``."""

    config: TrainConfig
    device: torch.device
    info: DistInfo
    data: TrainData
    model: StddVideoClip
    objective: StddObjective
    step_module: TrainStep
    wrapped: torch.nn.Module  # ``step_module``, DDP-wrapped when distributed
    optimizer: torch.optim.Optimizer
    scheduler: LRScheduler
    scaler: torch.amp.GradScaler
    averager: RunningWeightAverage | None
    steps_per_epoch: int
    use_amp: bool


@dataclass
class RunPosition:
    """Where the run stands: the next epoch to train, optimiser steps taken, videos skipped so far."""

    next_epoch: int = 0
    global_step: int = 0
    skipped: int = 0


def train(
    config: TrainConfig, resume: bool = False, progress: bool = True, stop_after_epochs: int | None = None
) -> TrainResult:
    """Train; ``stop_after_epochs`` ends this run early (e.g. a time slot), ``resume`` continues it exactly."""
    device = pick_device(config.device)
    info = init_distributed(device)
    run: TrainingRun | None = None
    try:
        run = setup_run(config, device, info)
        position = resume_position(run) if resume else RunPosition()
        end_epoch = config.optim.epochs
        if stop_after_epochs is not None:
            end_epoch = min(end_epoch, position.next_epoch + stop_after_epochs)
        metrics = JsonlLogger(config.output_dir / "metrics.jsonl", enabled=info.is_main,
                              append=position.next_epoch > 0)
        if position.next_epoch > 0:
            metrics.trim_to_step(position.global_step, position.next_epoch - 1)
        with _progress(progress and info.is_main) as bar:
            task = bar.add_task("train", total=run.steps_per_epoch * (end_epoch - position.next_epoch), status="")

            def advance(status: str) -> None:
                bar.update(task, advance=1, status=status)

            for epoch in range(position.next_epoch, end_epoch):
                record = train_epoch(run, epoch, position, metrics, advance)
                metrics.log(record)
                # The metrics are committed once the checkpoint's bytes are on disk and before it replaces the
                # old one: a full disk changes neither file, a kill in between leaves records that resume trims.
                save_checkpoint(run, position, before_replace=metrics.commit)
        save_final(run, metrics.path)
        return TrainResult(config.output_dir, config.output_dir / FINAL, end_epoch, position.skipped, metrics.path)
    finally:
        run = None  # before the process group goes (``cleanup``)
        cleanup(info, sys.exc_info()[1])


def setup_run(config: TrainConfig, device: torch.device, info: DistInfo) -> TrainingRun:
    """Output folder, data, model, objective, optimiser, schedule and AMP scaler, identical on every rank."""
    if device.type == "cuda":
        torch.cuda.set_device(info.local_rank)
        device = torch.device("cuda", info.local_rank)
    if config.threads:
        torch.set_num_threads(config.threads)
    if info.is_main:
        prepare_output_dir(config.output_dir)
    torch.manual_seed(config.seed)  # identical initial weights on every rank (DDP also broadcasts them)
    data = build_train_data(config.data, config.data.clip, info, config.seed)
    if len(data.dataset) == 0:
        raise TrainingDataError(f"{_data_source(config)}: no videos listed; nothing to train (no file written)")
    if len(data.loader) == 0:
        raise TrainingDataError(
            f"{_data_source(config)}: {len(data.dataset)} videos make no full batch of {config.data.batch_size} "
            f"per process; nothing to train (no file written)"
        )
    model = build_model(config.model, config.data.clip.num_frames, config.loss.distill_weight > 0, device)
    text, mask = class_text_features(model, config.data.prompts, config.data.prompt_kinds, data.class_names,
                                     cache=config.model.pretrained is not None)
    objective = StddObjective(model.visual.output_dim, config.loss).to(device)
    if config.loss.distill_weight == 0:
        objective.requires_grad_(False)
    step_module = TrainStep(model, objective, text, mask)
    wrapped: torch.nn.Module = step_module
    if info.enabled:
        wrapped = DistributedDataParallel(step_module, device_ids=[device.index] if device.type == "cuda" else None)
    optim = config.optim
    steps_per_epoch = max(1, len(data.loader) // optim.accumulation_steps)
    optimizer = build_optimizer(step_module.named_parameters(), optim.lr, optim.weight_decay, optim.betas)
    scheduler = build_scheduler(optimizer, steps_per_epoch * optim.epochs,
                                round(steps_per_epoch * optim.warmup_epochs), optim.min_lr_ratio)
    use_amp = optim.amp and device.type == "cuda"
    return TrainingRun(
        config, device, info, data, model, objective, step_module, wrapped, optimizer, scheduler,
        torch.amp.GradScaler("cuda", enabled=use_amp), RunningWeightAverage() if config.weight_averaging else None,
        steps_per_epoch, use_amp,
    )


def resume_position(run: TrainingRun) -> RunPosition:
    """Load ``output_dir/checkpoint.pt`` into the run (weights, optimiser, schedule, scaler, averager, RNG);
    without one, start from scratch. A checkpoint that does not fit the run is a one-line CheckpointError."""
    path = run.config.output_dir / CHECKPOINT
    if not path.is_file():
        logger.warning("--resume: no %s yet, starting from scratch", path)
        return RunPosition()
    state = load_checkpoint(path)
    try:
        run.model.load_state_dict(state["model"])
        run.objective.load_state_dict(state["objective"])
        run.optimizer.load_state_dict(state["optimizer"])
        run.scheduler.load_state_dict(state["scheduler"])
        run.scaler.load_state_dict(state["scaler"])
        if run.averager is not None and state["averager"] is not None:
            run.averager.load_state_dict(state["averager"])
        set_rng_state(state["rng"][run.info.rank])
        return RunPosition(state["epoch"] + 1, state["global_step"], state["skipped"])
    except (KeyError, IndexError, TypeError, ValueError, RuntimeError) as error:
        detail = " ".join(str(error).split())
        raise CheckpointError(f"{path}: cannot resume this run from it ({type(error).__name__}: {detail:.200})") \
            from None


def train_epoch(
    run: TrainingRun, epoch: int, position: RunPosition, metrics: JsonlLogger, advance: Callable[[str], None]
) -> dict[str, Any]:
    """Train one epoch (gradient accumulation, DDP sync on the last micro-batch only); the epoch's record for
    the metrics file. Raises before anything is saved when the loss is not finite or the epoch read too little."""
    config, optim, info = run.config, run.config.optim, run.info
    run.data.set_epoch(epoch)
    run.wrapped.train()
    started = time.perf_counter()
    totals = {"loss": 0.0, "correct": 0.0, "seen": 0.0, "skipped": 0.0}
    micro = 0
    run.optimizer.zero_grad(set_to_none=True)
    for batch in run.data.loader:
        totals["skipped"] += batch.skipped
        if batch.video is None:
            continue
        video, labels = batch.video.to(run.device, non_blocking=True), batch.labels.to(run.device)
        micro += 1
        last_micro = micro % optim.accumulation_steps == 0
        sync = contextlib.nullcontext() if last_micro or not info.enabled else run.wrapped.no_sync()  # type: ignore[operator]
        with sync:
            terms, scores = forward_backward(run.wrapped, video, labels, run.scaler, run.use_amp,
                                             optim.accumulation_steps)
        loss_value = float(terms.total.detach())
        if not math.isfinite(loss_value):
            raise FloatingPointError(f"non-finite loss at epoch {epoch}, step {position.global_step}")
        totals["loss"] += loss_value * len(labels)
        totals["correct"] += float((scores.argmax(-1) == labels).sum())
        totals["seen"] += len(labels)
        if not last_micro:
            continue
        optimizer_step(run.optimizer, run.scheduler, run.scaler, run.step_module.parameters(), optim.grad_clip)
        position.global_step += 1
        advance(f"epoch {epoch + 1}/{optim.epochs} loss {loss_value:.3f}")
        if position.global_step % config.log_every == 0:
            metrics.log({"kind": "step", "epoch": epoch, "step": position.global_step, "loss": loss_value,
                         "classification": float(terms.classification.detach()),
                         "distillation": float(terms.distillation.detach()),
                         "lr": run.scheduler.get_last_lr()[0]})
    return finish_epoch(run, epoch, position, totals, started)


def finish_epoch(
    run: TrainingRun, epoch: int, position: RunPosition, totals: dict[str, float], started: float
) -> dict[str, Any]:
    """Sum the epoch's totals over ranks, check it read enough, update the weight average and ``position``;
    the epoch's record for the metrics file."""
    config, info = run.config, run.info
    loss_sum, correct, seen, skipped = all_reduce_sum(
        [totals["loss"], totals["correct"], totals["seen"], totals["skipped"]], info)
    position.skipped += int(skipped)
    if skipped:
        logger.warning("epoch %d: skipped %d unreadable videos", epoch, int(skipped))
    check_epoch_data(config, epoch, int(seen), int(skipped))
    if run.averager is not None:
        run.averager.update(run.model.state_dict())
    record: dict[str, Any] = {
        "kind": "epoch", "epoch": epoch, "step": position.global_step, "train_loss": loss_sum / max(seen, 1),
        "train_top1": correct / max(seen, 1), "skipped": int(skipped), "seconds": time.perf_counter() - started,
    }
    if info.enabled:
        record["rank_weight_spread"] = weight_spread(run.model)
    position.next_epoch = epoch + 1
    return record


def prepare_output_dir(out: Path) -> None:
    """Create the folder and prove it writable before any work; drop temporaries a killed save left."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".write-check.{os.getpid()}.tmp"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise OutputDirError(f"output_dir {out}: cannot write there ({error.strerror or error})") from None
    for name in (CHECKPOINT, FINAL, "metrics.jsonl"):
        for stale in out.glob(f".{name}.*.tmp"):
            stale.unlink(missing_ok=True)


def check_epoch_data(config: TrainConfig, epoch: int, seen: int, skipped: int) -> None:
    """Stop before anything is saved when an epoch read nothing or skipped too much."""
    source = _data_source(config)
    if seen == 0:
        raise TrainingDataError(
            f"{source}: none of the videos of epoch {epoch} could be read ({skipped} skipped; see the warnings); "
            "nothing trained, the run's files are unchanged"
        )
    limit = config.data.max_skipped_fraction
    if skipped / (seen + skipped) > limit:
        raise TrainingDataError(
            f"{source}: epoch {epoch} skipped {skipped} of {seen + skipped} videos, more than "
            f"data.max_skipped_fraction={limit:g}; the run's files are unchanged since the last epoch"
        )


def _data_source(config: TrainConfig) -> str:
    split = config.data.train_split
    return str(split) if split is not None else f"data.root {config.data.root}"


def weight_spread(model: torch.nn.Module) -> float:
    """Largest difference between ranks of a float64 checksum of the weights (0.0: replicas in sync)."""
    checksum = torch.stack([p.detach().double().sum() for p in model.parameters()]).sum().cpu()
    gathered = [torch.zeros_like(checksum) for _ in range(dist.get_world_size())]
    dist.all_gather(gathered, checksum)
    return float(torch.stack(gathered).max() - torch.stack(gathered).min())


def save_checkpoint(run: TrainingRun, position: RunPosition, before_replace: Callable[[], object]) -> None:
    """Atomically write ``checkpoint.pt`` after the epoch ``position`` has just completed (every rank's RNG);
    ``before_replace`` runs once the new bytes are on disk, just before they replace the old file."""
    states: list[Any] = [rng_state()]
    if run.info.enabled:
        states = [None] * run.info.world_size
        dist.all_gather_object(states, rng_state())
    if run.info.is_main:
        atomic_save({
            "config": run.config.model_dump(mode="json"), "epoch": position.next_epoch - 1,
            "global_step": position.global_step, "skipped": position.skipped, "model": run.model.state_dict(),
            "objective": run.objective.state_dict(), "optimizer": run.optimizer.state_dict(),
            "scheduler": run.scheduler.state_dict(), "scaler": run.scaler.state_dict(), "rng": states,
            "averager": None if run.averager is None else run.averager.state_dict(),
        }, run.config.output_dir / CHECKPOINT, before_replace)
    if run.info.enabled:
        dist.barrier()


def save_final(run: TrainingRun, metrics_file: Path) -> None:
    """Write ``model.pt`` (the averaged weights when weight averaging is on) and plot the metrics."""
    if not run.info.is_main:
        return
    model_state = run.model.state_dict()
    final_state = run.averager.averaged_weights(like=model_state) if run.averager is not None else model_state
    atomic_save({"config": run.config.model_dump(mode="json"), "model": final_state,
                 "class_names": run.data.class_names, "averaged": run.averager is not None},
                run.config.output_dir / FINAL)
    if metrics_file.is_file() and metrics_file.stat().st_size:
        plot_metrics(metrics_file, run.config.output_dir / "metrics.png")
