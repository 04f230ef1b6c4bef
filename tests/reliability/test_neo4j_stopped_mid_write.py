"""Neo4j stopped while `askg build` or `askg import` writes: one line naming the server (exit 3), no
traceback; after a restart every action in the database is whole (equal to the same action built into an
embedded store) and no phase hangs loose; a re-run completes the graph.

These tests stop and restart a server, so they use one of their own (tests/scratch_neo4j.py, started for this
module), never the session's shared scratch server and never a marked external one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from askg.schema import ActionRecord
from askg.store.embedded import EmbeddedStore
from askg.store.neo4j_store import Neo4jStore
from tests.conftest import in_ci, reference_file
from tests.patience import patience
from tests.scratch_neo4j import ScratchNeo4j, ScratchUnavailable, can_start_local, process_state, start_local

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]
ASKG = [sys.executable, "-m", "cli.askg_app"]
WRITTEN_BEFORE_THE_STOP = 20  # actions in the database when the server is stopped


class CommandLines:
    """Every process's command line, sampled while a server starts (to catch a password passed as an argument)."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._done.is_set():
            for entry in Path("/proc").iterdir():
                if entry.name.isdigit():
                    try:
                        self.seen.add((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
                    except OSError:
                        continue
            self._done.wait(0.1)

    def __enter__(self) -> CommandLines:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()


@pytest.fixture(scope="module")
def own_server() -> Iterator[tuple[ScratchNeo4j, CommandLines]]:
    reason = can_start_local()
    try:
        if reason is not None:
            raise ScratchUnavailable(reason)
        with CommandLines() as command_lines:
            server = start_local()
    except ScratchUnavailable as exc:
        if in_ci():
            pytest.fail(f"CI=true but no Neo4j of this module's own: {exc}")
        pytest.skip(f"no Neo4j of this module's own to stop and restart ({exc})")
    try:
        yield server, command_lines
    finally:
        server.stop()


def _listening_addresses(port: int) -> set[str]:
    """Local addresses (hex, as in /proc/net/tcp*) with a socket listening on `port`."""
    found = set()
    for table in (Path("/proc/net/tcp"), Path("/proc/net/tcp6")):
        if not table.exists():
            continue
        for line in table.read_text().splitlines()[1:]:
            fields = line.split()
            address, _, hex_port = fields[1].partition(":")
            if fields[3] == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def test_the_server_listens_on_loopback_only_and_its_password_is_never_on_a_command_line(
    own_server: tuple[ScratchNeo4j, CommandLines],
) -> None:
    server, command_lines = own_server
    assert any("CommunityEntryPoint" in line for line in command_lines.seen)  # the sampler saw the start
    assert not [line for line in command_lines.seen if server.password in line]
    bolt = int(server.uri.rsplit(":", 1)[1])
    # 127.0.0.1, ::1 and ::ffff:127.0.0.1 as /proc/net/tcp* writes them
    loopback = {"0100007F", "00000000000000000000000001000000", "0000000000000000FFFF00000100007F"}
    for port in (bolt, server.http_port):
        assert port is not None
        addresses = _listening_addresses(port)
        assert addresses and addresses <= loopback, (port, addresses)


def _env(server: ScratchNeo4j) -> dict[str, str]:
    return {**os.environ, **server.env(), "COLUMNS": "200"}


def _count_actions(driver: Any) -> int:
    records, _, _ = driver.execute_query("MATCH (a:Action) RETURN count(a) AS n")
    return int(records[0]["n"])


def _stop_while_writing(
    server: ScratchNeo4j, argv: list[str], how: str
) -> tuple[subprocess.CompletedProcess[str], int]:
    """Run `askg` against the server; once WRITTEN_BEFORE_THE_STOP actions are in, stop the server `how`."""
    from neo4j import GraphDatabase

    server.clear()
    proc = subprocess.Popen([*ASKG, "--store", server.uri, *argv], env=_env(server), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + patience()
    with GraphDatabase.driver(server.uri, auth=(server.user, server.password)) as driver:
        written = 0
        while written < WRITTEN_BEFORE_THE_STOP and proc.poll() is None and time.monotonic() < deadline:
            written = _count_actions(driver)
    assert proc.poll() is None, f"askg finished before the server could be stopped: {proc.communicate()}"
    if how == "kill":
        server.kill()  # a crash, while askg keeps writing
    else:
        # Hold askg between two statements while the server shuts down the ordinary way, so the stop
        # lands inside the import whatever the machine's speed; then let askg go on against no server.
        proc.send_signal(signal.SIGSTOP)
        try:
            server.halt()
        finally:
            proc.send_signal(signal.SIGCONT)
    stdout, stderr = proc.communicate(timeout=patience())
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr), written


def _comparable(record: ActionRecord) -> dict[str, Any]:
    return record.model_dump(mode="json", exclude={"provenance": {"built_at"}})


def _assert_whole_actions_only(server: ScratchNeo4j, reference: dict[str, ActionRecord], at_least: int) -> int:
    from neo4j import GraphDatabase

    with Neo4jStore(server.uri, server.user, server.password) as store:
        stored = {record.id: record for record in store.get_actions()}
    assert at_least <= len(stored) < len(reference), (len(stored), at_least)
    for action_id, record in stored.items():
        assert _comparable(record) == _comparable(reference[action_id]), action_id
    with GraphDatabase.driver(server.uri, auth=(server.user, server.password)) as driver:
        loose, _, _ = driver.execute_query(
            "MATCH (p:Phase) WHERE NOT (:Action)-[:HAS_PHASE]->(p) RETURN count(p) AS n")
        assert loose[0]["n"] == 0, "phases of a half-written action"
    return len(stored)


_REFERENCES: dict[tuple[str, ...], dict[str, ActionRecord]] = {}


def _reference_build(tmp_path: Path, argv: list[str]) -> dict[str, ActionRecord]:
    """The actions `askg ARGV` writes into an embedded store (built once per module and argv)."""
    if tuple(argv) not in _REFERENCES:
        _REFERENCES[tuple(argv)] = _embedded_build(tmp_path, argv)
    return _REFERENCES[tuple(argv)]


def _embedded_build(tmp_path: Path, argv: list[str]) -> dict[str, ActionRecord]:
    path = tmp_path / "reference.json"
    result = subprocess.run([*ASKG, "--store", str(path), *argv], capture_output=True, text=True,
                            env={**os.environ, "COLUMNS": "200"}, timeout=patience())
    assert result.returncode == 0, result.stderr
    return {record.id: record for record in EmbeddedStore(path).get_actions()}


def _assert_one_line_naming_the_server(result: subprocess.CompletedProcess[str], server: ScratchNeo4j) -> None:
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: Neo4j at {server.uri} stopped answering"), last
    assert "the one in progress was not written" in last, last


@pytest.mark.parametrize("how", ["kill", "stop"])
def test_neo4j_stopped_mid_import_leaves_whole_actions_and_a_rerun_completes(
    own_server: tuple[ScratchNeo4j, CommandLines], clean_env: Path, how: str
) -> None:
    server = own_server[0]
    source = reference_file("stdd_askg", "classes_ASKG_k400.yml")
    argv = ["import", str(source), "--format", "stdd-askg"]
    reference = _reference_build(clean_env, argv)
    result, written = _stop_while_writing(server, argv, how)
    _assert_one_line_naming_the_server(result, server)
    server.restart()
    _assert_whole_actions_only(server, reference, written)
    again = subprocess.run([*ASKG, "--store", server.uri, *argv], capture_output=True, text=True,
                           env=_env(server), timeout=patience())
    assert again.returncode == 0, again.stderr
    with Neo4jStore(server.uri, server.user, server.password) as store:
        assert {r.id: _comparable(r) for r in store.get_actions()} == {
            i: _comparable(r) for i, r in reference.items()}


def test_neo4j_killed_mid_build_leaves_whole_actions_and_a_rerun_completes(
    own_server: tuple[ScratchNeo4j, CommandLines], clean_env: Path
) -> None:
    server = own_server[0]
    # The shipped HMDB51 list, all from the shipped seeds (no LLM): 51 actions, written in one chunk of 50
    # transactions and one of 1, so the kill lands inside a chunk.
    argv = ["build", "--classes", "hmdb51"]
    reference = _reference_build(clean_env, argv)
    result, written = _stop_while_writing(server, argv, "kill")
    _assert_one_line_naming_the_server(result, server)
    server.restart()
    kept = _assert_whole_actions_only(server, reference, written)
    again = subprocess.run([*ASKG, "--store", server.uri, *argv, "--json"], capture_output=True, text=True,
                           env=_env(server), timeout=patience())
    assert again.returncode == 0, again.stderr
    with Neo4jStore(server.uri, server.user, server.password) as store:
        assert {r.id: _comparable(r) for r in store.get_actions()} == {
            i: _comparable(r) for i, r in reference.items()}
    assert kept < len(reference)


def test_a_restart_after_a_crash_starts_while_neo4js_pid_file_names_a_zombie(
    own_server: tuple[ScratchNeo4j, CommandLines],
) -> None:
    """A crash leaves Neo4j's own pid file behind, and its bootloader refuses to start ("already running")
    while that pid exists: a killed server's does until init reaps it (a zombie), another program's after pid
    reuse. `scripts/neo4j-local start` removes the stale file; a restart comes up."""
    from neo4j import GraphDatabase

    server = own_server[0]
    assert server.home is not None
    server.kill()
    zombie = subprocess.Popen(["true"])  # exits and stays a zombie until waited for
    try:
        deadline = time.monotonic() + 30
        while process_state(zombie.pid) != "Z" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert process_state(zombie.pid) == "Z"
        (server.home / "run" / "neo4j.pid").write_text(f"{zombie.pid}\n")
        server.restart()
    finally:
        zombie.wait()
    with GraphDatabase.driver(server.uri, auth=(server.user, server.password)) as driver:
        driver.verify_connectivity()
