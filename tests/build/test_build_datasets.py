"""Dataset-specific seeds (`punch@hmdb51`) and one build over several class lists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from askg.errors import InputError
from askg.seeds import find_seed, load_seed_file, seed_key
from askg.store.embedded import EmbeddedStore
from tests.build.conftest import askg, write_classes

SEEDS_YAML = """\
version: seed-test-2
actions:
  Punch:
    objects: {boxing gloves: wears, boxing ring ropes: leans on}
    scenes: [boxing ring]
    phases:
      - text: raising the gloves in a guard
        motions: {hands: rise to the chin}
        handles: [boxing gloves]
      - text: throwing a straight jab
        motions: {arms: extend forward}
      - text: returning to the guard
        motions: {arms: pull back}
  punch@hmdb51:
    poses: {hands: clenched into fists, arms: bent in front of the face}
    scenes: [street]
    phases:
      - text: squaring up to another person
        motions: {feet: plant apart}
      - text: swinging a bare fist at the other person's face
        motions: {arms: swing forward, hands: clench}
      - text: pulling the arm back after the blow
        motions: {arms: pull back}
  Yo Yo:
    objects: {yo-yo: spins}
    scenes: [street]
    phases:
      - text: winding the string
        motions: {hands: wind the string}
        handles: [yo-yo]
      - text: dropping the toy down
        motions: {arms: flick downward}
      - text: catching the toy
        motions: {hands: close}
