"""The `GraphStore` interface both stores implement (contract: tests/store/test_store_contract.py)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from types import TracebackType

from pydantic import BaseModel

from askg.names import normalise_name
from askg.schema import NODE_LABELS, REL_TYPES, ActionRecord


class GraphStats(BaseModel):
    nodes: dict[str, int]
    relationships: dict[str, int]

    @classmethod
    def from_counts(cls, nodes: dict[str, int], relationships: dict[str, int]) -> GraphStats:
        return cls(
            nodes={label: nodes.get(label, 0) for label in NODE_LABELS},
            relationships={rel: relationships.get(rel, 0) for rel in REL_TYPES},
        )


class GraphStore(ABC):
    """A place the ASKG lives. Every action is written whole or not at all: `put_actions` replaces
    each action's subgraph (its phases, its relationships and its own object relations) atomically;
    shared concept nodes (Object, Scene, BodyPart) are merged by id and dropped when orphaned by a
    replacement."""

    description: str

    @abstractmethod
    def ensure_schema(self) -> None:
        """Create uniqueness constraints / indexes; idempotent."""

    @abstractmethod
    def put_actions(self, records: Iterable[ActionRecord]) -> int:
        """Write each record (replacing an existing action of the same id); returns how many."""

    @abstractmethod
    def get_actions(self, ids: Iterable[str] | None = None) -> list[ActionRecord]:
        """The records for `ids` that exist (all when None), sorted by id."""

    @abstractmethod
    def action_ids(self) -> list[str]:
        """All action ids, sorted."""

    @abstractmethod
    def delete_actions(self, ids: Iterable[str]) -> int:
        """Delete the actions and their subgraphs; returns how many existed."""

    @abstractmethod
    def stats(self) -> GraphStats:
        """Node counts by label and relationship counts by type."""

    @abstractmethod
    def close(self) -> None:
        """Release connections / persist pending changes."""

    @abstractmethod
    def set_concept_merges(self, label: str, canonical_id: str, merged_names: Iterable[str]) -> bool:
        """Add `merged_names` to the `merged_from` list of concept node `label:canonical_id` (Object,
        Scene or BodyPart; see askg.dedup); False when that node does not exist."""

    @abstractmethod
    def concept_merges(self, label: str) -> dict[str, list[str]]:
        """`merged_from` of every concept node of `label` that has one, by node id."""

    def check_writable(self) -> None:  # noqa: B027 (an optional check; most stores need none)
        """Raise a one-line AskgError when writing would fail (called before long work such as
        `askg build`); the Neo4j store checks its connection when opened."""

    def set_curated(self, ids: Iterable[str], flag: bool) -> int:
        """Set the `curated` flag of the actions `ids` and take their current content as the new
        baseline (askg.store.curation); returns how many of them exist."""
        raise NotImplementedError(f"{type(self).__name__} cannot set the curated flag")

    def get_action(self, name: str) -> ActionRecord | None:
        found = self.get_actions([normalise_name(name)])
        return found[0] if found else None

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
