"""`askg build --no-seeds` with a real local LLM on 30 seeded classes: does it build, how fast, does the
output follow the seed rules, and how good is its knowledge next to the curated seeds.

    URL=$(scripts/real-llm start)
    PYTHONPATH=. python -m benchmarks.bench_real_llm --base-url "$URL" [--model smollm2] [--keep DIR]

The 30 classes (10 each from K600's novel classes, UCF101 and HMDB51) all have curated seeds; the
seeds are ignored for the build (as `--no-seeds` does) and used only as the reference. Everything is
built into a temporary store and answer cache of its own (never a user's store, never a cached
answer); `--keep DIR` keeps them for `askg --store DIR/graph.json show CLASS`.

Per class: built or not; schema-valid on the first answer; requests, transport retries and invalid
answers; seconds; the seed rules that apply to LLM output (>= 3 phases, >= 2 body parts moving,
>= 1 scene) and, stricter, all rules of curated seeds (askg.seed_check); and where a small model
fails: body parts outside the vocabulary, content copied from the prompt's quoted examples, repeated
phase texts. Then the knowledge benchmark (benchmarks.
bench_knowledge: ID@1 / ID@5 / LOO of name-masked spatial and temporal prompts, MiniLM embeddings)
over these 30 classes, LLM-built graph vs seeds. Classes run one at a time (a local server answers
one request at a time anyway).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from askg.builder import Builder, BuildOptions
from askg.class_lists import ClassEntry
from askg.llm.cache import ResponseCache
from askg.llm.client import DecompositionClient, LLMConfig, copied_places
from askg.llm.decomposer import CallCounter
from askg.llm.instructions import AnswerBounds, Instructions, body_part_vocabulary
from askg.names import match_key, normalise_name
from askg.schema import Decomposition
from askg.seed_check import MIN_BODY_PARTS, MIN_PHASES, MIN_SCENES, seed_problems
from askg.seeds import default_seeds_dir, find_seed, load_seeds
from askg.store.embedded import EmbeddedStore
from askg.vocabulary import load_vocabulary
from benchmarks.bench_knowledge import KINDS, Prompts, Scores, _compiled, masked, minilm_embedder, score

CLASSES: dict[str, list[str]] = {
    "k600": ["archaeological excavation", "capsizing", "cutting apple", "head stand", "longboarding",
             "pillow fight", "playing scrabble", "sausage making", "steer roping", "using a power drill"],
    "ucf101": ["BabyCrawling", "BlowingCandles", "CricketShot", "Haircut", "IceDancing", "Mixing",
               "PlayingPiano", "RockClimbingIndoor", "SoccerJuggling", "TrampolineJumping"],
    "hmdb51": ["cartwheel", "climb_stairs", "eat", "handstand", "kick_ball", "pullup", "ride_horse",
               "shoot_gun", "somersault", "talk"],
}


@dataclass
class ClassResult:
    dataset: str
    name: str
    built: bool = False
    reason: str | None = None
    seconds: float = 0.0
    requests: int = 0
    retries: int = 0
    invalid_answers: int = 0
    first_try_valid: bool = False
    rules_ok: bool = False
    seed_check_ok: bool = False  # every rule a curated seed must follow (askg.seed_check), not only LLM's
    problems: list[str] = field(default_factory=list)


class MeasuringDecomposer:
    """Wraps a `Decomposer` and records seconds and call counts per class (one class at a time)."""

    def __init__(self, inner: DecompositionClient) -> None:
        self.inner = inner
        self.per_class: dict[str, tuple[float, CallCounter]] = {}

    @property
    def instructions(self) -> Instructions:
        return self.inner.instructions

    @property
    def calls(self) -> CallCounter:
        return self.inner.calls

    @property
    def stopped(self) -> str | None:
        return self.inner.stopped

    async def decompose(self, class_name: str) -> Decomposition:
        before = CallCounter(self.calls.requests, self.calls.retries, self.calls.invalid_answers)
        started = time.perf_counter()
        outcome = "failed"
        try:
            result = await self.inner.decompose(class_name)
            outcome = "built"
            return result
        finally:
            print(f"{class_name}: {outcome} in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
            delta = CallCounter(self.calls.requests - before.requests, self.calls.retries - before.retries,
                                self.calls.invalid_answers - before.invalid_answers)
            self.per_class[class_name] = (time.perf_counter() - started, delta)

    async def close(self) -> None:
        await self.inner.close()


def failure_modes(decomposition: Decomposition, vocabulary: set[str]) -> list[str]:
    """The seed rules for LLM output, then the typical failures of a small model."""
    problems = []
    moving = {m.body_part for p in decomposition.phases for m in p.motions}
    if len(decomposition.phases) < MIN_PHASES:
        problems.append(f"rule: {len(decomposition.phases)} phases")
    if len(moving) < MIN_BODY_PARTS:
        problems.append(f"rule: {len(moving)} body parts")
    if len(decomposition.scenes) < MIN_SCENES:
        problems.append("rule: no scene")
    invented = sorted(moving - vocabulary)
    if invented:
        problems.append(f"invented body parts: {', '.join(invented)}")
    copied = sorted(set(copied_places(decomposition)))  # any copy at all (the client rejects from 3 on)
    if copied:
        problems.append(f"copied from the prompt's examples: {', '.join(copied)}")
    texts = [p.text for p in decomposition.phases]
    if len(set(texts)) < len(texts):
        problems.append(f"repeated phase texts ({len(texts) - len(set(texts))})")
    return problems


def build(
    base_url: str, model: str, timeout_s: float, max_invalid: int, work: Path, answer_bounds: AnswerBounds = "compact"
) -> tuple[list[ClassResult], dict[str, Decomposition]]:
    seeds_dir = default_seeds_dir()
    body_parts = body_part_vocabulary(seeds_dir)
    config = LLMConfig(model=model, base_url=base_url, timeout_s=timeout_s, body_parts=body_parts,
                       max_retries=2, backoff_base_s=1.0, max_invalid=max_invalid, answer_bounds=answer_bounds)
    decomposer = MeasuringDecomposer(DecompositionClient(config))
    store = EmbeddedStore(work / "graph.json")
    options = BuildOptions(dataset="bench", concurrency=1)
    builder = Builder(store, {}, ResponseCache(work / "cache"), decomposer, options,
                      vocabulary=load_vocabulary(seeds_dir))
    items = [(ClassEntry(name, i + 1), dataset)
             for dataset, names in CLASSES.items() for i, name in enumerate(names)]
    summary = builder.build_items(items)
    print(f"built {summary.counts['llm']} of {summary.classes} in {summary.wall_s:.0f} s; "
          f"{summary.llm_requests} requests", file=sys.stderr)
    records = {r.id: r for r in store.get_actions()}
    store.close()
    outcomes = {o.class_name: o for o in summary.failed}
    results, built = [], {}
    for entry, dataset in items:
        result = ClassResult(dataset, entry.name)
        seconds, calls = decomposer.per_class.get(entry.normalised, (0.0, CallCounter()))
        result.seconds, result.requests, result.retries = round(seconds, 1), calls.requests, calls.retries
        result.invalid_answers = calls.invalid_answers
        record = records.get(normalise_name(entry.name))
        if record is None:
            result.reason = outcomes[entry.name].reason if entry.name in outcomes else "not built"
        else:
            result.built = True
            result.first_try_valid = calls.invalid_answers == 0
            built[entry.name] = record.decomposition()
            result.problems = failure_modes(built[entry.name], set(body_parts))
            result.rules_ok = not any(p.startswith("rule:") for p in result.problems)
            result.seed_check_ok = not seed_problems(entry.name, built[entry.name], frozenset(body_parts))
        results.append(result)
    return results, built


def knowledge(built: dict[str, Decomposition]) -> dict[str, dict[str, Scores]]:
    """ID@1 / ID@5 / LOO over the 30 classes, per side, for the LLM-built graph and for the seeds."""
    seeds = load_seeds(default_seeds_dir())
    names = [name for names in CLASSES.values() for name in names]
    sources: dict[str, Prompts] = {"llm": {}, "seeds": {}}
    for dataset, dataset_names in CLASSES.items():
        for name in dataset_names:
            label = normalise_name(name)
            seed = find_seed(seeds, match_key(name), dataset)
            if seed is not None:
                sources["seeds"][name] = _compiled(seed.decomposition, label)
            if name in built:
                sources["llm"][name] = _compiled(built[name], label)
    embed = minilm_embedder()
    return {source: {kind: score(names, masked(prompts, kind), embed) for kind in KINDS}
            for source, prompts in sources.items()}


def report(results: list[ClassResult], scores: dict[str, dict[str, Scores]] | None) -> str:
    built = [r for r in results if r.built]
    lines = ["| dataset | class | built | 1st try valid | requests | retries | invalid | s | rules | problems |",
             "|---|---|---|---|---:|---:|---:|---:|---|---|"]
    for r in results:
        lines.append(f"| {r.dataset} | {r.name} | {'yes' if r.built else 'no'} | "
                     f"{'yes' if r.first_try_valid else 'no'} | {r.requests} | {r.retries} | {r.invalid_answers} | "
                     f"{r.seconds:.0f} | "
                     f"{'ok' if r.rules_ok else 'no'} | {'; '.join(r.problems) or r.reason or ''} |")
    n = len(results)
    seconds = sorted(r.seconds for r in results)
    lines += ["", f"built {len(built)}/{n}; schema-valid on the first answer "
              f"{sum(r.first_try_valid for r in built)}/{n}; "
              f"seed rules (>= {MIN_PHASES} phases, >= {MIN_BODY_PARTS} body parts, >= {MIN_SCENES} scene) "
              f"{sum(r.rules_ok for r in built)}/{n}; every rule of curated seeds (askg.seed_check) "
              f"{sum(r.seed_check_ok for r in built)}/{n}; requests {sum(r.requests for r in results)}, "
              f"retries {sum(r.retries for r in results)}, "
              f"invalid answers {sum(r.invalid_answers for r in results)}; "
              f"seconds per class median {seconds[n // 2]:.0f}, max {seconds[-1]:.0f}"]
    modes: dict[str, int] = {}
    for r in built:
        for problem in r.problems:
            mode = problem.split(":")[0].split(" (")[0]
            modes[mode] = modes.get(mode, 0) + 1
    lines.append("failure modes (classes): " + (", ".join(f"{k} {v}" for k, v in sorted(modes.items())) or "none"))
    if scores:
        lines += ["", "| source | side | ID@1 | ID@5 | LOO | classes | prompts/class |",
                  "|---|---|---:|---:|---:|---:|---:|"]
        for source, kinds in scores.items():
            for kind, s in kinds.items():
                lines.append(f"| {source} | {kind} | {s.id1:.3f} | {s.id5:.3f} | {s.loo:.3f} | {s.covered} | "
                             f"{s.prompts_per_class:.1f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--base-url", required=True, help="the server's OpenAI-compatible URL (…/v1)")
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per request")
    parser.add_argument("--max-invalid", type=int, default=3,
                        help="extra answers asked for after an invalid one (askg build's default: 3); on a slow "
                             "CPU each re-asked conversation costs its prompt again")
    parser.add_argument("--keep", type=Path, help="keep the store and cache in this (new) folder")
    parser.add_argument("--json", type=Path, help="also write the per-class results here")
    parser.add_argument("--no-knowledge", action="store_true", help="skip the knowledge benchmark")
    parser.add_argument("--answer-bounds", choices=["compact", "standard"], default="compact",
                        help="the answer schema's bounds (askg build --llm-answer-bounds); compact suits a 135M model")
    args = parser.parse_args(argv)
    if args.keep is not None and args.keep.exists():
        print(f"error: --keep {args.keep}: already exists (give a new folder)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="bench-real-llm-") as scratch:
        work = args.keep or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        results, built = build(args.base_url, args.model, args.timeout, args.max_invalid, work, args.answer_bounds)
        scores = None if args.no_knowledge else knowledge(built)
    print(report(results, scores))
    version = Instructions(model=args.model).version
    print(f"\n{time.perf_counter() - started:.0f} s; model {args.model}; prompt {version}, {args.answer_bounds} bounds")
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
