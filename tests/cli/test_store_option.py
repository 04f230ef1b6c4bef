"""`--store` and `ASKG_STORE` reach every `askg` command that uses the graph (one StoreContext, one way).

Each command runs against a real embedded store file at a path of its own while the default store (in
the test's XDG_DATA_HOME) stays empty: a command that ignored `--store` would find nothing, or write
the default file.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.main import get_command
from typer.testing import CliRunner

from askg.schema import ActionRecord, Provenance
from askg.settings import default_store_path
from askg.store.embedded import EmbeddedStore
from cli.askg_app import app
from cli.store_context import StoreContext, store_context

runner = CliRunner()
ACTION = "tiny action"
SEEDED_CLASS = "abseiling"  # a class of the shipped seeds: `askg build` needs no LLM for it


def tiny_store(path: Path) -> Path:
    """One action with one name per concept label (so `askg dedup` needs no embedding model)."""
    record = ActionRecord(
        id=ACTION, name=ACTION, objects=[{"name": "rope", "predicate": "holds"}], scenes=["cliff"],
        poses=[{"body_part": "hands", "pose": "grip the rope"}], phases=[{"text": "lower down the cliff"}],
        provenance=Provenance(source="import"),
    )
    with EmbeddedStore(path) as store:
        store.put_actions([record])
    return path


def class_list(folder: Path, name: str) -> Path:
    path = folder / "classes.txt"
    path.write_text(name + "\n")
    return path


def _stats(store: Path, out: str, work: Path) -> None:
    stats = json.loads(out)
    assert stats["store"] == f"embedded store {store}" and stats["nodes"]["Action"] == 1


def _show(store: Path, out: str, work: Path) -> None:
    assert json.loads(out)["id"] == ACTION


def _export(store: Path, out: str, work: Path) -> None:
    assert "exported 1 actions" in out
    assert [a["id"] for a in json.loads((work / "graph.json").read_text())["actions"]] == [ACTION]


def _import(store: Path, out: str, work: Path) -> None:
    assert str(store) in out
    with EmbeddedStore(store) as graph:
        assert set(graph.action_ids()) == {ACTION, "imported action"}


def _export_prompts(store: Path, out: str, work: Path) -> None:
    prompts = json.loads((work / "prompts-out.json").read_text())
    assert [c["name"] for c in prompts["classes"]] == [ACTION] and prompts["classes"][0]["spatial"]


def _dedup(store: Path, out: str, work: Path) -> None:
    assert json.loads(out)["distinct_before"] == {"Object": 1, "Scene": 1, "BodyPart": 1}


def _curate(store: Path, out: str, work: Path) -> None:
    assert f"marked 1 action(s) curated in embedded store {store}" in out
    with EmbeddedStore(store) as graph:
        assert graph.get_actions([ACTION])[0].provenance.curated


def _build(store: Path, out: str, work: Path) -> None:
    assert json.loads(out)["store"] == f"embedded store {store}"
    with EmbeddedStore(store) as graph:
        assert SEEDED_CLASS in graph.action_ids()


Check = Callable[[Path, str, Path], None]
# command -> (its arguments after the command name, the check of its output)
COMMANDS: dict[str, tuple[list[str], Check]] = {
    "stats": (["--json"], _stats),
    "show": ([ACTION, "--json"], _show),
    "export": (["--out", "graph.json"], _export),
    "import": (["imported.json", "--format", "json"], _import),
    "export-prompts": (["--classes", "classes.txt", "--out", "prompts-out.json", "--json"], _export_prompts),
    "dedup": (["--dry-run", "--json"], _dedup),
    "curate": ([ACTION], _curate),
    "build": (["--classes", "build-classes.txt", "--json"], _build),
}
NOT_USING_THE_STORE = {"seeds"}


@pytest.fixture
def work(clean_env: Path) -> Path:
    """A store at a path of its own, the input files the commands read, and an empty default store."""
    tiny_store(clean_env / "graph-a.json")
    class_list(clean_env, ACTION)
    (clean_env / "build-classes.txt").write_text(SEEDED_CLASS + "\n")
    other = tiny_store(clean_env / "other.json")
    with EmbeddedStore(other) as graph:
        record = graph.get_actions([ACTION])[0].model_copy(update={"id": "imported action", "name": "imported action"})
        graph.delete_actions([ACTION])
        graph.put_actions([record])
    assert runner.invoke(app, ["--store", str(other), "export", "--out", "imported.json"]).exit_code == 0
    return clean_env


def test_every_command_is_covered() -> None:
    """A new command that uses the graph must be added here (and take the store from the StoreContext)."""
    group = get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    assert set(group.commands) == {*COMMANDS, "browse", *NOT_USING_THE_STORE}


@pytest.mark.parametrize("how", ["option", "env"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_store_reaches_the_command(work: Path, command: str, how: str) -> None:
    store = work / "graph-a.json"
    args, check = COMMANDS[command]
    if how == "option":
        result = runner.invoke(app, ["--store", str(store), command, *args], env={"COLUMNS": "200"})
    else:
        result = runner.invoke(app, [command, *args], env={"ASKG_STORE": str(store), "COLUMNS": "200"})
    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"
    check(store, result.stdout, work)
    assert not default_store_path().exists(), "the command wrote the default store"


@pytest.mark.parametrize("how", ["option", "env"])
def test_store_reaches_browse(clean_env: Path, how: str) -> None:
    uri = "bolt://graph.example:7999"
    args = ["browse", "--json"]
    result = (runner.invoke(app, ["--store", uri, *args]) if how == "option"
              else runner.invoke(app, args, env={"ASKG_STORE": uri}))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["bolt_uri"] == uri


def test_the_option_wins_over_the_environment(work: Path) -> None:
    empty = work / "empty.json"
    env = {"ASKG_STORE": str(work / "graph-a.json")}
    result = runner.invoke(app, ["--store", str(empty), "stats", "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["store"] == f"embedded store {empty}"


def test_store_context_outside_the_app_is_the_configured_default(clean_env: Path) -> None:
    ctx = typer.Context(get_command(app))  # no callback ran: nothing on the context
    assert store_context(ctx) == StoreContext()
    assert store_context(ctx).location() == str(default_store_path())
