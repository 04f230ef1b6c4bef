"""Write an explanation: one PNG sheet per variant, the self-contained HTML page, the numbers as JSON."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Literal

import numpy as np

from model.explain.compute import Explanation, Variant
from model.explain.figure import render_sheet
from model.explain.html_page import render_html

OutputFormat = Literal["png", "html"]


class ExplainError(ValueError):
    """An `stdd explain` input or output location is unusable."""


def _atomic_write(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def check_out_dir(out: Path) -> None:
    """Fail before any work when the output folder cannot be one."""
    if out.exists() and not out.is_dir():
        raise ExplainError(f"--out {out} is a file, not a folder")


def prepare_out_dir(out: Path) -> None:
    check_out_dir(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ExplainError(f"cannot create the output folder {out}: {error.strerror}") from error


def sheet_name(variant: str) -> str:
    return "explain.png" if variant == "original" else f"explain-{variant}.png"


def write_explanation(
    explanation: Explanation, images: dict[Variant, np.ndarray], out: Path, fmt: OutputFormat = "html"
) -> list[Path]:
    """PNG per variant and ``explain.json`` always; ``explain.html`` (images inline) when ``fmt`` is html."""
    prepare_out_dir(out)
    video_name = Path(explanation.video).name
    sheets = {v.variant: render_sheet(v, images[v.variant], video_name, explanation.notes) for v in explanation.videos}
    written = []
    for variant, png in sheets.items():
        written.append(out / sheet_name(variant))
        _atomic_write(written[-1], png)
    if fmt == "html":
        written.append(out / "explain.html")
        _atomic_write(written[-1], render_html(explanation, sheets).encode("utf-8"))
    written.append(out / "explain.json")
    _atomic_write(written[-1], (explanation.model_dump_json(indent=1) + "\n").encode("utf-8"))
    return written
