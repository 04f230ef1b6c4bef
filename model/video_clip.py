"""The STDD video model: an open_clip CLIP whose visual blocks are STCA blocks, plus a frozen teacher."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from typing import Any, cast

import torch
from open_clip.transformer import VisionTransformer
from torch import Tensor, nn

from model.compute_config import ComputeConfig
from model.frame_context import FrameContext
from model.stca import StcaBlock, install_stca_blocks
from model.stca_config import StcaConfig

Tokenizer = Callable[[Sequence[str]], Tensor]


class StddVideoClip(nn.Module):
    """Parameters are exactly the wrapped CLIP's (under ``clip.``); the teacher is not a registered module.

    The visual blocks are ``StcaBlock``s (``model.visual.transformer.resblocks[i]``, each with its open_clip
    ``attn``); ``compute`` sets autocast and gradient checkpointing of the visual forwards. ``weights_source``
    names the open_clip model and the weights it started from ("ViT-B-16|openai"; part of the text-feature
    cache key)."""

    def __init__(
        self,
        clip: nn.Module,
        tokenizer: Tokenizer,
        stca: StcaConfig,
        num_frames: int,
        weights_source: str,
        keep_teacher: bool = True,
        compute: ComputeConfig | None = None,
    ) -> None:
        super().__init__()
        self.clip = clip
        self.tokenizer = tokenizer
        self.stca = stca
        self.num_frames = num_frames
        self.weights_source = weights_source
        self.frame_context = FrameContext()
        visual = self.visual
        # Kept in a tuple so that it stays out of parameters(), state_dict() and the optimiser.
        self._teacher: tuple[nn.Module, ...] = ()
        if keep_teacher:
            teacher = copy.deepcopy(visual).eval().requires_grad_(False)
            self._teacher = (teacher,)
        self.stca_blocks: tuple[StcaBlock, ...] = tuple(install_stca_blocks(visual, stca, self.frame_context))
        self.compute = compute or ComputeConfig()
        for block in self.stca_blocks:
            block.grad_checkpointing = self.compute.grad_checkpointing

    @property
    def teacher(self) -> nn.Module:
        if not self._teacher:
            raise RuntimeError("this STDD model was created with keep_teacher=False")
        return self._teacher[0]

    @property
    def visual(self) -> VisionTransformer:
        return cast(VisionTransformer, self.clip.visual)

    @property
    def device(self) -> torch.device:
        return self.raw_logit_scale.device

    @property
    def raw_logit_scale(self) -> Tensor:
        return cast(Tensor, self.clip.logit_scale)

    @property
    def logit_scale(self) -> Tensor:
        return self.raw_logit_scale.exp()

    def _apply(self, fn: Callable[[Tensor], Tensor], recurse: bool = True) -> StddVideoClip:
        super()._apply(fn, recurse)
        for teacher in self._teacher:
            teacher._apply(fn)
        return self

    def train(self, mode: bool = True) -> StddVideoClip:
        super().train(mode)
        for teacher in self._teacher:
            teacher.eval()
        return self

    @contextmanager
    def _autocast(self) -> Iterator[None]:
        """The forward half under autocast (backward runs outside it, when the caller calls it)."""
        dtype = self.compute.autocast_dtype
        context = torch.autocast(self.device.type, dtype=dtype) if dtype is not None else nullcontext()
        with context:
            yield

    @staticmethod
    def _frames_as_images(video: Tensor) -> Tensor:
        if video.ndim != 5:
            raise ValueError(f"expected a video batch (B, T, 3, H, W), got shape {tuple(video.shape)}")
        return video.flatten(0, 1)

    def encode_video(self, video: Tensor, normalize: bool = False) -> Tensor:
        """(B, T, 3, H, W) -> frame features (B, T, D): the projected CLS token of every frame."""
        batch, frames = video.shape[:2]
        with self.frame_context.frames(frames), self._autocast():
            features: Tensor = self.visual(self._frames_as_images(video))
        features = features.float().reshape(batch, frames, -1)
        return nn.functional.normalize(features, dim=-1) if normalize else features

    @torch.no_grad()
    def encode_video_frozen(self, video: Tensor, normalize: bool = False) -> Tensor:
        """Frame features of the frozen initial CLIP, frame by frame (no temporal modelling)."""
        batch, frames = video.shape[:2]
        with self._autocast():
            features: Tensor = self.teacher(self._frames_as_images(video))
        features = features.float().reshape(batch, frames, -1)
        return nn.functional.normalize(features, dim=-1) if normalize else features

    def encode_text(self, texts: Sequence[str], normalize: bool = False) -> Tensor:
        tokens = self.tokenizer(list(texts)).to(self.device)
        features: Tensor = cast(Any, self.clip).encode_text(tokens, normalize=normalize)
        return features

    def forward(self, video: Tensor) -> Tensor:
        return self.encode_video(video)
