"""The explain page opens in headless Chromium offline, with every image loaded; the screenshot is saved to
test-artifacts/explain/. Needs Debian's `chromium` and the `playwright` package; skipped without them unless
CI=true."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from cli.stdd_app import app
from tests.headless_chromium import chromium_context, require_chromium

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "explain"


def test_explain_page_loads_all_images_offline(stdd_checkpoint: Path, synth_dir: Path, a_video: Path,
                                               tmp_path: Path) -> None:
    require_chromium()
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

    with chromium_context() as context:
        page = context.new_page()
        page.route("**/*", route)
        page.goto(page_file.as_uri(), wait_until="load")
        images = page.evaluate(
            "() => [...document.images].map(i => ({alt: i.alt, complete: i.complete, width: i.naturalWidth,"
            " src: i.src.slice(0, 22)}))")
        page.screenshot(path=str(screenshot), full_page=True)
    assert [image["alt"] for image in images] == ["explain sheet, original", "explain sheet, reversed"]
    for image in images:
        assert image["complete"] and image["width"] > 1000, image
        assert image["src"] == "data:image/png;base64,"
    assert [url for url in requests if not url.startswith(("file:", "data:"))] == []
    assert screenshot.stat().st_size > 10_000
