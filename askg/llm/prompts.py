"""Versioned prompt templates for decomposing one action class.

PROMPT_VERSION is recorded on every LLM-built action and is part of the cache key: change it whenever
the text or the schema sent to the model changes, so old cached answers are not reused.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

from askg.schema import Decomposition

PROMPT_VERSION = "askg-decompose-v2"
SCHEMA_NAME = "action_decomposition"
CLASS_LINE_PREFIX = "Action class: "

SYSTEM_TEMPLATE = """\
You are an expert annotator building an Action Semantic Knowledge Graph for zero-shot video action \
recognition. For one human action class you describe what can be seen in a typical video of it, as \
one coherent scenario:
- objects: the physical objects a viewer could point at, each with a predicate: a verb phrase in the \
third person singular whose subject is the person performing the action and that is literally true \
("rides", "swings", "wears", "bites into", "stands on", "pours water from"). Use "uses" only when the \
person literally uses the object as a tool; never "involves" or "has". No body parts, sounds or \
abstractions; qualify a word that names different things ("archery bow", not "bow");
- scenes: one to three specific places where it typically happens ("weightlifting gym", "kitchen"), \
never generic ones ("indoor room", "outdoor area", "room", "home"); a name is an object or a scene, \
never both;
- object_relations: physically true, visible relations between two of the listed objects or scenes \
(subject, predicate, object), the subject being the thing the predicate is about;
- poses: visible static body configurations, a body part and a phrase that reads after \
"the <body part>" ("pressed together in front of the chest"); at least two when the action uses no \
objects;
- phases: three to five ordered sub-actions. Each text is a gerund phrase ("gripping the bar ...") \
that names only visible things, never repeats the verb of the class name and never gives \
alternatives with "or"; motions give the body parts that move with a bare verb phrase each \
("grip the bar"); handles lists the objects touched in that phase. Every object is handled in a \
phase or named in a phase text.
Use lower-case singular nouns for objects and scenes, no articles. Name body parts only from this \
vocabulary: {body_parts}.
Answer with one JSON object matching the given JSON schema and nothing else."""

USER_TEMPLATE = CLASS_LINE_PREFIX + "{name}"

RETRY_TEMPLATE = """\
Your previous answer was not valid: {error}
Answer again with only one JSON object that matches the schema."""


@cache
def body_part_vocabulary(seeds_dir: Path) -> tuple[str, ...]:
    """The controlled body-part names from graph_seeds/body_parts.yaml (empty when the file is absent)."""
    path = seeds_dir / "body_parts.yaml"
    if not path.exists():
        return ()
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return tuple(str(part) for part in raw.get("body_parts", []))


def system_prompt(body_parts: tuple[str, ...]) -> str:
    vocabulary = ", ".join(body_parts) if body_parts else "head, arms, hands, legs, feet, torso, whole body"
    return SYSTEM_TEMPLATE.format(body_parts=vocabulary)


def user_prompt(class_name: str) -> str:
    return USER_TEMPLATE.format(name=class_name)


def retry_prompt(error: str) -> str:
    return RETRY_TEMPLATE.format(error=error)


@cache
def decomposition_json_schema() -> str:
    """The pydantic schema of `Decomposition` as the model must answer it (sent as
    `response_format`): every object with its own predicate (no "uses" default), serialised once."""
    schema = Decomposition.model_json_schema()
    use = schema["$defs"]["ObjectUse"]
    use["properties"]["predicate"].pop("default", None)
    use["properties"]["predicate"]["description"] = (
        "what the performer does with the object, a true verb phrase (rides, swings, wears, stands on)")
    use["required"] = ["name", "predicate"]
    return json.dumps(schema, sort_keys=True)


FormatMode = Literal["json_schema", "json_object", "none"]
FORMAT_FALLBACKS: tuple[FormatMode, ...] = ("json_schema", "json_object", "none")


def response_format(mode: FormatMode = "json_schema") -> dict[str, Any] | None:
    """The `response_format` to send; servers that reject one get the next in FORMAT_FALLBACKS
    (the answer is validated the same way whatever the server enforced)."""
    if mode == "none":
        return None
    if mode == "json_object":
        return {"type": "json_object"}
    return {
        "type": "json_schema",
        "json_schema": {
            "name": SCHEMA_NAME,
            "schema": json.loads(decomposition_json_schema()),
            "strict": False,
        },
    }
