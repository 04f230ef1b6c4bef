"""A cache for index tensors that depend on shapes only (masks, row orders, mixing tables)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, wraps
from typing import TYPE_CHECKING, TypeVar

import torch

if TYPE_CHECKING:
    from functools import _lru_cache_wrapper

Result = TypeVar("Result")


def shape_cache(function: Callable[..., Result]) -> _lru_cache_wrapper[Result]:
    """``lru_cache`` whose tensors are built outside inference mode: made first under
    ``torch.inference_mode()``, they would be inference tensors, which a later forward that autograd records
    cannot save for its backward. Callers read the cached tensors and never write them."""

    @wraps(function)
    def build(*args: object) -> Result:
        with torch.inference_mode(False):
            return function(*args)

    return lru_cache(maxsize=64)(build)
