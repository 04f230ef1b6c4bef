from __future__ import annotations

import json
from pathlib import Path
from typing import cast

import pytest
import torch
from stdd_test_support import MakeModel

from model import PromptsFileError, load_prompts_file, prompt_text_features

PROMPTS = {
    "format": "stdd-prompts",
    "version": 1,
    "template_version": "t1",
    "graph_hash": "sha256:abc",
    "extra_key": "ignored",
    "classes": [
        {
            "name": "zumba",
            "index": 1,
            "label": ["zumba"],
            "spatial": ["a video of zumba, in a gym"],
            "temporal": ["zumba: first stepping, then turning", "zumba: clapping"],
            "unused": 1,
        },
        {"name": "abseiling", "index": 0, "label": ["abseiling"], "spatial": [], "temporal": []},
    ],
}


def write_prompts(path: Path, data: dict[str, object] = PROMPTS) -> Path:
    path.write_text(json.dumps(data))
    return path


def test_prompts_file_orders_classes_and_concatenates_kinds(tmp_path: Path) -> None:
    prompts = load_prompts_file(write_prompts(tmp_path / "prompts.json"))
    assert prompts.class_names == ["abseiling", "zumba"]
    assert prompts.classes[1].prompts() == [
        "zumba",
        "a video of zumba, in a gym",
        "zumba: first stepping, then turning",
        "zumba: clapping",
    ]
    assert prompts.classes[1].prompts(["temporal"]) == [
        "zumba: first stepping, then turning",
        "zumba: clapping",
    ]


def test_bad_prompts_files_raise(tmp_path: Path) -> None:
    with pytest.raises(PromptsFileError, match="not found"):
        load_prompts_file(tmp_path / "missing.json")
    first_class = cast(list[dict[str, object]], PROMPTS["classes"])[0]
    broken = dict(PROMPTS, classes=[dict(first_class, index=3)])
    with pytest.raises(PromptsFileError, match="invalid"):
        load_prompts_file(write_prompts(tmp_path / "bad.json", broken))


def test_text_features_are_padded_masked_and_cached(tmp_path: Path, make_tiny: MakeModel) -> None:
    model = make_tiny()
    prompts_path = write_prompts(tmp_path / "prompts.json")
    cache = tmp_path / "cache"
    first = prompt_text_features(model, prompts_path, cache_dir=cache)
    assert first.features.shape == (2, 4, 32)
    assert first.mask.tolist() == [[True, False, False, False], [True, True, True, True]]
    assert first.class_names == ["abseiling", "zumba"]
    torch.testing.assert_close(first.features[first.mask].norm(dim=-1), torch.ones(5))
    assert first.features[~first.mask].abs().sum() == 0
    cached_files = list(cache.iterdir())
    assert len(cached_files) == 1 and cached_files[0].suffix == ".pt"

    with torch.no_grad():  # a cache hit must not run the text tower
        cast(torch.Tensor, model.clip.text_projection).mul_(0.0)
    assert torch.equal(
        prompt_text_features(model, prompts_path, cache_dir=None).features.abs().sum(), torch.tensor(0.0)
    )
    # The fingerprint of the text tower changed, so the cache is not reused.
    assert len(list(cache.iterdir())) == 1
    again = prompt_text_features(model, prompts_path, cache_dir=cache)
    assert len(list(cache.iterdir())) == 2 and again.features.abs().sum() == 0
