"""Evaluation protocols: which class list each split uses (the registry: model/dataset_protocols.py).

A split's own `classes` wins; else the protocol's shipped class list; else the class map next to its file.
The video lists always come from the user's split files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from model.data.splits import SplitFileError, class_names_for, read_class_map
from model.dataset_protocols import get_protocol

if TYPE_CHECKING:
    from model.training.config import EvalSection


@dataclass(frozen=True)
class ResolvedSplit:
    name: str
    file: Path
    class_names: list[str]


def protocol_class_list(protocol: str, split_number: int) -> Path | None:
    return get_protocol(protocol).class_list_file(split_number)


def resolve_splits(section: EvalSection) -> list[ResolvedSplit]:
    expected = get_protocol(section.protocol).split_count
    if expected is not None and len(section.splits) != expected:
        raise SplitFileError(
            f"protocol {section.protocol} has {expected} splits, the config lists {len(section.splits)}"
        )
    resolved = []
    for number, split in enumerate(section.splits, start=1):
        if split.classes is not None:
            names = read_class_map(split.classes)
        elif (shipped := protocol_class_list(section.protocol, number)) is not None:
            names = read_class_map(shipped)
        else:
            names = class_names_for(split.file, None)
        resolved.append(ResolvedSplit(split.name or f"split{number}", split.file, names))
    return resolved
