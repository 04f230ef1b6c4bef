"""Atomic checkpoints with everything needed to continue exactly: weights, optimiser, scheduler, RNG, epoch.

Checkpoints are loaded with ``weights_only=True``: the unpickler builds only tensors, containers and
plain values, plus the few numpy types a saved NumPy RNG state needs (``CHECKPOINT_ALLOWED_GLOBALS``).
Anything else in the file (a crafted ``__reduce__`` that would run a command) is refused before it runs.
"""

from __future__ import annotations

import pickle
import random
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from model.atomic_files import atomic_torch_save


class CheckpointError(ValueError):
    """The checkpoint is missing, damaged, not a checkpoint, unsafe, or for another model."""

    exit_code = 2


def _numpy_reconstruct() -> Any:
    try:
        from numpy._core.multiarray import _reconstruct  # numpy >= 2
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core.multiarray import _reconstruct  # type: ignore[no-redef]
    return _reconstruct


# What a `stdd train` checkpoint may hold beyond tensors and plain containers: NumPy's RNG state.
CHECKPOINT_ALLOWED_GLOBALS: list[Any] = [
    _numpy_reconstruct(),
    np.ndarray,
    np.dtype,
    *(getattr(np.dtypes, name) for name in ("UInt32DType", "Float64DType", "Int64DType") if hasattr(np, "dtypes")),
]


def atomic_save(
    payload: dict[str, Any], path: str | Path, before_replace: Callable[[], object] | None = None
) -> None:
    """Write to a temporary file in the same folder, fsync, (run `before_replace`,) then rename: a crash never
    leaves half a file, and a full disk leaves the old one."""
    atomic_torch_save(payload, path, before_replace)


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """The checkpoint's dictionary; CheckpointError (one line, naming the file) for anything else."""
    path = Path(path)
    if path.is_dir():
        raise CheckpointError(f"{path}: is a folder, not a checkpoint file")
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    if path.stat().st_size == 0:
        raise CheckpointError(f"{path}: empty file (0 bytes), not a checkpoint")
    try:
        with torch.serialization.safe_globals(CHECKPOINT_ALLOWED_GLOBALS):
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        if "Weights only load failed" in str(error):
            culprit = _unsafe_global(str(error))
            raise CheckpointError(
                f"{path}: refused to load: it holds objects outside the checkpoint allow-list{culprit} "
                "(a checkpoint holds tensors, numbers, strings and containers only)"
            ) from None
        raise CheckpointError(f"{path}: not a PyTorch checkpoint ({_first_line(error)})") from None
    except (EOFError, RuntimeError, zipfile.BadZipFile, OSError) as error:
        raise CheckpointError(f"{path}: damaged or truncated checkpoint ({_first_line(error)})") from None
    except Exception as error:  # the restricted unpickler fails in many ways on garbage (IndexError, ...)
        detail = f"{type(error).__name__}: {_first_line(error)}"
        raise CheckpointError(f"{path}: not a PyTorch checkpoint ({detail})") from None
    if not isinstance(payload, dict):
        raise CheckpointError(f"{path}: not a `stdd train` checkpoint (holds a {type(payload).__name__})")
    return payload


def _first_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


def _unsafe_global(message: str) -> str:
    found = re.search(r"GLOBAL ([\w.]+)", message, flags=re.IGNORECASE)
    return f" (it names {found.group(1)})" if found else ""


def rng_state() -> dict[str, Any]:
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
