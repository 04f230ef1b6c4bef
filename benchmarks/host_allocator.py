"""Keep freed host memory in the process (glibc): no page faults from re-touching memory malloc gave back.

By default glibc serves large blocks with mmap and unmaps them when freed, and trims the heap's top, so the next
forward pass touches fresh pages again (ViT-B/16 over 8 frames: about 90,000 page faults per forward). How many
depends on what ran before (a forward after a backward finds the heap already grown), so a timing depends on the
order of the runs and not only on the code. With every block under 32 MiB kept on the heap and the heap never
trimmed, a forward pass faults no page once warm. This is what the environment variables
``MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=4294967296`` do at start-up; ``mallopt`` does it at run
time, before the model is built.
"""

from __future__ import annotations

import ctypes
import ctypes.util

# mallopt parameter numbers from glibc's malloc.h
_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD_MAX = 32 * 1024 * 1024  # glibc ignores a larger threshold on 64-bit


def keep_freed_memory() -> bool:
    """True when glibc accepted the settings; False (and nothing changed) on another C library."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    settings = ((_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_MAX), (_M_TRIM_THRESHOLD, 2**31 - 1), (_M_TOP_PAD, 256 << 20))
    return all(mallopt(parameter, value) == 1 for parameter, value in settings)
