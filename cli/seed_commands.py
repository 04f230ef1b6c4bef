"""`askg seeds check`: coverage of the shipped class lists by the curated seeds, and thresholds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from askg.errors import AskgError
from askg.seed_check import (
    MIN_BODY_PARTS,
    MIN_PHASES,
    MIN_SCENES,
    MIN_STATIC_CONCEPTS,
    concept_counts,
    coverage_reports,
)
from askg.seeds import default_seeds_dir

seeds_app = typer.Typer(help="The curated seed ASKG shipped in graph_seeds/.", no_args_is_help=True)


class SeedCheckFailed(AskgError):
    exit_code = 1


@seeds_app.command("check")
def check_command(
    seeds_dir: Annotated[Path | None, typer.Option("--seeds-dir", help="Default: the shipped graph_seeds/.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every class of every shipped class list has a seed passing the thresholds
    (phases ≥ 3, distinct body parts ≥ 2, scenes ≥ 1, objects + scenes ≥ 3, known body parts)."""
    root = seeds_dir or default_seeds_dir()
    reports = coverage_reports(root)
    ok = all(r.ok for r in reports)
    if as_json:
        typer.echo(json.dumps({
            "ok": ok, "concepts": concept_counts(root),
            "datasets": [{"dataset": r.dataset, "classes": r.classes, "seeded": r.seeded, "missing": r.missing,
                          "failing": r.failing} for r in reports],
        }, indent=2))
    else:
        console = Console(highlight=False, soft_wrap=True)
        table = Table(title=f"seed coverage ({root}); thresholds: phases ≥ {MIN_PHASES}, body parts ≥ "
                            f"{MIN_BODY_PARTS}, scenes ≥ {MIN_SCENES}, static concepts ≥ {MIN_STATIC_CONCEPTS}")
        for column in ("dataset", "classes", "seeded", "missing", "failing"):
            table.add_column(column, justify="left" if column == "dataset" else "right")
        for r in reports:
            table.add_row(r.dataset, str(r.classes), str(r.seeded), str(len(r.missing)), str(len(r.failing)))
        console.print(table)
        counts = concept_counts(root)
        console.print("distinct concepts: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        for r in reports:
            for name in r.missing:
                console.print(f"[red]missing[/] {escape(f'{r.dataset}: {name}')}")
            for name, problems in r.failing.items():
                console.print(f"[red]failing[/] {escape(f'{r.dataset}: {name}: ' + '; '.join(problems))}")
    if not ok:
        raise SeedCheckFailed("seed check failed: see the report above")
