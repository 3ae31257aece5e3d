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

# --- end of section ---

# --- smooth activations and elementary functions: Sigmoid, Tanh, SiLU, Mish, Exp, Square, Cube, LearnedSiLU ---

from .functions._inplace import inplace_by_copy as _inplace_by_copy


def _refuse_complex_grad(input: torch.Tensor, fn: str) -> None:
    """torch's silu computes on complex tensors but refuses to differentiate them: so do we."""
    if input.is_complex() and input.requires_grad and torch.is_grad_enabled():
        raise RuntimeError(f"{fn} does not support automatic differentiation for outputs with complex dtype.")


@formulas_from(_fn.SigmoidFunction)
def sigmoid(input: torch.Tensor) -> torch.Tensor:
    r"""Twin of :func:`torch.nn.functional.sigmoid` (and :func:`torch.sigmoid`), backed by :class:`~customgrad.functions.SigmoidFunction`.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Args:
        input (Tensor): any shape; integer and bool tensors give a float result, as with torch.

    Shape:
        Input :math:`(*)`, output :math:`(*)`.

    Example:
        >>> import customgrad.functional as CF
        >>> CF.sigmoid(torch.tensor([-1e10, 0.0, 1e10]))
        tensor([0.0000, 0.5000, 1.0000])
        >>> CF.sigmoid(torch.arange(2))
        tensor([0.5000, 0.7311])
    """
    check_tensor("input", input, "sigmoid")
    return _fn.SigmoidFunction.apply(input)


@formulas_from(_fn.TanhFunction)
def tanh(input: torch.Tensor) -> torch.Tensor:
    r"""Twin of :func:`torch.nn.functional.tanh` (and :func:`torch.tanh`), backed by :class:`~customgrad.functions.TanhFunction`.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Args:
        input (Tensor): any shape; integer and bool tensors give a float result, as with torch.

    Shape:
        Input :math:`(*)`, output :math:`(*)`.

    Example:
        >>> import customgrad.functional as CF
        >>> x = torch.tensor([0.0, 1.0], requires_grad=True)
        >>> CF.tanh(x).sum().backward()
        >>> x.grad
        tensor([1.0000, 0.4200])
    """
    check_tensor("input", input, "tanh")
    return _fn.TanhFunction.apply(input)


@formulas_from(_fn.SwishFunction)
def silu(input: torch.Tensor, inplace: bool = False) -> torch.Tensor:
    r"""Twin of :func:`torch.nn.functional.silu` (Swish), backed by :class:`~customgrad.functions.SwishFunction`.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Args:
        input (Tensor): any shape, floating point (integer tensors raise, as in torch).
        inplace (bool): overwrite ``input`` and return the same tensor object.  Default ``False``.

    Shape:
        Input :math:`(*)`, output :math:`(*)`.

    Example:
        >>> import customgrad.functional as CF
        >>> x = torch.tensor([-1e10, 0.0, 1e10], requires_grad=True)
        >>> CF.silu(x).sum().backward()
        >>> x.grad
        tensor([0.0000, 0.5000, 1.0000])
        >>> y = torch.zeros(3)
        >>> CF.silu(y, inplace=True) is y
        True
    """
    check_tensor("input", input, "silu")
    _refuse_complex_grad(input, "silu")
    if inplace:
        check_inplace_allowed(input, "silu")
        if torch._C._are_functorch_transforms_active():  # see customgrad/functions/_inplace.py
            return _inplace_by_copy(_fn.SwishFunction, input)
    return _fn.SwishFunction.apply(input, inplace)


@formulas_from(_fn.MishFunction)
def mish(input: torch.Tensor, inplace: bool = False) -> torch.Tensor:
    r"""Twin of :func:`torch.nn.functional.mish`, backed by :class:`~customgrad.functions.MishFunction`.

    Forward:

    {forward_math}

    Backward, with :math:`\sigma = \sigma(x)` and :math:`r = 1 - \sigma`:

    {backward_math}

    Args:
        input (Tensor): any shape, floating point (integer tensors raise, as in torch).
        inplace (bool): overwrite ``input`` and return the same tensor object.  Default ``False``.

    Shape:
        Input :math:`(*)`, output :math:`(*)`.

    Example:
        >>> import customgrad.functional as CF
        >>> x = torch.tensor([-1.0, 0.0, 1.0, 100.0], requires_grad=True)
        >>> y = CF.mish(x)
        >>> y
        tensor([ -0.3034,   0.0000,   0.8651, 100.0000], grad_fn=<MishFunctionBackward>)
        >>> y.sum().backward()
        >>> x.grad
        tensor([0.0592, 0.6000, 1.0490, 1.0000])
    """
    check_tensor("input", input, "mish")
    if inplace:
        check_inplace_allowed(input, "mish")
        if torch._C._are_functorch_transforms_active():  # see customgrad/functions/_inplace.py
            return _inplace_by_copy(_fn.MishFunction, input)
    return _fn.MishFunction.apply(input, inplace)


