"""Run by test_ddp.py in 2 processes (gloo, CPU): ``train()`` and how many DDP wrappers are still alive when it
destroys the process group (written to ``teardown<rank>.json``)."""

from __future__ import annotations

import gc
import json
import os
import sys
from pathlib import Path
from typing import Any

import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from model.training import load_config, train


def main(config_file: Path, out: Path) -> None:
    alive_at_destroy: list[int] = []
    destroy = dist.destroy_process_group

    def counting_destroy(*args: Any, **kwargs: Any) -> None:
        alive_at_destroy.append(sum(isinstance(o, DistributedDataParallel) for o in gc.get_objects()))
        destroy(*args, **kwargs)

    dist.destroy_process_group = counting_destroy
    train(load_config(config_file, []), progress=False)
    (out / f"teardown{os.environ['RANK']}.json").write_text(json.dumps(alive_at_destroy))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
