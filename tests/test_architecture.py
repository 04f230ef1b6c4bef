"""The four rooms stay apart: askg never imports torch (fast CLI start, light install path); model never
imports neo4j or askg (it reads a prompts file)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.patience import patience

REPO = Path(__file__).resolve().parents[1]


def imported_after(modules: list[str]) -> set[str]:
    code = (
        "import importlib, pkgutil, sys\n"
        f"for name in {modules!r}:\n"
        "    module = importlib.import_module(name)\n"
        "    for info in pkgutil.walk_packages(getattr(module, '__path__', []), name + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=patience())
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


def test_askg_and_its_cli_never_import_torch() -> None:
    loaded = imported_after(["askg", "cli.askg_app"])
    assert "askg.store.neo4j_store" in loaded  # the walk really imported everything
    assert not {m for m in loaded if m == "torch" or m.startswith(("torch.", "sentence_transformers", "model."))}


def test_model_never_imports_neo4j_or_askg() -> None:
    loaded = imported_after(["model"])
    assert "model.stca" in loaded
    assert not {m for m in loaded if m.split(".")[0] in ("neo4j", "askg")}


def test_the_openai_sdk_is_used_in_one_module_only() -> None:
    """Providers and the retry policy see askg.llm.errors types; only the SDK edge imports openai."""
    importing = sorted(
        str(path.relative_to(REPO))
        for room in ("askg", "cli", "benchmarks")
        for path in (REPO / room).rglob("*.py")
        if any(line.startswith(("import openai", "from openai")) for line in path.read_text().splitlines())
    )
    assert importing == ["askg/llm/openai_chat.py"]
