"""`askg export-prompts`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from askg.class_lists import shipped_class_lists
from askg.dataset_actions import DatasetView
from askg.errors import InputError
from askg.prompts.document import json_schema_text, prompt_stats
from askg.prompts.export import PromptFormat, build_export, export_text, select_class_names, write_export
from cli.store_context import store_context

DEFAULT_PROMPTS_FILE = Path("prompts.json")


def register(app: typer.Typer) -> None:
    console = Console(highlight=False, soft_wrap=True)

    @app.command("export-prompts")
    def export_prompts_command(
        ctx: typer.Context,
        out: Annotated[Path | None, typer.Option("--out", help="Output file (written atomically); - for stdout. "
                                                 "Default ./prompts.json, never replaced without --force.",
                                                 show_default=False)] = None,
        force: Annotated[bool, typer.Option("--force", help="Replace an existing ./prompts.json (the default "
                                            "--out).")] = False,
        classes: Annotated[Path | None, typer.Option("--classes", help="Class list (txt or JSON index map): "
                                                     "these classes, in this order.")] = None,
        dataset: Annotated[str | None, typer.Option("--dataset", help="A shipped class list: "
                                                    f"{', '.join(shipped_class_lists())}.")] = None,
        fmt: Annotated[PromptFormat, typer.Option("--format", help="json (for `stdd`) or stdd-xprompt "
                                                  "(official classes_xprompt_*.yml shape).")] = PromptFormat.json,
        allow_missing: Annotated[bool, typer.Option("--allow-missing", help="Write label-only entries for "
                                                    "classes not in the graph instead of failing.")] = False,
        stats: Annotated[bool, typer.Option("--stats", help="Print prompts per class (min/median/max).")] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
        schema: Annotated[bool, typer.Option("--schema", help="Print the JSON Schema of the prompts file and exit.")]
        = False,
    ) -> None:
        """Compile spatial and temporal prompts from the graph: same graph, byte-identical file."""
        if schema:
            typer.echo(json_schema_text(), nl=False)
            return
        if out is None:
            out = DEFAULT_PROMPTS_FILE
            if out.exists() and not force:
                raise InputError(f"{out} exists: pass --force to replace it, or --out another file")
        names = select_class_names(classes, dataset)
        # a class list's dataset (--dataset, or the class file's name as in `askg build`) picks its
        # dataset-specific actions ("punch (hmdb51)") over the generic ones
        tag = dataset or (classes.stem if classes is not None else None)
        with store_context(ctx).open() as store:
            export = build_export(DatasetView(store, tag), names, allow_missing=allow_missing)
        if str(out) == "-":
            typer.echo(export_text(export, fmt), nl=False)
            return
        write_export(export, out, fmt)
        kinds = prompt_stats(export.document)
        summary = {
            "out": str(out), "format": fmt.value, "classes": len(export.document.classes),
            "missing": export.missing, "template_version": export.document.template_version,
            "graph_hash": export.document.graph_hash,
            "prompts_per_class": {k: v.model_dump() for k, v in kinds.items()},
        }
        if as_json:
            typer.echo(json.dumps(summary, indent=2))
            return
        counts = {kind: sum(len(getattr(c, kind)) for c in export.document.classes) for kind in ("spatial", "temporal")}
        console.print(f"wrote {summary['classes']} classes to {out.resolve()} ({fmt.value}, "
                      f"{summary['template_version']}): {counts['spatial']} spatial and {counts['temporal']} "
                      "temporal prompts", markup=False)
        if export.missing:
            console.print(f"[yellow]{len(export.missing)} classes not in the graph, label-only:[/] "
                          + escape(", ".join(export.missing)))
        if stats:
            table = Table(title="prompts per class")
            for column in ("kind", "min", "median", "max"):
                table.add_column(column, justify="right" if column != "kind" else "left")
            for kind, value in kinds.items():
                table.add_row(kind, str(value.min), f"{value.median:g}", str(value.max))
            console.print(table)
