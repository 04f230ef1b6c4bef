from __future__ import annotations

import torch

from model.scoring import class_scores
from model.text_features import pad_class_features


def test_masked_padding_equals_class_by_class_scores() -> None:
    generator = torch.Generator().manual_seed(0)
    frames = torch.randn(3, 5, 16, generator=generator)
    per_class = [torch.randn(count, 16, generator=generator) for count in (1, 4, 2, 7)]
    features, mask = pad_class_features(per_class)
    # Padding rows that would dominate max/mean if they were not masked out.
    features = torch.where(mask[..., None], features, torch.full_like(features, 3.0))
    scale = torch.tensor(100.0)
    padded = class_scores(frames, features, mask, scale)
    for index, prompts in enumerate(per_class):
        single = class_scores(frames, prompts[None], torch.ones(1, prompts.shape[0], dtype=torch.bool), scale)
        torch.testing.assert_close(padded[:, index], single[:, 0])


def test_score_definition_on_one_class() -> None:
    generator = torch.Generator().manual_seed(1)
    frames = torch.nn.functional.normalize(torch.randn(1, 3, 8, generator=generator), dim=-1)
    prompts = torch.nn.functional.normalize(torch.randn(1, 2, 8, generator=generator), dim=-1)
    similarity = 10.0 * frames[0] @ prompts[0].T  # (T, N)
    expected = 0.5 * (similarity.max(dim=0).values.mean() + similarity.max(dim=1).values.mean())
    score = class_scores(frames, prompts, torch.ones(1, 2, dtype=torch.bool), 10.0)
    torch.testing.assert_close(score[0, 0], expected)
