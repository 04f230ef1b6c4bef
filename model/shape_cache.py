"""A cache for index tensors that depend on shapes only (masks, row orders, mixing tables)."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from functools import lru_cache, wraps
from typing import Generic, TypeVar

import torch

Result = TypeVar("Result")


class ShapeCache(Generic[Result]):
    """``function`` with its results kept (``lru_cache``, 64 entries) and built outside inference mode: made first
    under ``torch.inference_mode()``, they would be inference tensors, which a later forward that autograd records
    cannot save for its backward. Callers read the cached tensors and never write them.

    Under ``torch.compile`` the function runs uncached, so the tensors it builds from the (static) shapes become
    part of the traced graph; dynamo would otherwise trace through the ``lru_cache`` wrapper anyway, with a
    warning about it."""

    def __init__(self, function: Callable[..., Result]) -> None:
        @wraps(function)
        def build(*args: Hashable) -> Result:
            with torch.inference_mode(False):
                return function(*args)

        self._build = build
        self._cached = lru_cache(maxsize=64)(build)
        wraps(function)(self)

    def __call__(self, *args: Hashable) -> Result:
        if torch.compiler.is_compiling():
            return self._build(*args)
        return self._cached(*args)

    def cache_clear(self) -> None:
        self._cached.cache_clear()


def shape_cache(function: Callable[..., Result]) -> ShapeCache[Result]:
    """Decorator: see ``ShapeCache``."""
    return ShapeCache(function)
