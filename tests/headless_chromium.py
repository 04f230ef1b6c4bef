"""Headless system Chromium through playwright, for the tests that look at a page (explain HTML, Neo4j Browser).

Needs Debian's `chromium` (or `STDD_CHROMIUM`) and the `playwright` package; no browser download. Without
them the test skips, or fails when CI=true.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import in_ci

CHROMIUM = os.environ.get("STDD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def require(condition: bool, message: str) -> None:
    """Skip (fail under CI=true) with `message` unless `condition`."""
    if condition:
        return
    if in_ci():
        pytest.fail(f"{message} (CI=true; install with scripts/install-system-deps and pip install -e '.[dev]')")
    pytest.skip(message)


def require_chromium() -> None:
    """Skip (fail under CI=true) unless Chromium and playwright are both there; call it before costly set-up."""
    require(Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is not None,
            f"no Chromium at {CHROMIUM} (Debian package `chromium`)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        require(False, "the `playwright` Python package is not installed")


@contextmanager
def chromium_context(profile_prefix: str = "stdd-chromium-", width: int = 1400, height: int = 1000) -> Iterator[Any]:
    """A playwright BrowserContext of headless Chromium on a fresh throwaway profile; closed afterwards."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix=profile_prefix) as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
            viewport={"width": width, "height": height},
        )
        try:
            yield context
        finally:
            context.close()
