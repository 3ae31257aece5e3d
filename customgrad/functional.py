"""Drop-in twins of :mod:`torch.nn.functional`: same names, argument names, order and defaults.

Each twin checks its arguments the way torch does, then calls one Function from
:mod:`customgrad.functions`, which does the work.  The math lives on that Function.
"""

from __future__ import annotations

import torch

from . import functions as _fn
from ._checks import check_inplace_allowed, check_tensor
from ._docs import formulas_from

@formulas_from(_fn.ReLUFunction)
def relu(input: torch.Tensor, inplace: bool = False) -> torch.Tensor:
    r"""Twin of :func:`torch.nn.functional.relu`, backed by :class:`~customgrad.functions.ReLUFunction`.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Args:
        input (Tensor): any shape; integer tensors work as with torch.
        inplace (bool): overwrite ``input`` and return the same tensor object.  Default ``False``.

    Shape:
        Input :math:`(*)`, output :math:`(*)`.

    Example:
        >>> import customgrad.functional as CF
        >>> CF.relu(torch.tensor([-1.0, 0.0, 2.0]))
        tensor([0., 0., 2.])
        >>> x = torch.arange(-2, 3)
        >>> CF.relu(x, inplace=True) is x
        True
    """
    check_tensor("input", input, "relu")
    if inplace:
        check_inplace_allowed(input, "relu")
    return _fn.ReLUFunction.apply(input, inplace)


# --- piecewise activations: ReLU family, ELU, GELU, Hardswish, Softplus ---


def _check_float_input(input: torch.Tensor, fn: str) -> None:
    """Refuse integer, bool and complex input with the exception torch raises (``NotImplementedError``)."""
    if not input.is_floating_point():
        raise NotImplementedError(f"{fn}(): expected a floating-point input, got {input.dtype} (torch refuses it too)")


@formulas_from(_fn.LeakyReLUFunction)
def leaky_relu(input: torch.Tensor, negative_slope: float = 0.01, inplace: bool = False) -> torch.Tensor:
    r"""Twin of :func:`torch.nn.functional.leaky_relu`, backed by :class:`~customgrad.functions.LeakyReLUFunction`.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Args:
        input (Tensor): floating point, any shape.
        negative_slope (float): slope for :math:`x \le 0`; a number, so it gets no gradient.  Default ``0.01``.
        inplace (bool): overwrite ``input`` and return the same tensor object.  Default ``False``.

    Shape:
        Input :math:`(*)`, output :math:`(*)`.

    Example:
        >>> import customgrad.functional as CF
        >>> CF.leaky_relu(torch.tensor([-2.0, 0.0, 3.0]), negative_slope=0.1)
        tensor([-0.2000,  0.0000,  3.0000])
    """
    check_tensor("input", input, "leaky_relu")
    _check_float_input(input, "leaky_relu")
    if inplace:
        check_inplace_allowed(input, "leaky_relu")
    return _fn.LeakyReLUFunction.apply(input, negative_slope, inplace)


