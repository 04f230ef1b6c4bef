"""Reader for the ``stdd-prompts`` JSON file written by the knowledge side (``askg export-prompts``)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

PromptKind = Literal["label", "spatial", "temporal"]
ALL_PROMPT_KINDS: tuple[PromptKind, ...] = ("label", "spatial", "temporal")


class PromptsFileError(ValueError):
    """The prompts file is missing or malformed."""

    exit_code = 2


class ClassPrompts(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str
    index: int = Field(ge=0)
    label: list[str] = []
    spatial: list[str] = []
    temporal: list[str] = []

    def prompts(self, kinds: Sequence[PromptKind] = ALL_PROMPT_KINDS) -> list[str]:
        """Prompts of the chosen kinds, concatenated in the order label, spatial, temporal."""
        return [text for kind in ALL_PROMPT_KINDS if kind in kinds for text in getattr(self, kind)]


class PromptsFile(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    format: Literal["stdd-prompts"]
    version: Literal[1]
    template_version: str
    graph_hash: str
    classes: list[ClassPrompts]

    @model_validator(mode="after")
    def _classes_indexed(self) -> PromptsFile:
        ordered = sorted(self.classes, key=lambda item: item.index)
        if [item.index for item in ordered] != list(range(len(ordered))):
            raise ValueError("class indices must be exactly 0..K-1")
        object.__setattr__(self, "classes", ordered)
        return self

    @property
    def class_names(self) -> list[str]:
        return [item.name for item in self.classes]

    def prompts_per_class(self, kinds: Sequence[PromptKind] = ALL_PROMPT_KINDS) -> list[list[str]]:
        per_class = [item.prompts(kinds) for item in self.classes]
        empty = [item.name for item, prompts in zip(self.classes, per_class, strict=True) if not prompts]
        if empty:
            raise PromptsFileError(f"classes without prompts of kinds {list(kinds)}: {empty[:5]}")
        return per_class


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_prompts_file(path: str | Path) -> PromptsFile:
    path = Path(path)
    if path.is_dir():
        raise PromptsFileError(f"prompts file {path} is a folder, not a file")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise PromptsFileError(f"prompts file not found: {path}") from None
    except OSError as error:
        raise PromptsFileError(f"prompts file {path}: cannot read ({error.strerror})") from None
    try:
        return PromptsFile.model_validate_json(data.removeprefix(b"\xef\xbb\xbf"))
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top)"
        raise PromptsFileError(
            f"invalid prompts file {path}: {where}: {first['msg']} ({error.error_count()} problems)"
        ) from None
