"""A self-contained HTML page for an explanation: sheets inline as data: URIs, no script, no network."""

from __future__ import annotations

import base64
from html import escape

from model.explain.compute import Explanation, Variant, VideoExplanation
from model.explain.figure import LEGEND, VARIANT_TITLES

STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; max-width: 1400px; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.6rem; text-align: right; }
th:first-child, td:first-child, td.name { text-align: left; }
img.sheet { max-width: 100%; border: 1px solid #ddd; }
.note { color: #555; font-size: 0.9rem; }
"""


def _predictions_table(explained: VideoExplanation) -> str:
    rows = "".join(
        f"<tr><td>{rank}</td><td class='name'>{escape(p.name)}</td><td>{p.score:.3f}</td>"
        f"<td>{p.probability:.3f}</td></tr>"
        for rank, p in enumerate(explained.predictions, start=1)
    )
    return f"<table><tr><th>rank</th><th>class</th><th>score</th><th>p</th></tr>{rows}</table>"


def _terms_table(explained: VideoExplanation) -> str:
    rows = "".join(
        f"<tr><td class='name'>{escape(c.name)}</td><td>{c.prompt_side:.3f}</td><td>{c.frame_side:.3f}</td>"
        f"<td>{c.score:.3f}</td></tr>"
        for c in explained.classes
    )
    return ("<table><tr><th>explained class</th><th>A: prompt side</th><th>B: frame side</th>"
            f"<th>score ½(A+B)</th></tr>{rows}</table>")


def render_html(explanation: Explanation, sheets: dict[Variant, bytes]) -> str:
    """``sheets``: PNG bytes per variant, in the order of ``explanation.videos``."""
    sections = []
    for explained in explanation.videos:
        data = base64.b64encode(sheets[explained.variant]).decode("ascii")
        sections.append(
            f"<section id='{explained.variant}'><h2>{escape(VARIANT_TITLES[explained.variant])}</h2>"
            f"<p class='note'>sampled frames: {explained.frame_indices}</p>"
            f"{_predictions_table(explained)}{_terms_table(explained)}"
            f"<img class='sheet' alt='explain sheet, {explained.variant}' src='data:image/png;base64,{data}'>"
            "</section>"
        )
    plain = any(v.plain_attention is not None for v in explanation.videos)
    notes = [
        f"Scores: ½(mean over prompts of the best frame + mean over frames of the best prompt) of the logit-scaled "
        f"cosine similarities (logit scale {explanation.logit_scale:.2f}), prompt kinds "
        f"{', '.join(explanation.prompt_kinds)}; {escape(explanation.views)}.",
        escape(LEGEND),
        f"Attention: {escape(explanation.videos[0].attention.method)}.",
    ]
    notes.extend(escape(note) for note in explanation.notes)
    if plain:
        notes.append("Plain CLIP row: the same weights with STCA off (every frame encoded on its own).")
    note_html = "".join(f"<p class='note'>{note}</p>" for note in notes)
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>stdd explain: {escape(explanation.video)}</title><style>{STYLE}</style></head><body>"
        f"<h1>stdd explain</h1><p>video <code>{escape(explanation.video)}</code>, checkpoint "
        f"<code>{escape(explanation.checkpoint)}</code>, prompts <code>{escape(explanation.prompts)}</code></p>"
        f"{note_html}{''.join(sections)}</body></html>\n"
    )
