"""Weight averaging over epochs: a running average in memory, or the mean of saved checkpoints."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from model.pretrained_loading import read_state_dict


class RunningWeightAverage:
    """Uniform average of the float weights seen by ``update`` (call once per epoch); others: latest value.

    ``state_dict()`` / ``load_state_dict()`` hold what a resumed run needs to continue the same average
    (``{"count": int, "average": {name: tensor}}``, the format `stdd train` checkpoints keep under
    "averager"); ``averaged_weights()`` is the result, a state dict of the averaged model.
    """

    def __init__(self) -> None:
        self.count = 0
        self.average: dict[str, Tensor] = {}

    @torch.no_grad()
    def update(self, state: Mapping[str, Tensor] | nn.Module) -> None:
        current = state.state_dict() if isinstance(state, nn.Module) else state
        self.count += 1
        for name, value in current.items():
            value = value.detach()
            if name not in self.average or not value.is_floating_point():
                self.average[name] = value.clone().float() if value.is_floating_point() else value.clone()
            else:
                self.average[name] += (value.float() - self.average[name]) / self.count

    def averaged_weights(self, like: Mapping[str, Tensor] | None = None) -> dict[str, Tensor]:
        """The averaged weights, cast back to the dtypes of ``like`` where given."""
        if like is None:
            return dict(self.average)
        return {name: value.to(like[name].dtype) for name, value in self.average.items()}

    def state_dict(self) -> dict[str, Any]:
        """The running state (number of updates and the float32 running mean), detached copies."""
        return {"count": self.count, "average": {name: value.clone() for name, value in self.average.items()}}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Continue from ``state_dict()``'s output; ValueError (naming what is wrong) for anything else."""
        count, average = state.get("count"), state.get("average")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"weight average state: count must be a whole number >= 0, got {count!r}")
        if not isinstance(average, Mapping) or not all(
            isinstance(name, str) and isinstance(value, Tensor) for name, value in average.items()
        ):
            raise ValueError("weight average state: average must map parameter names to tensors")
        if (count == 0) != (len(average) == 0):
            raise ValueError(f"weight average state: count {count} does not fit {len(average)} averaged tensors")
        self.count = count
        self.average = {name: value.detach().clone() for name, value in average.items()}


def average_state_dicts(states: Iterable[Mapping[str, Tensor]]) -> dict[str, Tensor]:
    running = RunningWeightAverage()
    first: Mapping[str, Tensor] | None = None
    for state in states:
        first = first or state
        if running.count and set(state) != set(running.average):
            raise ValueError("state dicts to average have different keys")
        running.update(state)
    if first is None:
        raise ValueError("no state dicts to average")
    return running.averaged_weights(like=first)


def average_checkpoints(paths: Sequence[str | Path]) -> dict[str, Tensor]:
    """Mean of the state dicts in checkpoint files (plain or under "state_dict"/"model"), read one by one."""
    return average_state_dicts(read_state_dict(Path(path)) for path in paths)
