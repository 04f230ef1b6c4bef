"""Fixtures for `askg build` tests: the fake OpenAI server, a tiny seeds folder, class files."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.build.fake_openai_server import FakeOpenAIServer
from tests.patience import patience

SECRET_KEY = "sk-test-SECRET-0123456789abcdef"
FAST = ["--backoff-base", "0.01", "--backoff-max", "0.05", "--llm-timeout", "0.5"]

SEEDS_YAML = """\
version: seed-test-1
actions:
  Yo Yo:
    objects: [yo-yo, string]
    scenes: [street]
    phases:
      - text: winding the string
        motions: {hands: wind the string}
        handles: [yo-yo]
      - text: throwing the yo-yo down
        motions: {arms: flick downward}
  Brush Hair:
    objects: [hairbrush, mirror]
    scenes: [bathroom]
    phases:
      - text: brushing
        motions: {arms: stroke, hands: hold the brush}
        handles: [hairbrush]
"""


@pytest.fixture
def fake_server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as server:
        yield server


@pytest.fixture
def seeds_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "seeds"
    (root / "askg").mkdir(parents=True)
    (root / "askg" / "test.yaml").write_text(SEEDS_YAML)
    (root / "body_parts.yaml").write_text("version: 1\nbody_parts: [hands, arms, legs, whole body]\n")
    monkeypatch.setenv("ASKG_SEEDS_DIR", str(root))
    return root


def write_classes(path: Path, names: list[str]) -> Path:
    path.write_text("\n".join(names) + "\n")
    return path


def askg(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "cli.askg_app", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=patience(),
    )
