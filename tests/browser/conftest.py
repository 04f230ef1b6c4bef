"""Fixtures for the Neo4j Browser tests: a few seed actions as records."""

from __future__ import annotations

import pytest

from askg.names import match_key
from askg.schema import ActionRecord, Provenance
from askg.seeds import load_seeds

# abseiling: the action-phases example; abseiling and biking through snow use a helmet;
# biking through snow and arm wrestling move the hands with a grip (the queries' example values).
SEED_ACTIONS = ("abseiling", "biking through snow", "arm wrestling")


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
