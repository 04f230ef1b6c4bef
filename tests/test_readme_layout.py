"""README "Layout" names the one place each kind of extension goes: those places exist and do that."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# (README row, file it names, what that file must define)
PLACES = [
    ("graph store", "askg/store/base.py", "class GraphStore("),
    ("graph store", "askg/store/__init__.py", "def open_store("),
    ("graph store", "tests/store/test_store_contract.py", "STORES = "),
    ("LLM provider", "askg/llm/decomposer.py", "class Decomposer("),
    ("LLM provider", "askg/llm/openai_chat.py", "import openai"),
    ("dataset protocol", "model/dataset_protocols.py", "def register_protocol("),
    ("prompt template", "askg/prompts/templates.yaml", "version: "),
    ("prompt template", "askg/prompts/compiler.py", "def load_templates("),
    ("STCA formulation", "model/stca_registry.py", "def register_stca_formulation("),
    ("STCA formulation", "model/stca_registry.py", "_BUILTIN_MODULES = "),
]


def layout_rows() -> dict[str, str]:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Layout\n", 1)[1].split("\n## ", 1)[0]
    return {m.group(1).strip(): m.group(0) for m in re.finditer(r"^\| ([^|]+) \|.*$", section, re.MULTILINE)}


@pytest.mark.parametrize(("row", "path", "definition"), PLACES)
def test_each_named_place_exists_and_defines_it(row: str, path: str, definition: str) -> None:
    rows = layout_rows()
    assert row in rows, f"README Layout has no row {row!r}"
    assert f"`{path}`" in rows[row]
    assert definition in (REPO / path).read_text()


def test_every_kind_of_extension_has_a_row() -> None:
    assert {"graph store", "LLM provider", "dataset protocol", "prompt template", "STCA formulation"} <= set(
        layout_rows()
    )
