"""`askg browse`: Browser address and connection details from the configured store, never the password."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from askg.browser.queries import QUERIES
from askg.browser.style import style_command
from cli.askg_app import app
from cli.browse_commands import browser_url

runner = CliRunner()
SECRET = "do-not-print-me-123"


@pytest.mark.parametrize(("uri", "port", "expected"), [
    ("bolt://127.0.0.1:7687", None, "http://127.0.0.1:7474/browser/"),
    ("neo4j://graph.example:7687", 8474, "http://graph.example:8474/browser/"),
    ("neo4j+s://db.example", None, "https://db.example:7473/browser/"),
])
def test_browser_url(uri: str, port: int | None, expected: str) -> None:
    assert browser_url(uri, port) == expected


def test_browse_prints_url_user_and_queries_without_the_password(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEO4J_URI", "bolt://127.0.0.1:7687")
    monkeypatch.setenv("NEO4J_USER", "curator")
    monkeypatch.setenv("NEO4J_PASSWORD", SECRET)
    text = runner.invoke(app, ["browse"])
    assert text.exit_code == 0, text.output
    assert "http://127.0.0.1:7474/browser/" in text.output and "curator" in text.output
    assert all(q.title in text.output for q in QUERIES)
    as_json = runner.invoke(app, ["--store", "neo4j://10.0.0.5:7687", "browse", "--json", "--http-port", "17474"])
    info = json.loads(as_json.output)
    assert info["browser_url"] == "http://10.0.0.5:17474/browser/"
    assert info["user"] == "curator" and info["bolt_uri"] == "neo4j://10.0.0.5:7687"
    assert [q["key"] for q in info["queries"]] == [q.key for q in QUERIES]
    assert SECRET not in text.output + as_json.output


def test_browse_needs_neo4j_and_prints_the_style_command(clean_env: Path) -> None:
    result = runner.invoke(app, ["--store", str(clean_env / "g.json"), "browse"])
    assert result.exit_code != 0
    style = runner.invoke(app, ["browse", "--style-command"])
    assert style.exit_code == 0 and style.output.strip() == style_command()


def test_browse_reads_the_http_port_from_neo4j_http_port(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_URI", "bolt://127.0.0.1:7687")
    monkeypatch.setenv("NEO4J_HTTP_PORT", "17575")
    result = runner.invoke(app, ["browse", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["browser_url"] == "http://127.0.0.1:17575/browser/"
