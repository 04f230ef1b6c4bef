"""`askg build` and `askg dedup` (registered on the askg app by `register`)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from askg.builder import DEFAULT_CONCURRENCY, DEFAULT_MODEL, Builder, BuildOptions, BuildSummary, ClassOutcome
from askg.class_lists import read_class_lists, resolve_class_list
from askg.errors import AskgError, InputError
from askg.llm.cache import ResponseCache, default_cache_dir
from askg.llm.circuit import DEFAULT_MAX_FAILURES, DEFAULT_WINDOW_S
from askg.llm.client import DecompositionClient, LLMConfig
from askg.llm.instructions import PROMPT_VERSION, Instructions, body_part_vocabulary
from askg.seeds import Seed, default_seeds_dir, load_seeds
from askg.settings import AskgSettings
from askg.store import GraphStore
from askg.vocabulary import load_vocabulary
from cli.store_context import store_context

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


class BuildFailedError(AskgError):
    exit_code = 1


class LLMUnreachableError(AskgError):
    exit_code = 3


OPTION_OF_FIELD = {
    "model": "--llm-model", "timeout_s": "--llm-timeout", "max_retries": "--llm-retries",
    "max_invalid": "--llm-invalid-retries", "backoff_base_s": "--backoff-base", "backoff_max_s": "--backoff-max",
    "circuit_failures": "--llm-circuit-failures", "circuit_window_s": "--llm-circuit-window",
    "answer_bounds": "--llm-answer-bounds",
}


def _llm_config(
    settings: AskgSettings,
    base_url: str | None,
    model: str,
    timeout: float,
    retries: int,
    invalid: int,
    backoff: float,
    backoff_max: float,
    circuit_failures: int = DEFAULT_MAX_FAILURES,
    circuit_window: float = DEFAULT_WINDOW_S,
    answer_bounds: str = "standard",
) -> LLMConfig | None:
    """The LLM to ask, or None when neither a base URL nor an API key is configured. The options are
    checked either way (a bad value is a one-line error naming the option)."""
    url = base_url or settings.openai_base_url
    body_parts = body_part_vocabulary(default_seeds_dir())
    values = {
        "model": model, "base_url": url, "api_key": settings.openai_api_key, "timeout_s": timeout,
        "max_retries": retries, "max_invalid": invalid, "backoff_base_s": backoff, "backoff_max_s": backoff_max,
        "circuit_failures": circuit_failures, "circuit_window_s": circuit_window, "prompt_version": PROMPT_VERSION,
        "body_parts": body_parts, "answer_bounds": answer_bounds,
    }
    try:
        config = LLMConfig.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else ""
        option = OPTION_OF_FIELD.get(field, field)
        raise InputError(f"{option} {values.get(field)!r}: {first['msg'].lower()}") from None
    if url is None and settings.openai_api_key is None:
        return None
    return config


def build_command(
    ctx: typer.Context,
    classes: Annotated[
        list[Path],
        typer.Option(
            "--classes", help="Class list: .txt (one per line) or a JSON index→class map. Repeatable."
        ),
    ],
    dataset: Annotated[str | None, typer.Option(help="Dataset tag (default: the class file's stem).")] = None,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Rebuild actions already in the store (also curated ones).")
    ] = False,
    no_seeds: Annotated[bool, typer.Option("--no-seeds", help="Ignore the curated seeds.")] = False,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Do not read cached answers (still writes).")
    ] = False,
    llm_base_url: Annotated[
        str | None,
        typer.Option(help="OpenAI-compatible base URL (…/v1). Env: OPENAI_BASE_URL.", show_default=False),
    ] = None,
    llm_model: Annotated[
        str | None,
        typer.Option(help=f"Model name. Env or .env: ASKG_LLM_MODEL; else {DEFAULT_MODEL}.", show_default=False),
    ] = None,
    llm_timeout: Annotated[float, typer.Option(help="Seconds per request.")] = 60.0,
    llm_retries: Annotated[
        int, typer.Option(help="Retries per request on 429/5xx/timeouts/connection errors.")
    ] = 6,
    llm_invalid_retries: Annotated[
        int, typer.Option(help="Extra answers asked for after an invalid one.")
    ] = 3,
    backoff_base: Annotated[float, typer.Option(help="First backoff ceiling in seconds (doubles).")] = 1.0,
    backoff_max: Annotated[float, typer.Option(help="Largest backoff in seconds.")] = 60.0,
    llm_circuit_failures: Annotated[
        int, typer.Option(help="Stop asking after this many consecutive failures to connect (across classes).")
    ] = DEFAULT_MAX_FAILURES,
    llm_circuit_window: Annotated[
        float, typer.Option(help="…or after failures to connect for this many seconds without one success.")
    ] = DEFAULT_WINDOW_S,
    llm_answer_bounds: Annotated[
        str,
        typer.Option(help="Bounds the answer schema puts on strings and lists: 'standard' (room for a curated "
                     "seed's content) or 'compact' (short, for small grammar-constrained models such as "
                     "SmolLM2-135M)."),
    ] = "standard",
    concurrency: Annotated[
        int, typer.Option(min=1, max=256, help="LLM requests in flight.")
    ] = DEFAULT_CONCURRENCY,
    cache_dir: Annotated[
        Path | None, typer.Option(help="Answer cache (default ~/.cache/askg/llm).", show_default=False)
    ] = None,
    dedup: Annotated[bool, typer.Option("--dedup", help="Merge near-duplicate concepts at the end.")] = False,
    dedup_threshold: Annotated[float, typer.Option(help="Cosine threshold for --dedup.")] = 0.9,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON on stdout.")] = False,
) -> None:
    """Build the ASKG for class lists: store > curated seed > answer cache > LLM, per class."""
    settings = AskgSettings()
    model = llm_model or settings.askg_llm_model or DEFAULT_MODEL
    resolved = [resolve_class_list(path) for path in classes]
    for typed, found in zip(classes, resolved, strict=True):
        if found.shipped:
            typer.echo(f"{typed}: not a file here; using the shipped class list {found.path}", err=True)
    pairs, duplicates = read_class_lists([found.path for found in resolved], dataset)
    seeds: dict[str, Seed] = {} if no_seeds else load_seeds(default_seeds_dir())
    config = _llm_config(
        settings,
        llm_base_url,
        model,
        llm_timeout,
        llm_retries,
        llm_invalid_retries,
        backoff_base,
        backoff_max,
        llm_circuit_failures,
        llm_circuit_window,
        llm_answer_bounds,
    )
    cache = ResponseCache(cache_dir or default_cache_dir())
    with store_context(ctx).open() as store, _progress(len(pairs), as_json) as progress:
        store.check_writable()  # before any LLM work, not after it
        if config is not None:
            cache.check_writable()
        task = progress.add_task("building", total=len(pairs))

        def advance(outcome: ClassOutcome) -> None:
            progress.advance(task)  # failure reasons are printed once, in the report

        options = BuildOptions(
            dataset=pairs[0][1],
            rebuild=rebuild,
            concurrency=concurrency,
            read_cache=not no_cache,
            instructions=config.instructions if config else Instructions(
                model=model, body_parts=body_part_vocabulary(default_seeds_dir())
            ),
        )
        client = DecompositionClient(config) if config else None
        vocabulary = load_vocabulary(default_seeds_dir())
        builder = Builder(store, seeds, cache, client, options, on_outcome=advance, vocabulary=vocabulary)
        summary = builder.build_items(pairs, duplicates)
        if dedup:
            _run_dedup(
                store, dedup_threshold, apply=True, as_json=False, out=err_console if as_json else console
            )
    _report(summary, as_json)
    if summary.stopped:
        built = summary.classes - len(summary.failed)
        raise LLMUnreachableError(
            f"{summary.stopped}; stopped asking: {len(summary.failed)} of {summary.classes} classes not built, "
            f"{built} built and kept (re-run to resume)"
        )
    if summary.failed:
        missing = summary.missing_llm
        if missing and len(missing) == len(summary.failed):
            raise InputError(
                f"no LLM configured (--llm-base-url / OPENAI_BASE_URL / OPENAI_API_KEY) and no "
                f"seed for {len(missing)} classes: {_names(missing)}"
            )
        reasons = Counter(f.reason or "unknown" for f in summary.failed)
        cause, times = reasons.most_common(1)[0]
        more = f" and {len(reasons) - 1} other causes" if len(reasons) > 1 else ""
        raise BuildFailedError(
            f"{len(summary.failed)} of {summary.classes} classes failed ({times}× {cause}{more}): "
            f"{_names([f.class_name for f in summary.failed])}"
        )


def _names(names: list[str], shown: int = 20) -> str:
    listed = ", ".join(names[:shown])
    return listed + (f" and {len(names) - shown} more (listed above)" if len(names) > shown else "")


def _progress(total: int, quiet: bool) -> Progress:
    return Progress(
        TextColumn("[bold]askg build[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        disable=quiet,
        transient=False,
    )


def _report(summary: BuildSummary, as_json: bool) -> None:
    if as_json:
        typer.echo(summary.model_dump_json(indent=2))
        return
    for duplicate in summary.duplicates:
        console.print(f"duplicate class (reported once, skipped): {duplicate}", markup=False)
    table = Table(title=f"askg build → {summary.store}")
    table.add_column("from")
    table.add_column("classes", justify="right")
    for origin, count in summary.counts.items():
        table.add_row(origin, str(count))
    table.add_row("total", str(summary.classes))
    console.print(table)
    console.print(
        f"LLM requests: {summary.llm_requests} (retries {summary.llm_retries}, invalid answers "
        f"{summary.llm_invalid_answers}); {summary.wall_s:.1f} s",
        markup=False,
    )
    for failed in summary.failed:
        console.print(f"failed: {failed.class_name}: {failed.reason}", markup=False)


def dedup_command(
    ctx: typer.Context,
    threshold: Annotated[float, typer.Option(help="Cosine similarity at or above which names merge.")] = 0.9,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List the proposed merges; change nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
) -> None:
    """Merge near-duplicate Object / Scene / BodyPart names across actions (sentence embeddings)."""
    with store_context(ctx).open() as store:
        _run_dedup(store, threshold, apply=not dry_run, as_json=as_json)


def _run_dedup(
    store: GraphStore, threshold: float, apply: bool, as_json: bool, out: Console = console
) -> None:
    from askg.dedup import apply_dedup, plan_dedup
    records = store.get_actions()
    plan = plan_dedup(records, threshold, vocabulary=load_vocabulary(default_seeds_dir()))
    changed = apply_dedup(store, records, plan) if apply else 0
    if as_json:
        typer.echo(json.dumps({"applied": apply, "changed_actions": changed, **plan.model_dump()}, indent=2))
        return
    table = Table(title=f"concept merges at cosine ≥ {threshold:g}" + ("" if apply else " (dry run)"))
    for column in ("label", "canonical", "merged (cosine)"):
        table.add_column(column)
    for merge in plan.merges:
        merged = ", ".join(f"{n} ({s:.3f})" for n, s in merge.similarity.items())
        table.add_row(merge.label, escape(merge.canonical), escape(merged))
    out.print(table)
    counts = "; ".join(
        f"{k}: {plan.distinct_before[k]} → {plan.distinct_after[k]}" for k in plan.distinct_before
    )
    verb = f"applied, {changed} actions rewritten" if apply else "dry run, nothing changed"
    out.print(f"{len(plan.merges)} merges ({verb}); distinct concepts {counts}", markup=False)


def register(app: typer.Typer) -> None:
    app.command("build")(build_command)
    app.command("dedup")(dedup_command)
