"""`stdd`: train, evaluate and run the STDD video model, and generate the synthetic temporal dataset."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cli.errors import run_app
from cli.getting_started import GETTING_STARTED

app = typer.Typer(name="stdd", help="Train, evaluate and run the STDD video model.", no_args_is_help=True,
                  epilog=GETTING_STARTED, pretty_exceptions_enable=False, add_completion=False)
console = Console(highlight=False, markup=False)  # names and paths are user data, never markup


@app.command("version")
def version_command() -> None:
    """Print the toolkit version."""
    from askg import __version__

    typer.echo(__version__)


@app.command("synth")
def synth_command(
    out: Annotated[Path, typer.Option(help="Output folder.")],
    seed: Annotated[int, typer.Option(help="Random seed of the generator.")] = 0,
    train_per_class: Annotated[int | None, typer.Option(help="Training videos per seen class.")] = None,
    test_per_class: Annotated[int | None, typer.Option(help="Test videos per class (seen and unseen).")] = None,
) -> None:
    """Generate synthetic videos (time-reversed twin classes, held-out combinations), splits and ASKG seeds."""
    from model.synth import SynthSpec, write_synthetic_dataset

    updates = {}
    if train_per_class is not None:
        updates["train_per_class"] = train_per_class
    if test_per_class is not None:
        updates["test_per_class"] = updates["zeroshot_per_class"] = test_per_class
    summary = write_synthetic_dataset(out, SynthSpec().model_copy(update=updates), seed=seed)
    console.print(f"wrote {sum(summary.videos.values())} videos ({summary.videos}) to {out}")
    console.print(f"{len(summary.seen)} seen classes, {len(summary.unseen)} unseen: {', '.join(summary.unseen)}")
    console.print(f"seeds: ASKG_SEEDS_DIR={out / 'graph_seeds'} askg build --classes {out / 'classes.txt'}")


@app.command("synth-clip")
def synth_clip_command(
    data: Annotated[Path, typer.Option(help="A `stdd synth` folder (its frame_captions.json and train videos).")],
    out: Annotated[Path, typer.Option(help="Where to write the pretrained open_clip weights (.pt).")],
    model: Annotated[str, typer.Option(help="open_clip model config to pretrain from random init.")] = "ViT-Tiny-Test",
    steps: Annotated[int, typer.Option(help="Optimiser steps.")] = 400,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    threads: Annotated[int | None, typer.Option(help="CPU threads (default: torch's).")] = None,
) -> None:
    """Pretrain a tiny CLIP on the synthetic training frames' captions (the demo's stand-in for a pretrained CLIP)."""
    from model.synth.clip_pretraining import SynthClipConfig, pretrain_synthetic_clip

    result = pretrain_synthetic_clip(data, out, SynthClipConfig(model=model, steps=steps, seed=seed, threads=threads))
    console.print(
        f"pretrained {model} for {result.steps} steps on {result.train_frames} training frames "
        f"({result.captions} captions) in {result.seconds:.0f} s: caption accuracy {result.train_accuracy:.1%} "
        f"train, {result.test_accuracy:.1%} seen-class test; weights: {result.out}"
    )


@app.command("train")
def train_command(
    config: Annotated[str | None, typer.Option(help="Training config: a YAML file, or a shipped config by name "
                                               "(k400_vitb16_8x16, synthetic_tiny_cpu). Default: the official "
                                               "recipe k400_vitb16_8x16.", show_default=False)] = None,
    overrides: Annotated[list[str] | None, typer.Option("--set", help="Override: key.path=value (YAML value).")] = None,
    resume: Annotated[bool, typer.Option(help="Continue from output_dir/checkpoint.pt exactly.")] = False,
    stop_after_epochs: Annotated[int | None, typer.Option(help="Stop this run after N epochs.")] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Train an STDD model (multi-process: `torchrun --nproc-per-node N -m cli.stdd_app train ...`)."""
    from model.training import load_config, train
    from model.training.config import check_training_data, resolve_config

    path, shipped = resolve_config(config)
    if shipped:
        typer.echo(f"config: the shipped {path.stem} ({path})", err=True)
    cfg = load_config(path, overrides or [])
    check_training_data(cfg)
    result = train(cfg, resume=resume, progress=progress, stop_after_epochs=stop_after_epochs)
    console.print(f"trained {result.epochs} epochs, skipped {result.skipped} videos; model: {result.final_checkpoint}")


