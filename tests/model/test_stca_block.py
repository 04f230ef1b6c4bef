from __future__ import annotations

import pytest
import torch
from open_clip.transformer import ResidualAttentionBlock
from pydantic import ValidationError
from stca_naive_reference import naive_stca_block
from stdd_test_support import TINY_FRAMES, MakeModel
from torch import nn

from model import StcaBlock, StcaConfig, StddVideoClip, UnknownFormulationError, register_stca_formulation
from model.stca_config import Formulation, MlpInput
from model.stca_reference import reference_stca_forward
from model.stca_registry import stca_formulation


def first_block(model: StddVideoClip) -> StcaBlock:
    block: StcaBlock = model.visual.transformer.resblocks[0]
    return block


def original_block(model: StddVideoClip, index: int = 0) -> ResidualAttentionBlock:
    """The untouched open_clip block with the same weights (the teacher is a copy taken before STCA)."""
    block: ResidualAttentionBlock = model.teacher.transformer.resblocks[index]
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
    x = block_input(model)
    with torch.no_grad():
        expected = original_block(model)(x)
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
    expected = naive_stca_block(original_block(model), x, TINY_FRAMES, mask_rate, fold, scales, mlp_input)
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


@pytest.mark.parametrize("mlp_input", ["padded", "full"])
def test_both_attention_routes_of_the_fast_formulation_agree(
    make_tiny: MakeModel, tiny_video: torch.Tensor, monkeypatch: pytest.MonkeyPatch, mlp_input: MlpInput
) -> None:
    """CPU runs the fast path's attention as batched products, other devices through SDPA; same function."""
    import model.stca_fast as stca_fast

    model = make_tiny(StcaConfig(mlp_input=mlp_input)).eval()
    outputs = []
    for devices in (frozenset({"cpu"}), frozenset()):
        monkeypatch.setattr(stca_fast, "ATTENTION_BY_PRODUCTS_ON", devices)
        with torch.no_grad():
            outputs.append(model.encode_video(tiny_video))
    torch.testing.assert_close(outputs[0], outputs[1], atol=1e-5, rtol=1e-5)


def test_odd_grid_is_rejected(make_tiny: MakeModel) -> None:
    from model.masking import window_token_positions

    with pytest.raises(ValueError, match="even patch grid"):
        window_token_positions(5)


def test_plain_images_bypass_stca(make_tiny: MakeModel) -> None:
    model = make_tiny().eval()
    images = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(model.visual(images), model.teacher(images))


def test_blocks_are_explicit_modules_around_open_clip_parts(make_tiny: MakeModel) -> None:
    model = make_tiny()
    for index, block in enumerate(model.visual.transformer.resblocks):
        assert type(block) is StcaBlock
        assert "forward" not in vars(block)  # no per-instance patching
        assert isinstance(block.attn, nn.MultiheadAttention)
        assert block.attn.in_proj_weight is original_block(model, index).attn.in_proj_weight or torch.equal(
            block.attn.in_proj_weight, original_block(model, index).attn.in_proj_weight
        )
    assert list(model.stca_blocks) == list(model.visual.transformer.resblocks)


def test_unknown_formulation_is_an_error_naming_the_known_ones() -> None:
    with pytest.raises(ValidationError, match=r"unknown STCA formulation 'fastest' \(known: fast, reference"):
        StcaConfig(formulation="fastest")
    with pytest.raises(UnknownFormulationError, match="'nope'"):
        stca_formulation("nope")


def test_a_registered_formulation_is_used_by_the_blocks(make_tiny: MakeModel, tiny_video: torch.Tensor) -> None:
    calls: list[int] = []

    @register_stca_formulation("test-counting-reference")
    def counting(block: StcaBlock, x: torch.Tensor, num_frames: int, split: object) -> torch.Tensor:
        calls.append(num_frames)
        return reference_stca_forward(block, x, num_frames, split)  # type: ignore[arg-type]

    model = make_tiny(StcaConfig(formulation="test-counting-reference")).eval()
    reference = make_tiny(StcaConfig(formulation="reference")).eval()
    with torch.no_grad():
        torch.testing.assert_close(model.encode_video(tiny_video), reference.encode_video(tiny_video))
    assert calls == [TINY_FRAMES] * len(model.stca_blocks)


def test_blocks_left_out_by_config_run_the_original_block(make_tiny: MakeModel) -> None:
    model = make_tiny(StcaConfig(blocks=(1,))).eval()
    assert [block.stca_enabled for block in model.stca_blocks] == [False, True]
    x = block_input(model)
    with torch.no_grad():
        torch.testing.assert_close(run_block(model, x), original_block(model)(x), atol=1e-6, rtol=0)
    with pytest.raises(ValueError, match=r"outside 0\.\.1"):
        make_tiny(StcaConfig(blocks=(2,)))


