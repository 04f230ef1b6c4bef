"""benchmarks.bench_stca runs end to end (tiny tower, one round) and says which allocator it measured under."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.patience import patience

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("allocator", "said"), [("keep", "freed memory kept"), ("default", "glibc defaults")])
def test_bench_stca_runs_on_a_tiny_tower(allocator: str, said: str) -> None:
    argv = [sys.executable, "-m", "benchmarks.bench_stca", "--quick", "--model", "ViT-Tiny-Test",
            "--variants", "plain,fast", "--allocator", allocator]
    result = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=patience())
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"allocator: {said}" in result.stdout
    assert "fast: forward" in result.stdout and "115,712" in result.stdout  # same parameter count in both towers
