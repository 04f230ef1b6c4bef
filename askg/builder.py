"""`askg build`: resolve each class of a class list to an action record and write it to the store.

Per class the first of: already in the store (skipped unless `rebuild`; a new alias or dataset tag
is still added), a curated seed, the LLM response cache, the LLM. Records are written as they
complete, in chunks (the embedded store rewrites its file on every `put_actions`), so an interrupted
run keeps what was done; LLM answers are cached as soon as they validate, so a re-run resumes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel

from askg.class_lists import ClassEntry
from askg.llm.cache import CachedAnswer, ResponseCache
from askg.llm.client import DecompositionClient, LLMFailure, LLMUnreachable
from askg.llm.prompts import PROMPT_VERSION
from askg.names import normalise_name
from askg.schema import ActionRecord, Decomposition, Provenance
from askg.seeds import Seed
from askg.store.base import GraphStore

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
    model: str = DEFAULT_MODEL
    prompt_version: str = PROMPT_VERSION


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
        client: DecompositionClient | None,
        options: BuildOptions,
        on_outcome: Callable[[ClassOutcome], None] | None = None,
        dataset_tags: dict[str, str] | None = None,
    ) -> None:
        self.store = store
        self.seeds = seeds
        self.cache = cache
        self.client = client
        self.options = options
        self.on_outcome = on_outcome or (lambda _: None)
        self.outcomes: list[ClassOutcome] = []
        self.stopped: str | None = None
        self.dataset_tags = dataset_tags or {}  # match key -> dataset tag, when not options.dataset

    def _dataset(self, entry: ClassEntry) -> str:
        return self.dataset_tags.get(entry.key, self.options.dataset)

    def build(self, entries: list[ClassEntry], duplicates: list[str] | None = None) -> BuildSummary:
        return asyncio.run(self.build_async(entries, duplicates))

    async def build_async(
        self, entries: list[ClassEntry], duplicates: list[str] | None = None
    ) -> BuildSummary:
        started = time.perf_counter()
        writer = _Writer(self.store, self.options.chunk_size)
        existing = set(self.store.action_ids())
        to_ask: list[ClassEntry] = []
        try:
            for entry in entries:
                if not self._resolve_locally(entry, existing, writer):
                    to_ask.append(entry)
            if to_ask and self.client is None:
                for entry in to_ask:
                    self._done(ClassOutcome(class_name=entry.name, origin="failed", reason=NO_LLM_REASON))
            elif to_ask:
                await self._ask_llm(to_ask, writer)
        finally:
            writer.flush()
        return self._summary(len(entries), duplicates or [], time.perf_counter() - started)

    # --- store / seed / cache ------------------------------------------------------------------

    def _resolve_locally(self, entry: ClassEntry, existing: set[str], writer: _Writer) -> bool:
        seed = self.seeds.get(entry.key)
        candidates = [entry.normalised] + ([normalise_name(seed.name)] if seed else [])
        if not self.options.rebuild:
            for action_id in candidates:
                if action_id in existing:
                    self._tag_existing(entry, action_id, writer)
                    self._done(ClassOutcome(class_name=entry.name, origin="store", action_id=action_id))
                    return True
        if seed is not None:
            provenance = Provenance(source="seed", seed_version=seed.version)
            self._emit(entry, seed.name, seed.decomposition, provenance, "seed", writer)
            return True
        cached = self._cached(entry)
        if cached is not None:
            provenance = Provenance(
                source="llm",
                model=cached.model,
                prompt_version=cached.prompt_version,
                built_at=cached.built_at,
            )
            self._emit(entry, entry.name, cached.decomposition, provenance, "cache", writer)
            return True
        return False

    def _cached(self, entry: ClassEntry) -> CachedAnswer | None:
        if self.cache is None or not self.options.read_cache:
            return None
        return self.cache.get(self.options.model, self.options.prompt_version, entry.normalised)

    def _tag_existing(self, entry: ClassEntry, action_id: str, writer: _Writer) -> None:
        """Add this class file's spelling and dataset tag to a stored action if they are missing."""
        found = self.store.get_actions([action_id])
        if not found:
            return
        record = found[0]
        aliases = set(record.aliases)
        if entry.name.strip() != record.name:
            aliases.add(entry.name.strip())
        datasets = {*record.datasets, self._dataset(entry)}
        if aliases != set(record.aliases) or datasets != set(record.datasets):
            updated = record.model_dump()
            updated.update(aliases=sorted(aliases), datasets=sorted(datasets))
            writer.add(ActionRecord.model_validate(updated))

    def _emit(
        self,
        entry: ClassEntry,
        name: str,
        decomposition: Decomposition,
        provenance: Provenance,
        origin: Origin,
        writer: _Writer,
    ) -> None:
        record = ActionRecord.create(
            name, decomposition, provenance, aliases=[entry.name], datasets=[self._dataset(entry)]
        )
        writer.add(record)
        self._done(ClassOutcome(class_name=entry.name, origin=origin, action_id=record.id))

    # --- LLM -----------------------------------------------------------------------------------

    async def _ask_llm(self, entries: list[ClassEntry], writer: _Writer) -> None:
        assert self.client is not None
        client = self.client
        queue: asyncio.Queue[ClassEntry] = asyncio.Queue()
        for entry in entries:
            queue.put_nowait(entry)

        stop = asyncio.Event()  # set when the circuit opens: requests still in flight are abandoned

        def not_built(entry: ClassEntry, why: str) -> None:
            reason = f"{why}: {client.unreachable()}"
            self._done(ClassOutcome(class_name=entry.name, origin="failed", reason=reason))

        async def worker() -> None:
            while True:
                try:
                    entry = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                if client.circuit.opened:  # stop asking; the class is reported as not built
                    not_built(entry, "not asked")
                    continue
                try:
                    await self._ask_one(client, entry, writer)
                except asyncio.CancelledError:
                    if stop.is_set():
                        not_built(entry, "abandoned")
                    raise
                if client.circuit.opened:
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
            await client.close()

    async def _ask_one(self, client: DecompositionClient, entry: ClassEntry, writer: _Writer) -> None:
        config = client.config
        try:
            decomposition = await client.decompose(entry.normalised)
        except LLMUnreachable as exc:
            self.stopped = str(exc)
            self._done(ClassOutcome(class_name=entry.name, origin="failed", reason=str(exc)))
            return
        except LLMFailure as exc:
            self._done(ClassOutcome(class_name=entry.name, origin="failed", reason=str(exc)))
            return
        if self.cache is not None:
            self.cache.put(config.model, config.prompt_version, entry.normalised, decomposition)
        provenance = Provenance(
            source="llm",
            model=config.model,
            prompt_version=config.prompt_version,
            built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        )
        self._emit(entry, entry.name, decomposition, provenance, "llm", writer)

    # --- bookkeeping ---------------------------------------------------------------------------

    def _done(self, outcome: ClassOutcome) -> None:
        self.outcomes.append(outcome)
        self.on_outcome(outcome)

    def _summary(self, classes: int, duplicates: list[str], wall_s: float) -> BuildSummary:
        counts = {origin: 0 for origin in ORIGINS}
        for outcome in self.outcomes:
            counts[outcome.origin] += 1
        calls = self.client.calls if self.client else None
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
