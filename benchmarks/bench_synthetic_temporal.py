"""STDD (STCA on) vs. the same model with STCA off (per-frame CLIP + frame averaging) on `stdd synth` data.

`python -m benchmarks.bench_synthetic_temporal [--out DIR] [--seed N] [--epochs E]`

Both models: ViT-Tiny-Test from random init, the recipe of model/configs/train/synthetic_tiny_cpu.yaml, same
seed, same data. Measures top-1 and reversed-pair accuracy (is the correct class scored above its
time-reversed twin?) on held-out videos of the seen classes and on the unseen (zero-shot) combinations.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from model.synth import SynthSpec, write_synthetic_dataset
from model.synth.report import temporal_report, write_report
from model.training import load_config, train

CONFIG = Path("model/configs/train/synthetic_tiny_cpu.yaml")
BASELINE = ["model.stca.mask_rate=0", "model.stca.temporal_scales=[0]"]


def askg(*args: str, seeds: Path) -> None:
    env = {**os.environ, "ASKG_SEEDS_DIR": str(seeds)}
    subprocess.run([sys.executable, "-m", "cli.askg_app", *args], check=True, env=env, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("demo-output/bench-temporal"))
    parser.add_argument("--seed", type=int, default=0, help="seed of the data and of both trainings")
    parser.add_argument("--epochs", type=int, default=None, help="default: the config's")
    parser.add_argument("--train-per-class", type=int, default=None)
    parser.add_argument("--set", dest="overrides", action="append", default=[], help="config override (both models)")
    parser.add_argument("--models", default="stdd,baseline", help="comma-separated subset of stdd,baseline")
    args = parser.parse_args()
    out: Path = args.out
    data, prompts = out / "synth", out / "synth-prompts.json"
    started = time.perf_counter()
    spec = SynthSpec() if args.train_per_class is None else SynthSpec(train_per_class=args.train_per_class)
    previous = json.loads((data / "synth.json").read_text()) if (data / "synth.json").is_file() else None
    if previous is None or previous["seed"] != args.seed or previous["spec"] != spec.model_dump(mode="json"):
        write_synthetic_dataset(data, spec, seed=args.seed)  # else reuse the same data from an earlier run
    askg("--store", str(out / "graph.json"), "build", "--classes", str(data / "classes.txt"),
         seeds=data / "graph_seeds")
    askg("--store", str(out / "graph.json"), "export-prompts", "--classes", str(data / "classes.txt"),
         "--out", str(prompts), seeds=data / "graph_seeds")
    print(f"data + prompts: {time.perf_counter() - started:.0f} s", flush=True)
    common = [f"seed={args.seed}", f"data.root={data}", f"data.train_split={data / 'splits' / 'train.csv'}",
              f"data.prompts={prompts}"]
    common += args.overrides
    if args.epochs is not None:
        common.append(f"optim.epochs={args.epochs}")
    reports, seconds = [], {}
    variants = {"stdd": [], "baseline": BASELINE}
    for name in args.models.split(","):
        extra = variants[name]
        config = load_config(CONFIG, [*common, *extra, f"output_dir={out / ('run-' + name)}"])
        started = time.perf_counter()
        result = train(config, progress=False)
        seconds[name] = time.perf_counter() - started
        print(f"trained {name}: {result.epochs} epochs in {seconds[name]:.0f} s", flush=True)
        report = temporal_report(result.final_checkpoint, data, prompts)
        report["train_seconds"], report["epochs"], report["seed"] = seconds[name], result.epochs, args.seed
        reports.append(report)
    write_report(reports, out / "report.json", out / "report.png")
    print(f"\n{'model':<18} {'split':<20} {'top-1':>7} {'top-5':>7} {'rev. pair':>10} {'chance':>7}")
    for report in reports:
        for split, values in report["splits"].items():
            print(f"{report['model']:<18} {split:<20} {100 * values['top1']:>6.1f}% {100 * values['top5']:>6.1f}% "
                  f"{100 * values['reversed_pair']:>9.1f}% {100 * values['chance_top1']:>6.1f}%")
    print(f"\nreport: {out / 'report.json'}, {out / 'report.png'}")
    print(json.dumps({name: round(value) for name, value in seconds.items()}))


if __name__ == "__main__":
    main()
