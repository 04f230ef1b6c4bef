"""`stdd train`: AdamW + warm-up/cosine, grad clipping, AMP, accumulation, DDP, atomic resumable checkpoints."""

from __future__ import annotations

import contextlib
import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from torch.nn.parallel import DistributedDataParallel

from model.losses import StddObjective
from model.training.build import build_model, class_text_features
from model.training.checkpoint import atomic_save, load_checkpoint, rng_state, set_rng_state
from model.training.config import TrainConfig
from model.training.data import build_train_data
from model.training.distributed import DistInfo, all_reduce_sum, cleanup, init_distributed
from model.training.metrics import JsonlLogger, plot_metrics
from model.training.schedule import build_optimizer, build_scheduler
from model.training.step import TrainStep
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


def train(
    config: TrainConfig, resume: bool = False, progress: bool = True, stop_after_epochs: int | None = None
) -> TrainResult:
    """Train; ``stop_after_epochs`` ends this run early (e.g. a time slot), ``resume`` continues it exactly."""
    device = pick_device(config.device)
    info = init_distributed(device)
    try:
        return _train(config, resume, progress, device, info, stop_after_epochs)
    finally:
        cleanup(info)


def _train(config: TrainConfig, resume: bool, progress: bool, device: torch.device, info: DistInfo,
           stop_after_epochs: int | None) -> TrainResult:
    if device.type == "cuda":
        torch.cuda.set_device(info.local_rank)
        device = torch.device("cuda", info.local_rank)
    if config.threads:
        torch.set_num_threads(config.threads)
    out = config.output_dir
    if info.is_main:
        prepare_output_dir(out)
    torch.manual_seed(config.seed)  # identical initial weights on every rank (DDP also broadcasts them)
    clip = config.data.clip
    data = build_train_data(config.data, clip, info, config.seed)
    if len(data.dataset) == 0:
        raise TrainingDataError(f"{_data_source(config)}: no videos listed; nothing to train (no file written)")
    if len(data.loader) == 0:
        raise TrainingDataError(
            f"{_data_source(config)}: {len(data.dataset)} videos make no full batch of {config.data.batch_size} "
            f"per process; nothing to train (no file written)"
        )
    model = build_model(config.model, clip.num_frames, config.loss.distill_weight > 0, device)
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
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    averager = RunningWeightAverage() if config.weight_averaging else None

    start_epoch, global_step, skipped_total = 0, 0, 0
    if resume and not (out / CHECKPOINT).is_file():
        logger.warning("--resume: no %s yet, starting from scratch", out / CHECKPOINT)
    if resume and (out / CHECKPOINT).is_file():
        state = load_checkpoint(out / CHECKPOINT)
        model.load_state_dict(state["model"])
        objective.load_state_dict(state["objective"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        scaler.load_state_dict(state["scaler"])
        if averager is not None and state["averager"] is not None:
            averager.count, averager.average = state["averager"]["count"], state["averager"]["average"]
        set_rng_state(state["rng"][info.rank])
        start_epoch, global_step, skipped_total = state["epoch"] + 1, state["global_step"], state["skipped"]
    metrics = JsonlLogger(out / "metrics.jsonl", enabled=info.is_main, append=start_epoch > 0)
    if start_epoch > 0:
        metrics.trim_to_step(global_step, start_epoch - 1)

    with _progress(progress and info.is_main) as bar:
        task = bar.add_task("train", total=steps_per_epoch * (optim.epochs - start_epoch), status="")
        end_epoch = optim.epochs if stop_after_epochs is None else min(optim.epochs, start_epoch + stop_after_epochs)
        for epoch in range(start_epoch, end_epoch):
            data.set_epoch(epoch)
            wrapped.train()
            started = time.perf_counter()
            totals = {"loss": 0.0, "correct": 0.0, "seen": 0.0, "skipped": 0.0}
            micro = 0
            optimizer.zero_grad(set_to_none=True)
            for batch in data.loader:
                totals["skipped"] += batch.skipped
                if batch.video is None:
                    continue
                video, labels = batch.video.to(device, non_blocking=True), batch.labels.to(device)
                micro += 1
                last_micro = micro % optim.accumulation_steps == 0
                sync = contextlib.nullcontext() if last_micro or not info.enabled else wrapped.no_sync()  # type: ignore[operator]
                with sync, torch.autocast(device.type, enabled=use_amp):
                    terms, scores = wrapped(video, labels)
                    scaler.scale(terms.total / optim.accumulation_steps).backward()
                loss_value = float(terms.total.detach())
                if not math.isfinite(loss_value):
                    raise FloatingPointError(f"non-finite loss at epoch {epoch}, step {global_step}")
                totals["loss"] += loss_value * len(labels)
                totals["correct"] += float((scores.argmax(-1) == labels).sum())
                totals["seen"] += len(labels)
                if not last_micro:
                    continue
                if optim.grad_clip:
                    scaler.unscale_(optimizer)
                    torch.nn.utils.clip_grad_norm_(step_module.parameters(), optim.grad_clip)
                scaler.step(optimizer)
                scaler.update()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                global_step += 1
                bar.update(task, advance=1, status=f"epoch {epoch + 1}/{optim.epochs} loss {loss_value:.3f}")
                if global_step % config.log_every == 0:
                    metrics.log({"kind": "step", "epoch": epoch, "step": global_step, "loss": loss_value,
                                 "classification": float(terms.classification.detach()),
                                 "distillation": float(terms.distillation.detach()), "lr": scheduler.get_last_lr()[0]})
            loss_sum, correct, seen, skipped = all_reduce_sum(
                [totals["loss"], totals["correct"], totals["seen"], totals["skipped"]], info)
            skipped_total += int(skipped)
            if skipped:
                logger.warning("epoch %d: skipped %d unreadable videos", epoch, int(skipped))
            check_epoch_data(config, epoch, int(seen), int(skipped))
            if averager is not None:
                averager.update(model.state_dict())
            if info.enabled:
                record_spread = weight_spread(model)
            record: dict[str, Any] = {
                "kind": "epoch", "epoch": epoch, "step": global_step, "train_loss": loss_sum / max(seen, 1),
                "train_top1": correct / max(seen, 1), "skipped": int(skipped),
                "seconds": time.perf_counter() - started,
            }
            if info.enabled:
                record["rank_weight_spread"] = record_spread
            metrics.log(record)
            # The metrics are committed once the checkpoint's bytes are on disk and before it replaces the old
            # one: a full disk changes neither file, a kill in between leaves records that resume trims.
            _save(out / CHECKPOINT, config, info, epoch, global_step, skipped_total, model, objective, optimizer,
                  scheduler, scaler, averager, before_replace=metrics.commit)
    final_state = averager.state_dict(like=model.state_dict()) if averager is not None else model.state_dict()
    if info.is_main:
        atomic_save({"config": config.model_dump(mode="json"), "model": final_state, "class_names": data.class_names,
                     "averaged": averager is not None}, out / FINAL)
        metrics_file = out / "metrics.jsonl"
        if metrics_file.is_file() and metrics_file.stat().st_size:
            plot_metrics(metrics_file, out / "metrics.png")
    return TrainResult(out, out / FINAL, end_epoch, skipped_total, out / "metrics.jsonl")


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


def _save(path: Path, config: TrainConfig, info: DistInfo, epoch: int, global_step: int, skipped: int,
          model: torch.nn.Module, objective: torch.nn.Module, optimizer: torch.optim.Optimizer,
          scheduler: Any, scaler: torch.amp.GradScaler, averager: RunningWeightAverage | None,
          before_replace: Callable[[], object]) -> None:
    states: list[Any] = [rng_state()]
    if info.enabled:
        states = [None] * info.world_size
        dist.all_gather_object(states, rng_state())
    if info.is_main:
        atomic_save({
            "config": config.model_dump(mode="json"), "epoch": epoch, "global_step": global_step, "skipped": skipped,
            "model": model.state_dict(), "objective": objective.state_dict(), "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(), "scaler": scaler.state_dict(), "rng": states,
            "averager": None if averager is None else {"count": averager.count, "average": averager.average},
        }, path, before_replace)
    if info.enabled:
        dist.barrier()
