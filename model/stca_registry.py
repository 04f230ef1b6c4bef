"""Registry of STCA formulations: named functions that compute an STCA block's output.

A formulation is ``fn(block, x, num_frames, split) -> Tensor`` with ``x`` the block input (B*T, 1 + P*P, D),
batch-first, CLS first, and ``block`` the ``StcaBlock`` whose public submodules (``ln_1``, ``attn``,
``ls_1``, ``ln_2``, ``mlp``, ``ls_2``) and ``config`` it reads. Every formulation must compute the same
function up to float rounding (tests/model checks each against a naive loop). Add one with
``@register_stca_formulation("name")`` in a module that is imported before the config naming it is built.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from torch import Tensor

from model.masking import TokenSplit

if TYPE_CHECKING:
    from model.stca import StcaBlock

StcaFormulation = Callable[["StcaBlock", Tensor, int, TokenSplit], Tensor]
FormulationT = TypeVar("FormulationT", bound=StcaFormulation)

_BUILTIN_MODULES = ("model.stca_reference", "model.stca_fast")
_FORMULATIONS: dict[str, StcaFormulation] = {}


class UnknownFormulationError(ValueError):
    """An STCA formulation name that no module registered."""


def register_stca_formulation(name: str) -> Callable[[FormulationT], FormulationT]:
    def register(fn: FormulationT) -> FormulationT:
        if name in _FORMULATIONS and _FORMULATIONS[name] is not fn:
            raise ValueError(f"STCA formulation {name!r} is already registered")
        _FORMULATIONS[name] = fn
        return fn

    return register


def _load_builtins() -> None:
    for module in _BUILTIN_MODULES:
        importlib.import_module(module)


def stca_formulation_names() -> list[str]:
    _load_builtins()
    return sorted(_FORMULATIONS)


def stca_formulation(name: str) -> StcaFormulation:
    _load_builtins()
    try:
        return _FORMULATIONS[name]
    except KeyError:
        raise UnknownFormulationError(
            f"unknown STCA formulation {name!r} (known: {', '.join(sorted(_FORMULATIONS))})"
        ) from None
