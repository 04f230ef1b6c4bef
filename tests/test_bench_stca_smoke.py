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


@pytest.mark.parametrize("backward", [False, True])
def test_flop_counter_counts_cpu_attention(backward: bool) -> None:
    """Plain CLIP's attention runs PyTorch's CPU SDPA kernel, which torch's counter alone counts as 0 FLOPs."""
    import torch

    from benchmarks.bench_stca import flop_counter

    batch, length, width, heads = 2, 50, 64, 4
    attention = torch.nn.MultiheadAttention(width, heads, batch_first=True)
    x = torch.randn(batch, length, width, requires_grad=backward)
    with flop_counter() as counter:
        out = attention(x, x, x, need_weights=False)[0]
        if backward:
            out.sum().backward()
    tokens = batch * length
    projections = 2 * tokens * width * 3 * width + 2 * tokens * width * width
    product = 2 * batch * length * length * width  # one (L x d) @ (d x L)-sized product over all heads
    expected = projections + 2 * product  # QK^T and PV
    if backward:  # a linear layer's backward is two products of its size; attention's five (QK^T recomputed)
        expected += 2 * projections + 5 * product
    assert counter.get_total_flops() == expected
