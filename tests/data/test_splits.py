from __future__ import annotations

from pathlib import Path

import pytest

from graph_seeds import class_lists_dir
from model.data.splits import (
    SplitFileError,
    class_key,
    folder_items,
    read_class_map,
    read_split_file,
    split_items,
    write_split_file,
)
from model.evaluation.protocols import resolve_splits
from model.training.config import EvalSection
from tests.conftest import reference_file

EXPECTED = {"ucf101": 101, "hmdb51": 51, "k600": 160}


@pytest.mark.parametrize("dataset", ["ucf101", "hmdb51", "k600"])
@pytest.mark.parametrize("split", [1, 2, 3])
def test_reference_split_files_parse_with_expected_class_counts(dataset: str, split: int) -> None:
    csv = reference_file("splits", f"{dataset}_split{split}", "test.csv")
    rows = read_split_file(csv)
    labels = {label for _, label in rows}
    assert len(labels) == EXPECTED[dataset] and labels == set(range(EXPECTED[dataset]))
    assert all(relative and not relative.startswith("/") for relative, _ in rows)
    section = EvalSection(protocol=dataset, root=Path("/data"), prompts=Path("p.json"),  # type: ignore[arg-type]
                          splits=[{"file": reference_file("splits", f"{dataset}_split{i}", "test.csv")}
                                  for i in (1, 2, 3)])
    resolved = resolve_splits(section)[split - 1]
    assert len(resolved.class_names) == EXPECTED[dataset]
    items = split_items(csv, "/data", len(resolved.class_names))
    assert items[0].path == Path("/data") / rows[0][0]


@pytest.mark.parametrize("split", [1, 2, 3])
def test_k600_split_class_lists_match_the_reference_maps(split: int) -> None:
    reference = read_class_map(reference_file("splits", f"k600_split{split}", "classes-index2cls.json"))
    shipped = read_class_map(class_lists_dir() / f"k600_split{split}.txt")
    assert [class_key(n) for n in shipped] == [class_key(n) for n in reference]


@pytest.mark.parametrize("dataset", ["ucf101", "hmdb51"])
def test_shipped_class_lists_match_the_reference_maps(dataset: str) -> None:
    reference = read_class_map(reference_file("classes", f"{dataset}-index2cls.json"))
    shipped = read_class_map(class_lists_dir() / f"{dataset}.txt")
    assert [class_key(n) for n in shipped] == [class_key(n) for n in reference]


def test_split_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("a/b.mp4,x\n")
    with pytest.raises(SplitFileError, match=r"bad\.csv:1"):
        read_split_file(bad)
    good = tmp_path / "good.csv"
    write_split_file(good, [("a/b,c.mp4", 0), ("d/e.mp4", 3)])
    assert read_split_file(good) == [("a/b,c.mp4", 0), ("d/e.mp4", 3)]
    with pytest.raises(SplitFileError, match="out of range"):
        split_items(good, tmp_path, num_classes=2)
    with pytest.raises(SplitFileError):
        read_split_file(tmp_path / "missing.csv")


def test_folder_layout(tmp_path: Path) -> None:
    for name in ("walking", "Running"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "a.mp4").write_bytes(b"x")
        (tmp_path / name / "notes.txt").write_text("x")
    items, classes = folder_items(tmp_path)
    assert classes == ["Running", "walking"]
    assert [(item.path.name, item.label) for item in items] == [("a.mp4", 0), ("a.mp4", 1)]
