"""A real full disk and a real read-only folder for one command, without touching the machine's mounts.

`unshare --user --map-root-user --mount` runs the command in a mount namespace of its own (root inside it,
for an ordinary user too where unprivileged user namespaces are allowed). There a tmpfs of a few kilobytes
fills up for real (ENOSPC from the kernel, not an injected exception) and a folder bind-mounted read-only
refuses writes for real (EROFS, even to root). The mounts vanish when the command ends; a small disk's
content is copied out first so the test can look at what the command left there.
"""

from __future__ import annotations

import functools
import os
import shlex
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.patience import patience


@dataclass(frozen=True)
class SmallDisk:
    """A tmpfs of `size` bytes mounted at `at` (an existing folder), holding a copy of `fill` at first; what
    is on it when the command ends is copied to `copy_back`."""

    at: Path
    size: int
    fill: Path | None = None
    copy_back: Path | None = None


@dataclass(frozen=True)
class ReadOnly:
    """The existing folder `at`, with its content, read-only for the command."""

    at: Path


Mount = SmallDisk | ReadOnly


def _prologue(mounts: list[Mount], ready: Path) -> tuple[str, str]:
    setup, teardown = [], []
    for mount in mounts:
        at = shlex.quote(str(mount.at))
        if isinstance(mount, SmallDisk):
            setup.append(f"mount -t tmpfs -o size={mount.size} tmpfs {at}")
            if mount.fill is not None:
                setup.append(f"cp -a {shlex.quote(str(mount.fill))}/. {at}/")
            if mount.copy_back is not None:
                teardown.append(f"cp -a {at}/. {shlex.quote(str(mount.copy_back))}/")
        else:
            setup.append(f"mount --bind {at} {at}")
            setup.append(f"mount -o remount,bind,ro {at}")
    setup.append(f": > {shlex.quote(str(ready))}")
    return " && ".join(setup), "; ".join(teardown) or ":"


def run_with_mounts(mounts: list[Mount], argv: list[str], env: dict[str, str] | None = None,
                    cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run `argv` with `mounts` in place; its exit code, stdout and stderr. RuntimeError when the mounts
    could not be made (see `unavailable()`)."""
    for mount in mounts:
        mount.at.mkdir(parents=True, exist_ok=True)
        if isinstance(mount, SmallDisk) and mount.copy_back is not None:
            mount.copy_back.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="private-mounts-") as scratch:
        ready = Path(scratch) / "ready"
        setup, teardown = _prologue(mounts, ready)
        script = f'{setup} || exit 97\n"$@"\nrc=$?\n{teardown}\nexit $rc\n'
        result = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script, "sh",
                                 *argv], capture_output=True, text=True, env=env, cwd=cwd, timeout=patience())
        if not ready.exists():
            raise RuntimeError(f"could not set up private mounts (exit {result.returncode}): "
                               f"{' | '.join(result.stderr.strip().splitlines()[-3:])}")
    return result


@functools.cache
def unavailable() -> str | None:
    """None when private mounts work here, else why not (the tests that need them skip with it)."""
    if shutil.which("unshare") is None:
        return "no `unshare` (util-linux)"
    with tempfile.TemporaryDirectory(prefix="private-mounts-probe-") as folder:
        disk = Path(folder) / "disk"
        try:
            result = run_with_mounts([SmallDisk(disk, 64 * 1024)], ["sh", "-c", f"echo x > {shlex.quote(str(disk))}/f"],
                                     env=dict(os.environ))
        except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
            return f"no private mount namespace here ({exc}); the injected-error tests stand in"
        if result.returncode != 0:
            return f"a private tmpfs is not writable (exit {result.returncode})"
    return None
