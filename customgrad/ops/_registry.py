"""The twin registry: each operation paired with its PyTorch twin, sample inputs and special points.

Every operation's module ends by registering itself here; :mod:`customgrad.twins` is the
public face of this table.  The tests, :func:`customgrad.verify`'s runners, the verification
matrix and the benchmarks all read it, so a newly registered operation is under every check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch


@dataclass(frozen=True)
class Twin:
    """One operation: our Function and functional twin, torch's twin, and how to feed them.

    Attributes:
        name: the functional name, as in ``torch.nn.functional``.
        function: the ``torch.autograd.Function`` class.
        ours: ``customgrad.functional`` twin.
        reference: the torch callable with the same signature (``None`` where torch has none).
        sample: ``sample(dtype) -> (args, kwargs)``; tensor args require grad where differentiable.
        apply_args: maps the functional's ``(args, kwargs)`` to ``Function.apply``'s positional args.
        elementwise: unary elementwise in its first argument (edge-case sweeps apply).
        kinks: points where the derivative jumps (checked exactly against torch's convention).
        inplace: the functional takes ``inplace=``.
        module: the ``customgrad.nn`` Module twin, if any.
        settings: keyword arguments to merge into the sample's, one dict per non-default setting
            worth checking on its own (each goes through gradcheck and gradgradcheck).
        tags: markers for known, documented differences that some generic checks read.
    """

    name: str
    function: type
    ours: Callable
    reference: Callable | None
    sample: Callable[[torch.dtype], tuple[tuple, dict]]
    apply_args: Callable[[tuple, dict], tuple]
    elementwise: bool = True
    kinks: tuple[float, ...] = ()
    inplace: bool = False
    module: type | None = None
    settings: tuple[dict, ...] = ()
    tags: tuple[str, ...] = field(default_factory=tuple)


TWINS: dict[str, Twin] = {}


def register(twin: Twin) -> Twin:
    """Add ``twin`` to :data:`TWINS` under its name (a second registration of a name is an error)."""
    if twin.name in TWINS:
        raise ValueError(f"an operation named {twin.name!r} is already registered")
    TWINS[twin.name] = twin
    return twin


def randn(*shape, dtype=torch.float64, requires_grad=True, scale=3.0):
    """A random tensor, spread wide enough to cross every kink of the activations."""
    return (torch.randn(*shape, dtype=dtype) * scale).requires_grad_(requires_grad)


def unary(dtype):
    """The sample of a unary op: one (4, 5) input."""
    return (randn(4, 5, dtype=dtype),), {}


def unary_with(**kwargs):
    """A unary sample with fixed keyword settings (non-default ones, so a dropped argument shows)."""
    return lambda dtype: ((randn(4, 5, dtype=dtype),), dict(kwargs))


# Tag: torch's mse_loss reads ``target.size()`` before any type check, so a list input makes
# it raise AttributeError; ours raises TypeError.
REFERENCE_ATTRIBUTE_ERROR = "reference-raises-attribute-error-on-non-tensor"
