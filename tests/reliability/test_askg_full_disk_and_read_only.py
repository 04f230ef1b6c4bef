"""`askg` on a really full disk and with a really read-only folder (tests/private_mounts.py: a tiny tmpfs, a
read-only bind mount, in a private mount namespace). A command that must write fails with exit 4 and one line
naming the file it could not write (never a temporary file's name), and leaves every file as it was; reading
a store in a read-only folder still works.

Where private mounts are not allowed these skip; tests/askg/test_atomic.py and tests/build/test_build_faults.py
cover the same paths with injected errors and a file in the way.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import pytest

from askg.formats.graph_json import graph_json_text
from askg.store.embedded import EmbeddedStore
from tests.private_mounts import ReadOnly, SmallDisk, run_with_mounts, unavailable
from tests.reliability.test_store_lock import records

pytestmark = pytest.mark.slow
ASKG = [sys.executable, "-m", "cli.askg_app"]

# Runs several askg commands inside one namespace (one mount set-up) and reports each one's exit and stderr.
RUNNER = """
import json, subprocess, sys
commands, report = json.loads(sys.argv[1]), sys.argv[2]
results = [subprocess.run(command, capture_output=True, text=True) for command in commands]
with open(report, "w") as stream:
    json.dump([{"rc": r.returncode, "stdout": r.stdout, "stderr": r.stderr} for r in results], stream)
"""


@pytest.fixture(autouse=True)
def _private_mounts(clean_env: Path) -> None:
    reason = unavailable()
    if reason is not None:
        pytest.skip(reason)


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def _run_all(mounts: list[ReadOnly | SmallDisk], commands: list[list[str]], report: Path) -> list[dict[str, object]]:
    result = run_with_mounts(mounts, [sys.executable, "-c", RUNNER, json.dumps(commands), str(report)],
                             env={**os.environ, "COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    return json.loads(report.read_text())  # type: ignore[no-any-return]


def _one_line(outcome: dict[str, object]) -> str:
    lines = str(outcome["stderr"]).strip().splitlines()
    assert len(lines) == 1, outcome
    return lines[0]


def test_a_read_only_folder_refuses_writes_in_one_line_and_still_reads(clean_env: Path) -> None:
    folder = clean_env / "read-only"
    folder.mkdir()
    store = folder / "g.json"
    EmbeddedStore(store).put_actions(records("kept", 3))
    extra = clean_env / "more.json"
    extra.write_text(graph_json_text(records("more", 2)))
    before = _digests(folder)
    outcomes = _run_all([ReadOnly(folder)], [
        [*ASKG, "--store", str(store), "stats", "--json"],
        [*ASKG, "--store", str(store), "import", str(extra), "--format", "json"],
        [*ASKG, "--store", str(store), "export", "--out", str(folder / "graph.json")],
        [*ASKG, "--store", str(store), "export-prompts", "--out", str(folder / "prompts.json")],
    ], clean_env / "report.json")
    stats, imported, exported, prompts = outcomes
    assert stats["rc"] == 0 and json.loads(str(stats["stdout"]))["nodes"]["Action"] == 3, stats
    assert imported["rc"] == 4
    assert _one_line(imported) == f"error: {store}: cannot write the embedded store here (Read-only file system)"
    for outcome, target in ((exported, folder / "graph.json"), (prompts, folder / "prompts.json")):
        assert outcome["rc"] == 4, outcome
        assert _one_line(outcome) == (
            f"error: {target}: cannot write (Read-only file system); the previous file is unchanged")
    assert _digests(folder) == before


def test_a_full_disk_fails_the_store_write_in_one_line_and_keeps_the_store(clean_env: Path) -> None:
    previous = clean_env / "previous"
    previous.mkdir()
    EmbeddedStore(previous / "g.json").put_actions(records("kept", 3))
    more = clean_env / "more.json"
    more.write_text(graph_json_text(records("more", 40)))
    disk, after = clean_env / "disk", clean_env / "after"
    size = (previous / "g.json").stat().st_size
    room = -(-size // 4096) * 4096  # the store and its (empty) lock file fill the disk
    outcomes = _run_all([SmallDisk(disk, room, fill=previous, copy_back=after)], [
        [*ASKG, "--store", str(disk / "g.json"), "import", str(more), "--format", "json"],
        [*ASKG, "--store", str(disk / "g.json"), "export", "--out", str(disk / "graph.json")],
    ], clean_env / "report.json")
    imported, exported = outcomes
    assert imported["rc"] == 4, imported
    assert _one_line(imported) == (
        f"error: {disk / 'g.json'}: cannot write the embedded store (No space left on device)")
    assert exported["rc"] == 4, exported
    assert _one_line(exported) == (
        f"error: {disk / 'graph.json'}: cannot write (No space left on device); the previous file is unchanged")
    assert _digests(after) == _digests(previous)  # the store as it was, no temporary file left
    assert sorted(p.name for p in after.iterdir()) == sorted(p.name for p in previous.iterdir())
