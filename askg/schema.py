"""The ASKG data model as pydantic models.

An action's knowledge is one `ActionRecord`: the action node, its static concepts (objects with the
predicate the performer does with them, scenes it happens in, relations between those objects and
scenes, visible body poses) and its dynamic concepts (ordered phases, the body parts each phase moves
and the objects it handles), plus provenance. Stores write and read whole
records, so an action is always written whole or not at all, and a record read back from either store
equals the record written.

`Decomposition` is the part an annotator or an LLM produces for a class name; seeds, the LLM builder
and the STDD YAML importer all validate through it.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from askg.names import MAX_NAME_LENGTH, fold_name, normalise_name

SCHEMA_VERSION = 1

# Node labels and relationship types: the fixed vocabulary Cypher is built from (never user input).
NODE_LABELS = ("Action", "Object", "Scene", "Phase", "BodyPart")
REL_TYPES = ("USES", "IN_SCENE", "RELATES", "SHOWS", "HAS_PHASE", "NEXT", "MOVES", "HANDLES")



def _no_control_characters(value: str) -> str:
    """One rule for every name and text, whatever file or answer it came from (class lists, seeds,
    imports, LLM answers): no control characters such as NUL."""
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise ValueError("contains control characters")
    return value


Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME_LENGTH),
    AfterValidator(_no_control_characters),
]
Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), AfterValidator(_no_control_characters)
]
Source = Literal["seed", "llm", "import", "manual"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ObjectUse(_Frozen):
    """(Action)-[:USES {predicate}]->(Object). A bare string is read as `{name, predicate: "uses"}`."""

    name: Name
    predicate: Text = "uses"

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value

    @field_validator("name")
    @classmethod
    def _normalise(cls, value: str) -> str:
        return normalise_concept(value)


class ObjectRelation(_Frozen):
    """(Object|Scene)-[:RELATES {predicate}]->(Object|Scene), e.g. rope –attached to→ harness.

    An end named among the action's `scenes` is a Scene node, any other end an Object node
    (`Decomposition.endpoint_label`)."""

    subject: Name
    predicate: Text
    object: Name

    @field_validator("subject", "object")
    @classmethod
    def _normalise(cls, value: str) -> str:
        return normalise_concept(value)


class Motion(_Frozen):
    """(Phase)-[:MOVES {motion}]->(BodyPart), e.g. hands –pull the rope downward→."""

    body_part: Name
    motion: Text

    @field_validator("body_part")
    @classmethod
    def _normalise(cls, value: str) -> str:
        return normalise_concept(value)


class Pose(_Frozen):
    """(Action)-[:SHOWS {pose}]->(BodyPart): a visible static body configuration of the action,
    e.g. hands –pressed together in front of the chest→. The pose reads after "the <body part>"."""

    body_part: Name
    pose: Text

    @field_validator("body_part")
    @classmethod
    def _normalise(cls, value: str) -> str:
        return normalise_concept(value)


class PhaseSpec(_Frozen):
    """One sub-action; its position in `Decomposition.phases` is its order."""

    text: Text
    motions: list[Motion] = Field(default_factory=list)
    handles: list[Name] = Field(default_factory=list)

    @field_validator("handles")
    @classmethod
    def _normalise(cls, value: list[str]) -> list[str]:
        return _unique([normalise_concept(v) for v in value])


class Decomposition(_Frozen):
    """What an annotator or an LLM writes for one action class."""

    objects: list[ObjectUse] = Field(default_factory=list)
    scenes: list[Name] = Field(default_factory=list)
    object_relations: list[ObjectRelation] = Field(default_factory=list)
    poses: list[Pose] = Field(default_factory=list)
    phases: list[PhaseSpec] = Field(default_factory=list)

    @field_validator("scenes")
    @classmethod
    def _normalise_scenes(cls, value: list[str]) -> list[str]:
        return _unique([normalise_concept(v) for v in value])

    @field_validator("objects")
    @classmethod
    def _unique_objects(cls, value: list[ObjectUse]) -> list[ObjectUse]:
        seen: set[str] = set()
        kept = []
        for use in value:
            if use.name not in seen:
                seen.add(use.name)
                kept.append(use)
        return kept

    @field_validator("object_relations")
    @classmethod
    def _unique_relations(cls, value: list[ObjectRelation]) -> list[ObjectRelation]:
        return _unique(value)

    @field_validator("poses")
    @classmethod
    def _unique_poses(cls, value: list[Pose]) -> list[Pose]:
        return _unique(value)

    @model_validator(mode="after")
    def _objects_are_not_scenes(self) -> Decomposition:
        both = sorted(self.object_names() & set(self.scenes))
        if both:
            raise ValueError(f"named both as an object and as a scene: {', '.join(both)}")
        return self

    def object_names(self) -> set[str]:
        """Every name this action uses as an Object: its objects, the objects its phases handle and
        the relation ends that are not scenes."""
        scenes = set(self.scenes)
        names = {o.name for o in self.objects} | {h for p in self.phases for h in p.handles}
        names.update(n for r in self.object_relations for n in (r.subject, r.object) if n not in scenes)
        return names

    def endpoint_label(self, name: str) -> Literal["Object", "Scene"]:
        """The node label of relation end `name`: Scene when it is one of this action's scenes."""
        return "Scene" if name in self.scenes else "Object"


