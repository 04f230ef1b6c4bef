"""Process-group set-up for `torchrun` (DDP): NCCL on CUDA, gloo on CPU; a no-op for one process."""

from __future__ import annotations

import gc
import os
import traceback
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


def init_distributed(device: torch.device) -> DistInfo:
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return DistInfo()
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return DistInfo(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))


def all_reduce_sum(values: list[float], info: DistInfo) -> list[float]:
    if not info.enabled:
        return values
    tensor = torch.tensor(values, dtype=torch.float64)
    dist.all_reduce(tensor)
    return [float(v) for v in tensor.tolist()]


def cleanup(info: DistInfo, error: BaseException | None = None) -> None:
    """Destroy the process group, once the caller has dropped what holds its DDP wrapper.

    DDP's reducer holds the process group, and the reducer's destructor runs with the GIL held: were it the
    group's last holder, the group's destructor would wait there for its gloo worker threads, which may need
    the GIL to free a finished collective's tensors, and the process would hang at exit (seen under torchrun).
    So the wrapper is freed first, while the group is still registered (the group's own destructor releases the
    GIL). ``error``: the exception on its way out, whose finished frames (holding the run) are cleared."""
    if info.enabled and dist.is_initialized():
        if error is not None:
            traceback.clear_frames(error.__traceback__)
        gc.collect()  # the DDP module may sit in reference cycles
        dist.destroy_process_group()
