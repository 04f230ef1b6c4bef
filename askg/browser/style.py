"""The Neo4j Browser graph style (GraSS) shipped with askg, and the one-line Browser command that
applies it.

`style.grass` (next to this module) is the source. Neo4j Browser 5 accepts `:style` followed by a
URL, GraSS text, or the same rules as a JSON object. `browser.post_connect_cmd` splits its value on
`;` outside quotes, so GraSS text (whose declarations end in `;`) cannot go there, but the JSON form
can: `style_command()` renders it, and `scripts/neo4j/neo4j.conf` and `docker-compose.yml` carry
exactly that line (tests/browser/test_style.py keeps them in step with the .grass file).

The file deliberately has no comments: Browser's own GraSS reader (used when the file is dropped
onto a `:style` frame) does not skip them.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources

StyleRules = dict[str, dict[str, str]]

STYLE_FILE = "style.grass"
NODE_LABELS_STYLED = ("Action", "Object", "Scene", "Phase", "BodyPart")

_RULE = re.compile(r"([^{}]+)\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}", re.S)


def style_text() -> str:
    """The shipped `style.grass`."""
    return resources.files("askg.browser").joinpath(STYLE_FILE).read_text(encoding="utf-8")


def parse_grass(text: str) -> StyleRules:
    """GraSS text -> {selector: {property: value}}, values without their quotes (as Browser keeps them)."""
    rules: StyleRules = {}
    for match in _RULE.finditer(text):
        selector = match.group(1).strip()
        props: dict[str, str] = {}
        for declaration in match.group(2).split(";"):
            if not declaration.strip():
                continue
            key, sep, value = declaration.partition(":")
            if not sep:
                raise ValueError(f"GraSS: malformed declaration {declaration.strip()!r} in {selector!r}")
            props[key.strip()] = value.strip().strip('"')
        rules[selector] = props
    if not rules:
        raise ValueError("GraSS: no rules found")
    return rules


@cache
def style_rules() -> StyleRules:
    return parse_grass(style_text())


def style_json() -> str:
    """The rules as compact JSON (no `;`, so it survives post_connect_cmd's command splitting)."""
    text = json.dumps(style_rules(), separators=(",", ":"))
    if ";" in text:
        raise ValueError("the style must not contain ';' (browser.post_connect_cmd splits on it)")
    return text


def style_command() -> str:
    """The Browser command without its leading colon, as `browser.post_connect_cmd` wants it."""
    return f"style {style_json()}"


def label_colours() -> dict[str, str]:
    """Fill colour per node label, e.g. {"Action": "#D9534F", ...}."""
    rules = style_rules()
    return {label: rules[f"node.{label}"]["color"] for label in NODE_LABELS_STYLED}
