"""The data shipped with the toolkit (seed ASKG, class lists, splits, vocabulary), and where to find it.

`seeds_dir()` is the one place that decides: `$ASKG_SEEDS_DIR` when set, else this folder, which the wheel
ships as package data. Dependency-free on purpose, so both `askg` and `model` may import it.
"""

from __future__ import annotations

import os
import warnings
from importlib.resources import files
from pathlib import Path

SEEDS_ENV = "ASKG_SEEDS_DIR"
DEPRECATED_SEEDS_ENV = "STDD_GRAPH_SEEDS"  # the old name `stdd eval` read; still honoured, with a warning


def seeds_dir() -> Path:
    """`$ASKG_SEEDS_DIR` if set, else the shipped `graph_seeds/` (in the checkout or the installed wheel)."""
    override = os.environ.get(SEEDS_ENV)
    if override:
        return Path(override)
    old = os.environ.get(DEPRECATED_SEEDS_ENV)
    if old:
        warnings.warn(f"{DEPRECATED_SEEDS_ENV} is deprecated, set {SEEDS_ENV}", DeprecationWarning, stacklevel=2)
        return Path(old)
    return Path(str(files(__name__)))


def class_lists_dir() -> Path:
    """The shipped class lists (`<name>.txt`, one class a line)."""
    return seeds_dir() / "classes"


def shipped_class_lists_dir() -> Path:
    """The class lists in this package itself, whatever `$ASKG_SEEDS_DIR` says."""
    return Path(str(files(__name__))) / "classes"
