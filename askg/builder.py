"""`askg build`: resolve each class of a class list to an action record and write it to the store.

Per class the first of: already in the store (skipped unless `rebuild`; a new alias or dataset tag
is still added), a curated seed, the LLM response cache, the LLM. Records are written as they
complete, in chunks (the embedded store rewrites its file on every `put_actions`), so an interrupted
run keeps what was done; LLM answers are cached as soon as they validate, so a re-run resumes.

A class of a list whose dataset has its own seed for it (`punch@hmdb51`) becomes an action of its
own, "punch (hmdb51)", with the class spelling as alias. Classes of several lists that resolve to one
action (UCF101 "Punch" and K400 "punch") are built once, and the action records every list's
spelling and dataset tag. LLM answers (and cached ones) are folded onto the concept vocabulary's
canonical names (askg.vocabulary).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel

from askg.class_lists import ClassEntry
from askg.llm.cache import CachedAnswer, ResponseCache
from askg.llm.decomposer import Decomposer
from askg.llm.errors import LLMFailure, LLMUnreachable
from askg.llm.instructions import Instructions
from askg.names import normalise_name
from askg.schema import ActionRecord, Decomposition, Provenance
from askg.seeds import Seed, find_seed
from askg.store.base import GraphStore
from askg.vocabulary import EMPTY, Vocabulary

Origin = Literal["store", "seed", "cache", "llm", "failed"]
ORIGINS: tuple[Origin, ...] = ("store", "seed", "cache", "llm", "failed")
NO_LLM_REASON = "no LLM configured and no seed"
DEFAULT_CONCURRENCY = 8
DEFAULT_CHUNK = 50
DEFAULT_MODEL = "gpt-4o-mini"


class ClassOutcome(BaseModel):
    class_name: str
    origin: Origin
    action_id: str | None = None
    reason: str | None = None


class BuildSummary(BaseModel):
    store: str
    classes: int
    counts: dict[str, int]
    llm_requests: int
    llm_retries: int
    llm_invalid_answers: int
    duplicates: list[str]
    failed: list[ClassOutcome]
    wall_s: float
    stopped: str | None = None  # why the LLM work stopped early (the server could not be reached)

    @property
    def missing_llm(self) -> list[str]:
        return [f.class_name for f in self.failed if f.reason == NO_LLM_REASON]


@dataclass
class BuildOptions:
    dataset: str
    rebuild: bool = False
    concurrency: int = DEFAULT_CONCURRENCY
    chunk_size: int = DEFAULT_CHUNK
    read_cache: bool = True
    # what cached answers are looked up by when the builder has no decomposer (a run without an LLM
    # still uses answers cached by an earlier one); with a decomposer, its own instructions count
    instructions: Instructions = field(default_factory=lambda: Instructions(model=DEFAULT_MODEL))


@dataclass
class _Target:
    """One action to resolve, and every class entry (with its dataset tag) that names it."""

    entry: ClassEntry  # the first entry naming it: the one asked about
    seed: Seed | None
    candidates: list[str]  # action ids it may already be stored under, in order
    names: list[str]  # every class spelling naming it
    datasets: list[str]
    entries: list[ClassEntry]


class _Writer:
    """Buffers records and writes them in chunks; `flush` must run at the end (also on interruption)."""

    def __init__(self, store: GraphStore, chunk_size: int) -> None:
        self.store = store
        self.chunk_size = max(1, chunk_size)
        self.pending: list[ActionRecord] = []
        self.written = 0

    def add(self, record: ActionRecord) -> None:
        self.pending.append(record)
        if len(self.pending) >= self.chunk_size:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            batch, self.pending = self.pending, []
            self.written += self.store.put_actions(batch)


class Builder:
    def __init__(
        self,
        store: GraphStore,
        seeds: dict[str, Seed],
        cache: ResponseCache | None,
        decomposer: Decomposer | None,
        options: BuildOptions,
        on_outcome: Callable[[ClassOutcome], None] | None = None,
        dataset_tags: dict[str, str] | None = None,
        vocabulary: Vocabulary = EMPTY,
    ) -> None:
        self.store = store
        self.seeds = seeds
        self.cache = cache
        self.decomposer = decomposer
        self.options = options
        self.instructions = decomposer.instructions if decomposer is not None else options.instructions
        self.on_outcome = on_outcome or (lambda _: None)
        self.outcomes: list[ClassOutcome] = []
        self.stopped: str | None = None
        self.dataset_tags = dataset_tags or {}  # match key -> dataset tag, when not options.dataset
        self.vocabulary = vocabulary

    def _dataset(self, entry: ClassEntry) -> str:
        return self.dataset_tags.get(entry.key, self.options.dataset)

    def build(self, entries: list[ClassEntry], duplicates: list[str] | None = None) -> BuildSummary:
        return self.build_items([(entry, self._dataset(entry)) for entry in entries], duplicates)

    def build_items(
        self, items: list[tuple[ClassEntry, str]], duplicates: list[str] | None = None
    ) -> BuildSummary:
        """Build (class entry, dataset tag) pairs; one class may come in several lists."""
        return asyncio.run(self.build_async(items, duplicates))

    async def build_async(
        self, items: list[tuple[ClassEntry, str]], duplicates: list[str] | None = None
    ) -> BuildSummary:
        started = time.perf_counter()
        writer = _Writer(self.store, self.options.chunk_size)
        existing = set(self.store.action_ids())
        to_ask: list[_Target] = []
        try:
            for target in self._targets(items):
                if not self._resolve_locally(target, existing, writer):
                    to_ask.append(target)
            if to_ask and self.decomposer is None:
                for target in to_ask:
                    self._done_all(target, "failed", reason=NO_LLM_REASON)
            elif to_ask:
                await self._ask_llm(to_ask, writer)
        finally:
            writer.flush()
        return self._summary(len(items), duplicates or [], time.perf_counter() - started)

    def _targets(self, items: list[tuple[ClassEntry, str]]) -> list[_Target]:
        """The actions the items name, in first-mention order: a dataset's own seed makes an action
        of its own; otherwise all spellings of one class (one match key) share one action."""
        targets: dict[str, _Target] = {}
        for entry, dataset in items:
            seed = find_seed(self.seeds, entry.key, dataset)
            if seed is not None and seed.dataset:
                group, candidates = f"{entry.key}@{seed.dataset}", [seed.action_name]
            else:
                group = entry.key
                candidates = [entry.normalised] + ([normalise_name(seed.name)] if seed else [])
            target = targets.get(group)
            if target is None:
                targets[group] = _Target(entry, seed, candidates, [entry.name], [dataset], [entry])
                continue
            target.names.append(entry.name)
            target.datasets.append(dataset)
            target.entries.append(entry)
        return list(targets.values())

    # --- store / seed / cache ------------------------------------------------------------------

    def _resolve_locally(self, target: _Target, existing: set[str], writer: _Writer) -> bool:
        seed = target.seed
        if not self.options.rebuild:
            for action_id in target.candidates:
                if action_id in existing:
                    self._tag_existing(target, action_id, writer)
                    self._done_all(target, "store", action_id=action_id)
                    return True
        if seed is not None:
            provenance = Provenance(source="seed", seed_version=seed.version)
            self._emit(target, seed.action_name, seed.decomposition, provenance, "seed", writer)
            return True
        cached = self._cached(target.entry)
        if cached is not None:
            provenance = Provenance(
                source="llm",
                model=cached.model,
                prompt_version=cached.prompt_version,
                built_at=cached.built_at,
            )
            decomposition = self._canonical(cached.decomposition)
            self._emit(target, target.entry.name, decomposition, provenance, "cache", writer)
            return True
        return False

    def _canonical(self, decomposition: Decomposition) -> Decomposition:
        """The answer with vocabulary synonyms folded onto canonical names; unchanged in the rare case
        where folding would make an object and a scene one name."""
        try:
            return self.vocabulary.canonicalise(decomposition)
        except ValueError:
            return decomposition

    def _cached(self, entry: ClassEntry) -> CachedAnswer | None:
        if self.cache is None or not self.options.read_cache:
            return None
        return self.cache.get(self.instructions, entry.normalised)

    def _tag_existing(self, target: _Target, action_id: str, writer: _Writer) -> None:
        """Add the class files' spellings and dataset tags to a stored action if they are missing."""
        found = self.store.get_actions([action_id])
        if not found:
            return
        record = found[0]
        aliases = set(record.aliases) | {n.strip() for n in target.names if n.strip() != record.name}
        datasets = {*record.datasets, *target.datasets}
        if aliases != set(record.aliases) or datasets != set(record.datasets):
            updated = record.model_dump()
            updated.update(aliases=sorted(aliases), datasets=sorted(datasets))
            writer.add(ActionRecord.model_validate(updated))

    def _emit(
        self,
        target: _Target,
        name: str,
        decomposition: Decomposition,
        provenance: Provenance,
        origin: Origin,
        writer: _Writer,
    ) -> None:
        record = ActionRecord.create(
            name, decomposition, provenance, aliases=target.names, datasets=target.datasets
        )
        writer.add(record)
        self._done_all(target, origin, action_id=record.id)

    # --- LLM -----------------------------------------------------------------------------------

    async def _ask_llm(self, targets: list[_Target], writer: _Writer) -> None:
        assert self.decomposer is not None
        decomposer = self.decomposer
        queue: asyncio.Queue[_Target] = asyncio.Queue()
        for target in targets:
            queue.put_nowait(target)

        stop = asyncio.Event()  # set when the circuit opens: requests still in flight are abandoned

        def not_built(target: _Target, why: str) -> None:
            self._done_all(target, "failed", reason=f"{why}: {decomposer.stopped}")

        async def worker() -> None:
            while True:
                try:
                    target = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                if decomposer.stopped:  # stop asking; the class is reported as not built
                    not_built(target, "not asked")
                    continue
                try:
                    await self._ask_one(decomposer, target, writer)
                except asyncio.CancelledError:
                    if stop.is_set():
                        not_built(target, "abandoned")
                    raise
                if decomposer.stopped:
                    stop.set()

        workers = [asyncio.create_task(worker()) for _ in range(max(1, self.options.concurrency))]
        everything: asyncio.Future[Any] = asyncio.gather(*workers)
        stopper: asyncio.Future[Any] = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({everything, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if stop.is_set() and not everything.done():
                for task in workers:
                    task.cancel()
                await asyncio.gather(*workers, return_exceptions=True)
                while not queue.empty():
                    not_built(queue.get_nowait(), "not asked")
            else:
                await everything
        finally:
            stopper.cancel()
            for task in workers:
                task.cancel()
            await decomposer.close()

    async def _ask_one(self, decomposer: Decomposer, target: _Target, writer: _Writer) -> None:
        instructions = decomposer.instructions
        entry = target.entry
        try:
            decomposition = await decomposer.decompose(entry.normalised)
        except LLMUnreachable as exc:
            self.stopped = str(exc)
            self._done_all(target, "failed", reason=str(exc))
            return
        except LLMFailure as exc:
            self._done_all(target, "failed", reason=str(exc))
            return
        if self.cache is not None:
            self.cache.put(instructions, entry.normalised, decomposition)
        provenance = Provenance(
            source="llm",
            model=instructions.model,
            prompt_version=instructions.version,
            built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        )
        self._emit(target, entry.name, self._canonical(decomposition), provenance, "llm", writer)

    # --- bookkeeping ---------------------------------------------------------------------------

    def _done_all(self, target: _Target, origin: Origin, action_id: str | None = None,
                  reason: str | None = None) -> None:
        """One outcome per class entry that names the target."""
        for entry in target.entries:
            self._done(ClassOutcome(class_name=entry.name, origin=origin, action_id=action_id, reason=reason))

    def _done(self, outcome: ClassOutcome) -> None:
        self.outcomes.append(outcome)
        self.on_outcome(outcome)

    def _summary(self, classes: int, duplicates: list[str], wall_s: float) -> BuildSummary:
        counts = {origin: 0 for origin in ORIGINS}
        for outcome in self.outcomes:
            counts[outcome.origin] += 1
        calls = self.decomposer.calls if self.decomposer else None
        return BuildSummary(
            store=self.store.description,
            classes=classes,
            counts=counts,
            llm_requests=calls.requests if calls else 0,
            llm_retries=calls.retries if calls else 0,
            llm_invalid_answers=calls.invalid_answers if calls else 0,
            duplicates=duplicates,
            failed=[o for o in self.outcomes if o.origin == "failed"],
            wall_s=round(wall_s, 3),
            stopped=self.stopped,
        )