def test_cls_attention_equals_the_attention_modules_weights(make_tiny: MakeModel) -> None:
    model = make_tiny().eval()
    block = first_block(model)
    x = block_input(model)
    with torch.no_grad():
        normed = block.ln_1(x)
        _, weights = block.attn(normed, normed, normed, need_weights=True, average_attn_weights=False)
        cls = block.cls_attention(x)
    assert cls.shape == (x.shape[0], block.attn.num_heads, x.shape[1])
    torch.testing.assert_close(cls, weights[:, :, 0], atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("attention", ["products", "sdpa"])
@pytest.mark.parametrize(
    ("mlp_input", "scales", "mask_rate"),
    [
        ("padded", (1, 2), 0.5),
        ("full", (1, 2), 0.5),
        ("padded", (2, 0, 1), 0.25),
        ("full", (1,), 0.75),
        ("padded", (1, 2), 0.0),
        ("full", (2,), 0.0),
    ],
)
def test_fast_formulation_gradients_match_reference(
    make_tiny: MakeModel,
    monkeypatch: pytest.MonkeyPatch,
    attention: str,
    mlp_input: MlpInput,
    scales: tuple[int, ...],
    mask_rate: float,
) -> None:
    """Training differentiates through everything the fast path derives from its input, the mixed tokens'
    LayerNorm statistics included: gradients of input and weights equal the reference's, whatever the
    number of scales (the hand-written backwards loop over them) and the mask rate (0: no masked rows), on
    both attention routes (CPU's batched products, elsewhere scaled_dot_product_attention)."""
    import model.stca_fast as stca_fast

    devices = frozenset({"cpu"}) if attention == "products" else frozenset()
    monkeypatch.setattr(stca_fast, "ATTENTION_BY_PRODUCTS_ON", devices)
    gradients = {}
    for formulation in ("reference", "fast"):
        config = StcaConfig(
            formulation=formulation, mlp_input=mlp_input, temporal_scales=scales, mask_rate=mask_rate
        )
        model = make_tiny(config).eval()
        block = first_block(model)
        x = block_input(model).requires_grad_(True)
        with model.frame_context.frames(TINY_FRAMES):
            out = block(x)
        weights = torch.randn(out.shape, generator=torch.Generator().manual_seed(5))
        (out * weights).sum().backward()
        assert x.grad is not None
        gradients[formulation] = {"input": x.grad} | {
            name: p.grad for name, p in block.named_parameters() if p.grad is not None
        }
    assert gradients["fast"].keys() == gradients["reference"].keys()
    for name, expected in gradients["reference"].items():
        torch.testing.assert_close(
            gradients["fast"][name], expected, atol=1e-4, rtol=1e-4, msg=lambda text, name=name: f"{name}: {text}"
        )


def test_fast_formulation_runs_under_torch_compile(make_tiny: MakeModel) -> None:
    """The hand-differentiated products function traces under torch.compile (an op's ``out=`` there takes the
    strides of its result, which broke a later view): compiled output and gradients equal eager ones."""
    model = make_tiny(StcaConfig()).eval()
    block = first_block(model)
    compiled = torch.compile(block)
    results = []
    for run in (block, compiled):
        x = block_input(model).requires_grad_(True)
        with model.frame_context.frames(TINY_FRAMES):
            out = run(x)
        out.pow(2).sum().backward()
        results.append((out.detach(), x.grad, block.attn.in_proj_weight.grad.clone()))
        block.zero_grad(set_to_none=True)
    for eager, traced in zip(*results, strict=True):
        torch.testing.assert_close(traced, eager, atol=1e-5, rtol=1e-5)


def test_eval_blocks_share_one_split_and_training_draws_a_new_one() -> None:
    """Eval's split depends on the shapes only: computed once, it serves every block and every forward."""
    from model.stca import token_split

    config, cpu = StcaConfig(), torch.device("cpu")
    first = token_split(config, 2, TINY_FRAMES, 4, False, cpu)
    assert token_split(config, 2, TINY_FRAMES, 4, False, cpu) is first
    assert token_split(config, 3, TINY_FRAMES, 4, False, cpu) is not first
    drawn = token_split(config, 2, TINY_FRAMES, 4, True, cpu)
    assert drawn is not first and drawn is not token_split(config, 2, TINY_FRAMES, 4, True, cpu)


def test_a_split_first_made_under_inference_mode_serves_a_later_backward(make_tiny: MakeModel) -> None:
    """The eval split, the fast path's row order and the mixing tables are cached; made first inside
    ``torch.inference_mode`` they must still serve a forward that autograd records (inference tensors cannot be
    saved for backward)."""
    from model.channel_mixing import _source_frames
    from model.stca import _eval_token_split
    from model.stca_correction import _mixing_sources
    from model.stca_fast import _eval_row_layout

    for cache in (_eval_token_split, _eval_row_layout, _mixing_sources, _source_frames):
        cache.cache_clear()
    model = make_tiny(StcaConfig()).eval()
    block = first_block(model)
    x = block_input(model)
    with torch.inference_mode(), model.frame_context.frames(TINY_FRAMES):
        expected = block(x)
    x = x.clone().requires_grad_(True)
    with model.frame_context.frames(TINY_FRAMES):
        out = block(x)
    out.pow(2).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    torch.testing.assert_close(out.detach(), expected.clone())
