"""Atomic file writes: write to a temp file in the same folder, fsync, rename over the target."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO


class WriteFailed(OSError):
    """An atomic write failed (read-only folder, disk full, a file where a folder should be); the message names
    the target, not the temporary file, and says that the previous file is unchanged."""

    def __str__(self) -> str:
        return f"{self.filename}: cannot write ({self.strerror}); the previous file is unchanged"


def atomic_write(path: Path, write: Callable[[IO[str]], object]) -> None:
    """Replace `path` with what `write` writes, whole or not at all; WriteFailed (an OSError) on failure."""
    try:
        _atomic_write(path, write)
    except WriteFailed:
        raise
    except OSError as exc:
        blocker = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
        reason = f"{blocker} is a file, not a folder" if blocker is not None else exc.strerror or str(exc)
        raise WriteFailed(exc.errno, reason, str(path)) from None


def _atomic_write(path: Path, write: Callable[[IO[str]], object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual permissions
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda handle: handle.write(text))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
