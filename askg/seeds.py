"""Curated seed ASKG shipped in `graph_seeds/askg/*.yaml` (format: graph_seeds/SEED_FORMAT.md).

Seeds are read through the same `Decomposition` model as LLM answers, and looked up by
`match_key`, so a class file in any dataset's spelling finds them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from askg.errors import InputError
from askg.formats.yaml_io import load_yaml
from askg.names import match_key
from askg.schema import Decomposition, ObjectRelation, PhaseSpec

SEEDS_ENV = "ASKG_SEEDS_DIR"


class SeedPhase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str
    motions: dict[str, str] = Field(default_factory=dict)
    handles: list[str] = Field(default_factory=list)


class SeedAction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    objects: list[str | dict[str, str]] = Field(default_factory=list)
    scenes: list[str] = Field(default_factory=list)
    relations: list[tuple[str, str, str]] = Field(default_factory=list)
    phases: list[SeedPhase] = Field(default_factory=list)

    def to_decomposition(self) -> Decomposition:
        return Decomposition(
            objects=self.objects,  # strings and {name, predicate} maps, validated by ObjectUse
            scenes=self.scenes,
            object_relations=[ObjectRelation(subject=s, predicate=p, object=o) for s, p, o in self.relations],
            phases=[
                PhaseSpec(
                    text=phase.text,
                    motions=[{"body_part": b, "motion": m} for b, m in phase.motions.items()],
                    handles=phase.handles,
                )
                for phase in self.phases
            ],
        )


class SeedFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str
    actions: dict[str, SeedAction]

    @field_validator("actions")
    @classmethod
    def _non_empty(cls, value: dict[str, SeedAction]) -> dict[str, SeedAction]:
        if not value:
            raise ValueError("no actions")
        return value


@dataclass(frozen=True)
class Seed:
    name: str
    decomposition: Decomposition
    version: str
    path: Path


def default_seeds_dir() -> Path:
    """`$ASKG_SEEDS_DIR`, else `graph_seeds/` next to the installed packages (the checkout)."""
    override = os.environ.get(SEEDS_ENV)
    if override:
        return Path(override)
    return Path(__file__).resolve().parent.parent / "graph_seeds"


def load_seed_file(path: Path) -> dict[str, Seed]:
    raw = load_yaml(path)  # one-line InputError for unreadable, non-UTF-8 or malformed YAML
    try:
        seed_file = SeedFile.model_validate(raw)
        seeds: dict[str, Seed] = {}
        for name, action in seed_file.actions.items():
            key = match_key(name)
            if key in seeds:
                raise InputError(f"{path}: seed {name!r} given twice (also as {seeds[key].name!r})")
            seeds[key] = Seed(name, action.to_decomposition(), seed_file.version, path)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise InputError(f"{path}: invalid seed at {loc}: {first['msg']}") from None
    return seeds


@cache
def load_seeds(seeds_dir: Path | None = None) -> dict[str, Seed]:
    """All seeds by match key. Raises InputError for a bad file or a class seeded in two files."""
    root = (seeds_dir or default_seeds_dir()) / "askg"
    seeds: dict[str, Seed] = {}
    for path in sorted(root.glob("*.yaml")):
        for key, seed in load_seed_file(path).items():
            if key in seeds:
                raise InputError(f"{path}: seed {seed.name!r} also in {seeds[key].path}")
            seeds[key] = seed
    return seeds
