"""`askg` under faults, through the real CLI: an LLM server that dies or was never there, outputs that
cannot be written, hostile names and URIs, bad options. Each error is one line, exit code != 0, the
file or URL named, and nothing that was done is lost."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from askg.schema import ActionRecord, Decomposition, ObjectUse, PhaseSpec, Provenance
from askg.store.embedded import EmbeddedStore
from tests.build.conftest import SECRET_KEY, askg, write_classes
from tests.build.fake_openai_server import FakeOpenAIServer
from tests.patience import patience
from tests.scratch_neo4j import free_port

CLASSES = [f"Sport Number {i}" for i in range(40)]
# Slow enough backoff that, without the circuit, a dead server would keep the run going for minutes.
PATIENT = ["--llm-retries", "6", "--backoff-base", "0.5", "--backoff-max", "4", "--llm-timeout", "5"]
CIRCUIT = ["--llm-circuit-failures", "4", "--llm-circuit-window", "3"]


def _build(tmp: Path, url: str, classes: Path, *extra: str) -> list[str]:
    return ["--store", str(tmp / "g.json"), "build", "--classes", str(classes), "--llm-base-url", url,
            "--cache-dir", str(tmp / "cache"), *extra]


def _env() -> dict[str, str]:
    return {"OPENAI_API_KEY": SECRET_KEY}


def _last_line(stderr: str) -> str:
    return stderr.strip().splitlines()[-1]


def test_llm_server_killed_mid_run_stops_naming_url_and_cause_and_keeps_what_was_built(
    clean_env: Path, seeds_dir: Path
) -> None:
    classes = write_classes(clean_env / "sports.txt", CLASSES)
    server = FakeOpenAIServer(latency_s=0.05).start()
    url = server.url
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli.askg_app", *_build(clean_env, url, classes, *PATIENT, *CIRCUIT,
                                                        "--concurrency", "2")],
        env={**os.environ, **_env()}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + patience()
    while len(server.requests) < 5 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    server.latency_s = 3600.0  # no further answer: the run cannot finish before the server is gone
    server.stop()  # the server dies: its port refuses connections from now on
    _, stderr = proc.communicate(timeout=patience())
    assert proc.returncode == 3, stderr
    line = _last_line(stderr)
    assert line.startswith(f"error: LLM server {url} unreachable: connection error ("), line
    assert "consecutive connection failures" in line and "re-run to resume" in line
    built = int(re.search(r"(\d+) built and kept", line).group(1))  # type: ignore[union-attr]
    kept = EmbeddedStore(clean_env / "g.json").get_actions()
    assert len(kept) == built >= 1 and all(record.phases for record in kept)
    # A re-run against a live server asks exactly for the classes that are missing.
    with FakeOpenAIServer() as again:
        rerun = askg(*_build(clean_env, again.url, classes, "--json"), env=_env())
        assert rerun.returncode == 0, rerun.stderr
        assert json.loads(rerun.stdout)["counts"]["store"] == built
        assert len({r.class_name for r in again.requests}) <= len(CLASSES) - built


def test_unreachable_llm_url_stops_early_with_the_cause(clean_env: Path, seeds_dir: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens
    classes = write_classes(clean_env / "sports.txt", [*CLASSES[:20], "YoYo"])
    result = askg(*_build(clean_env, url, classes, *PATIENT, *CIRCUIT, "--concurrency", "4"), env=_env())
    assert result.returncode == 3
    line = _last_line(result.stderr)
    assert line.startswith(f"error: LLM server {url} unreachable: connection error (") and "refused" in line.lower()
    assert "20 of 21 classes not built, 1 built and kept" in line
    assert [r.id for r in EmbeddedStore(clean_env / "g.json").get_actions()] == ["yo yo"]  # the seed is kept


@pytest.mark.parametrize("where", ["store", "cache"])
def test_unwritable_store_or_cache_fails_before_any_llm_request(
    clean_env: Path, seeds_dir: Path, fake_server: FakeOpenAIServer, where: str
) -> None:
    blocker = clean_env / "a-file"
    blocker.write_text("not a folder")
    classes = write_classes(clean_env / "sports.txt", CLASSES[:3])
    args = _build(clean_env, fake_server.url, classes)
    target = blocker / ("g.json" if where == "store" else "cache")
    args[args.index(str(clean_env / ("g.json" if where == "store" else "cache")))] = str(target)
    result = askg(*args, env=_env())
    assert result.returncode == 4, result.stderr
    assert _last_line(result.stderr).startswith(f"error: {target}: cannot write")
    assert fake_server.requests == []
    assert blocker.read_text() == "not a folder"


@pytest.mark.parametrize(
    "option, value", [("--llm-timeout", "0"), ("--llm-retries", "-1"), ("--llm-invalid-retries", "-1"),
                      ("--backoff-base", "-1"), ("--llm-timeout", "nan"), ("--llm-circuit-failures", "0"),
                      ("--llm-answer-bounds", "tiny")],
)
def test_bad_llm_options_are_one_line_naming_the_option(
    clean_env: Path, seeds_dir: Path, option: str, value: str
) -> None:
    classes = write_classes(clean_env / "sports.txt", ["YoYo"])
    result = askg("--store", str(clean_env / "g.json"), "build", "--classes", str(classes), option, value)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {option} "), result.stderr
    assert not (clean_env / "g.json").exists()


def test_failure_reason_is_printed_once_and_the_final_line_names_the_cause(
    clean_env: Path, seeds_dir: Path, fake_server: FakeOpenAIServer
) -> None:
    fake_server.policy["archery"] = ["401"]
    classes = write_classes(clean_env / "sports.txt", ["YoYo", "Archery"])
    result = askg(*_build(clean_env, fake_server.url, classes), env=_env())
    assert result.returncode == 1
    everything = result.stdout + result.stderr
    assert everything.count("failed: Archery: HTTP 401") == 1
    assert _last_line(result.stderr) == (
        "error: 1 of 2 classes failed (1× HTTP 401 from the LLM server: Error code: 401 - bad key): Archery"
    )


def test_bom_is_not_part_of_the_first_class_name(clean_env: Path, seeds_dir: Path) -> None:
    classes = clean_env / "bom.txt"
    classes.write_bytes("\ufeffYoYo\nbrush_hair\n".encode())
    result = askg("--store", str(clean_env / "g.json"), "build", "--classes", str(classes), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["counts"]["seed"] == 2


def _record(name: str) -> ActionRecord:
    decomposition = Decomposition(objects=[ObjectUse(name="ball [red]", predicate="throws [bold]")],
                                  phases=[PhaseSpec(text="throwing the [blue]ball[/blue]")])
    return ActionRecord.create(name, decomposition, Provenance(source="manual"), datasets=["t"])


def test_names_with_brackets_are_shown_as_written(clean_env: Path) -> None:
    store = clean_env / "g.json"
    EmbeddedStore(store).put_actions([_record("catch [the] ball [red]")])
    result = askg("--store", str(store), "show", "catch [the] ball [red]")
    assert result.returncode == 0, result.stderr
    for text in ("catch [the] ball [red]", "throws [bold] → ball [red]", "throwing the [blue]ball[/blue]"):
        assert text in result.stdout, result.stdout


def test_control_characters_are_refused_by_json_import_too(clean_env: Path) -> None:
    store = clean_env / "g.json"
    EmbeddedStore(store).put_actions([_record("catch ball")])
    exported = clean_env / "export.json"
    assert askg("--store", str(store), "export", "--out", str(exported)).returncode == 0
    text = exported.read_text().replace("throwing the", "throwing\\u0000the")
    exported.write_text(text)
    before = store.read_bytes()
    result = askg("--store", str(store), "import", str(exported), "--format", "json")
    assert result.returncode == 2
    line = _last_line(result.stderr)
    assert str(exported) in line and "control characters" in line
    assert store.read_bytes() == before


@pytest.mark.parametrize(
    "uri, fragment",
    [("bolt://neo4j:hunter22secret@127.0.0.1:7687", "credentials in the URI"), ("bolt://", "no host"),
     ("neo4j://:7687", "no host"), ("bolt://127.0.0.1:99999", "not a valid Neo4j URI")],
)
def test_bad_neo4j_uris_are_one_line_and_never_echo_a_password(clean_env: Path, uri: str, fragment: str) -> None:
    result = askg("--store", uri, "stats")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0]
    assert "hunter22secret" not in result.stderr + result.stdout
