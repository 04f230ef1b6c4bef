"""Run by test_ddp.py in 2 processes (gloo, CPU): one DDP step vs. the same step on the whole batch."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from model.loading import build_model
from model.losses import LossConfig, StddObjective
from model.stca_config import StcaConfig
from model.training.config import ModelSection
from model.training.step import TrainStep


def make_step() -> TrainStep:
    torch.manual_seed(0)
    # No random STCA offsets/shuffles, so a half batch sees exactly what it sees inside the full batch.
    stca = StcaConfig(channel_fold=4, train_random_offset=False, train_temporal_shuffle=False)
    model = build_model(ModelSection(name="ViT-Tiny-Test", stca=stca), 4, keep_teacher=True)
    objective = StddObjective(model.visual.output_dim, LossConfig(distill_weight=1.0))
    text = torch.nn.functional.normalize(torch.randn(3, 2, model.visual.output_dim), dim=-1)
    return TrainStep(model, objective, text, torch.ones(3, 2, dtype=torch.bool))


def main(out: Path) -> None:
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.set_num_threads(1)
    generator = torch.Generator().manual_seed(1)
    video, labels = torch.randn(4, 4, 3, 32, 32, generator=generator), torch.tensor([0, 1, 2, 1])
    half = slice(rank * 2, rank * 2 + 2)

    reference = make_step().train()
    reference(video, labels)[0].total.backward()
    expected = {n: p.grad.clone() for n, p in reference.named_parameters() if p.grad is not None}

    step = make_step().train()
    wrapped = DistributedDataParallel(step)
    wrapped(video[half], labels[half])[0].total.backward()
    grads = {n: p.grad.clone() for n, p in step.named_parameters() if p.grad is not None}
    worst = max(float((grads[n] - expected[n]).abs().max()) for n in expected)
    optimizer = torch.optim.AdamW([p for p in step.parameters() if p.requires_grad], lr=1e-2)
    optimizer.step()
    torch.save({"rank": rank, "world": world, "grad_keys": sorted(grads), "expected_keys": sorted(expected),
                "worst_grad_error": worst, "weights": {n: p.detach().clone() for n, p in step.named_parameters()}},
               out / f"rank{rank}.pt")
    del wrapped  # before the group: as the group's last holder, DDP's reducer would destroy it holding the GIL
    dist.destroy_process_group()


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main(Path(sys.argv[1]))
