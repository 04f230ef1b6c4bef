"""Class lists against the peers' reference lists, and the curated seeds against the thresholds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from askg.class_lists import read_class_list
from askg.names import match_key, normalise_name
from askg.prompts.export import dataset_class_file
from askg.seed_check import coverage_reports
from askg.seeds import default_seeds_dir, load_seeds
from tests.conftest import reference_file
from tests.patience import patience

# K400 classes that Kinetics-600 renamed: the reference "novel" list carries these K600 names as
# variants, but they are not novel classes.
K600_RENAMES_OF_K400 = {
    "baby waking up": "waking up",
    "balloon blowing": "inflating balloons",
    "changing wheel": "changing wheel (not on bike)",
    "cooking sausages": "cooking sausages (not on barbeque)",
    "dying hair": "dyeing hair",
    "garbage collecting": "person collecting garbage",
    "hugging": "hugging (not baby)",
    "making bed": "making the bed",
    "opening bottle": "opening bottle (not wine)",
    "throwing ball": "throwing ball (not baseball or American football)",
    "tying tie": "tying necktie",
}


def reference_names(*parts: str) -> list[str]:
    data = json.loads(reference_file(*parts).read_text())
    return [data[k] for k in sorted(data, key=int)]


def ours(dataset: str) -> list[str]:
    return read_class_list(dataset_class_file(dataset)).names


@pytest.mark.parametrize(
    ("dataset", "reference", "count"),
    [
        ("k400", ("classes", "k400-index2cls.json"), 400),
        ("k600", ("classes", "k600-index2cls.json"), 600),
        ("ucf101", ("classes", "ucf101-index2cls.json"), 101),
        ("hmdb51", ("classes", "hmdb51-index2cls.json"), 51),
        ("k600_split1", ("splits", "k600_split1", "classes-index2cls.json"), 160),
        ("k600_split2", ("splits", "k600_split2", "classes-index2cls.json"), 160),
        ("k600_split3", ("splits", "k600_split3", "classes-index2cls.json"), 160),
    ],
)
def test_class_lists_match_the_references_in_order(dataset: str, reference: tuple[str, ...], count: int) -> None:
    mine = ours(dataset)
    assert len(mine) == count
    assert [match_key(n) for n in mine] == [match_key(n) for n in reference_names(*reference)]


def test_dataset_spellings_are_the_datasets_own() -> None:
    assert ours("ucf101")[:2] == ["ApplyEyeMakeup", "ApplyLipstick"]
    assert ours("hmdb51")[0] == "brush_hair" and "fall_floor" in ours("hmdb51")
    assert ours("k400")[0] == "abseiling"
    assert "passing American football (in game)" in ours("k400")  # Kinetics keeps its own capitals


def test_k600_novel_is_k600_minus_k400_and_maps_onto_the_232_entry_reference() -> None:
    novel = ours("k600_novel")
    k400 = {match_key(n) for n in ours("k400")}
    renamed = {match_key(n) for n in K600_RENAMES_OF_K400.values()}
    assert len(novel) == 220
    assert not {match_key(n) for n in novel} & (k400 | renamed)
    assert {match_key(n) for n in ours("k600")} - k400 - renamed == {match_key(n) for n in novel}
    reference = {match_key(n) for n in reference_names("classes", "k600-novel220-index2cls.json")}
    assert len(reference) == 232
    assert {match_key(n) for n in novel} <= reference
    variants = reference - {match_key(n) for n in novel}
    # the 12 extra reference entries: the 11 K600 renames and one K400 class spelled as in K600
    assert variants == renamed | {match_key("passing american football (not in game)")}
    for split in ("k600_split1", "k600_split2", "k600_split3"):
        assert {match_key(n) for n in ours(split)} <= {match_key(n) for n in novel}


def test_every_class_of_every_list_has_a_seed_passing_the_thresholds() -> None:
    reports = coverage_reports(default_seeds_dir())
    assert {r.dataset for r in reports} >= {"k400", "k600", "k600_novel", "k600_split1", "k600_split2",
                                             "k600_split3", "ucf101", "hmdb51"}
    for report in reports:
        assert report.missing == [] and report.failing == {}, report.dataset
        assert report.seeded == report.classes


@pytest.mark.parametrize("spelling", ["ApplyEyeMakeup", "Apply Eye Makeup", "apply_eye_makeup", "APPLY EYE MAKEUP"])
def test_any_spelling_finds_the_seed(spelling: str) -> None:
    assert match_key(spelling) in load_seeds(default_seeds_dir())


def test_seeds_distinguish_close_actions() -> None:
    seeds = load_seeds(default_seeds_dir())
    clean, snatch = seeds[match_key("clean and jerk")], seeds[match_key("snatch weight lifting")]
    clean_text = " ".join(p.text for p in clean.decomposition.phases)
    snatch_text = " ".join(p.text for p in snatch.decomposition.phases)
    assert clean_text != snatch_text
    assert "shoulders" in clean_text and "overhead" in snatch_text


def test_seeds_use_one_name_per_body_part_and_are_not_copied_from_the_official_askg() -> None:
    seeds = load_seeds(default_seeds_dir())
    vocabulary = set(yaml.safe_load((default_seeds_dir() / "body_parts.yaml").read_text())["body_parts"])
    used = {m.body_part for s in seeds.values() for p in s.decomposition.phases for m in p.motions}
    assert used <= vocabulary
    official = yaml.safe_load(reference_file("stdd_askg", "classes_ASKG_k400.yml").read_text())
    official_phases = {normalise_name(t) for entry in official.values() for t in entry.get("sub_act_en_li") or []}
    ours_phases = [normalise_name(p.text) for s in seeds.values() for p in s.decomposition.phases]
    copied = [t for t in ours_phases if t in official_phases]
    assert len(copied) < 0.02 * len(ours_phases), copied[:10]


def test_seeds_check_command_passes() -> None:
    result = subprocess.run([sys.executable, "-m", "cli.askg_app", "seeds", "check", "--json"],
                            capture_output=True, text=True, timeout=patience(), cwd=Path(__file__).parents[2])
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] and report["concepts"]["BodyPart"] <= 22
