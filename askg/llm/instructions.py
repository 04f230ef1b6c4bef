"""The versioned instructions an LLM gets to decompose one action class (system and user messages, the
JSON schema of the answer) and `Instructions`, everything that shapes an answer, which keys the cache.

(The CLIP text prompts compiled from the graph are a different thing: askg.prompts.)

PROMPT_VERSION is recorded on every LLM-built action; change it whenever the text or the schema sent
to the model changes. The answer cache is keyed by a hash of the whole first request, so a change
anywhere in it (text, schema, body-part vocabulary, model, temperature) is never served old answers.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from askg.names import normalise_name
from askg.schema import Decomposition

# v3: a worked example (the seed of a class outside the benchmark list), limits in the schema
# (3-5 phases, 1-3 scenes, >= 1 motion per phase, body parts from the vocabulary) that grammar-
# constrained servers enforce while decoding, titles dropped from the schema.
# v4: strings keep minLength 1 in the schema (v3 dropped it, and a grammar-constrained 135M model
# then answered empty scene and phase strings).
# v5: every string in the schema sent has a pattern (lower-case printable text, a length range) and
# every array a maxItems, so a grammar-constrained server can no longer decode an empty, run-on or
# control-character string nor an answer without end (two sets of bounds: "standard" for any model,
# "compact" for small ones); the worked example is gone (a 135M model copied v4's bowling example
# into sports classes: bowling ball for soccer juggling); the schema carries the form, the quoted
# phrases the style. A retry is the first request again with the reason (not the invalid answer) at a
# higher temperature.
PROMPT_VERSION = "askg-decompose-v5"
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
vocabulary: {body_parts}; use at least two different body parts.
Answer with one JSON object matching the given JSON schema and nothing else, about your own class \
only: the quoted phrases above show the form, never copy them."""


# The multi-word phrases SYSTEM_TEMPLATE quotes as examples: an answer repeating them in several
# places copied the prompt instead of describing its class (askg.llm.client.copied_phrases).
EXAMPLE_PHRASES = ("bites into", "stands on", "pours water from", "archery bow", "weightlifting gym", "indoor room",
                   "outdoor area", "pressed together in front of the chest", "gripping the bar", "grip the bar")

USER_TEMPLATE = CLASS_LINE_PREFIX + "{name}"

RETRY_TEMPLATE = """\
An earlier answer for this class was not valid: {error}
Answer with only one JSON object that matches the schema and avoids that."""


@cache
def body_part_vocabulary(seeds_dir: Path) -> tuple[str, ...]:
    """The controlled body-part names from graph_seeds/body_parts.yaml (empty when the file is absent)."""
    path = seeds_dir / "body_parts.yaml"
    if not path.exists():
        return ()
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return tuple(str(part) for part in raw.get("body_parts", []))


DEFAULT_BODY_PARTS = ("head", "arms", "hands", "fingers", "legs", "knees", "feet", "torso", "whole body")
MIN_PHASES, MAX_PHASES, MIN_SCENES, MAX_SCENES, MIN_BODY_PARTS = 3, 5, 1, 3, 2


def system_prompt(body_parts: tuple[str, ...]) -> str:
    vocabulary = ", ".join(body_parts or DEFAULT_BODY_PARTS)
    return SYSTEM_TEMPLATE.format(body_parts=vocabulary)


def user_prompt(class_name: str) -> str:
    return USER_TEMPLATE.format(name=class_name)


def retry_prompt(error: str) -> str:
    return RETRY_TEMPLATE.format(error=error)


# The bounds the schema sent puts on the answer (askg.schema validates it with looser ones): a
# grammar-constrained server decodes nothing outside them, so a model cannot run on, leave a string
# empty or write control characters; other servers take them as a guide. "standard" leaves room for
# what a curated seed holds (a test checks every seed fits), so a large model is not cut short;
# "compact" is for small models (SmolLM2-135M built 30 of 30 benchmark classes within it), at the cost
# of terse phases.
AnswerBounds = Literal["standard", "compact"]


@dataclass(frozen=True)
class Bounds:
    objects: int
    relations: int
    poses: int
    motions: int
    handles: int
    name_length: tuple[int, int]  # object and scene names, predicates
    text_length: tuple[int, int]  # phase texts, motions, poses
    first: str  # regex class of a string's first character
    rest: str  # ... and of the others: printable, never a quote, a backslash or a control character

    def text(self, length: tuple[int, int]) -> dict[str, Any]:
        """A string of `length` characters (the pattern says it again for grammar builders that
        ignore minLength/maxLength next to a pattern)."""
        low, high = length
        return {"minLength": low, "maxLength": high, "pattern": f"^{self.first}{self.rest}{{{low - 1},{high - 1}}}$"}


BOUNDS: dict[AnswerBounds, Bounds] = {
    "standard": Bounds(objects=8, relations=6, poses=4, motions=3, handles=6, name_length=(2, 40),
                       text_length=(3, 140), first="[A-Za-z0-9]", rest="[-A-Za-z0-9À-ÿ ,'./()&]"),
    "compact": Bounds(objects=3, relations=2, poses=2, motions=2, handles=2, name_length=(2, 24),
                      text_length=(3, 48), first="[a-z]", rest="[-a-z0-9 ,']"),
}


