"""Side-by-side timing for benchmarks: variants run interleaved, round after round, in one process,
so machine noise hits all of them alike; report medians and ratios to a baseline."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def interleaved(variants: dict[str, Callable[[], object]], rounds: int,
                setup: Callable[[str], None] | None = None, warmup: int = 1) -> dict[str, list[float]]:
    """`warmup` untimed rounds first (JIT, query-plan caches, file caches), then `rounds` timed ones."""
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(warmup):
        for name, run in variants.items():
            if setup is not None:
                setup(name)
            run()
    for _ in range(rounds):
        for name, run in variants.items():
            if setup is not None:
                setup(name)
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return times


def table(times: dict[str, list[float]], baseline: str, unit: str = "s") -> str:
    base = statistics.median(times[baseline])
    rows = [f"{'variant':<40} {'median ' + unit:>10} {'min ' + unit:>10} {'ratio':>8}"]
    for name, values in times.items():
        median = statistics.median(values)
        rows.append(f"{name:<40} {median:>10.3f} {min(values):>10.3f} {median / base:>7.2f}x")
    return "\n".join(rows)
