"""Class-name normalisation shared by the whole knowledge side.

Datasets spell the same class differently: UCF101 "ApplyEyeMakeup" (folders) and "Apply Eye Makeup"
(peers' index maps), HMDB51 "brush_hair" and "brush hair", Kinetics "abseiling". `normalise_name`
gives the canonical display form used as node id; `match_key` folds every spelling of one class to
the same key for look-ups (seeds, class files, the store).
"""

from __future__ import annotations

import re
import unicodedata

MAX_NAME_LENGTH = 120

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SEPARATORS = re.compile(r"[_\s]+")


def _split_camel_case(name: str) -> str:
    """'ApplyEyeMakeup' -> 'Apply Eye Makeup'; names with separators are left alone."""
    if " " in name or "_" in name or name.islower() or name.isupper():
        return name
    return _CAMEL_BOUNDARY.sub(" ", name)


def fold_name(name: str) -> str:
    """NFC, underscores and runs of whitespace folded to one space, lower case (concept names)."""
    text = unicodedata.normalize("NFC", name).strip()
    return _SEPARATORS.sub(" ", text).strip().lower()


def normalise_name(name: str) -> str:
    """Canonical class name: `fold_name` after splitting CamelCase ('ApplyEyeMakeup')."""
    return fold_name(_split_camel_case(unicodedata.normalize("NFC", name).strip()))


def match_key(name: str) -> str:
    """Spelling-insensitive key: the normalised name with everything but letters and digits removed."""
    return "".join(ch for ch in normalise_name(name) if ch.isalnum())


def check_name(name: str) -> str | None:
    """Why `name` is not a usable class or concept name, or None when it is."""
    if not name.strip():
        return "empty name"
    if len(name) > MAX_NAME_LENGTH:
        return f"name longer than {MAX_NAME_LENGTH} characters"
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        return "name contains control characters"
    return None
