"""The shipped GraSS style, and the configs that apply it on connect, stay in step."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from askg.browser.style import label_colours, parse_grass, style_command, style_rules, style_text
from askg.schema import NODE_LABELS

REPO = Path(__file__).resolve().parents[2]


def test_one_colour_size_and_caption_per_label() -> None:
    rules = style_rules()
    colours = label_colours()
    assert set(colours) == set(NODE_LABELS)
    assert len(set(colours.values())) == len(NODE_LABELS)
    for label in NODE_LABELS:
        assert rules[f"node.{label}"]["diameter"].endswith("px")
    assert rules["node.Phase"]["caption"] == "{text}"
    assert {rules[f"node.{label}"]["caption"] for label in NODE_LABELS if label != "Phase"} == {"{name}"}
    assert rules["relationship.USES"]["caption"] == "{predicate}"
    assert rules["relationship.SHOWS"]["caption"] == "{pose}"
    assert rules["relationship.MOVES"]["caption"] == "{motion}"
    assert rules["relationship.HAS_PHASE"]["caption"] == "{step}"  # phase number from 1


def test_style_file_has_no_comments_or_semicolon_in_values() -> None:
    # Browser's own GraSS reader (file dropped on :style) does not skip comments.
    assert "/*" not in style_text() and "//" not in style_text()
    assert ";" not in style_command()


def test_style_command_is_the_json_of_the_grass_file() -> None:
    command = style_command()
    assert command.startswith("style {")
    assert json.loads(command.removeprefix("style ")) == parse_grass(style_text())


def test_local_neo4j_config_applies_the_style_on_connect() -> None:
    lines = (REPO / "scripts" / "neo4j" / "neo4j.conf").read_text(encoding="utf-8").splitlines()
    values = [line.partition("=")[2] for line in lines if line.startswith("browser.post_connect_cmd=")]
    assert values == [style_command()], "run `askg browse --style-command` and update scripts/neo4j/neo4j.conf"


def test_docker_compose_applies_the_style_on_connect() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
    env = compose["services"]["neo4j"]["environment"]
    assert env["NEO4J_browser_post__connect__cmd"] == style_command(), (
        "run `askg browse --style-command` and update docker-compose.yml"
    )
