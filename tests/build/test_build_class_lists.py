"""Class list edge cases as `askg build` sees them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from askg.class_lists import read_class_list
from askg.errors import InputError
from tests.build.conftest import askg


def test_duplicates_are_reported_once_and_dropped(tmp_path: Path) -> None:
    path = tmp_path / "ucf.txt"
    path.write_text("ApplyEyeMakeup\nApply Eye Makeup\napply_eye_makeup\nArchery\n")
    classes = read_class_list(path)
    assert classes.names == ["ApplyEyeMakeup", "Archery"]
    assert len(classes.duplicates) == 2 and all("ApplyEyeMakeup" in d for d in classes.duplicates)
    assert classes.dataset == "ucf"


@pytest.mark.parametrize(
    ("content", "needle"),
    [("Archery\n   \nBowling\n", "line 2: empty name"), ("Archery\n" + "x" * 200 + "\n", "line 2: name longer")],
)
def test_bad_names_are_rejected_with_the_line_number(tmp_path: Path, content: str, needle: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(content)
    with pytest.raises(InputError, match=needle):
        read_class_list(path)


def test_json_index_map(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    path.write_text(json.dumps({"1": "brush_hair", "0": "abseiling", "2": "Brush Hair"}))
    classes = read_class_list(path)
    assert classes.names == ["abseiling", "brush_hair"] and len(classes.duplicates) == 1


def test_cli_reports_a_bad_class_file_as_one_line_exit_2(clean_env: Path) -> None:
    bad = clean_env / "bad.txt"
    bad.write_text("Archery\n\nBowling\n")
    result = askg("--store", str(clean_env / "g.json"), "build", "--classes", str(bad), "--no-seeds")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"error: {bad}: line 2: empty name"]
    assert not (clean_env / "g.json").exists()
