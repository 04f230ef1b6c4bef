"""One explain sheet as a PNG: frames, attention overlays, and per class a frames × prompts heatmap per prompt
kind with the terms of its score marked (□ best frame of each prompt, ● best prompt of each frame).

Axes are placed in inches from the top down, so every frame column of a heatmap sits under its thumbnail.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from model.explain.compute import AttentionMaps, ClassExplanation, VideoExplanation
from model.prompts_file import ALL_PROMPT_KINDS

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

LABEL_IN = 4.2  # left column: prompt texts
RIGHT_IN = 1.2  # right column: best-frame values
ROW_IN = 0.3  # one prompt row
GAP_IN = 0.3
DPI = 100
LEGEND = ("□ best frame of a prompt: prompt side A = mean of these over prompts;   "
          "● best prompt of a frame: frame side B = mean of these over frames;   score = ½(A + B)")
VARIANT_TITLES = {"original": "original video", "reversed": "reversed copy (the same frames in reverse order)"}

@dataclass
class _Slot:
    height: float
    draw: Callable[[Figure, float], None]  # (figure, bottom in inches) -> None


def _heat_width(frames: int) -> float:
    return max(0.8 * frames, 5.0)


def _thumbnail_row(figure: Figure, bottom: float, width: float, frames: np.ndarray, total_height: float,
                   overlay: np.ndarray | None = None, label: str = "", titles: list[str] | None = None) -> None:
    count = frames.shape[0]
    cell = _heat_width(count) / count
    vmax = float(overlay.max()) if overlay is not None else 1.0
    for t in range(count):
        axis = figure.add_axes((
            (LABEL_IN + t * cell + 0.03) / width, bottom / total_height,
            (cell - 0.06) / width, (cell - 0.06) / total_height,
        ))
        axis.imshow(frames[t], interpolation="nearest")
        if overlay is not None:
            height, width_px = frames.shape[1:3]
            axis.imshow(overlay[t], cmap="jet", alpha=0.5, vmin=0.0, vmax=vmax, interpolation="nearest",
                        extent=(-0.5, width_px - 0.5, height - 0.5, -0.5))
        axis.set_xticks([])
        axis.set_yticks([])
        if titles is not None:
            axis.set_title(titles[t], fontsize=7, pad=2)
        if t == 0 and label:
            axis.text(-0.12, 0.5, label, transform=axis.transAxes, ha="right", va="center", fontsize=8)


def _heatmap(figure: Figure, bottom: float, width: float, total_height: float, item: ClassExplanation,
             kind: str, rows: list[int], frames: int, vmin: float, vmax: float, last: bool) -> None:
    heat = _heat_width(frames)
    axis = figure.add_axes((
        LABEL_IN / width, bottom / total_height, heat / width, len(rows) * ROW_IN / total_height))
    values = np.array([item.similarity[n] for n in rows])
    axis.imshow(values, aspect="auto", cmap="viridis", vmin=vmin, vmax=vmax, interpolation="nearest",
                extent=(-0.5, frames - 0.5, len(rows) - 0.5, -0.5))
    middle = (vmin + vmax) / 2
    for local, n in enumerate(rows):
        for t in range(frames):
            value = values[local, t]
            axis.text(t, local, f"{value:.1f}", ha="center", va="center", fontsize=6,
                      color="black" if value > middle else "white")
        best = item.best_frame[n]
        axis.add_patch(_rectangle(best, local))
        axis.text(frames - 0.5 + 0.15, local, f"□ {item.best_frame_value[n]:.2f}", va="center", fontsize=7,
                  clip_on=False)
    for t in range(frames):
        if item.best_prompt[t] in rows:
            axis.plot(t, rows.index(item.best_prompt[t]) + 0.3, marker="o", markersize=4, color="#ff3030",
                      markeredgecolor="white", markeredgewidth=0.6)
    labels = [row_label(item.prompts[n].text, item.name, kind != "label") for n in rows]
    axis.set_yticks(range(len(rows)), labels, fontsize=6.5, linespacing=1.0)
    axis.set_ylabel(kind, fontsize=8)
    if last:
        axis.set_xticks(range(frames), [f"t{t}\n● {item.best_prompt_value[t]:.2f}" for t in range(frames)],
                        fontsize=7)
    else:
        axis.set_xticks(range(frames), [""] * frames)


def row_label(text: str, class_name: str, strip_class: bool) -> str:
    """At most two lines. Compiled prompts repeat the class name first; the part after it tells them apart."""
    if strip_class and text.lower().startswith(class_name.lower()) and len(text) > len(class_name):
        text = "…" + text[len(class_name):].lstrip(" ,:;-")
    lines = textwrap.wrap(text, 58)
    if len(lines) > 2:
        lines = [lines[0], textwrap.shorten(" ".join(lines[1:]), 58, placeholder="…")]
    return "\n".join(lines)


def _rectangle(column: int, row: int) -> Rectangle:
    from matplotlib.patches import Rectangle

    return Rectangle((column - 0.5, row - 0.5), 1, 1, fill=False, edgecolor="white", linewidth=2.0)


def _overlay(maps: AttentionMaps, frames: np.ndarray) -> np.ndarray:
    """Each g × g map scaled up to the frame size by pixel repetition (the patch grid stays visible)."""
    grid = np.asarray(maps.maps, dtype=np.float64)
    height, width = frames.shape[1:3]
    reps = (height // grid.shape[1], width // grid.shape[2])
    return np.kron(grid, np.ones(reps))


def _class_slots(item: ClassExplanation, rank: int, frames: np.ndarray, frame_titles: list[str],
                 slots: list[_Slot], width_of: Callable[[], float], height_of: Callable[[], float]) -> None:
    count = frames.shape[0]
    cell = _heat_width(count) / count
    title = (f"#{rank} {item.name}    score {item.score:.2f} = ½(A {item.prompt_side:.2f} + B {item.frame_side:.2f})"
             f"    p = {item.probability:.3f}")

    def draw_title(figure: Figure, bottom: float) -> None:
        figure.text(0.01, (bottom + 0.05) / height_of(), title, fontsize=10, weight="bold")

    slots.append(_Slot(0.35, draw_title))
    slots.append(_Slot(cell + 0.2, lambda figure, bottom: _thumbnail_row(
        figure, bottom, width_of(), frames, height_of(), titles=frame_titles)))
    flat = [value for row in item.similarity for value in row]
    vmin, vmax = min(flat), max(flat)
    kinds = [kind for kind in ALL_PROMPT_KINDS if any(p.kind == kind for p in item.prompts)]
    for number, kind in enumerate(kinds):
        rows = [n for n, prompt in enumerate(item.prompts) if prompt.kind == kind]
        last = number == len(kinds) - 1

        below = 0.55 if last else 0.1  # room for the frame labels under the last panel

        def draw(figure: Figure, bottom: float, kind: str = kind, rows: list[int] = rows, last: bool = last,
                 below: float = below) -> None:
            _heatmap(figure, bottom + below, width_of(), height_of(), item, kind, rows, count, vmin, vmax, last)

        slots.append(_Slot(len(rows) * ROW_IN + below, draw))
    slots.append(_Slot(GAP_IN, lambda figure, bottom: None))


def render_sheet(explained: VideoExplanation, frames: np.ndarray, video_name: str,
                 notes: Sequence[str] = ()) -> bytes:
    """The sheet of one variant as PNG bytes (deterministic for the same inputs); ``notes`` go under the
    header, one wrapped paragraph each."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    count = frames.shape[0]
    width = LABEL_IN + _heat_width(count) + RIGHT_IN
    cell = _heat_width(count) / count
    frame_titles = [f"t{t} (#{index})" for t, index in enumerate(explained.frame_indices)]
    size: dict[str, float] = {}
    slots: list[_Slot] = []
    predicted = ", ".join(f"{p.name} {p.score:.2f}" for p in explained.predictions)
    header = (f"{video_name} — {VARIANT_TITLES[explained.variant]}\npredicted: {predicted}\n{LEGEND}")
    note_lines = [line for note in notes for line in textwrap.wrap(note, 150)]
    if note_lines:
        header += "\n" + "\n".join(note_lines)

    def draw_header(figure: Figure, bottom: float) -> None:
        figure.text(0.01, (bottom + 0.1) / size["height"], header, fontsize=9, va="bottom")

    slots.append(_Slot(0.85 + 0.155 * len(note_lines), draw_header))
    rows = [("STDD attention\n(last block, CLS)", explained.attention)]
    if explained.plain_attention is not None:
        rows.append(("plain CLIP attention\n(same weights, STCA off)", explained.plain_attention))
    for number, (label, maps) in enumerate(rows):
        overlay = _overlay(maps, frames)

        def draw_attention(figure: Figure, bottom: float, label: str = label, overlay: np.ndarray = overlay,
                           first: bool = number == 0) -> None:
            _thumbnail_row(figure, bottom, width, frames, size["height"], overlay, label,
                           frame_titles if first else None)

        slots.append(_Slot(cell + (0.2 if number == 0 else 0.05), draw_attention))
    slots.append(_Slot(GAP_IN, lambda figure, bottom: None))
    for rank, item in enumerate(explained.classes, start=1):
        _class_slots(item, rank, frames, frame_titles, slots, lambda: width, lambda: size["height"])
    size["height"] = sum(slot.height for slot in slots) + 0.2
    figure = plt.figure(figsize=(width, size["height"]), dpi=DPI)
    top = size["height"] - 0.1
    for slot in slots:
        top -= slot.height
        slot.draw(figure, top)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()
