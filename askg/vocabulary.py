"""The concept vocabulary (`graph_seeds/vocabulary.yaml`): one name for one thing, one thing for one name.

- synonyms: canonical name -> other names of the same thing; `canonical()` folds the others onto it
  (`askg build` does this to LLM answers, `askg dedup` merges them);
- senses: bare words that name different things -> the qualified names to use instead ("bow" ->
  "archery bow", "cello bow"); a bare sense word is never guessed into one of them;
- distinct: pairs that look alike but are different things; `askg dedup` never merges them.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from askg.errors import InputError
from askg.schema import Decomposition, normalise_concept

VOCABULARY_FILE = "vocabulary.yaml"


def _fold_all(values: list[str]) -> list[str]:
    return [normalise_concept(v) for v in values]


class Vocabulary(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = 1
    synonyms: dict[str, list[str]] = Field(default_factory=dict)
    senses: dict[str, list[str]] = Field(default_factory=dict)
    distinct: list[tuple[str, str]] = Field(default_factory=list)

    @field_validator("synonyms", "senses")
    @classmethod
    def _fold_mapping(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return {normalise_concept(k): _fold_all(v) for k, v in value.items()}

    @field_validator("distinct")
    @classmethod
    def _fold_pairs(cls, value: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return [(normalise_concept(a), normalise_concept(b)) for a, b in value]

    @model_validator(mode="after")
    def _consistent(self) -> Vocabulary:
        seen: dict[str, str] = {}
        for canonical, others in self.synonyms.items():
            for other in others:
                if other in self.synonyms:
                    raise ValueError(f"synonym {other!r} of {canonical!r} is itself a canonical name")
                if other in seen:
                    raise ValueError(f"synonym {other!r} listed under {seen[other]!r} and {canonical!r}")
                seen[other] = canonical
        for a, b in self.distinct:
            if self.canonical(a) == self.canonical(b):
                raise ValueError(f"distinct pair {a!r} / {b!r} are synonyms in this file")
        return self

    def alias_map(self) -> dict[str, str]:
        """Every non-canonical synonym -> its canonical name."""
        return {other: canonical for canonical, others in self.synonyms.items() for other in others}

    def canonical(self, name: str) -> str:
        folded = normalise_concept(name)
        return self.alias_map().get(folded, folded)

    def is_alias(self, name: str) -> bool:
        return normalise_concept(name) in self.alias_map()

    def is_ambiguous(self, name: str) -> bool:
        """A bare word of `senses` ("bow"), which must be written qualified."""
        return normalise_concept(name) in self.senses

    def are_distinct(self, a: str, b: str) -> bool:
        pair = {normalise_concept(a), normalise_concept(b)}
        return any(pair == {x, y} for x, y in self.distinct)

    def canonicalise(self, decomposition: Decomposition) -> Decomposition:
        """The decomposition with every synonym replaced by its canonical name (repeats dropped)."""
        aliases = self.alias_map()
        if not aliases:
            return decomposition

        def c(name: str) -> str:
            return aliases.get(name, name)

        data = decomposition.model_dump()
        for use in data["objects"]:
            use["name"] = c(use["name"])
        data["scenes"] = [c(s) for s in data["scenes"]]
        for rel in data["object_relations"]:
            rel["subject"], rel["object"] = c(rel["subject"]), c(rel["object"])
        for phase in data["phases"]:
            phase["handles"] = [c(h) for h in phase["handles"]]
        return Decomposition.model_validate(data)


EMPTY = Vocabulary()


def read_vocabulary(path: Path) -> Vocabulary:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"{path}: cannot read the vocabulary ({exc})") from None
    try:
        return Vocabulary.model_validate(raw or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise InputError(f"{path}: invalid vocabulary{' at ' + loc if loc else ''}: {first['msg']}") from None


@cache
def load_vocabulary(seeds_dir: Path) -> Vocabulary:
    """`<seeds_dir>/vocabulary.yaml`, or an empty vocabulary when the seeds folder has none."""
    path = seeds_dir / VOCABULARY_FILE
    return read_vocabulary(path) if path.is_file() else EMPTY
