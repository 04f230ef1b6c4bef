"""Import of the official K400 ASKG into Neo4j: batched `UNWIND … MERGE` (one transaction and one
statement per action) vs. one statement per triple (same Cypher, one row per statement, one
transaction per action), interleaved; the embedded store alongside.

    python -m benchmarks.bench_import [ASKG_YAML] [--rounds N]

Clears the database between runs, so it starts its own throwaway Neo4j (benchmarks/scratch.py) or uses
the server STDD_TEST_NEO4J_URI marks as scratch; never the one NEO4J_URI names.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from neo4j import ManagedTransaction

from askg.formats.stdd_askg import read_stdd_askg
from askg.schema import ActionRecord
from askg.store import cypher
from askg.store.embedded import EmbeddedStore
from askg.store.neo4j_store import Neo4jStore, delete_action_subgraph
from askg.store.rows import ActionRows, record_to_rows
from benchmarks.scratch import scratch_store
from benchmarks.timing import interleaved, table

DEFAULT_SOURCE = Path(__file__).resolve().parents[2] / "shared/data/reference/stdd_askg/classes_ASKG_k400.yml"


def write_action_per_row(tx: ManagedTransaction, rows: ActionRows) -> None:
    """The unbatched baseline: every triple is its own statement (one round trip each)."""
    delete_action_subgraph(tx, rows.id)
    tx.run(cypher.MERGE_ACTION, id=rows.id, props=rows.props).consume()
    for statement, field in cypher.BATCHED_WRITES:
        for row in rows.batch(field):
            tx.run(statement, id=rows.id, rows=[row]).consume()


def import_per_row(store: Neo4jStore, records: list[ActionRecord]) -> None:
    with store.driver.session() as session:
        for record in records:
            session.execute_write(write_action_per_row, record_to_rows(record))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    records = read_stdd_askg(args.source).records
    triples = sum(len(record_to_rows(r).uses) + len(record_to_rows(r).relates) + len(r.phases) for r in records)
    with scratch_store() as store:
        run(store, records, args.rounds, triples)


def run(store: Neo4jStore, records: list[ActionRecord], rounds: int, triples: int) -> None:
    store.ensure_schema()

    def clear(_: str) -> None:
        store.driver.execute_query("MATCH (n) DETACH DELETE n")

    with tempfile.TemporaryDirectory() as tmp:
        times = interleaved(
            {
                "neo4j batched (UNWIND, 1 tx/action)": lambda: store.put_actions(records),
                "neo4j one statement per triple": lambda: import_per_row(store, records),
                "embedded store (networkx + JSON)": lambda: EmbeddedStore(Path(tmp) / "g.json").put_actions(records),
            },
            rounds=rounds,
            setup=lambda name: (clear(name), (Path(tmp) / "g.json").unlink(missing_ok=True)),
        )
    clear("final")
    store.put_actions(records)
    stats = store.stats()
    print(f"K400 reference ASKG: {len(records)} actions, ~{triples} object/relation/phase rows; "
          f"{sum(stats.nodes.values())} nodes, {sum(stats.relationships.values())} relationships; "
          f"{rounds} interleaved rounds", file=sys.stderr)
    print(table(times, baseline="neo4j batched (UNWIND, 1 tx/action)"))
    batched = statistics.median(times["neo4j batched (UNWIND, 1 tx/action)"])
    per_row = statistics.median(times["neo4j one statement per triple"])
    print(f"\nbatched import: {batched:.2f} s; per-triple / batched = {per_row / batched:.2f}x")


if __name__ == "__main__":
    main()
