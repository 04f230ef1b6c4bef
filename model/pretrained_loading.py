"""Load local checkpoint files into an open_clip model, with one-line errors that name the file."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

CHECKPOINT_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt", ".safetensors")
_NESTED_KEYS = ("state_dict", "model", "model_state_dict")


class PretrainedWeightsError(RuntimeError):
    """A local pretrained file is missing, unreadable or does not fit the model."""


def looks_like_local_file(pretrained: str | Path) -> bool:
    text = str(pretrained)
    return (
        isinstance(pretrained, Path)
        or Path(text).exists()
        or text.endswith(CHECKPOINT_SUFFIXES)
        or "/" in text
    )


def _read(path: Path) -> Any:
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path))
    return torch.load(path, map_location="cpu", weights_only=True)


def read_state_dict(path: Path) -> dict[str, Tensor]:
    if not path.is_file():
        raise PretrainedWeightsError(f"pretrained weights file not found: {path}")
    try:
        loaded = _read(path)
    except Exception as error:
        raise PretrainedWeightsError(f"cannot read pretrained weights file {path}: {error}") from error
    for key in _NESTED_KEYS:
        if isinstance(loaded, Mapping) and isinstance(loaded.get(key), Mapping):
            loaded = loaded[key]
            break
    if not isinstance(loaded, Mapping) or not all(isinstance(v, Tensor) for v in loaded.values()):
        raise PretrainedWeightsError(f"pretrained weights file {path} holds no state dict of tensors")
    state = dict(loaded)
    if state and all(name.startswith("module.") for name in state):
        state = {name.removeprefix("module."): value for name, value in state.items()}
    return state


def load_local_weights(model: nn.Module, path: Path) -> None:
    state = read_state_dict(path)
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    wrong_shape = sorted(n for n in set(state) & set(expected) if state[n].shape != expected[n].shape)
    if missing or unexpected or wrong_shape:
        parts = [
            f"{label} {len(names)} (e.g. {names[0]})"
            for label, names in (
                ("missing", missing),
                ("unexpected", unexpected),
                ("wrong shape", wrong_shape),
            )
            if names
        ]
        raise PretrainedWeightsError(
            f"pretrained weights file {path} does not fit the model: {'; '.join(parts)}"
        )
    model.load_state_dict(state)
