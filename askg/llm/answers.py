"""The JSON object inside a model's answer, whatever a real server wrapped around it.

Servers and models add things around the requested JSON: a reasoning model's <think>...</think>
block, a ``` code fence (with or without a language tag), or a sentence before or after the object.
"""

from __future__ import annotations

import json
import re

_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(r"```[A-Za-z0-9_-]*[ \t]*\n?(.*?)```", re.DOTALL)


def extract_json(content: str) -> object:
    """The first JSON object in `content`; ValueError with a short, model-readable reason if none."""
    text = _THINK.sub("", content).strip()
    if text.lower().startswith("<think>"):
        raise ValueError("not JSON (the answer is an unfinished <think> block without the JSON object)")
    candidates = [m.group(1).strip() for m in _FENCE.finditer(text)] + [text]
    reasons: list[str] = []
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except json.JSONDecodeError as exc:
            reasons.append(f"{exc.msg} at line {exc.lineno} column {exc.colno}")
        found = _first_object(candidate)
        if found is not None:
            return found
    raise ValueError(f"not JSON ({reasons[0]})")


def _first_object(text: str) -> object | None:
    """The JSON object that starts at the first "{" (prose before and after it ignored). Only the
    first: an inner object of a truncated answer must not pass for the answer."""
    start = text.find("{")
    if start == -1:
        return None
    try:
        value, _ = json.JSONDecoder().raw_decode(text, start)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None
