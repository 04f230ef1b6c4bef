"""Class list files: plain text (one class per line) or the JSON index→class maps the peers use.

Names are normalised for matching (askg.names); the original spelling is kept. Duplicates (two
spellings of one class) are reported once and dropped; empty or over-long names are errors that
name the file and the line (or JSON index).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from askg.errors import InputError
from askg.formats.yaml_io import load_json, read_text
from askg.names import check_name, match_key, normalise_name


@dataclass(frozen=True)
class ClassEntry:
    name: str  # as written in the file
    line: int  # line number (txt) or index (json)

    @property
    def normalised(self) -> str:
        return normalise_name(self.name)

    @property
    def key(self) -> str:
        return match_key(self.name)


@dataclass
class ClassList:
    path: Path
    entries: list[ClassEntry]
    duplicates: list[str] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [e.name for e in self.entries]

    @property
    def dataset(self) -> str:
        return self.path.stem


@dataclass(frozen=True)
class ResolvedClassList:
    path: Path
    shipped: bool  # True when the name was not a file here and named a list shipped in graph_seeds/classes


def shipped_class_lists() -> dict[str, Path]:
    """The class lists shipped with the toolkit, by name (k400, k600, k600_novel, ucf101, ...)."""
    from graph_seeds import class_lists_dir

    return {path.stem: path for path in sorted(class_lists_dir().glob("*.txt"))}


def resolve_class_list(path: Path) -> ResolvedClassList:
    """A class-list argument as typed: an existing file always wins; otherwise a bare name such as
    `k600` or `k600.txt` names the shipped list; anything else is a one-line InputError."""
    if path.is_file():
        return ResolvedClassList(path, shipped=False)
    shipped = shipped_class_lists()
    if path.parent == Path(".") and path.suffix.lower() in ("", ".txt"):
        stem = path.name[: -len(path.suffix)] if path.suffix else path.name
        if stem in shipped:
            return ResolvedClassList(shipped[stem], shipped=True)
    if path.exists():
        raise InputError(f"{path}: not a file")
    raise InputError(f"{path}: no such file (shipped class lists: {', '.join(shipped)})")


def read_class_list(path: Path) -> ClassList:
    """Read a .txt or .json class list; raises InputError naming the file and line."""
    if path.suffix.lower() == ".json":
        raw_entries = _json_entries(path)
        where = "index"
    else:
        raw_entries = _txt_entries(path)
        where = "line"
    entries: list[ClassEntry] = []
    first_seen: dict[str, ClassEntry] = {}
    duplicates: list[str] = []
    for position, name in raw_entries:
        problem = check_name(name)
        if problem:
            raise InputError(f"{path}: {where} {position}: {problem}")
        entry = ClassEntry(name.strip(), position)
        if entry.key in first_seen:
            first = first_seen[entry.key]
            duplicates.append(f"{entry.name!r} ({where} {position}) repeats {first.name!r} ({where} {first.line})")
            continue
        first_seen[entry.key] = entry
        entries.append(entry)
    if not entries:
        raise InputError(f"{path}: no class names")
    return ClassList(path=path, entries=entries, duplicates=duplicates)


def _txt_entries(path: Path) -> list[tuple[int, str]]:
    lines = read_text(path).splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    return [(number, line) for number, line in enumerate(lines, start=1) if not line.lstrip().startswith("#")]


def _json_entries(path: Path) -> list[tuple[int, str]]:
    raw = load_json(path)
    if isinstance(raw, list):
        items = list(enumerate(raw))
    elif isinstance(raw, dict):
        try:
            items = sorted((int(k), v) for k, v in raw.items())
        except ValueError:
            raise InputError(f"{path}: JSON class map keys must be integer indexes") from None
    else:
        raise InputError(f"{path}: expected a JSON index→class map or list")
    entries = []
    for index, value in items:
        if not isinstance(value, str):
            raise InputError(f"{path}: index {index}: class name must be a string")
        entries.append((index, value))
    return entries


def read_class_lists(paths: list[Path], dataset: str | None) -> tuple[list[tuple[ClassEntry, str]], list[str]]:
    """Entries of several class files, each with its dataset tag (`dataset`, else the file stem).
    A class repeated within a file, or in two files of the same tag, is reported once and kept at
    its first place; a class in lists of different tags (UCF101 "Punch", HMDB51 "punch") is kept once
    per tag, so the build records every list's tag and spelling."""
    seen: set[tuple[str, str]] = set()
    entries: list[tuple[ClassEntry, str]] = []
    duplicates: list[str] = []
    for path in paths:
        class_list = read_class_list(path)
        tag = dataset or class_list.dataset
        duplicates.extend(f"{path.name}: {d}" for d in class_list.duplicates)
        for entry in class_list.entries:
            if (entry.key, tag) in seen:
                duplicates.append(
                    f"{path.name}: {entry.name!r} (line {entry.line}) already in an earlier file"
                )
                continue
            seen.add((entry.key, tag))
            entries.append((entry, tag))
    return entries, duplicates
