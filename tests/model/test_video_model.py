from __future__ import annotations

import open_clip
import torch
from stdd_test_support import TINY_MODEL, MakeModel

from model import LossConfig, StcaConfig, StddObjective, register_model_configs


def test_parameters_equal_plain_open_clip(make_tiny: MakeModel) -> None:
    register_model_configs()
    plain = open_clip.create_model(TINY_MODEL, pretrained=None)
    model = make_tiny()
    expected = {name: p.shape for name, p in plain.named_parameters()}
    assert {name: p.shape for name, p in model.clip.named_parameters()} == expected
    assert {name.removeprefix("clip."): p.shape for name, p in model.named_parameters()} == expected
    assert sum(p.numel() for p in model.parameters()) == sum(p.numel() for p in plain.parameters())
    assert set(model.state_dict()) == {f"clip.{name}" for name in plain.state_dict()}


def test_encode_video_shape(make_tiny: MakeModel, tiny_video: torch.Tensor) -> None:
    model = make_tiny().eval()
    with torch.no_grad():
        features = model.encode_video(tiny_video)
    assert features.shape == (*tiny_video.shape[:2], 32)


def test_reversing_frames_is_more_than_a_reordering(make_tiny: MakeModel, tiny_video: torch.Tensor) -> None:
    model = make_tiny().eval()
    reversed_video = tiny_video.flip(1)
    with torch.no_grad():
        stdd = model.encode_video(tiny_video)
        stdd_reversed = model.encode_video(reversed_video)
        plain = model.encode_video_frozen(tiny_video)
        plain_reversed = model.encode_video_frozen(reversed_video)
    torch.testing.assert_close(plain_reversed.flip(1), plain, atol=1e-6, rtol=0)
    assert (stdd_reversed.flip(1) - stdd).abs().max() > 1e-3


def test_eval_forward_is_deterministic(make_tiny: MakeModel, tiny_video: torch.Tensor) -> None:
    for config in (StcaConfig(), StcaConfig.official()):
        model = make_tiny(config).eval()
        with torch.no_grad():
            first, second = model.encode_video(tiny_video), model.encode_video(tiny_video)
        assert torch.equal(first, second)


def test_train_mode_randomises_masks(make_tiny: MakeModel, tiny_video: torch.Tensor) -> None:
    model = make_tiny().train()
    torch.manual_seed(0)
    outputs = [model.encode_video(tiny_video).detach() for _ in range(4)]
    assert any(not torch.equal(outputs[0], other) for other in outputs[1:])


def test_distillation_alone_trains_the_visual_encoder(make_tiny: MakeModel, tiny_video: torch.Tensor) -> None:
    model = make_tiny().train()
    objective = StddObjective(32, LossConfig(distill_weight=2.0))
    # Move the student away from the teacher so that the cosine term has a gradient at all.
    with torch.no_grad():
        for parameter in model.visual.parameters():
            parameter.add_(0.05 * torch.randn_like(parameter))
    loss = objective.distillation(model.encode_video(tiny_video), model.encode_video_frozen(tiny_video))
    loss.backward()
    gradients = [p.grad for p in model.visual.parameters()]
    assert all(g is not None for g in gradients)
    assert sum(float(g.abs().sum()) for g in gradients if g is not None) > 0
    assert model.visual.transformer.resblocks[0].attn.in_proj_weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in model.teacher.parameters())
    assert objective.distillation.projector[0].weight.grad is not None


def test_full_objective_combines_terms(make_tiny: MakeModel, tiny_video: torch.Tensor) -> None:
    model = make_tiny().train()
    objective = StddObjective(32)
    features = model.encode_video(tiny_video)
    scores = features.mean(1) @ torch.randn(32, 5)
    terms = objective(scores, torch.tensor([1, 3]), features, model.encode_video_frozen(tiny_video))
    torch.testing.assert_close(terms.total, terms.classification + terms.distillation)


def test_teacher_stays_frozen_and_follows_device_moves(make_tiny: MakeModel) -> None:
    model = make_tiny().train()
    assert not model.teacher.training
    model.double()
    assert next(model.teacher.parameters()).dtype == torch.float64