"""


@pytest.fixture
def dataset_seeds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "seeds"
    (root / "askg").mkdir(parents=True)
    (root / "classes").mkdir()
    (root / "askg" / "test.yaml").write_text(SEEDS_YAML)
    (root / "body_parts.yaml").write_text("version: 1\nbody_parts: [hands, arms, feet, legs]\n")
    write_classes(root / "classes" / "ucf101.txt", ["Punch", "YoYo"])
    write_classes(root / "classes" / "hmdb51.txt", ["punch", "yo_yo"])
    monkeypatch.setenv("ASKG_SEEDS_DIR", str(root))
    return root


def test_seed_keys_and_lookup(dataset_seeds: Path) -> None:
    seeds = load_seed_file(dataset_seeds / "askg" / "test.yaml")
    assert set(seeds) == {seed_key("punch"), seed_key("punch", "hmdb51"), seed_key("yo yo")}
    specific = find_seed(seeds, seed_key("PUNCH"), "hmdb51")
    assert specific is not None and specific.action_name == "punch (hmdb51)"
    assert find_seed(seeds, seed_key("punch"), "ucf101") is seeds[seed_key("punch")]
    assert find_seed(seeds, seed_key("punch"), None) is seeds[seed_key("punch")]
    assert find_seed(seeds, seed_key("yo_yo"), "hmdb51") is seeds[seed_key("yo yo")]
    # the k600_* lists are k600
    (dataset_seeds / "askg" / "k600.yaml").write_text(
        SEEDS_YAML.replace("punch@hmdb51", "punch@k600").replace("Punch:", "Jab:").replace("Yo Yo:", "Spin:"))
    k600 = load_seed_file(dataset_seeds / "askg" / "k600.yaml")
    found = find_seed(k600, seed_key("punch"), "k600_split2")
    assert found is not None and found.dataset == "k600"


def test_unknown_dataset_tag_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(SEEDS_YAML.replace("punch@hmdb51", "punch@hmdb"))
    with pytest.raises(InputError, match=r"bad.yaml: seed 'punch@hmdb': the part after '@' must be one of"):
        load_seed_file(path)


def test_one_build_of_two_lists_records_every_tag_and_spelling(clean_env: Path, dataset_seeds: Path) -> None:
    store_path = clean_env / "g.json"
    result = askg("--store", str(store_path), "build", "--classes", str(dataset_seeds / "classes" / "ucf101.txt"),
                  "--classes", str(dataset_seeds / "classes" / "hmdb51.txt"), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["classes"] == 4 and summary["counts"]["seed"] == 4 and summary["duplicates"] == []
    records = {r.id: r for r in EmbeddedStore(store_path).get_actions()}
    assert set(records) == {"punch", "punch (hmdb51)", "yo yo"}
    assert records["punch"].datasets == ["ucf101"] and records["punch"].aliases == ["Punch"]
    hmdb = records["punch (hmdb51)"]
    assert hmdb.datasets == ["hmdb51"] and hmdb.aliases == ["punch"] and hmdb.objects == []
    assert [p.body_part for p in hmdb.poses] == ["hands", "arms"]
    assert records["yo yo"].datasets == ["hmdb51", "ucf101"]
    assert set(records["yo yo"].aliases) == {"YoYo", "yo_yo"}

    # a second run finds everything in the store, and the hmdb51 class its own action
    again = askg("--store", str(store_path), "build", "--classes", str(dataset_seeds / "classes" / "hmdb51.txt"),
                 "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["counts"]["store"] == 2
    assert {r.id for r in EmbeddedStore(store_path).get_actions()} == set(records)


def export(store_path: Path, out: Path, *selection: str) -> dict[str, list[str]]:
    result = askg("--store", str(store_path), "export-prompts", "--out", str(out), *selection)
    assert result.returncode == 0, result.stderr
    document = json.loads(out.read_text())
    return {c["name"]: c["spatial"] + c["temporal"] for c in document["classes"]}


def test_export_prompts_picks_the_dataset_specific_action(clean_env: Path, dataset_seeds: Path) -> None:
    store_path = clean_env / "g.json"
    built = askg("--store", str(store_path), "build", "--classes", str(dataset_seeds / "classes" / "ucf101.txt"),
                 "--classes", str(dataset_seeds / "classes" / "hmdb51.txt"))
    assert built.returncode == 0, built.stderr
    for selection in (("--dataset", "hmdb51"), ("--classes", str(dataset_seeds / "classes" / "hmdb51.txt"))):
        prompts = export(store_path, clean_env / "hmdb.json", *selection)
        text = " ".join(prompts["punch"])
        assert "bare fist" in text and "boxing" not in text, selection
        assert "(hmdb51)" not in text  # prompts name the class, not the node
    ucf = " ".join(export(store_path, clean_env / "ucf.json", "--dataset", "ucf101")["Punch"])
    assert "boxing" in ucf and "bare fist" not in ucf


def test_exporting_every_action_names_a_dataset_specific_one_by_its_class(clean_env: Path,
                                                                          dataset_seeds: Path) -> None:
    store_path = clean_env / "g.json"
    built = askg("--store", str(store_path), "build", "--classes", str(dataset_seeds / "classes" / "ucf101.txt"),
                 "--classes", str(dataset_seeds / "classes" / "hmdb51.txt"))
    assert built.returncode == 0, built.stderr
    out = clean_env / "all.json"
    done = askg("--store", str(store_path), "export-prompts", "--out", str(out))
    assert done.returncode == 0, done.stderr
    document = json.loads(out.read_text())
    names = [c["name"] for c in document["classes"]]
    assert names.count("punch") == 2  # the generic action and the HMDB51 one
    assert not any("(hmdb51)" in p for c in document["classes"] for p in c["label"] + c["spatial"] + c["temporal"])


def test_dataset_tags_are_the_datasets_of_the_shipped_class_lists() -> None:
    """One place for a dataset: its class list in graph_seeds/classes makes its seed tag and its pool."""
    from askg.distinctiveness import POOL_LISTS
    from askg.seeds import DATASET_TAGS, dataset_family
    from graph_seeds import shipped_class_lists_dir

    stems = {path.stem for path in shipped_class_lists_dir().glob("*.txt")}
    assert {"k600_split1", "k600_novel", "hmdb51"} <= stems
    assert DATASET_TAGS == tuple(sorted({dataset_family(stem) for stem in stems})) == ("hmdb51", "k400", "k600",
                                                                                        "ucf101")
    assert POOL_LISTS == DATASET_TAGS
