"""Curated seed ASKG shipped in `graph_seeds/askg/*.yaml` (format: graph_seeds/SEED_FORMAT.md).

Seeds are read through the same `Decomposition` model as LLM answers, and looked up by
`match_key`, so a class file in any dataset's spelling finds them. A seed keyed `<class>@<dataset>`
(`punch@hmdb51`) is that dataset's own reading of the class: `find_seed` prefers it when a class list
of that dataset is built; it is stored under `seed_key(class, dataset)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from askg.errors import InputError
from askg.formats.yaml_io import load_yaml
from askg.names import match_key, normalise_name
from askg.schema import Decomposition, ObjectRelation, PhaseSpec, separate_objects_and_scenes
from graph_seeds import seeds_dir, shipped_class_lists_dir

LEGACY_PREDICATE = "uses"  # the predicate of an object given in the old list form


class SeedPhase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str
    motions: dict[str, str] = Field(default_factory=dict)
    handles: list[str] = Field(default_factory=list)


class SeedAction(BaseModel):
    """One seed as written. `objects` is the mapping name -> predicate; the old list form (names, or
    `{name, predicate}` maps) is still read, a bare name getting the predicate "uses"."""

    model_config = ConfigDict(extra="forbid")

    objects: dict[str, str] | list[str | dict[str, str]] = Field(default_factory=dict)
    scenes: list[str] = Field(default_factory=list)
    relations: list[tuple[str, str, str]] = Field(default_factory=list)
    poses: dict[str, str] = Field(default_factory=dict)
    phases: list[SeedPhase] = Field(default_factory=list)

    @property
    def legacy_objects(self) -> bool:
        """True when objects are written in the old list form."""
        return isinstance(self.objects, list)

    def object_uses(self) -> list[dict[str, str]]:
        if isinstance(self.objects, dict):
            return [{"name": name, "predicate": predicate} for name, predicate in self.objects.items()]
        uses = []
        for item in self.objects:
            if isinstance(item, str):
                uses.append({"name": item, "predicate": LEGACY_PREDICATE})
            elif set(item) <= {"name", "predicate"}:
                uses.append({"predicate": LEGACY_PREDICATE, **item})
            else:
                uses.extend({"name": name, "predicate": predicate} for name, predicate in item.items())
        return uses

    def to_decomposition(self) -> Decomposition:
        # old seeds list a few names both as object and as scene ("road"); --strict reports them
        handles = {h for phase in self.phases for h in phase.handles}
        uses, scenes = separate_objects_and_scenes(self.object_uses(), self.scenes, handles)
        return Decomposition(
            objects=uses,  # validated by ObjectUse
            scenes=scenes,
            object_relations=[ObjectRelation(subject=s, predicate=p, object=o) for s, p, o in self.relations],
            poses=[{"body_part": b, "pose": p} for b, p in self.poses.items()],
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
    name: str  # the class name, without any `@dataset`
    decomposition: Decomposition
    version: str
    path: Path
    dataset: str | None = None  # set for a dataset-specific seed (`punch@hmdb51`)
    raw: SeedAction | None = None  # as written (the strict check reads predicates and forms from it)

    @property
    def action_name(self) -> str:
        """The action node's name: the class name, qualified by the dataset for a dataset-specific
        seed ("punch (hmdb51)"), so it is a node of its own next to the generic "punch"."""
        name = normalise_name(self.name)
        return f"{name} ({self.dataset})" if self.dataset else name

    @property
    def label(self) -> str:
        return f"{self.name}@{self.dataset}" if self.dataset else self.name


def dataset_family(tag: str) -> str:
    """The seed dataset tag of a class list's tag: "k600_split1", "k600_novel" -> "k600"."""
    return tag.strip().lower().split("_", 1)[0]


# The datasets of the class lists shipped in graph_seeds/classes ("hmdb51", "k400", "k600", "ucf101"):
# the tags a dataset-specific seed may carry (`punch@hmdb51`). A new dataset's list there adds its tag.
DATASET_TAGS = tuple(sorted({dataset_family(path.stem) for path in shipped_class_lists_dir().glob("*.txt")}))


def seed_key(class_name: str, dataset: str | None = None) -> str:
    """The key of a seed in `load_seeds`: the match key, plus `@<dataset>` for a dataset-specific one."""
    key = match_key(class_name)
    return f"{key}@{dataset}" if dataset else key


def find_seed(seeds: dict[str, Seed], key: str, dataset: str | None) -> Seed | None:
    """The seed for class `key` (a match key) in a class list tagged `dataset`: that dataset's own
    seed when there is one, else the generic seed."""
    if dataset:
        specific = seeds.get(f"{key}@{dataset_family(dataset)}")
        if specific is not None:
            return specific
    return seeds.get(key)


def split_seed_name(name: str, path: Path) -> tuple[str, str | None]:
    """`punch@hmdb51` -> ("punch", "hmdb51"); InputError for an unknown dataset tag."""
    base, sep, tag = name.rpartition("@")
    if not sep:
        return name, None
    if tag not in DATASET_TAGS or not base.strip():
        raise InputError(f"{path}: seed {name!r}: the part after '@' must be one of {', '.join(DATASET_TAGS)}")
    return base.strip(), tag


def default_seeds_dir() -> Path:
    """`$ASKG_SEEDS_DIR`, else the shipped `graph_seeds/` (checkout or installed wheel)."""
    return seeds_dir()


def load_seed_file(path: Path) -> dict[str, Seed]:
    raw = load_yaml(path)  # one-line InputError for unreadable, non-UTF-8 or malformed YAML
    try:
        seed_file = SeedFile.model_validate(raw)
    except ValidationError as exc:
        raise InputError(f"{path}: invalid seed at {_where(exc)}") from None
    seeds: dict[str, Seed] = {}
    for name, action in seed_file.actions.items():
        class_name, dataset = split_seed_name(name, path)
        key = seed_key(class_name, dataset)
        if key in seeds:
            raise InputError(f"{path}: seed {name!r} given twice (also as {seeds[key].label!r})")
        try:
            decomposition = action.to_decomposition()
        except ValidationError as exc:
            raise InputError(f"{path}: invalid seed {name!r}: {_where(exc)}") from None
        seeds[key] = Seed(class_name, decomposition, seed_file.version, path, dataset, action)
    return seeds


def _where(exc: ValidationError) -> str:
    first = exc.errors()[0]
    loc = ".".join(str(p) for p in first["loc"])
    return f"{loc}: {first['msg']}" if loc else first["msg"]


@cache
def load_seeds(seeds_dir: Path | None = None) -> dict[str, Seed]:
    """All seeds by `seed_key`. Raises InputError for a bad file or a class seeded in two files."""
    root = (seeds_dir or default_seeds_dir()) / "askg"
    seeds: dict[str, Seed] = {}
    for path in sorted(root.glob("*.yaml")):
        for key, seed in load_seed_file(path).items():
            if key in seeds:
                raise InputError(f"{path}: seed {seed.label!r} also in {seeds[key].path}")
            seeds[key] = seed
    return seeds
