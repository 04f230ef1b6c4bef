from __future__ import annotations

import copy

import pytest
import torch
from open_clip.transformer import ResidualAttentionBlock
from stca_naive_reference import naive_stca_block
from stdd_test_support import TINY_FRAMES, MakeModel

from model import StcaConfig, StddVideoClip
from model.stca_config import Formulation, MlpInput


def first_block(model: StddVideoClip) -> ResidualAttentionBlock:
    block: ResidualAttentionBlock = model.visual.transformer.resblocks[0]
    return block


def block_input(model: StddVideoClip, videos: int = 2, seed: int = 3) -> torch.Tensor:
    visual = model.visual
    length = 1 + visual.grid_size[0] * visual.grid_size[1]
    width = first_block(model).attn.embed_dim
    return torch.randn(videos * TINY_FRAMES, length, width, generator=torch.Generator().manual_seed(seed))


def run_block(model: StddVideoClip, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad(), model.frame_context.frames(TINY_FRAMES):
        return first_block(model)(x)


@pytest.mark.parametrize("formulation", ["reference", "fast"])
@pytest.mark.parametrize("mlp_input", ["padded", "full"])
def test_switched_off_stca_equals_original_block(
    make_tiny: MakeModel, formulation: Formulation, mlp_input: MlpInput
) -> None:
    config = StcaConfig.identity().model_copy(update={"formulation": formulation, "mlp_input": mlp_input})
    model = make_tiny(config).eval()
    original = copy.deepcopy(first_block(model))
    original.forward = ResidualAttentionBlock.forward.__get__(original)
    x = block_input(model)
    with torch.no_grad():
        expected = original(x)
    torch.testing.assert_close(run_block(model, x), expected, atol=1e-6, rtol=0)


@pytest.mark.parametrize("formulation", ["reference", "fast"])
@pytest.mark.parametrize(
    ("mask_rate", "scales", "mlp_input", "fold"),
    [
        (0.5, (1, 2), "padded", 32),
        (0.5, (1, 2), "full", 8),
        (0.25, (1,), "padded", 16),
        (0.75, (2, 0), "full", 4),
    ],
)
def test_vectorised_stca_matches_naive_loops(
    make_tiny: MakeModel,
    formulation: Formulation,
    mask_rate: float,
    scales: tuple[int, ...],
    mlp_input: MlpInput,
    fold: int,
) -> None:
    config = StcaConfig(
        mask_rate=mask_rate,
        temporal_scales=scales,
        mlp_input=mlp_input,
        channel_fold=fold,
        formulation=formulation,
    )
    model = make_tiny(config).eval()
    x = block_input(model)
    expected = naive_stca_block(first_block(model), x, TINY_FRAMES, mask_rate, fold, scales, mlp_input)
    torch.testing.assert_close(run_block(model, x), expected, atol=2e-5, rtol=1e-5)


@pytest.mark.parametrize("mlp_input", ["padded", "full"])
def test_fast_formulation_matches_reference_through_the_model(
    make_tiny: MakeModel, tiny_video: torch.Tensor, mlp_input: MlpInput
) -> None:
    outputs = {}
    for formulation in ("reference", "fast"):
        model = make_tiny(StcaConfig(formulation=formulation, mlp_input=mlp_input)).eval()
        with torch.no_grad():
            outputs[formulation] = model.encode_video(tiny_video)
    difference = (outputs["fast"] - outputs["reference"]).abs().max().item()
    assert difference < 1e-5, f"fast vs reference max abs difference {difference:.2e}"


def test_odd_grid_is_rejected(make_tiny: MakeModel) -> None:
    from model.masking import window_token_positions

    with pytest.raises(ValueError, match="even patch grid"):
        window_token_positions(5)


def test_plain_images_bypass_stca(make_tiny: MakeModel) -> None:
    model = make_tiny().eval()
    images = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(model.visual(images), model.teacher(images))