@formulas_from(_fn.PReLUFunction)
def prelu(input: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    r"""Twin of :func:`torch.nn.functional.prelu`, backed by :class:`~customgrad.functions.PReLUFunction`.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Args:
        input (Tensor): floating point; the channels are dimension 1 (a 0-d or 1-d input has one).
        weight (Tensor): 0-d or 1-d, one slope or one per channel, the input's dtype.

    Shape:
        Input :math:`(N, C, *)` or :math:`(*)` with one slope, output the same shape.

    Example:
        >>> import customgrad.functional as CF
        >>> CF.prelu(torch.tensor([[-1.0, -1.0], [2.0, -2.0]]), torch.tensor([0.1, 0.5]))
        tensor([[-0.1000, -0.5000],
                [ 2.0000, -1.0000]])
    """
    check_tensor("input", input, "prelu")
    check_tensor("weight", weight, "prelu")
    if input.dtype != weight.dtype:
        raise RuntimeError(
            f"prelu(): input is {input.dtype} but weight is {weight.dtype}; like torch, prelu does not promote types"
        )
    if weight.numel() != 1:
        if input.dim() == 0:
            raise RuntimeError(f"prelu(): a 0-d input takes a single slope, got a weight with {weight.numel()}")
        channels = input.shape[1] if input.dim() > 1 else 1
        if weight.numel() != channels:
            raise RuntimeError(
                f"prelu(): weight has {weight.numel()} slopes but the input of shape {tuple(input.shape)} "
                f"has {channels} channel(s) along dimension 1; pass one slope, or one per channel"
            )
    if weight.dim() > 1:
        raise RuntimeError(f"prelu(): weight must be 0-d or 1-d, got shape {tuple(weight.shape)}")
    _check_float_input(input, "prelu")
    return _fn.PReLUFunction.apply(input, weight)


@formulas_from(_fn.ELUFunction)
def elu(input: torch.Tensor, alpha: float = 1.0, inplace: bool = False) -> torch.Tensor:
    r"""Twin of :func:`torch.nn.functional.elu`, backed by :class:`~customgrad.functions.ELUFunction`.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Args:
        input (Tensor): floating point, any shape.
        alpha (float): :math:`\alpha`, the value :math:`-\alpha` is approached as :math:`x \to -\infty`.  Default ``1.0``.
        inplace (bool): overwrite ``input`` and return the same tensor object.  Default ``False``.

    Shape:
        Input :math:`(*)`, output :math:`(*)`.

    Example:
        >>> import customgrad.functional as CF
        >>> CF.elu(torch.tensor([-100.0, 0.0, 2.0]), alpha=0.5)
        tensor([-0.5000,  0.0000,  2.0000])
    """
    check_tensor("input", input, "elu")
    _check_float_input(input, "elu")
    if inplace:
        check_inplace_allowed(input, "elu")
    return _fn.ELUFunction.apply(input, alpha, inplace)


@formulas_from(_fn.GELUFunction)
def gelu(input: torch.Tensor, approximate: str = "none") -> torch.Tensor:
    r"""Twin of :func:`torch.nn.functional.gelu`, backed by :class:`~customgrad.functions.GELUFunction`.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Args:
        input (Tensor): floating point, any shape.
        approximate (str): ``'none'`` (exact) or ``'tanh'``; anything else raises ``RuntimeError``.

    Shape:
        Input :math:`(*)`, output :math:`(*)`.

    Example:
        >>> import customgrad.functional as CF
        >>> x = torch.tensor([-1.0, 0.0, 1.0])
        >>> CF.gelu(x), CF.gelu(x, approximate="tanh")
        (tensor([-0.1587,  0.0000,  0.8413]), tensor([-0.1588,  0.0000,  0.8412]))
        >>> CF.gelu(x, approximate="fast")
        Traceback (most recent call last):
            ...
        RuntimeError: gelu(): approximate must be 'none' or 'tanh', got 'fast'
    """
    check_tensor("input", input, "gelu")
    if not isinstance(approximate, str):
        raise TypeError(f"gelu(): argument 'approximate' must be str, not {type(approximate).__name__}")
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"gelu(): approximate must be 'none' or 'tanh', got {approximate!r}")
    _check_float_input(input, "gelu")
    return _fn.GELUFunction.apply(input, approximate)


@formulas_from(_fn.HardSwishFunction)
def hardswish(input: torch.Tensor, inplace: bool = False) -> torch.Tensor:
    r"""Twin of :func:`torch.nn.functional.hardswish`, backed by :class:`~customgrad.functions.HardSwishFunction`.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Args:
        input (Tensor): floating point, any shape.
        inplace (bool): overwrite ``input`` and return the same tensor object.  Default ``False``.

    Shape:
        Input :math:`(*)`, output :math:`(*)`.

    Example:
        >>> import customgrad.functional as CF
        >>> CF.hardswish(torch.tensor([-4.0, -1.5, 0.0, 3.0]))
        tensor([-0.0000, -0.3750,  0.0000,  3.0000])
    """
    check_tensor("input", input, "hardswish")
    _check_float_input(input, "hardswish")
    if inplace:
        check_inplace_allowed(input, "hardswish")
    return _fn.HardSwishFunction.apply(input, inplace)


@formulas_from(_fn.SoftplusFunction)
def softplus(input: torch.Tensor, beta: float = 1.0, threshold: float = 20.0) -> torch.Tensor:
    r"""Twin of :func:`torch.nn.functional.softplus`, backed by :class:`~customgrad.functions.SoftplusFunction`.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Args:
        input (Tensor): floating point, any shape.
        beta (float): :math:`\beta`.  Default ``1.0``.
        threshold (float): where :math:`\beta x` exceeds it, the output is :math:`x`.  Default ``20.0``.

    Shape:
        Input :math:`(*)`, output :math:`(*)`.

    Example:
        >>> import customgrad.functional as CF
        >>> CF.softplus(torch.tensor([-1.0, 0.0, 50.0]), beta=2.0)
        tensor([ 0.0635,  0.3466, 50.0000])
    """
    check_tensor("input", input, "softplus")
    _check_float_input(input, "softplus")
    return _fn.SoftplusFunction.apply(input, beta, threshold)


# --- end of section ---

# --- smooth activations and elementary functions: Sigmoid, Tanh, SiLU, Mish, Exp, Square, Cube, LearnedSiLU ---

# --- end of section ---

# --- layers, losses, normalisation ---

# --- end of section ---

__all__ = sorted(n for n, v in list(globals().items()) if not n.startswith("_") and getattr(v, "__module__", None) == __name__)
