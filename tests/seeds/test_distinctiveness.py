"""Distinctiveness of confusable classes: statements, the families file, the automatic detector, and
the pairs the knowledge review found inseparable."""

from __future__ import annotations

from pathlib import Path

import pytest

from askg.class_lists import read_class_list
from askg.distinctiveness import (
    confusable_pairs,
    distinctiveness_problems,
    family_groups,
    load_families,
    pair_components,
    shipped_pools,
    statements,
)
from askg.errors import InputError
from askg.names import match_key
from askg.schema import Decomposition
from askg.seeds import default_seeds_dir, load_seeds


def lift(obj: str, scene: str, phases: list[str]) -> Decomposition:
    return Decomposition.model_validate({
        "objects": [{"name": obj, "predicate": "lifts"},
                    {"name": "lifting chalk", "predicate": "dusts the palms with"}],
        "scenes": [scene],
        "phases": [{"text": text, "motions": [{"body_part": "arms", "motion": "hold the bar"}]} for text in phases],
    })


def test_statements_drop_the_class_name_and_keep_the_content() -> None:
    found = statements(lift("barbell", "gym", ["gripping the bar", "pulling the bar up"]))
    assert "the person lifts the barbell" in found.spatial
    assert "in the gym" in found.spatial
    assert "while gripping the bar, the arms hold the bar" in found.temporal
    assert not any("snatch" in s for s in found.spatial | found.temporal)


def test_a_member_sharing_every_spatial_statement_fails_and_one_with_its_own_passes() -> None:
    same_static = {
        "snatch": lift("barbell", "gym", ["gripping the bar wide", "pulling the bar overhead in one motion"]),
        "clean and jerk": lift("barbell", "gym", ["gripping the bar", "racking the bar on the shoulders"]),
    }
    families = {"lifts": ["Snatch", "CleanAndJerk"]}  # any spelling
    problems = distinctiveness_problems(same_static, families=families, pools={})
    assert set(problems) == {"snatch", "clean and jerk"}
    assert all("no spatial statement" in p for ps in problems.values() for p in ps)
    assert not any("temporal" in p for ps in problems.values() for p in ps)

    distinct = dict(same_static, snatch=lift("barbell", "weightlifting gym", ["gripping the bar wide"]))
    problems = distinctiveness_problems(distinct, families=families, pools={})
    assert "snatch" not in problems
    assert problems == {}  # the gym is now clean and jerk's own statement


def test_identical_phases_fail_the_temporal_rule() -> None:
    a = lift("barbell", "gym", ["gripping the bar"])
    b = lift("kettlebell", "garage", ["gripping the bar"])
    problems = distinctiveness_problems({"a": a, "b": b}, families={"f": ["a", "b"]}, pools={})
    assert set(problems) == {"a", "b"}
    assert "no temporal statement that b lack (family 'f')" in problems["a"]
    assert "no temporal statement that b lack (temporal prompts alike (cosine 1.00))" in problems["a"]
    assert not any("spatial" in p for ps in problems.values() for p in ps)


def test_detector_pairs_alike_classes_of_one_list_only() -> None:
    by_class = {
        "snatch": statements(lift("barbell", "gym", ["gripping the bar wide"])),
        "clean and jerk": statements(lift("barbell", "gym", ["racking the bar on the shoulders"])),
        "knitting": statements(Decomposition.model_validate({
            "objects": [{"name": "knitting needles", "predicate": "holds"}], "scenes": ["living room"],
            "phases": [{"text": "looping yarn over the needle"}]})),
    }
    pairs = confusable_pairs(by_class, pools=None)
    assert [(p.first, p.second, p.kind) for p in pairs] == [("clean and jerk", "snatch", "spatial")]
    assert pairs[0].similarity == pytest.approx(1.0)
    apart = {"k400": frozenset({"snatch", "knitting"}), "ucf101": frozenset({"cleanandjerk", "knitting"})}
    assert confusable_pairs(by_class, pools=apart) == []
    assert pair_components(pairs) == [("clean and jerk", "snatch")]
    assert confusable_pairs(by_class, pools=None) == pairs  # deterministic


def test_families_match_any_spelling_and_dataset_specific_keys() -> None:
    groups = family_groups(["Breast Stroke", "swimming front crawl", "punch@hmdb51", "knitting"],
                           {"strokes": ["BreastStroke", "swimming_front_crawl", "Front Crawl"],
                            "hits": ["punch", "hit"]})
    assert [(g.members, g.reason) for g in groups] == [(("Breast Stroke", "swimming front crawl"), "family 'strokes'")]


def test_bad_families_file_is_a_one_line_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "families.yaml"
    bad.write_text("version: x\nfamilies: [a, b]\n")
    with pytest.raises(InputError, match=r"families.yaml: families"):
        load_families(bad)
    with pytest.raises(InputError, match="not found"):
        load_families(tmp_path / "missing.yaml")


def test_every_family_member_is_a_shipped_class_and_families_cover_the_review_pairs() -> None:
    families = load_families()
    known = set().union(*shipped_pools().values())
    for name in ("k600_novel",):
        known |= {match_key(n) for n in read_class_list(default_seeds_dir() / "classes" / f"{name}.txt").names}
    unknown = [(family, m) for family, members in families.items() for m in members if match_key(m) not in known]
    assert unknown == []
    keys = {family: {match_key(m) for m in members} for family, members in families.items()}

    def together(a: str, b: str) -> bool:
        return any({match_key(a), match_key(b)} <= members for members in keys.values())

    for a, b in [("snatch weight lifting", "clean and jerk"), ("hitting baseball", "swinging baseball bat"),
                 ("BreastStroke", "FrontCrawl"), ("Basketball", "shoot_ball"), ("opening present", "wrapping present"),
                 ("sit", "stand"), ("lighting fire", "extinguishing fire"), ("unboxing", "packing"),
                 ("climbing a rope", "abseiling"), ("deadlifting", "bench pressing"),
                 ("salsa dancing", "tango dancing")]:
        assert together(a, b), (a, b)


def seed_decomposition(name: str) -> Decomposition:
    seeds = load_seeds(default_seeds_dir())
    key = match_key(name)
    seed = seeds.get(key) or next(s for k, s in sorted(seeds.items()) if k.startswith(key + "@"))
    return seed.decomposition


REVIEW_PAIRS = [("snatch weight lifting", "clean and jerk"), ("hitting baseball", "swinging baseball bat"),
                ("Breast Stroke", "Front Crawl"), ("Basketball", "shoot ball")]


@pytest.mark.parametrize(("a", "b"), REVIEW_PAIRS)
def test_review_pairs_differ_in_spatial_and_temporal_prompts(a: str, b: str) -> None:
    problems = distinctiveness_problems({a: seed_decomposition(a), b: seed_decomposition(b)},
                                        families={"pair": [a, b]}, pools={})
    assert problems == {}
