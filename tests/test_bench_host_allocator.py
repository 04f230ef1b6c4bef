"""benchmarks.host_allocator: after keep_freed_memory() glibc serves a 30 MB block from the heap and keeps the heap
when it is freed (by default it maps such a block on its own and unmaps it on free: fresh pages, page faults)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

PROBE = """
import ctypes, sys
from benchmarks.host_allocator import keep_freed_memory

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]

libc = ctypes.CDLL(None)
libc.mallinfo2.restype = MallInfo2
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
kept = keep_freed_memory() if sys.argv[1] == "keep" else None
mapped_before = libc.mallinfo2().hblks
block = libc.malloc(30 << 20)
mapped_while_live = libc.mallinfo2().hblks - mapped_before
libc.free(block)
print(kept, mapped_while_live, libc.mallinfo2().arena >= (30 << 20))
"""


def probe(mode: str) -> list[str]:
    result = subprocess.run([sys.executable, "-c", PROBE, mode], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_keep_freed_memory_keeps_large_blocks_on_the_heap() -> None:
    assert probe("default") == ["None", "1", "False"]  # glibc's default: mapped on its own, unmapped when freed
    assert probe("keep") == ["True", "0", "True"]  # on the heap, and the heap still holds it after free
