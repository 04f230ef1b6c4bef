"""Split files (``relative/path.ext,label`` CSV), class maps (JSON index->class or .txt) and folder layouts."""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

VIDEO_EXTENSIONS = (".mp4", ".avi", ".mkv", ".webm", ".mov")


class SplitFileError(ValueError):
    """A split file or class map is missing or malformed."""

    exit_code = 2


@dataclass(frozen=True)
class VideoItem:
    path: Path
    label: int


def class_key(name: str) -> str:
    """Spelling-insensitive class key: 'ApplyEyeMakeup', 'apply_eye_makeup', 'Apply Eye Makeup' agree."""
    return re.sub(r"[^0-9a-z]+", "", name.lower())


def _read_text(path: Path, what: str) -> str:
    """UTF-8 text without a byte-order mark; SplitFileError naming the file otherwise."""
    if path.is_dir():
        raise SplitFileError(f"{what} {path} is a folder, not a file")
    if not path.is_file():
        raise SplitFileError(f"{what} not found: {path}")
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise SplitFileError(f"{path}: not UTF-8 text (byte {error.start})") from None
    except OSError as error:
        raise SplitFileError(f"{path}: cannot read ({error.strerror})") from None


def inside_root(root: str | Path, relative: str) -> Path | None:
    """``root / relative`` when it stays inside ``root`` (checked on the path's text, so symlinks inside the
    data root may point anywhere), else None: an absolute path elsewhere, or ``..`` climbing out."""
    base = os.path.normpath(os.path.abspath(root))
    candidate = os.path.normpath(os.path.join(base, relative))
    if candidate == base or not candidate.startswith(base.rstrip(os.sep) + os.sep):
        return None
    return Path(candidate)


def read_split_file(path: str | Path) -> list[tuple[str, int]]:
    """Rows ``relative/path,label`` (split_items checks that each path stays inside the data root)."""
    path = Path(path)
    text = _read_text(path, "split file")
    rows: list[tuple[str, int]] = []
    for line_number, row in enumerate(csv.reader(text.splitlines()), start=1):
        if not row or not "".join(row).strip():
            continue
        try:
            relative, label = ",".join(row[:-1]).strip(), int(row[-1])
        except (ValueError, IndexError):
            raise SplitFileError(f"{path}:{line_number}: expected 'relative/path,label', got {row}") from None
        if not relative or label < 0 or "\x00" in relative:
            raise SplitFileError(f"{path}:{line_number}: bad entry {row}")
        rows.append((relative, label))
    return rows


def read_class_map(path: str | Path) -> list[str]:
    """Class names by index from a JSON ``{"0": name, ...}`` map or a .txt list (one name per line)."""
    path = Path(path)
    text = _read_text(path, "class map")
    if path.suffix == ".json":
        try:
            mapping = json.loads(text)
        except json.JSONDecodeError as error:
            raise SplitFileError(f"{path}: not valid JSON ({error.msg} at line {error.lineno})") from None
        try:
            indexed = {int(key): value for key, value in mapping.items()}
        except (AttributeError, ValueError):
            raise SplitFileError(f"{path}: expected a JSON object index -> class name") from None
        if not all(isinstance(value, str) and value.strip() for value in indexed.values()):
            raise SplitFileError(f"{path}: every class name must be a non-empty string")
        if not indexed or sorted(indexed) != list(range(len(indexed))):
            raise SplitFileError(f"{path}: class indices must be exactly 0..K-1 (K >= 1)")
        return [indexed[index] for index in range(len(indexed))]
    names = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if not names:
        raise SplitFileError(f"{path}: no class names")
    return names


def resolve_class_map(split_file: Path, explicit: Path | None) -> Path:
    """Explicit, else ``<stem>-index2cls.json`` next to the CSV, else ``classes-index2cls.json`` there or above."""
    if explicit is not None:
        return explicit
    candidates = [
        split_file.with_name(f"{split_file.stem}-index2cls.json"),
        split_file.with_name("classes-index2cls.json"),
        split_file.parent.parent / "classes-index2cls.json",
    ]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise SplitFileError(
        f"no class map for {split_file}: give one (classes: ...) or put {candidates[0].name} next to it"
    )


def class_names_for(split_file: Path, explicit: Path | None) -> list[str]:
    """The class names of a split file: from ``explicit``, else from the class map found next to it."""
    return read_class_map(resolve_class_map(split_file, explicit))


def split_items(split_file: str | Path, data_root: str | Path, num_classes: int | None = None) -> list[VideoItem]:
    rows = read_split_file(split_file)
    if num_classes is not None and (bad := [label for _, label in rows if label >= num_classes]):
        raise SplitFileError(f"{split_file}: label {bad[0]} out of range for {num_classes} classes")
    items = []
    for number, (relative, label) in enumerate(rows, start=1):
        resolved = inside_root(data_root, relative)
        if resolved is None:
            raise SplitFileError(f"{split_file}: row {number}: path {relative!r} leaves the data root {data_root}")
        items.append(VideoItem(resolved, label))
    return items


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
