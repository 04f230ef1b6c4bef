"""STDD <-> plain open_clip checkpoints both ways, bf16 autocast and gradient checkpointing switches."""

from __future__ import annotations

from pathlib import Path

import open_clip
import pytest
import torch
from stdd_test_support import TINY_FRAMES, TINY_MODEL, MakeModel

from model import ComputeConfig, StcaConfig, create_stdd, register_model_configs
from model.training.config import ModelSection


def plain_open_clip(seed: int) -> torch.nn.Module:
    register_model_configs()
    torch.manual_seed(seed)
    return open_clip.create_model(TINY_MODEL, pretrained=None).eval()


def test_plain_open_clip_checkpoint_loads_into_stdd_and_back(tmp_path: Path, make_tiny: MakeModel) -> None:
    plain = plain_open_clip(seed=11)
    torch.save(plain.state_dict(), tmp_path / "plain.pt")
    stdd, _ = create_stdd(TINY_MODEL, pretrained=tmp_path / "plain.pt", num_frames=TINY_FRAMES)
    images = torch.randn(3, 3, 32, 32, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():  # plain images run the original blocks: same function, same weights
        torch.testing.assert_close(stdd.eval().visual(images), plain.visual(images), atol=1e-6, rtol=0)

    # Back: a trained STDD state dict loads strictly into a fresh plain open_clip model.
    trained = make_tiny(seed=3)
    with torch.no_grad():
        trained.visual.transformer.resblocks[0].attn.in_proj_weight.add_(1.0)
    back = plain_open_clip(seed=12)
    back.load_state_dict(trained.clip.state_dict(), strict=True)
    for name, value in trained.clip.state_dict().items():
        assert torch.equal(back.state_dict()[name], value), name
    with torch.no_grad():
        torch.testing.assert_close(back.visual(images), trained.eval().visual(images), atol=1e-6, rtol=0)


def test_bf16_autocast_runs_on_cpu_and_stays_close(make_tiny: MakeModel, tiny_video: torch.Tensor) -> None:
    fp32 = make_tiny(seed=4).eval()
    bf16 = make_tiny(seed=4, compute=ComputeConfig(autocast="bf16")).eval()
    with torch.no_grad():
        expected = fp32.encode_video(tiny_video)
        features = bf16.encode_video(tiny_video)
        frozen = bf16.encode_video_frozen(tiny_video)
    assert features.dtype == torch.float32 and frozen.dtype == torch.float32
    assert not torch.equal(features, expected)  # bf16 really ran
    cosine = torch.nn.functional.cosine_similarity(features, expected, dim=-1)
    assert cosine.min() > 0.99, cosine
    # Backward outside autocast: fp32 gradients on the fp32 parameters.
    bf16.train()
    bf16.encode_video(tiny_video).pow(2).sum().backward()
    grad = bf16.visual.transformer.resblocks[0].attn.in_proj_weight.grad
    assert grad is not None and grad.dtype == torch.float32 and grad.abs().sum() > 0


@pytest.mark.parametrize("stca", [StcaConfig(), StcaConfig.official(), StcaConfig(blocks=(1,))])
def test_gradient_checkpointing_gives_the_same_gradients(
    make_tiny: MakeModel, tiny_video: torch.Tensor, stca: StcaConfig
) -> None:
    gradients = []
    for checkpointing in (False, True):
        model = make_tiny(stca, seed=5, compute=ComputeConfig(grad_checkpointing=checkpointing)).train()
        assert all(block.grad_checkpointing is checkpointing for block in model.stca_blocks)
        torch.manual_seed(7)  # same random masks in training mode
        model.encode_video(tiny_video).pow(2).sum().backward()
        gradients.append({name: p.grad for name, p in model.visual.named_parameters() if p.grad is not None})
    plain, checkpointed = gradients
    assert plain.keys() == checkpointed.keys() and len(plain) > 10
    for name, grad in plain.items():
        torch.testing.assert_close(checkpointed[name], grad, atol=1e-6, rtol=1e-5, msg=name)


def test_compute_switches_are_config_data() -> None:
    section = ModelSection.model_validate({"compute": {"autocast": "bf16", "grad_checkpointing": True}})
    assert section.compute == ComputeConfig(autocast="bf16", grad_checkpointing=True)
    with pytest.raises(ValueError, match="autocast"):
        ModelSection.model_validate({"compute": {"autocast": "fp8"}})


def test_checkpointed_blocks_recompute_in_the_backward_pass(make_tiny: MakeModel, tiny_video: torch.Tensor) -> None:
    from model import register_stca_formulation
    from model.stca_fast import fast_stca_forward

    calls: list[bool] = []

    @register_stca_formulation("test-counting-fast")
    def counting(block, x, num_frames, split):  # type: ignore[no-untyped-def]
        calls.append(torch.is_grad_enabled())
        return fast_stca_forward(block, x, num_frames, split)

    config = StcaConfig(formulation="test-counting-fast")
    model = make_tiny(config, compute=ComputeConfig(grad_checkpointing=True)).train()
    features = model.encode_video(tiny_video)
    assert len(calls) == len(model.stca_blocks)
    features.sum().backward()
    assert len(calls) == 2 * len(model.stca_blocks)  # each block ran again during backward
    calls.clear()
    with torch.no_grad():
        model.encode_video(tiny_video)
    assert len(calls) == len(model.stca_blocks)
