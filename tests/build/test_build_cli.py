"""`askg build` end to end: the real CLI in a subprocess against the real local HTTP server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from askg.store.embedded import EmbeddedStore
from tests.build.conftest import FAST, SECRET_KEY, askg, write_classes
from tests.build.fake_openai_server import FakeOpenAIServer
from tests.patience import patience

CLASSES = [f"Sport Number {i}" for i in range(30)]


def build_args(tmp: Path, server: FakeOpenAIServer, classes: Path, *extra: str) -> list[str]:
    return ["--store", str(tmp / "g.json"), "build", "--classes", str(classes), "--llm-base-url", server.url,
            "--cache-dir", str(tmp / "cache"), *FAST, *extra]


def llm_env() -> dict[str, str]:
    return {"OPENAI_API_KEY": SECRET_KEY}


def stored(tmp: Path) -> dict[str, object]:
    return {r.id: r for r in EmbeddedStore(tmp / "g.json").get_actions()}


def test_thirty_percent_faults_build_everything_and_a_rerun_makes_no_calls(
    clean_env: Path, seeds_dir: Path, fake_server: FakeOpenAIServer
) -> None:
    fake_server.fault_rate, fake_server.seed, fake_server.hang_s = 0.3, 7, 1.5
    classes = write_classes(clean_env / "sports.txt", [*CLASSES, "YoYo"])
    args = build_args(clean_env, fake_server, classes, "--llm-retries", "10", "--llm-invalid-retries", "6")
    first = askg(*args, "--json", env=llm_env())
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary["counts"] == {"store": 0, "seed": 1, "cache": 0, "llm": 30, "failed": 0}
    assert summary["llm_retries"] > 0  # faults were injected and survived
    assert {r.behaviour for r in fake_server.requests} - {"ok"}
    assert len(stored(clean_env)) == 31
    # every request carried the key to the server, and the key is nowhere else
    assert all(r.headers.get("authorization") == f"Bearer {SECRET_KEY}" for r in fake_server.requests)
    calls = len(fake_server.requests)
    again = askg(*args, env=llm_env())
    assert again.returncode == 0, again.stderr
    assert len(fake_server.requests) == calls  # zero LLM calls on a re-run
    assert "LLM requests: 0" in again.stdout
    written = [p for p in clean_env.rglob("*") if p.is_file() and "seeds" not in p.parts]
    assert written and all(SECRET_KEY not in p.read_text(errors="replace") for p in written)
    for output in (first.stdout, first.stderr, again.stdout, again.stderr):
        assert SECRET_KEY not in output


def test_always_invalid_class_fails_alone_and_is_named(
    clean_env: Path, seeds_dir: Path, fake_server: FakeOpenAIServer
) -> None:
    fake_server.policy["sport number 3"] = ["schema"]
    classes = write_classes(clean_env / "sports.txt", CLASSES[:8])
    result = askg(*build_args(clean_env, fake_server, classes), env=llm_env())
    assert result.returncode == 1
    final = result.stderr.strip().splitlines()[-1]  # the cause is named, not just the class
    assert final.startswith("error: 1 of 8 classes failed (1× invalid answer after 4 attempts: does not match")
    assert final.endswith("): Sport Number 3")
    assert "failed: Sport Number 3: invalid answer after 4 attempts" in result.stdout
    records = stored(clean_env)
    assert set(records) == {f"sport number {i}" for i in range(8)} - {"sport number 3"}
    assert all(r.phases and r.objects for r in records.values())  # type: ignore[attr-defined]
    # the failure is not cached: a re-run asks again for that class only
    before = len(fake_server.requests)
    rerun = askg(*build_args(clean_env, fake_server, classes, "--json"), env=llm_env())
    assert rerun.returncode == 1
    assert {r.class_name for r in fake_server.requests[before:]} == {"sport number 3"}
    assert json.loads(rerun.stdout)["failed"][0]["class_name"] == "Sport Number 3"


def test_no_llm_and_no_seed_lists_the_classes_but_builds_the_seeded_ones(clean_env: Path, seeds_dir: Path) -> None:
    classes = write_classes(clean_env / "mix.txt", ["YoYo", "Archery", "brush_hair", "Bowling"])
    result = askg("--store", str(clean_env / "g.json"), "build", "--classes", str(classes))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: no LLM configured (--llm-base-url / OPENAI_BASE_URL / OPENAI_API_KEY) and no seed for 2 "
        "classes: Archery, Bowling"
    )
    records = stored(clean_env)
    assert set(records) == {"yo yo", "brush hair"}
    assert records["brush hair"].datasets == ["mix"]  # type: ignore[attr-defined]


def start_build_then_hold_answers(
    clean_env: Path, fake_server: FakeOpenAIServer, classes: Path, output: int
) -> subprocess.Popen[bytes]:
    """Start `askg build` in a subprocess, wait until 6 classes were asked, then hold every later answer, so
    the run cannot finish on its own before the test cuts it off. No wall-clock bounds: a loaded 2-core
    machine may be slow at any step."""
    fake_server.latency_s = 0.1
    cmd = [sys.executable, "-m", "cli.askg_app",
           *build_args(clean_env, fake_server, classes, "--concurrency", "2", "--llm-timeout", "5")]
    proc = subprocess.Popen(cmd, env={**os.environ, **llm_env()}, stdout=output, stderr=output)
    deadline = time.monotonic() + patience()
    while len(fake_server.requests) < 6 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(fake_server.requests) >= 6, "the build never got going"
    fake_server.latency_s = 3600.0
    return proc


def test_an_interrupted_run_keeps_whole_actions_and_resumes_from_the_cache(
    clean_env: Path, seeds_dir: Path, fake_server: FakeOpenAIServer
) -> None:
    classes = write_classes(clean_env / "sports.txt", CLASSES)
    proc = start_build_then_hold_answers(clean_env, fake_server, classes, subprocess.PIPE)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=patience())
    assert proc.returncode != 0
    fake_server.latency_s = 0.0
    asked = {r.class_name for r in fake_server.requests}
    assert 6 <= len(asked) < 30
    partial = stored(clean_env) if (clean_env / "g.json").exists() else {}
    assert all(r.phases for r in partial.values())  # type: ignore[attr-defined]
    before = len(fake_server.requests)
    resumed = askg(*build_args(clean_env, fake_server, classes, "--concurrency", "8", "--json"), env=llm_env())
    assert resumed.returncode == 0, resumed.stderr
    again = {r.class_name for r in fake_server.requests[before:]}
    counts = json.loads(resumed.stdout)["counts"]
    # what completed before the interrupt was written whole on the way out, and is not asked again
    assert counts["store"] == len(partial) >= 1 and not again & set(partial)
    assert len(again) == 30 - len(partial) - counts["cache"]
    assert len(stored(clean_env)) == 30


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_terminated_or_killed_run_keeps_whole_actions_and_a_rerun_asks_only_for_the_rest(
    clean_env: Path, seeds_dir: Path, fake_server: FakeOpenAIServer, sig: signal.Signals
) -> None:
    """No handler runs on SIGKILL (nor on SIGTERM): what is in the store is whole, and every answer that
    arrived is in the cache, so the re-run asks only for the classes that had no answer."""
    classes = write_classes(clean_env / "sports.txt", CLASSES)
    proc = start_build_then_hold_answers(clean_env, fake_server, classes, subprocess.DEVNULL)
    proc.send_signal(sig)
    proc.wait(timeout=patience())
    assert proc.returncode == -sig
    partial = stored(clean_env) if (clean_env / "g.json").exists() else {}
    assert all(r.phases for r in partial.values())  # type: ignore[attr-defined]
    fake_server.latency_s = 0.0
    before = len(fake_server.requests)
    resumed = askg(*build_args(clean_env, fake_server, classes, "--concurrency", "8", "--json"), env=llm_env())
    assert resumed.returncode == 0, resumed.stderr
    counts = json.loads(resumed.stdout)["counts"]
    again = [r.class_name for r in fake_server.requests[before:]]
    assert counts["cache"] >= 1 and counts["store"] == len(partial)
    assert len(again) == len(set(again)) == 30 - counts["cache"] - counts["store"]
    assert len(stored(clean_env)) == 30


def test_build_with_dedup_keeps_stdout_json(clean_env: Path, seeds_dir: Path) -> None:
    classes = write_classes(clean_env / "mix.txt", ["YoYo", "brush_hair"])
    result = askg("--store", str(clean_env / "g.json"), "build", "--classes", str(classes), "--dedup", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["counts"]["seed"] == 2
    assert "merges (applied" in result.stderr
