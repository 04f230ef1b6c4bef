"""Fixtures for the Neo4j Browser tests: a few seed actions as records."""

from __future__ import annotations

import pytest

from askg.names import match_key
from askg.schema import ActionRecord, Provenance
from askg.seeds import load_seeds

# abseiling: the action-phases example; abseiling and rock climbing use a climbing harness;
# climbing a rope and arm wrestling move the hands with a grip (the queries' example values).
SEED_ACTIONS = ("abseiling", "rock climbing", "climbing a rope", "arm wrestling")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives headless Chromium against Neo4j Browser")


def seed_records(names: tuple[str, ...] = SEED_ACTIONS) -> list[ActionRecord]:
    seeds = load_seeds()
    records = []
    for name in names:
        seed = seeds[match_key(name)]
        provenance = Provenance(source="seed", seed_version=seed.version)
        records.append(ActionRecord.create(seed.name, seed.decomposition, provenance, datasets=["test"]))
    return records
