"""Training metrics: one JSON object per line, and a PNG of the curves."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


class JsonlLogger:
    """Records are held until `commit` (called once an epoch's checkpoint is about to be saved), so the
    file only ever describes completed epochs: a run that fails before its first epoch completes leaves
    an earlier run's file as it was. A fresh run replaces the file at its first commit; a resumed run
    first drops records past the checkpoint it resumes from (`trim_to_step`), then appends."""

    def __init__(self, path: str | Path, enabled: bool = True, append: bool = False) -> None:
        self.path = Path(path)
        self.enabled = enabled
        self.fresh = not append
        self.pending: list[dict[str, Any]] = []

    def log(self, record: dict[str, Any]) -> None:
        if self.enabled:
            self.pending.append(record)

    def commit(self) -> None:
        if not self.enabled:
            return
        lines = "".join(json.dumps(record, sort_keys=True) + "\n" for record in self.pending)
        if self.fresh:
            _atomic_write_text(self.path, lines)
            self.fresh = False
        elif lines:
            try:
                with self.path.open("a") as stream:
                    stream.write(lines)
            except OSError as error:  # a torn last line is dropped by read_jsonl and trimmed on resume
                raise OSError(f"cannot write {self.path}: {error.strerror or error}") from None
        self.pending = []

    def trim_to_step(self, step: int, epoch: int) -> None:
        """Drop records a killed run wrote after the checkpoint at (`epoch`, `step`) it resumes from."""
        if not self.enabled or not self.path.is_file():
            return
        kept = [record for record in read_jsonl(self.path)
                if record.get("step", 0) <= step and record.get("epoch", 0) <= epoch]
        _atomic_write_text(self.path, "".join(json.dumps(record, sort_keys=True) + "\n" for record in kept))


def _atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text)
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise OSError(f"cannot write {path}: {error.strerror or error}; the previous file is unchanged") from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """The records of a metrics file; a torn last line (a kill mid-write) is dropped."""
    records = []
    for line in Path(path).read_text().splitlines():
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


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
