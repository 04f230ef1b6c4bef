"""Split files (``relative/path.ext,label`` CSV), class maps (JSON index->class or .txt) and folder layouts."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

VIDEO_EXTENSIONS = (".mp4", ".avi", ".mkv", ".webm", ".mov")


class SplitFileError(ValueError):
    """A split file or class map is missing or malformed."""


@dataclass(frozen=True)
class VideoItem:
    path: Path
    label: int


def class_key(name: str) -> str:
    """Spelling-insensitive class key: 'ApplyEyeMakeup', 'apply_eye_makeup', 'Apply Eye Makeup' agree."""
    return re.sub(r"[^0-9a-z]+", "", name.lower())


def read_split_file(path: str | Path) -> list[tuple[str, int]]:
    path = Path(path)
    if not path.is_file():
        raise SplitFileError(f"split file not found: {path}")
    rows: list[tuple[str, int]] = []
    with path.open(newline="") as stream:
        for line_number, row in enumerate(csv.reader(stream), start=1):
            if not row or not "".join(row).strip():
                continue
            try:
                relative, label = ",".join(row[:-1]).strip(), int(row[-1])
            except (ValueError, IndexError) as error:
                raise SplitFileError(f"{path}:{line_number}: expected 'relative/path,label', got {row}") from error
            if not relative or label < 0:
                raise SplitFileError(f"{path}:{line_number}: bad entry {row}")
            rows.append((relative, label))
    return rows


def read_class_map(path: str | Path) -> list[str]:
    """Class names by index from a JSON ``{"0": name, ...}`` map or a .txt list (one name per line)."""
    path = Path(path)
    if not path.is_file():
        raise SplitFileError(f"class map not found: {path}")
    if path.suffix == ".json":
        mapping = json.loads(path.read_text())
        try:
            indexed = {int(key): str(value) for key, value in mapping.items()}
        except (AttributeError, ValueError) as error:
            raise SplitFileError(f"{path}: expected a JSON object index -> class name") from error
        if sorted(indexed) != list(range(len(indexed))):
            raise SplitFileError(f"{path}: class indices must be exactly 0..K-1")
        return [indexed[index] for index in range(len(indexed))]
    return [line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]


def split_items(split_file: str | Path, data_root: str | Path, num_classes: int | None = None) -> list[VideoItem]:
    rows = read_split_file(split_file)
    if num_classes is not None and (bad := [label for _, label in rows if label >= num_classes]):
        raise SplitFileError(f"{split_file}: label {bad[0]} out of range for {num_classes} classes")
    root = Path(data_root)
    return [VideoItem(root / relative, label) for relative, label in rows]


def folder_items(root: str | Path, extensions: Sequence[str] = VIDEO_EXTENSIONS) -> tuple[list[VideoItem], list[str]]:
    """``root/<class>/<video>``: classes sorted by folder name, labels their positions."""
    root = Path(root)
    if not root.is_dir():
        raise SplitFileError(f"dataset folder not found: {root}")
    classes = sorted(entry.name for entry in root.iterdir() if entry.is_dir())
    items = [
        VideoItem(video, label)
        for label, name in enumerate(classes)
        for video in sorted((root / name).iterdir())
        if video.suffix.lower() in extensions
    ]
    return items, classes


def write_split_file(path: str | Path, rows: Sequence[tuple[str, int]]) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{relative},{label}\n" for relative, label in rows))


def write_class_map(path: str | Path, names: Sequence[str]) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({str(index): name for index, name in enumerate(names)}, indent=0) + "\n")
