"""The weight averager's state_dict/load_state_dict: a run resumed from a checkpoint averages exactly as one
that was never interrupted."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import Tensor

from model.training.checkpoint import atomic_save, load_checkpoint
from model.weight_averaging import RunningWeightAverage


def epoch_states(count: int) -> list[dict[str, Tensor]]:
    """Weights of ``count`` epochs: float32 and bfloat16 weights and an integer counter buffer."""
    generator = torch.Generator().manual_seed(7)
    return [{
        "proj.weight": torch.randn(5, 3, generator=generator),
        "ln.bias": torch.randn(3, generator=generator).to(torch.bfloat16),
        "bn.num_batches_tracked": torch.tensor(10 * (epoch + 1)),
    } for epoch in range(count)]


def test_resumed_averager_equals_the_uninterrupted_one(tmp_path: Path) -> None:
    states = epoch_states(5)
    straight = RunningWeightAverage()
    for state in states:
        straight.update(state)

    first_run = RunningWeightAverage()
    for state in states[:2]:
        first_run.update(state)
    atomic_save({"averager": first_run.state_dict()}, tmp_path / "checkpoint.pt")  # what `stdd train` writes
    resumed = RunningWeightAverage()
    resumed.load_state_dict(load_checkpoint(tmp_path / "checkpoint.pt")["averager"])
    assert resumed.count == 2
    for state in states[2:]:
        resumed.update(state)

    assert resumed.count == straight.count == 5
    final, expected = resumed.averaged_weights(like=states[0]), straight.averaged_weights(like=states[0])
    for name in expected:
        assert final[name].dtype == states[0][name].dtype, name
        assert torch.equal(final[name], expected[name]), name
    # and it is the mean computed by hand: the float weights averaged, the counter the latest value
    torch.testing.assert_close(final["proj.weight"], torch.stack([s["proj.weight"] for s in states]).mean(0))
    assert int(final["bn.num_batches_tracked"]) == 50


def test_state_dict_is_a_snapshot() -> None:
    averager = RunningWeightAverage()
    averager.update(epoch_states(1)[0])
    snapshot = averager.state_dict()
    before = snapshot["average"]["proj.weight"].clone()
    averager.update(epoch_states(2)[1])
    assert snapshot["count"] == 1 and torch.equal(snapshot["average"]["proj.weight"], before)


@pytest.mark.parametrize(("state", "message"), [
    ({"count": -1, "average": {}}, "count must be a whole number"),
    ({"count": 1.5, "average": {}}, "count must be a whole number"),
    ({"average": {}}, "count must be a whole number"),
    ({"count": 1, "average": {"w": [1.0]}}, "average must map parameter names to tensors"),
    ({"count": 0, "average": {"w": torch.ones(1)}}, "count 0 does not fit 1 averaged tensors"),
    ({"count": 3, "average": {}}, "count 3 does not fit 0 averaged tensors"),
])
def test_load_state_dict_rejects_what_it_cannot_continue(state: dict[str, object], message: str) -> None:
    averager = RunningWeightAverage()
    averager.update(epoch_states(1)[0])
    with pytest.raises(ValueError, match=message):
        averager.load_state_dict(state)
    assert averager.count == 1  # unchanged
