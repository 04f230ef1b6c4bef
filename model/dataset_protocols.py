"""The registry of evaluation protocols: one entry per dataset, naming its split count and shipped class list.

A new dataset protocol is one `register_protocol(DatasetProtocol(...))` call here (or in user code before
the config is read); `EvalSection.protocol` accepts exactly the registered names.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from graph_seeds import class_lists_dir


@dataclass(frozen=True)
class DatasetProtocol:
    name: str
    split_count: int | None  # None: any number of splits
    class_list: str | None  # shipped list name, "{split}" is the 1-based split number; None: the user's class maps

    def class_list_file(self, split_number: int) -> Path | None:
        if self.class_list is None:
            return None
        return class_lists_dir() / f"{self.class_list.format(split=split_number)}.txt"


_PROTOCOLS: dict[str, DatasetProtocol] = {}


def register_protocol(protocol: DatasetProtocol) -> None:
    _PROTOCOLS[protocol.name] = protocol


def protocol_names() -> tuple[str, ...]:
    return tuple(_PROTOCOLS)


def get_protocol(name: str) -> DatasetProtocol:
    """The registered protocol `name`; ValueError naming the known ones otherwise."""
    try:
        return _PROTOCOLS[name]
    except KeyError:
        raise ValueError(f"unknown protocol {name!r}; known: {', '.join(_PROTOCOLS)}") from None


register_protocol(DatasetProtocol("ucf101", 3, "ucf101"))  # every split over all 101 classes
register_protocol(DatasetProtocol("hmdb51", 3, "hmdb51"))
register_protocol(DatasetProtocol("k600", 3, "k600_split{split}"))  # split i over its 160 novel classes
register_protocol(DatasetProtocol("custom", None, None))
