"""Versioned prompt templates for decomposing one action class.

PROMPT_VERSION is recorded on every LLM-built action and is part of the cache key: change it whenever
the text or the schema sent to the model changes, so old cached answers are not reused.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from askg.schema import Decomposition

PROMPT_VERSION = "askg-decompose-v1"
SCHEMA_NAME = "action_decomposition"
CLASS_LINE_PREFIX = "Action class: "

SYSTEM_TEMPLATE = """\
You are an expert annotator building an Action Semantic Knowledge Graph for zero-shot video action \
recognition. For one human action class you describe what can be seen in a video of it:
- objects: the physical objects the action uses, each with a short predicate (e.g. "holds", "rides");
- scenes: one to three places where it typically happens;
- object_relations: spatial or functional relations between two of those objects \
(subject, predicate, object);
- phases: three to five ordered sub-actions; for each, a short description (text), the body parts \
that move with how they move (motions), and the objects handled in that phase (handles).
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
    """The pydantic schema of `Decomposition`, serialised once (sent as `response_format`)."""
    return json.dumps(Decomposition.model_json_schema(), sort_keys=True)


def response_format() -> dict[str, Any]:
    return {
        "type": "json_schema",
        "json_schema": {
            "name": SCHEMA_NAME,
            "schema": json.loads(decomposition_json_schema()),
            "strict": False,
        },
    }
