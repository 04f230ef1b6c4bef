"""The graph-only install: askg works with torch unimportable, and stdd says which extra it needs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.patience import patience

REPO = Path(__file__).resolve().parents[2]


def hidden_torch_env(tmp_path: Path) -> dict[str, str]:
    stub = tmp_path / "stub" / "torch"
    stub.mkdir(parents=True)
    (stub / "__init__.py").write_text('raise ModuleNotFoundError("torch is hidden by this test", name="torch")\n')
    env = {k: v for k, v in os.environ.items() if k not in ("NEO4J_URI", "ASKG_SEEDS_DIR", "STDD_GRAPH_SEEDS")}
    env["PYTHONPATH"] = f"{tmp_path / 'stub'}{os.pathsep}{REPO}"
    env["HOME"] = str(tmp_path)
    return env


def cli(module: str, *args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", module, *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=patience())


def test_askg_build_show_export_and_export_prompts_run_without_torch(tmp_path: Path) -> None:
    env = hidden_torch_env(tmp_path)
    probe = subprocess.run([sys.executable, "-c", "import torch"], env=env, capture_output=True, text=True)
    assert probe.returncode != 0 and "hidden" in probe.stderr  # the stub really hides torch
    store = ["--store", str(tmp_path / "g.json")]
    for args in (["build", "--classes", "ucf101"], ["show", "archery"], ["export", "--out", str(tmp_path / "e.json")],
                 ["export-prompts", "--dataset", "ucf101", "--out", str(tmp_path / "p.json")]):
        result = cli("cli.askg_app", *store, *args, env=env, cwd=tmp_path)
        assert result.returncode == 0, f"{args}: {result.stderr}"
    assert "archery" in (tmp_path / "e.json").read_text()
    assert (tmp_path / "p.json").stat().st_size > 0


def test_stdd_without_torch_names_the_model_extra_in_one_line(tmp_path: Path) -> None:
    env = hidden_torch_env(tmp_path)
    result = cli("cli.stdd_app", "eval", "--config", "x.yaml", "--checkpoint", "y.pt", env=env, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "stdd needs the [model] extra: pip install 'stdd-toolkit[model]'" in lines[0]


def test_askg_dedup_without_sentence_transformers_names_the_embed_extra(tmp_path: Path) -> None:
    env = hidden_torch_env(tmp_path)
    stub = tmp_path / "stub" / "sentence_transformers"
    stub.mkdir()
    (stub / "__init__.py").write_text('raise ModuleNotFoundError("hidden", name="sentence_transformers")\n')
    assert cli("cli.askg_app", "--store", str(tmp_path / "g.json"), "build", "--classes", "ucf101",
               env=env, cwd=tmp_path).returncode == 0
    result = cli("cli.askg_app", "--store", str(tmp_path / "g.json"), "dedup", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "askg needs the [embed] extra: pip install 'stdd-toolkit[embed]'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
