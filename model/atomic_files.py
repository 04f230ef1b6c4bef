"""Atomic torch.save for checkpoints and caches: temp file in the same folder, fsync, rename (a crash never
leaves half a file). The model side keeps its own copy of this because it must not import `askg`."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import torch


def atomic_torch_save(payload: Any, path: str | Path) -> None:
    """On failure (disk full, read-only folder) the old file is untouched and the OSError names `path`."""
    path = Path(path)
    try:
        _save(payload, path)
    except RuntimeError as error:  # torch's zip writer reports a failed write (ENOSPC) as RuntimeError
        raise OSError(
            f"cannot write {path}: {_first_line(error)} (disk full?); the previous file is unchanged"
        ) from None
    except OSError as error:
        raise OSError(
            f"cannot write {path}: {error.strerror or error}; the previous file is unchanged"
        ) from None


def _first_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[-1] if lines else type(error).__name__


def _save(payload: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(handle, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual permissions
        with os.fdopen(handle, "wb") as stream:
            torch.save(payload, stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
