"""Two processes on one embedded store file lose nothing: the lock serialises writes and each writer
re-reads the file under it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from askg.errors import InputError
from askg.schema import ActionRecord, Decomposition, ObjectUse, PhaseSpec, Provenance
from askg.store.embedded import EmbeddedStore
from tests.patience import patience

WRITER = """
import sys
from pathlib import Path
from tests.reliability.test_store_lock import records
from askg.store.embedded import EmbeddedStore
store = EmbeddedStore(Path(sys.argv[1]))
batch = records(sys.argv[2], int(sys.argv[3]))
for start in range(0, len(batch), 5):  # chunks, as `askg build` writes them
    store.put_actions(batch[start:start + 5])
store.close()
"""


def records(prefix: str, count: int) -> list[ActionRecord]:
    decomposition = Decomposition(
        objects=[ObjectUse(name="ball", predicate="kicks")], phases=[PhaseSpec(text="kicking the ball")]
    )
    return [
        ActionRecord.create(f"{prefix} action {i}", decomposition, Provenance(source="seed"), datasets=["t"])
        for i in range(count)
    ]


def _writer(store: Path, prefix: str, count: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", WRITER, str(store), prefix, str(count)])


def test_two_processes_writing_one_store_keep_all_actions(tmp_path: Path) -> None:
    store = tmp_path / "graph.json"
    first, second = _writer(store, "alpha", 60), _writer(store, "beta", 60)
    assert first.wait(timeout=patience()) == 0 and second.wait(timeout=patience()) == 0
    ids = EmbeddedStore(store).action_ids()
    assert len(ids) == 120
    assert sum(i.startswith("alpha") for i in ids) == 60


def test_a_store_opened_before_another_process_wrote_does_not_overwrite_it(tmp_path: Path) -> None:
    """The lost update of issue 12: the file is read at open, another run writes, then this one writes."""
    path = tmp_path / "graph.json"
    stale = EmbeddedStore(path)
    stale.put_actions(records("gamma", 3))
    assert _writer(path, "delta", 20).wait(timeout=patience()) == 0
    stale.put_actions(records("epsilon", 4))
    ids = EmbeddedStore(path).action_ids()
    assert len(ids) == 27
    assert stale.action_ids() == ids  # reads see the other process's writes too


def test_stale_temporary_files_of_a_killed_writer_are_removed(tmp_path: Path) -> None:
    path = tmp_path / "graph.json"
    leftover = tmp_path / ".graph.json.abc123.tmp"
    leftover.write_text("half a graph")
    EmbeddedStore(path).put_actions(records("zeta", 1))
    assert not leftover.exists()
    assert len(EmbeddedStore(path).action_ids()) == 1


@pytest.mark.parametrize(
    "document, fragment",
    [
        ({"format": "askg-embedded-store", "version": 1, "nodes": [{"key": "Action:x", "attrs": {"id": "x"}}],
          "edges": []}, "missing field 'label'"),
        ({"format": "askg-embedded-store", "version": 1, "nodes": [], "edges": [
            {"src": "Action:a", "dst": "Object:b", "key": "USES", "attrs": {"type": "USES"}}]}, "does not have"),
        ({"format": "askg-embedded-store", "version": 1, "nodes": [
            {"key": "Robot:x", "attrs": {"label": "Robot", "id": "x", "name": "x"}}], "edges": []}, "bad label"),
        ([1, 2, 3], "not an askg-embedded-store file"),
    ],
)
def test_structurally_broken_store_is_one_line_naming_the_file(
    tmp_path: Path, document: object, fragment: str
) -> None:
    path = tmp_path / "graph.json"
    path.write_text(json.dumps(document))
    before = path.read_bytes()
    with pytest.raises(InputError) as raised:
        EmbeddedStore(path)
    message = str(raised.value)
    assert message.startswith(str(path)) and fragment in message and "\n" not in message
    assert path.read_bytes() == before
