"""End to end: the local Neo4j's own Browser, in headless system Chromium, shows the askg style.

Loads three seed actions, logs in through Browser's connect form, runs the "action with its phases"
query and checks the rendered SVG: captions are names / phase texts (not ids) and node fills are
the style's colours, applied by `browser.post_connect_cmd` alone. The screenshot is written to
test-artifacts/browser/. Needs Debian's `chromium` and the `playwright` package (no browser
download); skipped without them unless CI=true. Runs against the session's scratch Neo4j only
(tests/scratch_neo4j.py), whose Browser is on its own HTTP port.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from askg.browser.queries import ACTION_PHASES
from askg.browser.style import label_colours
from askg.store.neo4j_store import Neo4jStore
from tests.browser.conftest import seed_records
from tests.headless_chromium import chromium_context, require, require_chromium

pytestmark = [pytest.mark.neo4j, pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "browser"
TIMEOUT_MS = 60_000


def _wait_for_frame(page: Any, command_start: str) -> None:
    """Wait until a result frame for a command starting with `command_start` is shown."""
    page.wait_for_function(
        """start => [...document.querySelectorAll('[data-testid=frameCommand]')]
                      .some(f => f.textContent.replace(/\\s+/g, ' ').includes(start))""",
        arg=command_start, timeout=TIMEOUT_MS,
    )


def _run_in_editor(page: Any, text: str) -> None:
    """Type `text` into Browser's main editor and run it; wait for its frame."""
    page.locator("[data-testid=activeEditor] .monaco-editor").first.click()
    page.keyboard.insert_text(text)
    page.click("[data-testid=editor-Run]")
    _wait_for_frame(page, text[:14])


def _connect(page: Any, env: dict[str, str]) -> None:
    if "NEO4J_HTTP_PORT" not in env:
        require(False, "the marked scratch Neo4j has no STDD_TEST_NEO4J_HTTP_PORT (Browser address unknown)")
    host = env["NEO4J_URI"].partition("://")[2].rsplit(":", 1)[0]
    page.goto(f"http://{host}:{env['NEO4J_HTTP_PORT']}/browser/", wait_until="domcontentloaded")
    page.wait_for_selector("[data-testid=connect]", timeout=TIMEOUT_MS)
    scheme, _, address = env["NEO4J_URI"].partition("://")
    page.select_option("[data-testid=bolt-scheme-select]", f"{scheme}://")
    page.fill("#url-input", address)
    page.fill("[data-testid=username]", env["NEO4J_USER"])
    page.fill("[data-testid=password]", env["NEO4J_PASSWORD"])
    page.click("[data-testid=connect]")
    page.wait_for_selector("[data-testid=connect]", state="detached", timeout=TIMEOUT_MS)
    # browser.post_connect_cmd applies the style on its own (nothing here runs :style); its frame
    # appearing also means Browser has finished its post-connect frames and the editor is free.
    _wait_for_frame(page, ":style {")
    page.wait_for_timeout(1000)


def _svg_nodes(page: Any) -> list[dict[str, Any]]:
    return list(page.evaluate(
        """() => [...document.querySelectorAll('svg g.node')].map(g => ({
               fill: g.querySelector('circle.b-outline')?.getAttribute('fill'),
               caption: [...g.querySelectorAll('text.caption')].map(t => t.textContent.trim()).join(' ')}))"""
    ))


def test_browser_shows_the_styled_action_phases_graph(neo4j_env: dict[str, str]) -> None:
    require_chromium()
    records = seed_records()
    with Neo4jStore(neo4j_env["NEO4J_URI"], neo4j_env["NEO4J_USER"], neo4j_env["NEO4J_PASSWORD"]) as store:
        store.ensure_schema()
        store.put_actions(records)
    action = records[0]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTIFACTS / "action-phases.png"

    with chromium_context("askg-chromium-") as context:
        page = context.new_page()
        try:
            _connect(page, neo4j_env)
            for command in ACTION_PHASES.param_commands({"action": action.id}):
                _run_in_editor(page, command)
            _run_in_editor(page, " ".join(ACTION_PHASES.cypher.split()))
            page.wait_for_selector("svg g.node text.caption", timeout=TIMEOUT_MS)
            page.wait_for_timeout(3000)  # let the force layout settle for a readable screenshot
            nodes = _svg_nodes(page)
            relationship_captions = page.evaluate(
                "() => [...document.querySelectorAll('svg g.relationship text')].map(t => t.textContent.trim())")
            page_text = page.inner_text("body")
        finally:
            page.screenshot(path=str(screenshot))
            print(f"screenshot: {screenshot}")

    captions = " | ".join(n["caption"] for n in nodes)
    assert action.name in captions, captions
    body_parts = {m.body_part for p in action.phases for m in p.motions}
    assert any(part in captions for part in body_parts), captions
    # Phase captions are their texts (wrapped over lines), never ids like "abseiling::phase-0" or numbers.
    assert action.phases[0].text.split()[0] in captions, captions
    assert "::phase-" not in captions
    assert not any(n["caption"].isdigit() for n in nodes), captions
    # HAS_PHASE edges are captioned with the phase number from 1.
    steps = sorted(int(c) for c in relationship_captions if c.isdigit())
    assert steps == list(range(1, len(action.phases) + 1)), relationship_captions
    # client.allow_telemetry=false: no usage-data consent banner.
    assert "usage data" not in page_text.lower() and "product analytics" not in page_text.lower()
    colours = label_colours()
    fills = {n["fill"].upper() for n in nodes if n["fill"]}
    assert {colours["Action"], colours["Phase"], colours["BodyPart"]} <= fills, fills
