"""The official STDD ASKG YAML maps onto the model: act–obj predicates, "involves" for listed-only objects."""

from __future__ import annotations

from pathlib import Path

from askg.formats.stdd_askg import UNLINKED_OBJECT_PREDICATE, read_stdd_askg
from askg.store.embedded import EmbeddedStore

OFFICIAL = """\
abseiling:
  label: abseiling
  obj_en_li: [rope, harness, cliff, helmet]
  obj_rel_triples: ["<rope, attached to, harness>"]
  act_obj_triples: ["<abseiling, uses, rope>", "<abseiling, descends, cliff>"]
  sub_act_en_li: [clip the rope to the harness, lean back over the edge, walk down the cliff]
  act_rel_triples: ["<abseiling, starts with, clip the rope to the harness>"]
"""


def test_official_yaml_keeps_its_predicates_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "classes_ASKG_k400.yml"
    path.write_text(OFFICIAL)
    (record,) = read_stdd_askg(path).records
    assert [(o.name, o.predicate) for o in record.objects] == [
        ("rope", "uses"), ("cliff", "descends"), ("harness", UNLINKED_OBJECT_PREDICATE),
        ("helmet", UNLINKED_OBJECT_PREDICATE)]
    assert record.datasets == ["k400"] and record.scenes == [] and record.poses == []
    assert record.endpoint_label("harness") == "Object"
    store = EmbeddedStore(tmp_path / "g.json")
    store.put_actions([record])
    assert EmbeddedStore(tmp_path / "g.json").get_actions() == [record]
    assert store.stats().nodes["Scene"] == 0
