"""Evaluation protocols: which class list each split uses.

ucf101 / hmdb51: every split over all classes (graph_seeds/classes/{ucf101,hmdb51}.txt); k600: split i over
its 160 novel classes (graph_seeds/classes/k600_split{i}.txt); custom: the user's class maps. The video lists
always come from the user's split files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from model.data.splits import SplitFileError, read_class_map
from model.training.build import class_names_for
from model.training.config import EvalSection

GRAPH_SEEDS = Path(os.environ.get("STDD_GRAPH_SEEDS", Path(__file__).resolve().parents[2] / "graph_seeds"))
SPLIT_COUNT = {"ucf101": 3, "hmdb51": 3, "k600": 3}


@dataclass(frozen=True)
class ResolvedSplit:
    name: str
    file: Path
    class_names: list[str]


def protocol_class_list(protocol: str, split_number: int) -> Path | None:
    if protocol in ("ucf101", "hmdb51"):
        return GRAPH_SEEDS / "classes" / f"{protocol}.txt"
    if protocol == "k600":
        return GRAPH_SEEDS / "classes" / f"k600_split{split_number}.txt"
    return None


def resolve_splits(section: EvalSection) -> list[ResolvedSplit]:
    expected = SPLIT_COUNT.get(section.protocol)
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
