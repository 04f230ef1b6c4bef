"""Dataset-specific actions: the graph as one dataset's class list sees it.

A dataset-specific seed (`punch@hmdb51`) is built as its own action, named "<class> (<dataset>)"
("punch (hmdb51)") with the dataset's class spelling as alias, next to the generic "punch". Looking a
class up for that dataset must find the specific action: `records_for_dataset` hides the generic
actions it stands in for, and `DatasetView` is a read-only store showing only that, for code that
reads a whole store (`askg export-prompts --dataset hmdb51` / `--classes hmdb51.txt`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from askg.names import match_key
from askg.schema import ActionRecord
from askg.seeds import DATASET_TAGS, dataset_family
from askg.store.base import GraphStats, GraphStore

_SPECIFIC_NAME = re.compile(rf"^(?P<name>.+) \((?P<dataset>{'|'.join(DATASET_TAGS)})\)$")


def specific_dataset(record: ActionRecord) -> str | None:
    """The dataset of a dataset-specific action ("punch (hmdb51)" -> "hmdb51"), else None."""
    found = _SPECIFIC_NAME.match(record.name)
    return found.group("dataset") if found else None


def records_for_dataset(records: list[ActionRecord], dataset: str | None) -> list[ActionRecord]:
    """`records` without the generic actions that a dataset-specific action of `dataset` (a class list
    tag such as "hmdb51" or "k600_split1") replaces for the same class."""
    if not dataset:
        return records
    family = dataset_family(dataset)
    replaced: set[str] = set()
    for record in records:
        found = _SPECIFIC_NAME.match(record.name)
        if found and found.group("dataset") == family:
            replaced.add(match_key(found.group("name")))
            replaced.update(match_key(alias) for alias in record.aliases)
    if not replaced:
        return records
    return [r for r in records if specific_dataset(r) is not None or match_key(r.name) not in replaced]


class DatasetView(GraphStore):
    """A read-only view of `store` in which a class of `dataset` finds its dataset-specific action."""

    def __init__(self, store: GraphStore, dataset: str | None) -> None:
        self.store = store
        self.dataset = dataset
        self.description = store.description

    def get_actions(self, ids: Iterable[str] | None = None) -> list[ActionRecord]:
        return records_for_dataset(self.store.get_actions(ids), self.dataset)

    def action_ids(self) -> list[str]:
        return [r.id for r in self.get_actions()]

    def stats(self) -> GraphStats:
        return self.store.stats()

    def concept_merges(self, label: str) -> dict[str, list[str]]:
        return self.store.concept_merges(label)

    def ensure_schema(self) -> None:
        """Nothing to do: the underlying store was opened with its schema."""

    def close(self) -> None:
        """The underlying store is closed by whoever opened it."""

    def put_actions(self, records: Iterable[ActionRecord]) -> int:
        raise TypeError("a DatasetView is read-only")

    def delete_actions(self, ids: Iterable[str]) -> int:
        raise TypeError("a DatasetView is read-only")

    def set_concept_merges(self, label: str, canonical_id: str, merged_names: Iterable[str]) -> bool:
        raise TypeError("a DatasetView is read-only")
