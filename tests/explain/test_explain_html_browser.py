"""The explain page opens in headless Chromium offline, with every image loaded; the screenshot is saved to
test-artifacts/explain/. Needs Debian's `chromium` and the `playwright` package; skipped without them unless
CI=true."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli.stdd_app import app
from tests.conftest import in_ci

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "explain"
CHROMIUM = os.environ.get("STDD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def _require(condition: bool, message: str) -> None:
    if condition:
        return
    if in_ci():
        pytest.fail(f"{message} (CI=true; install with scripts/install-system-deps and pip install -e '.[dev]')")
    pytest.skip(message)


def test_explain_page_loads_all_images_offline(stdd_checkpoint: Path, synth_dir: Path, a_video: Path,
                                               tmp_path: Path) -> None:
    _require(Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is not None, f"no Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _require(False, "the `playwright` Python package is not installed")
    result = CliRunner().invoke(app, ["explain", str(a_video), "--checkpoint", str(stdd_checkpoint), "--prompts",
                                      str(synth_dir / "prompts.json"), "--out", str(tmp_path / "page"),
                                      "--reverse", "--compare-plain", "--classes", "2"])
    assert result.exit_code == 0, result.output
    page_file = tmp_path / "page" / "explain.html"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTIFACTS / "explain-page.png"
    requests: list[str] = []

    def route(request_route: Any) -> None:
        url = request_route.request.url
        requests.append(url)
        if url.startswith(("file:", "data:")):
            request_route.continue_()
        else:
            request_route.abort()

    with tempfile.TemporaryDirectory(prefix="stdd-chromium-") as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            page = context.new_page()
            page.route("**/*", route)
            page.goto(page_file.as_uri(), wait_until="load")
            images = page.evaluate(
                "() => [...document.images].map(i => ({alt: i.alt, complete: i.complete, width: i.naturalWidth,"
                " src: i.src.slice(0, 22)}))")
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            context.close()
    assert [image["alt"] for image in images] == ["explain sheet, original", "explain sheet, reversed"]
    for image in images:
        assert image["complete"] and image["width"] > 1000, image
        assert image["src"] == "data:image/png;base64,"
    assert [url for url in requests if not url.startswith(("file:", "data:"))] == []
    assert screenshot.stat().st_size > 10_000
