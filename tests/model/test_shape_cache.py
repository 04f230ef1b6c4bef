"""The shape cache keeps one result per shape, and torch.compile traces it without tripping over lru_cache."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import torch

from model.shape_cache import shape_cache
from tests.patience import patience

REPO = Path(__file__).resolve().parents[2]


def test_one_result_per_shape_until_cleared() -> None:
    calls: list[int] = []

    @shape_cache
    def table(n: int) -> torch.Tensor:
        calls.append(n)
        return torch.arange(n)

    first = table(3)
    assert table(3) is first and table(4) is not first and calls == [3, 4]
    table.cache_clear()
    assert table(3) is not first and calls == [3, 4, 3]
    assert table.__name__ == "table"


def test_compiled_callers_trace_it_without_dynamo_warning() -> None:
    """dynamo traces through an lru_cache wrapper with a warning ("Silent incorrectness is only a potential risk")
    that every user of torch.compile on an STCA model saw; it warns once per process, hence the fresh one."""
    script = textwrap.dedent(
        """
        import warnings, torch
        from model.shape_cache import shape_cache

        @shape_cache
        def table(n):
            return torch.arange(n) * 2

        def add_table(x):
            return x + table(x.shape[0])

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = torch.compile(add_table, backend="eager", fullgraph=True)(torch.ones(5))
        assert out.tolist() == [1.0, 3.0, 5.0, 7.0, 9.0], out
        print("WARNINGS", [str(w.message) for w in caught])
        """
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True,
                            timeout=patience())
    assert result.returncode == 0, result.stderr[-2000:]
    assert "WARNINGS []" in result.stdout, result.stdout[-2000:]