@formulas_from(_fn.ExpFunction)
def exp(input: torch.Tensor) -> torch.Tensor:
    r"""Twin of :func:`torch.exp`, backed by :class:`~customgrad.functions.ExpFunction`.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Args:
        input (Tensor): any shape; integer and bool tensors give a float result, as with torch.

    Shape:
        Input :math:`(*)`, output :math:`(*)`.

    Example:
        >>> import customgrad.functional as CF
        >>> x = torch.tensor(2.0, requires_grad=True)
        >>> y = CF.exp(x)
        >>> y.backward()
        >>> torch.equal(x.grad, y.detach())
        True
    """
    check_tensor("input", input, "exp")
    return _fn.ExpFunction.apply(input)


@formulas_from(_fn.SquareFunction)
def square(input: torch.Tensor) -> torch.Tensor:
    r"""Twin of :func:`torch.square`, backed by :class:`~customgrad.functions.SquareFunction`.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Args:
        input (Tensor): any shape; integer tensors give an integer result, as with torch.

    Shape:
        Input :math:`(*)`, output :math:`(*)`.

    Example:
        >>> import customgrad.functional as CF
        >>> CF.square(torch.tensor([-3, 2]))
        tensor([9, 4])
    """
    check_tensor("input", input, "square")
    return _fn.SquareFunction.apply(input)


@formulas_from(_fn.CubeFunction)
def cube(input: torch.Tensor) -> torch.Tensor:
    r"""The cube ``input ** 3`` (torch has no function of that name), backed by :class:`~customgrad.functions.CubeFunction`.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Args:
        input (Tensor): any shape; integer tensors give an integer result, as ``input ** 3`` does.

    Shape:
        Input :math:`(*)`, output :math:`(*)`.

    Example:
        >>> import customgrad.functional as CF
        >>> x = torch.tensor([-1.0, 2.0], requires_grad=True)
        >>> CF.cube(x).sum().backward()
        >>> x.grad
        tensor([ 3., 12.])
    """
    check_tensor("input", input, "cube")
    return _fn.CubeFunction.apply(input)


@formulas_from(_fn.LearnedSiLUFunction)
def learned_silu(input: torch.Tensor, slope: torch.Tensor) -> torch.Tensor:
    r"""SiLU scaled by a learnable ``slope``, backed by :class:`~customgrad.functions.LearnedSiLUFunction`.

    torch has no such function; it equals ``slope * torch.nn.functional.silu(input)``
    in value and gradients, without keeping the SiLU output alive for backward.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Args:
        input (Tensor): any shape, floating point.
        slope (Tensor): broadcastable to ``input``, e.g. shape ``(1,)``; its gradient has its shape.

    Shape:
        Input :math:`(*)`, output: ``input`` and ``slope`` broadcast together.

    Example:
        >>> import customgrad.functional as CF
        >>> x = torch.tensor([[1.0, -1.0, 2.0]], requires_grad=True)
        >>> slope = torch.tensor([0.5], requires_grad=True)
        >>> CF.learned_silu(x, slope).sum().backward()
        >>> slope.grad
        tensor([2.2237])
    """
    check_tensor("input", input, "learned_silu")
    check_tensor("slope", slope, "learned_silu")
    _refuse_complex_grad(input, "silu")
    return _fn.LearnedSiLUFunction.apply(input, slope)

# --- end of section ---

# --- layers, losses, normalisation ---

# --- end of section ---

__all__ = sorted(n for n, v in list(globals().items()) if not n.startswith("_") and getattr(v, "__module__", None) == __name__)
