from __future__ import annotations

from pathlib import Path

import open_clip
import pytest
import torch
from stdd_test_support import TINY_MODEL, MakeModel

from model import PretrainedWeightsError, average_checkpoints, create_stdd, register_model_configs
from model.weight_averaging import RunningWeightAverage


def saved_random_checkpoint(
    path: Path, nested_key: str | None = "state_dict", seed: int = 5
) -> dict[str, torch.Tensor]:
    register_model_configs()
    torch.manual_seed(seed)
    state = open_clip.create_model(TINY_MODEL, pretrained=None).state_dict()
    torch.save({nested_key: state} if nested_key else state, path)
    return state


@pytest.mark.parametrize("nested_key", [None, "state_dict", "model"])
def test_local_checkpoint_loads(tmp_path: Path, nested_key: str | None) -> None:
    state = saved_random_checkpoint(tmp_path / "tiny.pt", nested_key)
    model, transforms = create_stdd(TINY_MODEL, pretrained=tmp_path / "tiny.pt", num_frames=4)
    for name, value in state.items():
        assert torch.equal(model.clip.state_dict()[name], value)
        if name.startswith("visual."):
            assert torch.equal(model.teacher.state_dict()[name.removeprefix("visual.")], value)
    assert callable(transforms.eval) and callable(transforms.train)


def test_bad_local_checkpoints_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(PretrainedWeightsError, match=r"not found: .*missing\.pt"):
        create_stdd(TINY_MODEL, pretrained=tmp_path / "missing.pt")
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"not a checkpoint")
    with pytest.raises(PretrainedWeightsError, match=r"cannot read .*corrupt\.pt"):
        create_stdd(TINY_MODEL, pretrained=str(corrupt))
    torch.save({"visual.proj": torch.zeros(3)}, tmp_path / "other.pt")
    with pytest.raises(PretrainedWeightsError, match=r"other\.pt does not fit the model: missing"):
        create_stdd(TINY_MODEL, pretrained=tmp_path / "other.pt")


def test_weight_averaging_of_saved_checkpoints(tmp_path: Path, make_tiny: MakeModel) -> None:
    states = [saved_random_checkpoint(tmp_path / f"epoch{i}.pt", "model", seed=i) for i in range(3)]
    averaged = average_checkpoints([tmp_path / f"epoch{i}.pt" for i in range(3)])
    for name, value in states[0].items():
        expected = sum(state[name] for state in states) / 3 if value.is_floating_point() else states[-1][name]
        torch.testing.assert_close(averaged[name], expected)
    running = RunningWeightAverage()
    for state in states:
        running.update(state)
    torch.testing.assert_close(running.averaged_weights(like=states[0]), averaged)
    model = make_tiny()
    model.clip.load_state_dict(averaged)
