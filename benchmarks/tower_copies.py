"""Copies of a tower for side-by-side variants: the modules copied, the weights shared."""

from __future__ import annotations

import copy
from typing import TypeVar

from torch import nn

Module = TypeVar("Module", bound=nn.Module)


def copy_sharing_weights(module: Module) -> Module:
    """A deep copy of ``module`` whose parameters are ``module``'s own objects: installing other blocks in the
    copy leaves the original alone, and every copy reads (and counts) one set of weights."""
    return copy.deepcopy(module, memo={id(parameter): parameter for parameter in module.parameters()})
