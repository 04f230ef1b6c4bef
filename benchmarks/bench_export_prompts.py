"""`askg export-prompts` for all 600 K600 classes (seed graph): from the embedded store, and from
Neo4j with one query per class vs. one batched query — side by side, interleaved.

    python -m benchmarks.bench_export_prompts [--rounds N]

Clears the database: starts its own throwaway Neo4j or uses the one STDD_TEST_NEO4J_URI marks as scratch.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from askg.class_lists import read_class_list
from askg.names import match_key, normalise_name
from askg.prompts.compiler import compile_prompts, load_templates
from askg.prompts.export import build_export, dataset_class_file, index_by_key
from askg.schema import ActionRecord, Provenance
from askg.seeds import default_seeds_dir, load_seeds
from askg.store.base import GraphStore
from askg.store.embedded import EmbeddedStore
from benchmarks.scratch import scratch_store
from benchmarks.timing import interleaved, table


def k600_seed_records() -> tuple[list[str], list[ActionRecord]]:
    seeds = load_seeds(default_seeds_dir())
    entries = read_class_list(dataset_class_file("k600")).entries
    records = [ActionRecord.create(seeds[e.key].name, seeds[e.key].decomposition,
                                   Provenance(source="seed", seed_version=seeds[e.key].version),
                                   aliases=[e.name], datasets=["k600"]) for e in entries]
    return [e.name for e in entries], records


def export_per_class(store: GraphStore, names: list[str], ids: list[str]) -> int:
    """One store query per class (what a naive graph walk does), then the same compiler."""
    templates = load_templates()
    compiled = 0
    for name, action_id in zip(names, ids, strict=True):
        (record,) = store.get_actions([action_id])
        compile_prompts(record, templates, action=normalise_name(name))
        compiled += 1
    return compiled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    names, records = k600_seed_records()
    with tempfile.TemporaryDirectory() as tmp, scratch_store() as neo4j:
        embedded = EmbeddedStore(Path(tmp) / "k600.json")
        embedded.put_actions(records)
        neo4j.driver.execute_query("MATCH (n) DETACH DELETE n")
        neo4j.ensure_schema()
        neo4j.put_actions(records)
        index = index_by_key(records)
        ids = [index[match_key(n)].id for n in names]
        times = interleaved(
            {
                "embedded store (file load + compile)": lambda: build_export(
                    EmbeddedStore(Path(tmp) / "k600.json"), names),
                "neo4j, one batched query": lambda: build_export(neo4j, names),
                "neo4j, one query per class": lambda: export_per_class(neo4j, names, ids),
            },
            rounds=args.rounds,
        )
    print(f"export-prompts, {len(names)} K600 classes, {args.rounds} interleaved rounds")
    print(table(times, baseline="neo4j, one batched query"))


if __name__ == "__main__":
    main()