class Provenance(_Frozen):
    source: Source
    model: str | None = None
    prompt_version: str | None = None
    seed_version: str | None = None
    built_at: str | None = None
    curated: bool = False


class ActionRecord(Decomposition):
    """One action with its whole subgraph and provenance: the unit every store reads and writes."""

    id: Name
    name: Name
    aliases: list[Name] = Field(default_factory=list)
    datasets: list[Name] = Field(default_factory=list)
    provenance: Provenance

    @field_validator("aliases", "datasets")
    @classmethod
    def _sorted_unique(cls, value: list[str]) -> list[str]:
        return sorted(set(value))

    @model_validator(mode="after")
    def _id_matches_name(self) -> ActionRecord:
        if self.id != action_id(self.name):
            raise ValueError(f"action id {self.id!r} does not match its name {self.name!r}")
        return self

    @classmethod
    def create(
        cls,
        name: str,
        decomposition: Decomposition,
        provenance: Provenance,
        *,
        aliases: list[str] | None = None,
        datasets: list[str] | None = None,
    ) -> ActionRecord:
        normalised = normalise_name(name)
        alias_set = {a for a in (aliases or []) if a != normalised}
        if name != normalised:
            alias_set.add(name.strip())
        return cls(
            id=action_id(normalised),
            name=normalised,
            aliases=sorted(alias_set),
            datasets=datasets or [],
            provenance=provenance,
            **decomposition.model_dump(),
        )

    def decomposition(self) -> Decomposition:
        return Decomposition.model_validate(self.model_dump(include=set(Decomposition.model_fields)))


class GraphDocument(BaseModel):
    """The `askg export --format json` / `askg import --format json` file."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["askg-graph"] = "askg-graph"
    schema_version: int = SCHEMA_VERSION
    actions: list[ActionRecord]


def separate_objects_and_scenes(
    objects: list[dict[str, Any]], scenes: list[str], handles: set[str]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Data written before a name had to be either an object or a scene (seeds listing "road" as
    both) made valid: such a name stays an object when a phase handles it, else a scene."""
    scene_names = {normalise_concept(s) for s in scenes}
    handled = {normalise_concept(h) for h in handles}
    both = {normalise_concept(o["name"]) for o in objects} & scene_names
    if not both:
        return objects, scenes
    kept_objects = [o for o in objects if normalise_concept(o["name"]) not in both - handled]
    kept_scenes = [s for s in scenes if normalise_concept(s) not in both & handled]
    return kept_objects, kept_scenes


def normalise_concept(name: str) -> str:
    return fold_name(name)


def action_id(name: str) -> str:
    return normalise_name(name)


def concept_id(name: str) -> str:
    return normalise_concept(name)


def phase_id(action: str, order: int) -> str:
    return f"{action}::phase-{order}"


def _unique(values: list[Any]) -> list[Any]:
    seen: set[Any] = set()
    kept = []
    for value in values:
        if value not in seen:
            seen.add(value)
            kept.append(value)
    return kept