@app.command("eval")
def eval_command(
    config: Annotated[Path, typer.Option(help="Config with an `eval:` section (YAML).")],
    checkpoint: Annotated[Path, typer.Option(help="model.pt or checkpoint.pt from `stdd train`.")],
    protocol: Annotated[str | None, typer.Option(help="ucf101, hmdb51, k600 or custom (default: config).")] = None,
    overrides: Annotated[list[str] | None, typer.Option("--set", help="Override: key.path=value.")] = None,
    views: Annotated[str | None, typer.Option(help="Views as TEMPORALxSPATIAL, e.g. 4x3.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    out: Annotated[Path | None, typer.Option(help="Also write the JSON report here.")] = None,
) -> None:
    """Evaluate a checkpoint: top-1/top-5 per split and mean ± std over splits (deterministic)."""
    from model.evaluation import evaluate, load_trained_model
    from model.training import ConfigError, load_config

    extra = list(overrides or [])
    if protocol:
        extra.append(f"eval.protocol={protocol}")
    if views:
        temporal, _, spatial = views.lower().partition("x")
        extra += [f"eval.clip.temporal_views={temporal}", f"eval.clip.spatial_views={spatial or 1}"]
    cfg = load_config(config, extra)
    if cfg.eval is None:
        raise ConfigError(f"{config} has no eval: section")
    model, _ = load_trained_model(checkpoint)
    report = evaluate(model, cfg.eval).to_dict()
    if out is not None:
        out.write_text(json.dumps(report, indent=2) + "\n")
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    table = Table(title=f"{report['protocol']} ({report['views']['temporal']}x{report['views']['spatial']} views)")
    for column in ("split", "videos", "classes", "skipped", "top-1", "top-5"):
        table.add_column(column, justify="left" if column == "split" else "right")
    for split in report["splits"]:
        table.add_row(split["name"], str(split["videos"]), str(split["classes"]), str(split["skipped"]),
                      f"{100 * split['top1']:.1f}", f"{100 * split['top5']:.1f}")
    summary = report["summary"]
    table.add_row("mean ± std", "", "", "", f"{100 * summary['top1_mean']:.1f} ± {100 * summary['top1_std']:.1f}",
                  f"{100 * summary['top5_mean']:.1f} ± {100 * summary['top5_std']:.1f}")
    console.print(table)


@app.command("predict")
def predict_command(
    video: Annotated[Path, typer.Argument(help="Video file.")],
    checkpoint: Annotated[Path, typer.Option(help="model.pt from `stdd train`.")],
    prompts: Annotated[Path, typer.Option(help="Prompts file (askg export-prompts) of the candidate classes.")],
    topk: Annotated[int, typer.Option(min=1)] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Top-k classes of one video."""
    from model.predict import predict_video

    predictions = predict_video(video, checkpoint, prompts, topk)
    if as_json:
        typer.echo(json.dumps({"video": str(video), "predictions": [asdict(p) for p in predictions]}, indent=2))
        return
    table = Table(title=str(video))
    for column in ("rank", "class", "score", "p"):
        table.add_column(column)
    for rank, prediction in enumerate(predictions, start=1):
        table.add_row(str(rank), prediction.name, f"{prediction.score:.3f}", f"{prediction.probability:.3f}")
    console.print(table)


@app.command("explain")
def explain_command(
    video: Annotated[Path, typer.Argument(help="Video file.")],
    checkpoint: Annotated[Path, typer.Option(help="model.pt from `stdd train`.")],
    prompts: Annotated[Path, typer.Option(help="Prompts file (askg export-prompts) of the candidate classes.")],
    classes: Annotated[int, typer.Option(min=1, help="Explain the top K classes.")] = 3,
    out: Annotated[Path | None, typer.Option(help="Output folder (default: explain-<video name>).",
                                             show_default=False)] = None,
    fmt: Annotated[str, typer.Option("--format", help="html (page with the sheets inline, and PNGs) or png.")] = "html",
    reverse: Annotated[bool, typer.Option(help="Also explain the same frames played backwards.")] = False,
    compare_plain: Annotated[bool, typer.Option(help="Add plain CLIP's attention (same weights, STCA off).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the numbers as JSON.")] = False,
) -> None:
    """Why a prediction: frames × prompts similarities with the score's terms marked, and attention maps."""
    from model.explain import ExplainError, explain_video, write_explanation
    from model.explain.output import check_out_dir

    if fmt not in ("html", "png"):
        raise ExplainError(f"--format {fmt!r}: choose html or png")
    target = out or Path(f"explain-{video.stem}")
    check_out_dir(target)
    explanation, images = explain_video(video, checkpoint, prompts, classes, reverse, compare_plain)
    written = write_explanation(explanation, images, target, "html" if fmt == "html" else "png")
    if as_json:
        typer.echo(explanation.model_dump_json(indent=2))
        return
    for explained in explanation.videos:
        table = Table(title=f"{video} ({explained.variant})")
        for column in ("rank", "class", "score", "A: prompt side", "B: frame side"):
            table.add_column(column)
        for rank, item in enumerate(explained.classes, start=1):
            table.add_row(str(rank), item.name, f"{item.score:.3f}", f"{item.prompt_side:.3f}",
                          f"{item.frame_side:.3f}")
        console.print(table)
    console.print("wrote " + ", ".join(str(path) for path in written))


@app.command("report")
def report_command(
    checkpoints: Annotated[list[Path], typer.Argument(help="model.pt files from `stdd train` (e.g. STDD, baseline).")],
    data: Annotated[Path, typer.Option(help="Folder written by `stdd synth`.")],
    prompts: Annotated[Path, typer.Option(help="Prompts file of all synthetic classes.")],
    out: Annotated[Path, typer.Option(help="Report JSON; a PNG is written next to it.")] = Path("report.json"),
    explain: Annotated[bool, typer.Option(help="Also write the explain sheet of the first unseen-class video and "
                                          "its reversal (first checkpoint) into <out>-explain/.")] = True,
) -> None:
    """Temporal-order report on synthetic data: top-1 and reversed-pair accuracy, seen and unseen classes."""
    from model.explain.synthetic import explain_synthetic_video
    from model.synth.report import temporal_report, write_report

    reports = [temporal_report(checkpoint, data, prompts) for checkpoint in checkpoints]
    sheet = None
    if explain:
        sheet = explain_synthetic_video(checkpoints[0], data, prompts, out.with_name(f"{out.stem}-explain"))
    write_report(reports, out, out.with_suffix(".png"), sheet)
    table = Table(title="synthetic temporal-order test (accuracy %, reversed pair: correct twin scored higher)")
    for column in ("model", "split", "videos", "classes", "top-1", "top-5", "reversed pair", "chance top-1"):
        table.add_column(column, justify="left" if column in ("model", "split") else "right")
    for report in reports:
        for split, values in report["splits"].items():
            table.add_row(report["model"], split, str(values["videos"]), str(values["classes"]),
                          f"{100 * values['top1']:.1f}", f"{100 * values['top5']:.1f}",
                          f"{100 * values['reversed_pair']:.1f}", f"{100 * values['chance_top1']:.1f}")
    console.print(table)
    console.print(f"report: {out} and {out.with_suffix('.png')}")
    if sheet is not None:
        console.print(f"explain sheet of {sheet['video']}: {sheet['files'][-2]} (PNGs beside it); "
                      f"{sheet['temporal_prompts']['summary']}")


def _known_errors() -> tuple[type[Exception], ...]:
    from model.data.readers import VideoReadError
    from model.data.splits import SplitFileError
    from model.explain.output import ExplainError
    from model.prompts_file import PromptsFileError
    from model.synth.clip_pretraining import SynthClipError
    from model.training.checkpoint import CheckpointError
    from model.training.config import ConfigError
    from model.training.trainer import TrainingDataError

    # OSError: a read-only or full disk, an output path under a file; the message names the path.
    return (ConfigError, SplitFileError, PromptsFileError, VideoReadError, CheckpointError, TrainingDataError,
            ExplainError, SynthClipError, FloatingPointError, OSError)


def main() -> None:
    try:
        known = _known_errors()
    except ImportError:  # no [model] extra: the command's own import then fails with a one-line error naming it
        known = ()
    run_app(app, known_errors=known)


if __name__ == "__main__":
    main()
