"""`askg`: build, import, export, inspect and browse the Action Semantic Knowledge Graph."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from askg.errors import InputError
from askg.schema import ActionRecord
from askg.transfer import ExportFormat, ImportFormat, export_graph, import_graph
from cli import browse_commands, build_commands, prompt_commands
from cli.errors import run_app
from cli.getting_started import GETTING_STARTED
from cli.seed_commands import seeds_app
from cli.store_context import StoreContext, store_context

app = typer.Typer(
    name="askg",
    help="The Action Semantic Knowledge Graph: build it from class names, import/export it, browse it.",
    no_args_is_help=True, epilog=GETTING_STARTED,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console(highlight=False, soft_wrap=True)

StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        envvar="ASKG_STORE",
        help="A Neo4j URI (bolt://…, neo4j://…) or the path of an embedded store file. "
        "Default: NEO4J_URI if set, else ~/.local/share/askg/graph.json.",
        show_default=False,
    ),
]


@app.callback()
def main_options(ctx: typer.Context, store: StoreOption = None) -> None:
    """Global options. Neo4j credentials come from NEO4J_USER / NEO4J_PASSWORD / NEO4J_DATABASE (or .env)."""
    ctx.obj = StoreContext(store)


@app.command("import")
def import_command(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="File to import.")],
    fmt: Annotated[ImportFormat, typer.Option("--format", help="stdd-askg: official STDD classes_ASKG_*.yml; "
                                                               "json: an `askg export` file.")],
    dataset: Annotated[str | None, typer.Option(help="Dataset tag for imported actions (stdd-askg: "
                                                     "default from the file name).")] = None,
) -> None:
    """Import a graph file. The whole file is validated before anything is written."""
    with store_context(ctx).open() as store:
        summary = import_graph(store, path, fmt, dataset)
        description = store.description
    for warning in summary.warnings:
        console.print(f"[yellow]warning[/]: {escape(warning)}", markup=True)
    console.print(f"imported {summary.actions} actions from {path} into {description}", markup=False)


@app.command("export")
def export_command(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="Output file (written atomically).")],
    fmt: Annotated[ExportFormat, typer.Option("--format", help="json (re-importable) or graphml.")] = ExportFormat.json,
) -> None:
    """Export the whole graph, actions sorted by id: the same graph gives the same file on any store."""
    with store_context(ctx).open() as store:
        count = export_graph(store, out, fmt)
    console.print(f"exported {count} actions to {out}", markup=False)


@app.command("stats")
def stats_command(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False
) -> None:
    """Node counts by label and relationship counts by type."""
    with store_context(ctx).open() as store:
        stats = store.stats()
        description = store.description
    if as_json:
        typer.echo(json.dumps({"store": description, **stats.model_dump()}, indent=2))
        return
    table = Table(title=f"ASKG in {description}")
    table.add_column("kind")
    table.add_column("name")
    table.add_column("count", justify="right")
    for label, count in stats.nodes.items():
        table.add_row("node", label, str(count))
    for rel, count in stats.relationships.items():
        table.add_row("relationship", rel, str(count))
    console.print(table)


@app.command("show")
def show_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Action class name (any spelling).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the action record as JSON.")] = False,
) -> None:
    """Show one action's subgraph as a tree."""
    with store_context(ctx).open() as store:
        record = store.get_action(name)
        description = store.description
    if record is None:
        raise InputError(f"action {name!r} is not in {description}")
    if as_json:
        typer.echo(record.model_dump_json(indent=2))
        return
    console.print(action_tree(record))


def action_tree(record: ActionRecord) -> Tree:
    prov = record.provenance
    origin = ", ".join(f"{k}={v}" for k, v in prov.model_dump().items() if v not in (None, False))
    # Everything from the record is user data: escaped, so "[red]" or "[…]" in a name is shown as written.
    tree = Tree(f"[bold]{escape(record.name)}[/]  [dim]({escape(origin)})[/]")
    if record.aliases or record.datasets:
        aliases, datasets = ", ".join(record.aliases) or "-", ", ".join(record.datasets) or "-"
        tree.add(escape(f"aliases: {aliases}; datasets: {datasets}"))
    objects = tree.add("[cyan]USES[/]")
    for use in record.objects:
        objects.add(escape(f"{use.predicate} → {use.name}"))
    scenes = tree.add("[cyan]IN_SCENE[/]")
    for scene in record.scenes:
        scenes.add(escape(scene))
    relations = tree.add("[cyan]RELATES[/]")
    for rel in record.object_relations:
        ends = [f"{escape(n)} [dim](scene)[/]" if record.endpoint_label(n) == "Scene" else escape(n)
                for n in (rel.subject, rel.object)]
        relations.add(f"{ends[0]} –{escape(rel.predicate)}→ {ends[1]}")
    poses = tree.add("[cyan]SHOWS[/]")
    for pose in record.poses:
        poses.add(escape(f"{pose.body_part}: {pose.pose}"))
    phases = tree.add("[cyan]HAS_PHASE[/] (in order, NEXT between)")
    for order, phase in enumerate(record.phases, start=1):
        node = phases.add(escape(f"{order}. {phase.text}"))
        for motion in phase.motions:
            node.add(escape(f"MOVES {motion.body_part}: {motion.motion}"))
        if phase.handles:
            node.add(escape(f"HANDLES {', '.join(phase.handles)}"))
    return tree


prompt_commands.register(app)
browse_commands.register(app)
app.add_typer(seeds_app, name="seeds")
build_commands.register(app)


def main() -> None:
    # The Neo4j driver logs each transaction retry as a warning; the outcome is reported in one line.
    logging.getLogger("neo4j").setLevel(logging.ERROR)
    run_app(app, known_errors=(OSError,))  # e.g. an --out in a read-only folder: one line, exit 4


if __name__ == "__main__":
    main()
