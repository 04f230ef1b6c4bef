"""The getting-started commands (`askg --help`) typed exactly as a new user would, from an empty directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.patience import patience

ASKG = [sys.executable, "-m", "cli.askg_app"]
STDD = [sys.executable, "-m", "cli.stdd_app"]


@pytest.fixture
def newcomer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """An empty working directory and an environment with no store, server or LLM configured."""
    work = tmp_path / "empty"
    work.mkdir()
    monkeypatch.chdir(work)
    env = {k: v for k, v in os.environ.items()
           if k not in {"ASKG_STORE", "NEO4J_URI", "NEO4J_DATABASE", "OPENAI_API_KEY", "OPENAI_BASE_URL",
                        "ASKG_LLM_MODEL", "ASKG_SEEDS_DIR"}}
    env.update(XDG_DATA_HOME=str(tmp_path / "xdg-data"), XDG_CACHE_HOME=str(tmp_path / "xdg-cache"))
    return env


def run(cmd: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=patience(), check=False)


def test_build_export_train_as_typed_in_an_empty_directory(newcomer: dict[str, str]) -> None:
    built = run([*ASKG, "build", "--classes", "k600.txt", "--json"], newcomer)
    assert built.returncode == 0, built.stderr
    assert "k600.txt: not a file here; using the shipped class list" in built.stderr
    assert json.loads(built.stdout)["classes"] == 600
    stats = json.loads(run([*ASKG, "stats", "--json"], newcomer).stdout)
    assert stats["nodes"]["Action"] == 600

    exported = run([*ASKG, "export-prompts"], newcomer)
    assert exported.returncode == 0, exported.stderr
    prompts = Path("prompts.json")
    assert str(prompts.resolve()) in exported.stdout and "600 classes" in exported.stdout
    document = json.loads(prompts.read_text())
    assert len(document["classes"]) == 600
    assert all(c["spatial"] and c["temporal"] for c in document["classes"])

    before = prompts.read_bytes()
    again = run([*ASKG, "export-prompts"], newcomer)
    assert again.returncode != 0
    assert again.stderr.strip().count("\n") == 0 and "--force" in again.stderr
    assert prompts.read_bytes() == before
    prompts.write_text("stale")
    assert run([*ASKG, "export-prompts", "--force"], newcomer).returncode == 0
    assert prompts.read_bytes() == before
    to_stdout = run([*ASKG, "export-prompts", "--out", "-", "--classes", "ucf101"], newcomer)
    assert to_stdout.returncode != 0  # ucf101 classes are not in this graph: named, nothing written
    assert "not in" in to_stdout.stderr and not Path("-").exists()
    streamed = run([*ASKG, "export-prompts", "--out", "-", "--classes", "k600_split1"], newcomer)
    assert len(json.loads(streamed.stdout)["classes"]) == 160

    trained = run([*STDD, "train"], newcomer)
    assert trained.returncode != 0
    error_lines = [line for line in trained.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1, trained.stderr
    assert "data.root=data/kinetics400" in error_lines[0] and "--set data.root=" in error_lines[0]
    assert "k400_vitb16_8x16" in trained.stderr
    assert not Path("runs").exists()


def test_a_local_file_wins_over_a_shipped_list_of_the_same_name(newcomer: dict[str, str]) -> None:
    Path("k600.txt").write_text("abseiling\nbowling\n")
    built = run([*ASKG, "build", "--classes", "k600.txt", "--json"], newcomer)
    assert built.returncode == 0, built.stderr
    assert "shipped" not in built.stderr
    assert json.loads(built.stdout)["classes"] == 2


def test_unknown_class_list_and_config_names_are_one_line_errors(newcomer: dict[str, str]) -> None:
    missing = run([*ASKG, "build", "--classes", "k700.txt"], newcomer)
    assert missing.returncode != 0 and "k700.txt: no such file" in missing.stderr and "k600" in missing.stderr
    config = run([*STDD, "train", "--config", "k700_vitl"], newcomer)
    assert config.returncode != 0 and "config file not found: k700_vitl" in config.stderr
    assert "synthetic_tiny_cpu" in config.stderr


def test_shipped_config_by_name_reaches_the_data_check(newcomer: dict[str, str]) -> None:
    trained = run([*STDD, "train", "--config", "synthetic_tiny_cpu.yaml"], newcomer)
    assert trained.returncode != 0
    assert "synthetic_tiny_cpu" in trained.stderr and "training data not found" in trained.stderr


@pytest.mark.parametrize("cli", [ASKG, STDD], ids=["askg", "stdd"])
def test_help_ends_with_getting_started(cli: list[str], newcomer: dict[str, str]) -> None:
    text = run([*cli, "--help"], newcomer).stdout
    tail = text[text.index("Getting started"):]
    order = [tail.index(step) for step in ("askg build --classes k600.txt", "askg export-prompts",
                                            "stdd train", "askg browse")]
    assert order == sorted(order)
    assert "stdd synth" in tail and "synthetic_tiny_cpu" in tail
