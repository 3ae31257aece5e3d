"""Small helpers for elementwise backward formulas that must stay fast on the CPU.

Measured on this project's CPU build of torch (1e6 float32 elements): arithmetic, ``clamp``,
``sign``, ``threshold`` and ``sigmoid`` are one vectorised pass each, while anything that reads
or writes a boolean mask (``x > 0``, ``torch.where``, ``masked_fill``, ``mask.float()``) is 4 to
40 times slower (a comparison written into a float tensor with ``out=`` is one fast pass: no
boolean is stored).  At 1e7 elements a fresh 40 MB result costs more than the arithmetic itself.
So the piecewise backward formulas build their derivative from ``sign``/``clamp``/``threshold``
in *one* temporary, updated in place, and multiply it into the incoming gradient with
:func:`chain`.
"""

from __future__ import annotations

import torch

from .._torch_private import functorch_transforms_active, is_legacy_batched


def may_overwrite() -> bool:
    """True when temporaries may be updated in place: nothing records or transforms the backward.

    With ``create_graph=True`` autograd records the backward (for double backward), and under
    ``torch.func`` transforms the operands may be batched differently; both take the plain path.
    """
    return not torch.is_grad_enabled() and not functorch_transforms_active()


def chain(grad: torch.Tensor, derivative: torch.Tensor) -> torch.Tensor:
    """The chain rule of an elementwise op, ``grad * derivative``.

    ``derivative`` must be a temporary the caller owns (never a saved tensor, never ``grad``):
    when :func:`may_overwrite` allows and ``grad`` is not batched by the legacy vmap that
    ``gradcheck(check_batched_grad=True)`` uses, the product is written into it.

    Example:
        >>> d = torch.tensor([0.5, 1.0])
        >>> chain(torch.tensor([2.0, 3.0]), d)
        tensor([1., 3.])
    """
    if may_overwrite() and not is_legacy_batched(grad):
        return derivative.mul_(grad)
    return grad * derivative


_FLOAT_BELOW: dict[tuple[float, torch.dtype], float] = {}


def float_below(value: float, dtype: torch.dtype) -> float:
    """The largest ``dtype`` number strictly below ``value`` (after rounding ``value`` to ``dtype``).

    ``threshold(t, float_below(v, dtype), ...)`` replaces exactly the entries ``t < v``.
    Remembered per ``(value, dtype)``: a backward calls it on every pass.

    Example:
        >>> float_below(1.0, torch.float32) == 1.0 - 2.0**-24
        True
    """
    below = _FLOAT_BELOW.get((value, dtype))
    if below is None:
        v = torch.tensor(value, dtype=dtype)
        below = _FLOAT_BELOW[(value, dtype)] = torch.nextafter(v, torch.tensor(float("-inf"), dtype=dtype)).item()
    return below


def smallest_subnormal(dtype: torch.dtype) -> float:
    """The smallest positive ``dtype`` number: ``t > -smallest_subnormal`` is exactly ``t >= 0``.

    Example:
        >>> smallest_subnormal(torch.float64) == 2.0**-1074
        True
    """
    info = torch.finfo(dtype)
    return info.tiny * info.eps
