"""How long a test waits for a subprocess before calling it hung.

A limit is for catching hangs, not for measuring speed: a command that takes 2 s on a quiet machine took
230 s on a 2-core machine shared with several builds, and failed a 120 s limit. So every limit is at least
`FLOOR_S` (10 minutes), and `STDD_TEST_TIMEOUT_SCALE` (default 1) multiplies it on machines slower still.
A real hang still fails, with the command's output in the TimeoutExpired message.
"""

from __future__ import annotations

import os

FLOOR_S = 600.0
SCALE_VARIABLE = "STDD_TEST_TIMEOUT_SCALE"


def timeout_scale() -> float:
    raw = os.environ.get(SCALE_VARIABLE, "1")
    try:
        scale = float(raw)
    except ValueError:
        raise ValueError(f"{SCALE_VARIABLE}={raw!r} is not a number") from None
    if not scale > 0:
        raise ValueError(f"{SCALE_VARIABLE}={raw!r} must be > 0")
    return scale


def patience(base_s: float = FLOOR_S) -> float:
    """Seconds to wait for a subprocess that needs about `base_s` at worst on a quiet machine."""
    return max(base_s, FLOOR_S) * timeout_scale()
