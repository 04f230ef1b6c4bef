"""graph_seeds/vocabulary.yaml: the loader, canonical names, senses and distinct pairs."""

from __future__ import annotations

from pathlib import Path

import pytest

from askg.errors import InputError
from askg.schema import Decomposition
from askg.seeds import default_seeds_dir
from askg.vocabulary import load_vocabulary, read_vocabulary


def test_shipped_vocabulary_folds_the_known_synonyms() -> None:
    vocabulary = load_vocabulary(default_seeds_dir())
    expected = {"sofa": "couch", "cell phone": "smartphone", "phone": "smartphone", "trash bin": "trash can",
                "waste bin": "trash can", "knives": "knife", "fedora hat": "fedora",
                "protective goggles": "safety goggles", "packaging tape": "packing tape", "stable": "horse stable",
                "party room": "party hall", "conference hall": "conference room"}
    assert {name: vocabulary.canonical(name) for name in expected} == expected
    # a beauty salon (waxing, nails, brows) is not a hair salon: kept apart, never merged
    assert vocabulary.canonical("beauty salon") == "beauty salon"
    assert vocabulary.are_distinct("beauty salon", "hair salon")
    assert vocabulary.canonical("Sofa") == "couch" and vocabulary.canonical("couch") == "couch"
    assert vocabulary.is_ambiguous("bow") and not vocabulary.is_ambiguous("archery bow")
    for a, b in (("cleat", "cleats"), ("reeds", "reed"), ("water pool", "swimming pool")):
        assert vocabulary.are_distinct(a, b)


def test_canonicalise_a_decomposition() -> None:
    vocabulary = load_vocabulary(default_seeds_dir())
    decomposition = Decomposition.model_validate({
        "objects": [{"name": "sofa", "predicate": "sits on"}, {"name": "couch", "predicate": "lies on"}],
        "scenes": ["party room"],
        "object_relations": [{"subject": "cell phone", "predicate": "lying on", "object": "sofa"}],
        "phases": [{"text": "sitting down", "handles": ["knives"]}],
    })
    folded = vocabulary.canonicalise(decomposition)
    assert [(o.name, o.predicate) for o in folded.objects] == [("couch", "sits on")]
    assert folded.scenes == ["party hall"]
    assert folded.object_relations[0].subject == "smartphone" and folded.object_relations[0].object == "couch"
    assert folded.phases[0].handles == ["knife"]


@pytest.mark.parametrize(("text", "message"), [
    ("synonyms: {couch: [sofa], settee: [sofa]}\n", "synonym 'sofa' listed under 'couch' and 'settee'"),
    ("synonyms: {couch: [sofa], sofa: [settee]}\n", "synonym 'sofa' of 'couch' is itself a canonical name"),
    ("synonyms: {couch: [sofa]}\ndistinct: [[couch, sofa]]\n", "distinct pair 'couch' / 'sofa' are synonyms"),
    ("synonym: {}\n", "invalid vocabulary at synonym"),
])
def test_a_bad_vocabulary_is_a_one_line_error_naming_the_file(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "vocabulary.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=r"vocabulary\.yaml: ") as raised:
        read_vocabulary(path)
    assert message in str(raised.value) and "\n" not in str(raised.value)


def test_a_seeds_folder_without_a_vocabulary_has_an_empty_one(tmp_path: Path) -> None:
    assert load_vocabulary(tmp_path).canonical("sofa") == "sofa"