@cache
def decomposition_json_schema(body_parts: tuple[str, ...] = (), bounds: AnswerBounds = "standard") -> str:
    """The pydantic schema of `Decomposition` as the model must answer it (sent as
    `response_format`), serialised once: every object with its own predicate (no "uses" default),
    the limits of LLM answers (phases, scenes, a motion per phase, `bounds` on every string and
    list), body parts from the vocabulary when one is given, no titles."""
    limits = BOUNDS[bounds]
    schema = Decomposition.model_json_schema()
    _simplify(schema)
    defs = schema["$defs"]
    use = defs["ObjectUse"]
    use["properties"]["predicate"].pop("default", None)
    use["properties"]["predicate"]["description"] = (
        "what the performer does with the object, a true verb phrase (rides, swings, wears, stands on)")
    use["required"] = ["name", "predicate"]
    schema["properties"]["phases"].update(minItems=MIN_PHASES, maxItems=MAX_PHASES)
    schema["properties"]["scenes"].update(minItems=MIN_SCENES, maxItems=MAX_SCENES)
    schema["required"] = ["objects", "scenes", "phases"]
    defs["PhaseSpec"]["properties"]["motions"].update(minItems=1, maxItems=limits.motions)
    defs["PhaseSpec"]["required"] = ["text", "motions"]
    for array, most in ((schema["properties"]["objects"], limits.objects),
                        (schema["properties"]["object_relations"], limits.relations),
                        (schema["properties"]["poses"], limits.poses),
                        (defs["PhaseSpec"]["properties"]["handles"], limits.handles)):
        array["maxItems"] = most
    names = [schema["properties"]["scenes"]["items"], defs["PhaseSpec"]["properties"]["handles"]["items"],
             defs["ObjectUse"]["properties"]["name"], defs["ObjectUse"]["properties"]["predicate"],
             defs["ObjectRelation"]["properties"]["subject"], defs["ObjectRelation"]["properties"]["object"],
             defs["ObjectRelation"]["properties"]["predicate"]]
    texts = [defs["PhaseSpec"]["properties"]["text"], defs["Motion"]["properties"]["motion"],
             defs["Pose"]["properties"]["pose"]]
    for string in names:
        string.update(limits.text(limits.name_length))
    for string in texts:
        string.update(limits.text(limits.text_length))
    for name in ("Motion", "Pose"):
        part = defs[name]["properties"]["body_part"]
        if body_parts:
            part.pop("minLength", None)
            part["enum"] = list(body_parts)
        else:
            part.update(limits.text(limits.name_length))
    return json.dumps(schema, sort_keys=True)


# Left out of askg.schema's own schema: titles and our docstrings say nothing to a model; its string
# lengths are replaced by the tighter bounds above.
_NOT_SENT = ("title", "description", "maxLength", "minLength")


def _simplify(node: object) -> None:
    if isinstance(node, dict):
        for key in _NOT_SENT:
            if not isinstance(node.get(key), dict):  # a property named "title" would be a dict
                node.pop(key, None)
        for value in node.values():
            _simplify(value)
    elif isinstance(node, list):
        for value in node:
            _simplify(value)


# What the answer's format is asked with, in the order tried: the OpenAI `json_schema` form; the
# `json_object` form carrying the schema, which llama.cpp's server (llama-cpp-python) enforces by
# grammar while it rejects `json_schema`; plain `json_object`; nothing.
FormatMode = Literal["json_schema", "json_object_schema", "json_object", "none"]
FORMAT_FALLBACKS: tuple[FormatMode, ...] = ("json_schema", "json_object_schema", "json_object", "none")


def response_format(mode: FormatMode = "json_schema", schema: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The `response_format` to send; servers that reject one get the next in FORMAT_FALLBACKS
    (the answer is validated the same way whatever the server enforced)."""
    if mode == "none":
        return None
    if mode == "json_object":
        return {"type": "json_object"}
    schema = schema if schema is not None else json.loads(decomposition_json_schema())
    if mode == "json_object_schema":
        return {"type": "json_object", "schema": schema}
    return {"type": "json_schema", "json_schema": {"name": SCHEMA_NAME, "schema": schema, "strict": False}}


DEFAULT_TEMPERATURE = 0.2


class Instructions(BaseModel):
    """What one class's first request asks: model, temperature, messages and answer schema.

    `answer_key` hashes exactly that request (never the API key or server URL), so two requests
    share a cached answer only when the model was asked the same thing."""

    model_config = ConfigDict(frozen=True, allow_inf_nan=False)

    model: str = Field(min_length=1)
    temperature: float = Field(DEFAULT_TEMPERATURE, ge=0, le=2)
    body_parts: tuple[str, ...] = ()
    answer_bounds: AnswerBounds = "standard"
    version: str = PROMPT_VERSION

    def system(self) -> str:
        return system_prompt(self.body_parts)

    def messages(self, class_name: str) -> list[dict[str, str]]:
        return [
            {"role": "system", "content": self.system()},
            {"role": "user", "content": user_prompt(normalise_name(class_name))},
        ]

    def answer_schema(self) -> dict[str, Any]:
        """The JSON schema the answer must match."""
        return json.loads(decomposition_json_schema(self.body_parts, self.answer_bounds))

    def response_format(self, mode: FormatMode) -> dict[str, Any] | None:
        return response_format(mode, self.answer_schema())

    def request(self, class_name: str) -> dict[str, Any]:
        """The first request for `class_name` as sent with the full JSON-schema response_format."""
        return {
            "model": self.model,
            "temperature": self.temperature,
            "messages": self.messages(class_name),
            "response_format": self.response_format("json_schema"),
        }

    def answer_key(self, class_name: str) -> str:
        """sha256 of the first request (plus the prompt version) in canonical JSON."""
        fields = {**self.request(class_name), "prompt_version": self.version}
        canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
