"""Atomic torch.save for checkpoints and caches: temp file in the same folder, fsync, rename (a crash never
leaves half a file). The model side keeps its own copy of this because it must not import `askg`."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, cast

import torch


def atomic_torch_save(payload: Any, path: str | Path, before_replace: Callable[[], object] | None = None) -> None:
    """On failure (disk full, read-only folder) the old file is untouched and the OSError names `path`.

    `before_replace` runs once the new file's bytes are safely on disk and before it replaces the old one
    (`stdd train` commits its metrics there): a save that fails for lack of space never reaches it, and a
    failure inside it leaves the old file in place too.
    """
    path = Path(path)
    temporary = _write_temporary(payload, path)
    try:
        if before_replace is not None:
            before_replace()
        try:
            os.replace(temporary, path)
        except OSError as error:
            raise OSError(f"cannot write {path}: {error.strerror or error}; the previous file is unchanged") from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _first_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[-1] if lines else type(error).__name__


class _WriteErrors:
    """A binary stream that remembers the OSError of a failed write: torch's zip writer reports only
    "unexpected pos", and the user should read "No space left on device"."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.error: OSError | None = None

    def write(self, data: bytes) -> int:
        try:
            return self.stream.write(data)
        except OSError as error:
            self.error = error
            raise

    def flush(self) -> None:
        self.stream.flush()


def _write_temporary(payload: Any, path: Path) -> Path:
    """The payload in a fsynced temporary file beside `path`; nothing is left behind on failure."""
    temporary: Path | None = None
    writer: _WriteErrors | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        temporary = Path(name)
        os.fchmod(handle, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual permissions
        with os.fdopen(handle, "wb") as stream:
            writer = _WriteErrors(stream)
            torch.save(payload, cast(IO[bytes], writer))  # torch needs only write() and flush()
            stream.flush()
            os.fsync(stream.fileno())
        return temporary
    except BaseException as error:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        if isinstance(error, RuntimeError):  # torch's zip writer turns a failed write into "unexpected pos ..."
            cause = writer.error.strerror if writer is not None and writer.error is not None else None
            detail = cause or f"{_first_line(error)} (disk full?)"
            raise OSError(f"cannot write {path}: {detail}; the previous file is unchanged") from None
        if isinstance(error, OSError):
            raise OSError(
                f"cannot write {path}: {error.strerror or error}; the previous file is unchanged"
            ) from None
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
