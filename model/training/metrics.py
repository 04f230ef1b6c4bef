"""Training metrics: one JSON object per line, and a PNG of the curves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class JsonlLogger:
    def __init__(self, path: str | Path, enabled: bool = True, append: bool = False) -> None:
        self.path = Path(path)
        self.enabled = enabled
        if enabled:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not append:
                self.path.write_text("")

    def log(self, record: dict[str, Any]) -> None:
        if self.enabled:
            with self.path.open("a") as stream:
                stream.write(json.dumps(record, sort_keys=True) + "\n")


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def plot_metrics(jsonl: str | Path, png: str | Path) -> Path:
    """Step losses and learning rate, and per-epoch train accuracy (and eval accuracy where logged)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records = read_jsonl(jsonl)
    steps = [r for r in records if r.get("kind") == "step"]
    epochs = [r for r in records if r.get("kind") == "epoch"]
    figure, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    for key in ("loss", "classification", "distillation"):
        axes[0].plot([r["step"] for r in steps], [r[key] for r in steps], label=key)
    axes[0].set(title="loss", xlabel="optimizer step")
    axes[0].legend()
    axes[1].plot([r["step"] for r in steps], [r["lr"] for r in steps])
    axes[1].set(title="learning rate", xlabel="optimizer step")
    axes[2].plot([r["epoch"] for r in epochs], [r["train_top1"] for r in epochs], marker="o", label="train top-1")
    evaluated = [r for r in epochs if "eval_top1" in r]
    if evaluated:
        axes[2].plot([r["epoch"] for r in evaluated], [r["eval_top1"] for r in evaluated], marker="s",
                     label="eval top-1")
    axes[2].set(title="accuracy", xlabel="epoch", ylim=(0, 1))
    axes[2].legend()
    figure.tight_layout()
    png = Path(png)
    figure.savefig(png, dpi=110)
    plt.close(figure)
    return png
