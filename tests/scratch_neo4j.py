"""A Neo4j that tests and benchmarks may empty: one they start themselves, or one marked as scratch.

Never the server `NEO4J_URI` names: that is where users keep their graph. The order:
1. `STDD_TEST_NEO4J_URI` (with `STDD_TEST_NEO4J_USER` / `STDD_TEST_NEO4J_PASSWORD`): a server the user
   explicitly marked as a throwaway test database;
2. else, when Java and Maven (or already gathered jars) are present, a throwaway server started with
   `scripts/neo4j-local` in its own temporary `STDD_NEO4J_HOME`, on free loopback ports, with a random
   password; it is stopped and deleted afterwards. The jars are shared in
   `~/.cache/stdd-toolkit/neo4j-5.26/lib` (`STDD_NEO4J_LIB`), so only the first start downloads them;
3. else none (`STDD_TEST_NEO4J=off` also means none).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NEO4J_LOCAL = REPO / "scripts" / "neo4j-local"
MARKED_URI = "STDD_TEST_NEO4J_URI"
SWITCH = "STDD_TEST_NEO4J"
DEFAULT_LIB = Path.home() / ".cache" / "stdd-toolkit" / "neo4j-5.26" / "lib"


class ScratchUnavailable(RuntimeError):
    """No scratch server can be had; the message says why."""


@dataclass
class ScratchNeo4j:
    uri: str
    user: str
    password: str
    http_port: int | None = None
    home: Path | None = None  # set when this process started the server (and must stop it)
    script_env: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        values = {"NEO4J_URI": self.uri, "NEO4J_USER": self.user, "NEO4J_PASSWORD": self.password}
        if self.http_port is not None:
            values["NEO4J_HTTP_PORT"] = str(self.http_port)
        return values

    def clear(self) -> None:
        from neo4j import GraphDatabase

        with GraphDatabase.driver(self.uri, auth=(self.user, self.password)) as driver:
            driver.execute_query("MATCH (n) DETACH DELETE n")

    def server_pid(self) -> int:
        """The JVM's pid of a server this process started (from its `scripts/neo4j-local` pid file)."""
        if self.home is None:
            raise ScratchUnavailable(f"{self.uri} was not started here; its process is not ours to signal")
        return int((self.home / "run" / "neo4j-local.pid").read_text().strip())

    def kill(self) -> None:
        """SIGKILL the server this process started (a crash: no shutdown, no checkpoint); `restart()` after."""
        pid = self.server_pid()
        os.kill(pid, signal.SIGKILL)
        while _alive(pid):
            time.sleep(0.05)

    def halt(self) -> None:
        """Stop the server this process started the ordinary way (SIGTERM, `scripts/neo4j-local stop`), keeping
        its data for `restart()`."""
        if self.home is None:
            raise ScratchUnavailable(f"{self.uri} was not started here; not stopping it")
        subprocess.run([str(NEO4J_LOCAL), "stop"], env=self.script_env, capture_output=True, timeout=300, check=True)

    def restart(self, timeout_s: int = 300) -> None:
        """Start the stopped or killed server again on its own data, ports and password."""
        if self.home is None:
            raise ScratchUnavailable(f"{self.uri} was not started here; not restarting it")
        result = subprocess.run([str(NEO4J_LOCAL), "start"], env=self.script_env, capture_output=True, text=True,
                                timeout=timeout_s + 900)
        lines = result.stdout.strip().splitlines()
        if result.returncode != 0 or not lines or lines[-1] != self.uri:
            tail = " | ".join(result.stderr.strip().splitlines()[-5:])
            raise ScratchUnavailable(f"scripts/neo4j-local start (restart) failed (exit {result.returncode}): {tail}")

    def stop(self) -> None:
        """Stop and delete a server this process started; a marked external server is left alone."""
        if self.home is None:
            return
        subprocess.run([str(NEO4J_LOCAL), "stop"], env=self.script_env, capture_output=True, timeout=120, check=False)
        shutil.rmtree(self.home, ignore_errors=True)
        self.home = None


def _alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)  # reap it if it is our child
    except ChildProcessError:
        waited = 0
    if waited:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in process_state(pid)


def process_state(pid: int) -> str:
    """The state letter of process `pid` from /proc (Z: a zombie), or "" if it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def marked_server() -> ScratchNeo4j | None:
    uri = os.environ.get(MARKED_URI)
    if not uri:
        return None
    http = os.environ.get("STDD_TEST_NEO4J_HTTP_PORT")
    return ScratchNeo4j(
        uri,
        os.environ.get("STDD_TEST_NEO4J_USER", "neo4j"),
        os.environ.get("STDD_TEST_NEO4J_PASSWORD", "stdd-local-dev"),
        int(http) if http else None,
    )


def can_start_local() -> str | None:
    """None when a throwaway server can be started here, else the reason it cannot."""
    if os.environ.get(SWITCH, "").lower() in ("off", "0", "false", "no"):
        return f"{SWITCH}=off"
    if shutil.which("java") is None and not Path("/usr/lib/jvm/java-17-openjdk-amd64/bin/java").exists():
        return "no Java 17 (needed to start a throwaway Neo4j; scripts/install-system-deps)"
    lib = Path(os.environ.get("STDD_NEO4J_LIB", DEFAULT_LIB))
    if shutil.which(os.environ.get("MVN", "mvn")) is None and not (lib / ".assembled").exists():
        return "no Maven and no gathered Neo4j jars (needed once to start a throwaway Neo4j)"
    return None


def start_local(timeout_s: int = 300) -> ScratchNeo4j:
    """Start a throwaway server; ScratchUnavailable with the script's last lines when it cannot."""
    home = Path(tempfile.mkdtemp(prefix="stdd-scratch-neo4j-"))
    bolt, http = free_port(), free_port()
    while http == bolt:
        http = free_port()
    password = secrets.token_hex(12)
    env = {
        **os.environ,
        "STDD_NEO4J_HOME": str(home),
        "STDD_NEO4J_LIB": os.environ.get("STDD_NEO4J_LIB", str(DEFAULT_LIB)),
        "NEO4J_BOLT_PORT": str(bolt),
        "NEO4J_HTTP_PORT": str(http),
        "NEO4J_PASSWORD": password,
        "NEO4J_START_TIMEOUT": str(timeout_s),
        "PYTHON": os.environ.get("PYTHON", sys.executable),
    }
    server = ScratchNeo4j(f"bolt://127.0.0.1:{bolt}", "neo4j", password, http, home, env)
    try:
        result = subprocess.run(
            [str(NEO4J_LOCAL), "start"], env=env, capture_output=True, text=True, timeout=timeout_s + 900
        )
    except subprocess.TimeoutExpired:
        server.stop()
        raise ScratchUnavailable("scripts/neo4j-local start did not finish") from None
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines or lines[-1] != server.uri:
        server.stop()
        tail = " | ".join(result.stderr.strip().splitlines()[-5:])
        raise ScratchUnavailable(f"scripts/neo4j-local start failed (exit {result.returncode}): {tail}")
    return server


def scratch_server() -> ScratchNeo4j:
    """The marked scratch server, else a freshly started throwaway one (the caller must `stop()` it)."""
    marked = marked_server()
    if marked is not None:
        return marked
    reason = can_start_local()
    if reason is not None:
        raise ScratchUnavailable(reason)
    return start_local()
