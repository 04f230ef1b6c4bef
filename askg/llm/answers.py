"""The JSON object inside a model's answer, whatever a real server wrapped around it.

Servers and models add things around the requested JSON: a reasoning model's <think>...</think>
block, a ``` code fence (with or without a language tag), or a sentence before or after the object.
A small model also names things where they cannot be: `drop_misplaced_names` drops those.
"""

from __future__ import annotations

import json
import re

from askg.names import fold_name
from askg.schema import separate_objects_and_scenes

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



def drop_misplaced_names(raw: object, class_name: str) -> object:
    """Repairs of a parsed answer that only drop what cannot be right, never add content: the class's
    own name given as an object, handled object or scene (an action is not its own prop or place);
    then a name given both as an object and as a scene stays the object when a phase handles it, else
    the scene (askg.schema.separate_objects_and_scenes, the rule seeds follow). Anything not shaped
    like an answer is left as it is, for validation to report."""
    if not isinstance(raw, dict):
        return raw
    own = fold_name(class_name)
    objects, scenes, phases = raw.get("objects", []), raw.get("scenes", []), raw.get("phases", [])
    if not (_all(objects, dict) and _all(scenes, str) and _all(phases, dict)
            and all(isinstance(o.get("name"), str) for o in objects)
            and all(_all(p.get("handles", []), str) for p in phases)):
        return raw
    objects = [o for o in objects if fold_name(o["name"]) != own]
    scenes = [s for s in scenes if fold_name(s) != own]
    phases = [{**p, "handles": [h for h in p["handles"] if fold_name(h) != own]} if "handles" in p else p
              for p in phases]
    handled = {h for p in phases for h in p.get("handles", [])}
    objects, scenes = separate_objects_and_scenes(objects, scenes, handled)
    repaired = {**raw, "objects": objects, "scenes": scenes, "phases": phases}
    return {key: value for key, value in repaired.items() if key in raw or value}


def _all(value: object, kind: type) -> bool:
    return isinstance(value, list) and all(isinstance(item, kind) for item in value)
