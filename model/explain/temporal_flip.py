"""Does a reversal flip the temporal prompts' pattern? Numbers measured on an explanation, never drawn into it.

For one class and its temporal prompts, read both ways as ``class_scores`` reads the heatmap:
- per prompt, its best frame (the max over frames) in the original and in the reversed copy, the fraction of
  prompts whose best frame moves to the mirrored position (t -> T-1-t), and, when each prompt's place in the
  action is known (its phase position: 0 = first phase), Spearman(phase position, best frame) per variant;
- per frame, the temporal prompt it matches best (the max over prompts) and Spearman(frame position, that
  prompt's phase position) per variant.
A model that aligns phases with frames shows positive correlations on the original and negative ones on the
reversed copy. The two readings differ when one frame matches every prompt best (a max over frames then says
nothing about order) while each frame still prefers the prompt of its own phase.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict


class TemporalFlip(BaseModel):
    model_config = ConfigDict(frozen=True)

    class_name: str
    prompts: list[str]
    phase: list[float] | None
    frames: int
    best_frame: dict[str, list[int]]
    order_correlation: dict[str, float | None] | None
    mirrored: float | None
    best_prompt: dict[str, list[int]] | None = None
    frame_order_correlation: dict[str, float | None] | None = None


def _ranks(values: Sequence[float]) -> np.ndarray:
    """Ranks with ties averaged (as Spearman's correlation uses them)."""
    array = np.asarray(values, dtype=np.float64)
    order = np.argsort(array, kind="stable")
    ranks = np.empty(len(array))
    ranks[order] = np.arange(len(array), dtype=np.float64)
    for value in np.unique(array):
        tied = array == value
        ranks[tied] = ranks[tied].mean()
    return ranks


def spearman(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Spearman's rank correlation; None when either side is constant (undefined)."""
    if len(x) != len(y):
        raise ValueError(f"spearman: {len(x)} against {len(y)} values")
    rx, ry = _ranks(x), _ranks(y)
    rx, ry = rx - rx.mean(), ry - ry.mean()
    norm = float(np.sqrt((rx * rx).sum() * (ry * ry).sum()))
    return None if norm == 0 else float((rx * ry).sum() / norm)


def phase_positions(prompts: Sequence[str], phases: Sequence[str]) -> list[float] | None:
    """Per temporal prompt, the mean index of the phase texts it quotes ("first A, then B" -> 0.5); None when
    some prompt quotes no phase text (its place in the action is then unknown)."""
    wanted = [phase.lower() for phase in phases]
    positions = []
    for prompt in prompts:
        quoted = [index for index, phase in enumerate(wanted) if phase and phase in prompt.lower()]
        if not quoted:
            return None
        positions.append(float(np.mean(quoted)))
    return positions


def mirrored_fraction(original: Sequence[int], reversed_: Sequence[int], frames: int) -> float | None:
    if not original:
        return None
    return float(np.mean([r == frames - 1 - o for o, r in zip(original, reversed_, strict=True)]))


def measure_flip(class_name: str, prompts: list[str], best_frame: dict[str, list[int]], frames: int,
                 phases: Sequence[str] | None, best_prompt: dict[str, list[int]] | None = None) -> TemporalFlip:
    """``best_frame``: per variant ("original", "reversed") the best frame of each of ``prompts``;
    ``best_prompt``: per variant the index in ``prompts`` of each frame's best prompt."""
    phase = phase_positions(prompts, phases) if phases else None
    correlation = frame_correlation = None
    if phase is not None:
        correlation = {variant: spearman(phase, best) for variant, best in best_frame.items()}
        if best_prompt is not None:
            frame_correlation = {variant: spearman(list(range(len(best))), [phase[n] for n in best])
                                 for variant, best in best_prompt.items()}
    mirrored = None
    if "original" in best_frame and "reversed" in best_frame:
        mirrored = mirrored_fraction(best_frame["original"], best_frame["reversed"], frames)
    return TemporalFlip(class_name=class_name, prompts=prompts, phase=phase, frames=frames, best_frame=best_frame,
                        order_correlation=correlation, mirrored=mirrored, best_prompt=best_prompt,
                        frame_order_correlation=frame_correlation)


def format_correlations(correlation: dict[str, float | None]) -> str:
    """"original +0.81, reversed -0.81" ("undefined" where one is not defined)."""
    return ", ".join(f"{variant} {'undefined' if value is None else f'{value:+.2f}'}"
                     for variant, value in correlation.items())


def flip_summary(flip: TemporalFlip) -> str:
    """One line for the sheet and the report."""
    parts = [f"temporal prompts of {flip.class_name!r}, best frame per prompt: "
             + "; ".join(f"{variant} {best}" for variant, best in flip.best_frame.items())]
    if flip.order_correlation is not None:
        parts.append("Spearman(phase order, best frame): " + format_correlations(flip.order_correlation))
    if flip.mirrored is not None:
        count = round(flip.mirrored * len(flip.prompts))
        parts.append(f"moved to the mirrored frame in the reversed copy: {count}/{len(flip.prompts)}")
    if flip.frame_order_correlation is not None:
        parts.append("per frame, Spearman(frame order, phase of its best temporal prompt): "
                     + format_correlations(flip.frame_order_correlation))
    return "; ".join(parts)
