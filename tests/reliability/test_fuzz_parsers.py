"""Fuzzing every file parser with hypothesis: whatever the bytes, a parser returns a value or raises its
one documented error, whose message is one line naming the file; the file is never changed."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from askg.class_lists import read_class_list
from askg.errors import AskgError
from askg.formats.graph_json import read_graph_json
from askg.formats.stdd_askg import read_stdd_askg
from askg.seeds import load_seed_file
from askg.store.embedded import EmbeddedStore
from model.data.splits import SplitFileError, read_class_map, split_items
from model.prompts_file import PromptsFileError, load_prompts_file
from model.training.checkpoint import CheckpointError, load_checkpoint
from model.training.config import ConfigError, load_config

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text that looks like each format, mutated: real structure with hostile values in it.
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 10**12), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30), st.sampled_from(["", "\x00", "[red]x[/]", "../../etc/passwd", "\ufeffa", "a" * 300]),
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.text(max_size=12) | st.sampled_from(["0", "1", "objects", "phases", "format", "version", "classes", "nodes",
                                            "edges", "name", "index", "label", "data", "root", "optim", "lr"]),
    inner, max_size=5), max_leaves=20)
raw_bytes = st.binary(max_size=300)


def _as_json(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


def _as_yaml(value: Any) -> bytes:
    return yaml.safe_dump(value, allow_unicode=True).encode()


documents = st.one_of(raw_bytes, values.map(_as_json), values.map(_as_yaml), st.text(max_size=200).map(str.encode))


def _check(parse: Callable[[Path], object], errors: tuple[type[Exception], ...], data: bytes, name: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            parse(path)
        except errors as exc:
            message = str(exc)
            assert str(path) in message, message
            assert "\n" not in message.strip(), message
        assert path.read_bytes() == data


@FUZZ
@given(data=documents)
def test_class_lists_txt(data: bytes) -> None:
    _check(read_class_list, (AskgError,), data, "classes.txt")


@FUZZ
@given(data=documents)
def test_class_lists_json(data: bytes) -> None:
    _check(read_class_list, (AskgError,), data, "classes.json")


@FUZZ
@given(data=documents)
def test_seed_yaml(data: bytes) -> None:
    _check(load_seed_file, (AskgError,), data, "seeds.yaml")


@FUZZ
@given(data=documents)
def test_stdd_askg_yaml(data: bytes) -> None:
    _check(read_stdd_askg, (AskgError,), data, "classes_ASKG_k400.yml")


@FUZZ
@given(data=documents)
def test_graph_json(data: bytes) -> None:
    _check(read_graph_json, (AskgError,), data, "graph.json")


@FUZZ
@given(data=documents)
def test_embedded_store_file(data: bytes) -> None:
    _check(lambda path: EmbeddedStore(path).get_actions(), (AskgError,), data, "graph.json")


@FUZZ
@given(data=documents)
def test_split_csv(data: bytes) -> None:
    _check(lambda path: split_items(path, path.parent / "videos"), (SplitFileError,), data, "split.csv")


@FUZZ
@given(data=documents)
def test_index2cls(data: bytes) -> None:
    _check(read_class_map, (SplitFileError,), data, "split-index2cls.json")


@FUZZ
@given(data=documents)
def test_prompts_json(data: bytes) -> None:
    _check(load_prompts_file, (PromptsFileError,), data, "prompts.json")


@FUZZ
@given(data=documents)
def test_training_config(data: bytes) -> None:
    _check(load_config, (ConfigError,), data, "train.yaml")


@FUZZ
@given(assignment=st.text(max_size=40))
def test_set_overrides(assignment: str) -> None:
    config = Path(__file__).resolve().parents[2] / "model" / "configs" / "train" / "synthetic_tiny_cpu.yaml"
    try:
        load_config(config, [assignment])
    except ConfigError as exc:
        assert str(config) in str(exc) or "--set" in str(exc) or "override" in str(exc) or "cannot set" in str(exc)


@FUZZ
@given(data=st.one_of(raw_bytes, st.binary(min_size=1, max_size=64).map(lambda b: b"PK\x03\x04" + b)))
def test_checkpoint_bytes(data: bytes) -> None:
    _check(load_checkpoint, (CheckpointError,), data, "model.pt")


@pytest.mark.parametrize("cut", [0.1, 0.5, 0.9, 0.999])
def test_checkpoint_truncated_anywhere(tmp_path: Path, cut: float) -> None:
    import torch

    good = tmp_path / "good.pt"
    torch.save({"config": {"model": {}}, "model": {"w": torch.ones(64, 64)}}, good)
    data = good.read_bytes()
    _check(load_checkpoint, (CheckpointError,), data[: int(len(data) * cut)], "model.pt")
