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
from askg.seed_strict import StrictReport, strict_check
from askg.seeds import default_seeds_dir

seeds_app = typer.Typer(help="The curated seed ASKG shipped in graph_seeds/.", no_args_is_help=True)


class SeedCheckFailed(AskgError):
    exit_code = 1


@seeds_app.command("check")
def check_command(
    seeds_dir: Annotated[Path | None, typer.Option("--seeds-dir", help="Default: the shipped graph_seeds/.")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Also check every rule of SEED_FORMAT.md a program "
                                                          "can check, on every seed (as CI does).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every class of every shipped class list has a seed passing the thresholds
    (phases ≥ 3, distinct body parts ≥ 2, scenes ≥ 1, objects + scenes ≥ 3 or, with no objects,
    poses ≥ 2, known body parts); with --strict, every seed follows the rules of SEED_FORMAT.md."""
    root = seeds_dir or default_seeds_dir()
    reports = coverage_reports(root)
    strict_report = strict_check(root) if strict else None
    ok = all(r.ok for r in reports) and (strict_report is None or strict_report.ok)
    if as_json:
        document: dict[str, object] = {
            "ok": ok, "concepts": concept_counts(root),
            "datasets": [{"dataset": r.dataset, "classes": r.classes, "seeded": r.seeded, "missing": r.missing,
                          "failing": r.failing} for r in reports],
        }
        if strict_report is not None:
            document["strict"] = strict_report.as_json()
        typer.echo(json.dumps(document, indent=2))
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
        if strict_report is not None:
            _print_strict(console, strict_report)
    if not ok:
        raise SeedCheckFailed("seed check failed: see the report above")


def _print_strict(console: Console, report: StrictReport) -> None:
    for label, found in sorted(report.problems.items()):
        for rule, problem in found:
            console.print(f"[red]strict[/] {escape(f'{label}: [{rule}] {problem}')}", markup=True)
    table = Table(title=f"strict rules over {report.seeds} seeds")
    table.add_column("rule")
    table.add_column("failing seeds", justify="right")
    for rule, count in report.counts().items():
        table.add_row(rule, str(count))
    table.add_row("any rule", str(len(report.problems)))
    console.print(table)
