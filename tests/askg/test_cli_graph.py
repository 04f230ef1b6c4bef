"""`askg import / export / stats / show` end to end through the installed console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import reference_file
from tests.patience import patience

ASKG = [sys.executable, "-m", "cli.askg_app"]


def askg(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run([*ASKG, *args], capture_output=True, text=True, env=full_env, cwd=cwd, timeout=patience())


def stats(store: str, env: dict[str, str] | None = None) -> dict[str, object]:
    result = askg("--store", store, "stats", "--json", env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_import_k400_reference_is_idempotent_and_exports_deterministically(clean_env: Path) -> None:
    source = reference_file("stdd_askg", "classes_ASKG_k400.yml")
    store = str(clean_env / "k400.json")
    first = askg("--store", store, "import", str(source), "--format", "stdd-askg")
    assert first.returncode == 0, first.stderr
    counts = stats(store)
    assert counts["nodes"]["Action"] == 400  # type: ignore[index]
    assert askg("--store", store, "import", str(source), "--format", "stdd-askg").returncode == 0
    assert stats(store) == counts
    out1, out2 = clean_env / "a.json", clean_env / "b.json"
    assert askg("--store", store, "export", "--out", str(out1)).returncode == 0
    assert askg("--store", store, "export", "--out", str(out2)).returncode == 0
    assert out1.read_bytes() == out2.read_bytes()
    # the export re-imports into an equal graph
    copy = str(clean_env / "copy.json")
    assert askg("--store", copy, "import", str(out1), "--format", "json").returncode == 0
    assert stats(copy)["nodes"] == counts["nodes"]
    graphml = clean_env / "g.graphml"
    assert askg("--store", store, "export", "--out", str(graphml), "--format", "graphml").returncode == 0
    assert graphml.read_text().count("<node ") == sum(counts["nodes"].values())  # type: ignore[attr-defined]


def test_show_prints_the_action_tree(clean_env: Path) -> None:
    source = reference_file("stdd_askg", "classes_ASKG_hmdb51.yml")
    store = str(clean_env / "h.json")
    assert askg("--store", store, "import", str(source), "--format", "stdd-askg").returncode == 0
    shown = askg("--store", store, "show", "Brush_Hair")
    assert shown.returncode == 0, shown.stderr
    assert "brush hair" in shown.stdout and "HAS_PHASE" in shown.stdout and "1. " in shown.stdout
    missing = askg("--store", store, "show", "no such action")
    assert missing.returncode == 2 and "'no such action' is not in" in missing.stderr


@pytest.mark.parametrize(
    ("content", "fmt", "needle"),
    [
        ("abseiling:\n  label: abseiling\n  obj_en_li: [rope\n", "stdd-askg", ":4: malformed YAML"),
        ('{"format": "askg-graph", "actions": [', "json", ":1: malformed JSON"),
        ('{"format": "askg-graph", "actions": [{"id": "x"}]}', "json", "invalid graph document at actions.0"),
        ("- just\n- a list\n", "stdd-askg", "not an STDD ASKG file"),
    ],
)
def test_bad_input_is_one_line_naming_the_file_and_changes_nothing(
    clean_env: Path, content: str, fmt: str, needle: str
) -> None:
    store = str(clean_env / "store.json")
    good = reference_file("stdd_askg", "classes_ASKG_hmdb51.yml")
    assert askg("--store", store, "import", str(good), "--format", "stdd-askg").returncode == 0
    before = (clean_env / "store.json").read_bytes()
    bad = clean_env / "bad input.txt"
    bad.write_text(content)
    result = askg("--store", store, "import", str(bad), "--format", fmt)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(bad) in lines[0] and needle in lines[0], result.stderr
    assert (clean_env / "store.json").read_bytes() == before


def test_unknown_format_and_missing_file(clean_env: Path) -> None:
    result = askg("--store", str(clean_env / "s.json"), "import", "x.yml", "--format", "csv")
    assert result.returncode == 2 and "csv" in result.stderr
    missing = askg("--store", str(clean_env / "s.json"), "import", "nope.yml", "--format", "stdd-askg")
    assert missing.returncode == 2 and missing.stderr.strip() == "error: nope.yml: no such file"
    assert not (clean_env / "s.json").exists()


def test_unreachable_neo4j_fails_fast_naming_the_uri(clean_env: Path) -> None:
    uri = "bolt://127.0.0.1:9"  # discard port: nothing listens (no wall-clock assert: the machine may be loaded)
    result = askg("--store", uri, "stats")
    assert result.returncode == 3
    assert result.stderr.strip().startswith(f"error: cannot reach Neo4j at {uri}")


@pytest.mark.neo4j
def test_wrong_credentials_are_reported(clean_env: Path, neo4j_env: dict[str, str]) -> None:
    result = askg("stats", env={**neo4j_env, "NEO4J_PASSWORD": "not-the-password"})
    assert result.returncode == 3
    assert "refused the credentials of user 'neo4j'" in result.stderr
    assert "not-the-password" not in result.stderr + result.stdout


@pytest.mark.neo4j
def test_neo4j_and_embedded_exports_are_identical(clean_env: Path, neo4j_env: dict[str, str]) -> None:
    source = reference_file("stdd_askg", "classes_ASKG_k400.yml")
    embedded = str(clean_env / "e.json")
    for store in (embedded, neo4j_env["NEO4J_URI"]):
        result = askg("--store", store, "import", str(source), "--format", "stdd-askg", env=neo4j_env)
        assert result.returncode == 0, result.stderr
    assert stats(neo4j_env["NEO4J_URI"], neo4j_env)["nodes"] == stats(embedded)["nodes"]
    out_e, out_n = clean_env / "e-export.json", clean_env / "n-export.json"
    assert askg("--store", embedded, "export", "--out", str(out_e)).returncode == 0
    assert askg("export", "--out", str(out_n), env=neo4j_env).returncode == 0  # NEO4J_URI selects Neo4j
    assert out_e.read_bytes() == out_n.read_bytes()
