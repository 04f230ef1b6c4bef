"""`askg build` throughput against the local OpenAI-compatible test server (0.5 s per answer).

Legs: 600 classes at concurrency 32; concurrency 1 on a subset (default 60 classes) extrapolated
linearly to 600 (said so in the table); a second 600-class run into a fresh store served entirely from
the answer cache (LLM calls must be 0). Runs in well under 3 minutes:

    .venv/bin/python benchmarks/bench_build.py [--classes 600] [--subset 60] [--latency 0.5]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.console import Console
from rich.table import Table

from askg.builder import Builder, BuildOptions, BuildSummary
from askg.class_lists import ClassEntry
from askg.llm.cache import ResponseCache
from askg.llm.client import DecompositionClient, LLMConfig
from askg.store.embedded import EmbeddedStore
from tests.build.fake_openai_server import FakeOpenAIServer

MODEL = "bench-model"


def run(
    server: FakeOpenAIServer, work: Path, leg: str, names: list[str], concurrency: int
) -> tuple[BuildSummary, int]:
    config = LLMConfig(model=MODEL, base_url=server.url, timeout_s=30, backoff_base_s=0.05)
    options = BuildOptions(dataset="bench", concurrency=concurrency)
    entries = [ClassEntry(name, i + 1) for i, name in enumerate(names)]
    before = len(server.requests)
    store = EmbeddedStore(work / f"{leg}.json")
    builder = Builder(
        store, {}, ResponseCache(work / f"cache-{leg.split('-')[0]}"), DecompositionClient(config), options
    )
    summary = builder.build(entries)
    store.close()
    assert not summary.failed, summary.failed
    return summary, len(server.requests) - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classes", type=int, default=600)
    parser.add_argument("--subset", type=int, default=60, help="classes for the concurrency-1 leg")
    parser.add_argument("--latency", type=float, default=0.5)
    args = parser.parse_args()
    names = [f"bench action {i:04d}" for i in range(args.classes)]
    rows: list[tuple[str, int, int, int, float, str]] = []
    with tempfile.TemporaryDirectory() as tmp, FakeOpenAIServer(latency_s=args.latency) as server:
        work = Path(tmp)
        t = time.perf_counter()
        _, calls1 = run(server, work, "serial-c1", names[: args.subset], 1)
        wall1 = time.perf_counter() - t
        extrapolated = wall1 * args.classes / args.subset
        rows.append(
            (
                "LLM, concurrency 1",
                args.subset,
                1,
                calls1,
                wall1,
                f"extrapolated to {args.classes}: {extrapolated:.1f} s",
            )
        )
        t = time.perf_counter()
        _, calls32 = run(server, work, "parallel-c32", names, 32)
        wall32 = time.perf_counter() - t
        rows.append(
            (
                "LLM, concurrency 32",
                args.classes,
                32,
                calls32,
                wall32,
                f"speed-up vs concurrency 1: {extrapolated / wall32:.1f}×",
            )
        )
        t = time.perf_counter()
        sc, callsc = run(server, work, "parallel-cache", names, 32)
        wallc = time.perf_counter() - t
        assert sc.counts["cache"] == args.classes and callsc == 0
        rows.append(
            (
                "answer cache (fresh store)",
                args.classes,
                32,
                callsc,
                wallc,
                f"from cache: {sc.counts['cache']}",
            )
        )
    table = Table(title=f"askg build benchmark: local server, {args.latency:g} s per answer")
    for column in ("leg", "classes", "concurrency", "LLM calls", "wall s", "note"):
        table.add_column(
            column, justify="right" if column in ("classes", "concurrency", "LLM calls", "wall s") else "left"
        )
    for leg, classes, conc, calls, wall, note in rows:
        table.add_row(leg, str(classes), str(conc), str(calls), f"{wall:.1f}", note)
    Console(width=140).print(table)
    print(
        f"ratio (concurrency 1, extrapolated from {args.subset} to {args.classes} classes) / (concurrency 32): "
        f"{extrapolated / wall32:.1f}"
    )


if __name__ == "__main__":
    main()
