"""Shipped code and docs never point at files outside the repository (users have only the package)."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHIPPED = ["askg", "model", "cli", "graph_seeds", "scripts", "benchmarks", "README.md", "pyproject.toml", "Makefile"]
# the development notes kept beside the checkout, their sections, and the folder that holds them
OUTSIDE = re.compile(r"DESIGN\.md|§|\.\./shared|design card", re.IGNORECASE)


def shipped_text_files() -> list[Path]:
    files: list[Path] = []
    for entry in SHIPPED:
        path = REPO / entry
        candidates = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        files.extend(p for p in candidates if "__pycache__" not in p.parts and p.suffix not in {".pyc", ".png"})
    return files


def test_no_pointer_outside_the_repository() -> None:
    files = shipped_text_files()
    assert len(files) > 100 and REPO / "askg" / "store" / "cypher.py" in files  # the walk found the code
    found = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if OUTSIDE.search(line):
                found.append(f"{path.relative_to(REPO)}:{number}: {line.strip()[:100]}")
    assert not found, "pointers outside the repository:\n" + "\n".join(found)


def test_the_check_catches_each_pointer() -> None:
    for line in ['"""See DESIGN.md §4."""', "# as in ../shared/data", "the design card's commands"]:
        assert OUTSIDE.search(line), line
