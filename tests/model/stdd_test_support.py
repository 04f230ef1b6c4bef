"""Shared constants and type aliases for the tests/model suite."""

from __future__ import annotations

from collections.abc import Callable

from model import StddVideoClip

TINY_MODEL = "ViT-Tiny-Test"
TINY_FRAMES = 4
TINY_IMAGE = 32

MakeModel = Callable[..., StddVideoClip]
