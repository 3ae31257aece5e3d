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

from .functions._inplace import inplace_by_copy as _inplace_by_copy


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
        if torch._C._are_functorch_transforms_active():  # see customgrad/functions/_inplace.py
            return _inplace_by_copy(_fn.HardSwishFunction, input)
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
import warnings as _warnings

from .functions._reduction import check_reduction as _check_reduction
from .functions._reduction import legacy_reduction as _legacy_reduction


@formulas_from(_fn.LinearFunction)
def linear(input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    r"""Twin of :func:`torch.nn.functional.linear`, backed by :class:`~customgrad.functions.LinearFunction`.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Args:
        input (Tensor): :math:`(*, \text{in})` with any number of leading dimensions, or :math:`(\text{in})`.
        weight (Tensor): :math:`(\text{out}, \text{in})`.
        bias (Tensor, optional): broadcastable to :math:`(*, \text{out})`, e.g. :math:`(\text{out})` or
            :math:`(1, \text{out})`.  Default ``None``.

    Shape:
        Output :math:`(*, \text{out})`.

    Example:
        >>> import customgrad.functional as CF
        >>> x = torch.ones(2, 4, 3)
        >>> CF.linear(x, torch.ones(5, 3), torch.arange(5.0)).shape
        torch.Size([2, 4, 5])
        >>> CF.linear(torch.tensor([1.0, 2.0]), torch.tensor([[1.0, 1.0], [0.0, 1.0]]))
        tensor([3., 2.])
    """
    check_tensor("input", input, "linear")
    check_tensor("weight", weight, "linear")
    if bias is None:
        return _fn.LinearFunction.apply(input, weight)
    check_tensor("bias", bias, "linear")
    return _fn.LinearFunction.apply(input, weight, bias)


@formulas_from(_fn.MSELossFunction)
def mse_loss(
    input: torch.Tensor,
    target: torch.Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: torch.Tensor | None = None,
) -> torch.Tensor:
    r"""Twin of :func:`torch.nn.functional.mse_loss`, backed by :class:`~customgrad.functions.MSELossFunction`.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Like torch, warns when ``target``'s size differs from ``input``'s (they are broadcast, which
    is rarely what was meant).

    Args:
        input (Tensor): predictions, any shape.
        target (Tensor): broadcastable with ``input``.
        size_average (bool, optional): deprecated, as in torch; use ``reduction``.
        reduce (bool, optional): deprecated, as in torch; use ``reduction``.
        reduction (str): ``'mean'`` | ``'sum'`` | ``'none'``.  Default ``'mean'``.
        weight (Tensor, optional): per-element weights of ``input``'s size.  Default ``None``.

    Shape:
        Output: a scalar, or with ``'none'`` the broadcast shape of ``input`` and ``target``.

    Example:
        >>> import customgrad.functional as CF
        >>> CF.mse_loss(torch.tensor([1.0, 2.0, 4.0]), torch.tensor([1.0, 0.0, 1.0]), reduction="sum")
        tensor(13.)
    """
    check_tensor("input", input, "mse_loss")
    check_tensor("target", target, "mse_loss")
    if target.size() != input.size():
        _warnings.warn(
            f"Using a target size ({target.size()}) that is different to the input size ({input.size()}). "
            "This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.",
            stacklevel=2,
        )
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if weight is None:
        return _fn.MSELossFunction.apply(input, target, _check_reduction(reduction))
    check_tensor("weight", weight, "mse_loss")
    if weight.size() != input.size():
        raise ValueError("Weights and input must have the same size.")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")
    return _fn.MSELossFunction.apply(input, target, reduction, weight)


@formulas_from(_fn.CrossEntropyFunction)
def cross_entropy(
    input: torch.Tensor,
    target: torch.Tensor,
    weight: torch.Tensor | None = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> torch.Tensor:
    r"""Twin of :func:`torch.nn.functional.cross_entropy`, backed by :class:`~customgrad.functions.CrossEntropyFunction`.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Args:
        input (Tensor): unnormalised logits :math:`(C)`, :math:`(N, C)` or :math:`(N, C, d_1, ...)`.
        target (Tensor): class indices (``int64``) of shape :math:`()`, :math:`(N)` or :math:`(N, d_1, ...)`,
            or class probabilities with ``input``'s shape.
        weight (Tensor, optional): :math:`(C)` class weights.  Default ``None``.
        size_average (bool, optional): deprecated, as in torch; use ``reduction``.
        ignore_index (int): class index that adds nothing to the loss or its ``'mean'`` (class-index
            targets only).  Default ``-100``.
        reduce (bool, optional): deprecated, as in torch; use ``reduction``.
        reduction (str): ``'mean'`` | ``'sum'`` | ``'none'``.  Default ``'mean'``.
        label_smoothing (float): mix the target with the uniform distribution, in :math:`[0, 1]`.  Default ``0.0``.

    Shape:
        Output: a scalar, or with ``'none'`` :math:`()`, :math:`(N)` or :math:`(N, d_1, ...)`.

    Example:
        >>> import customgrad.functional as CF
        >>> logits = torch.tensor([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
        >>> CF.cross_entropy(logits, torch.tensor([0, 2]), reduction="none")
        tensor([0.1698, 1.5514])
        >>> CF.cross_entropy(logits, torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]))
        tensor(0.8606)
    """
    check_tensor("input", input, "cross_entropy")
    check_tensor("target", target, "cross_entropy")
    if weight is not None:
        check_tensor("weight", weight, "cross_entropy")
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    reduction = _check_reduction(reduction)
    return _fn.CrossEntropyFunction.apply(input, target, weight, ignore_index, reduction, label_smoothing)


@formulas_from(_fn.LayerNormFunction)
def layer_norm(
    input: torch.Tensor,
    normalized_shape: list[int],
    weight: torch.Tensor | None = None,
    bias: torch.Tensor | None = None,
    eps: float = 1e-05,
) -> torch.Tensor:
    r"""Twin of :func:`torch.nn.functional.layer_norm`, backed by :class:`~customgrad.functions.LayerNormFunction`.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Args:
        input (Tensor): :math:`(*, \text{normalized\_shape})`.
        normalized_shape (list or tuple of int, or torch.Size): the trailing dimensions to normalise
            over (an ``int`` is refused, as by torch's functional; :class:`customgrad.nn.LayerNorm` accepts one).
        weight (Tensor, optional): :math:`\gamma`, shape ``normalized_shape``.  Default ``None``.
        bias (Tensor, optional): :math:`\beta`, shape ``normalized_shape``.  Default ``None``.
        eps (float): added to the variance.  Default ``1e-05``.

    Shape:
        Output: the shape of ``input``.

    Example:
        >>> import customgrad.functional as CF
        >>> CF.layer_norm(torch.tensor([[1.0, 2.0, 3.0]]), [3])
        tensor([[-1.2247,  0.0000,  1.2247]])
    """
    check_tensor("input", input, "layer_norm")
    for name, value in (("weight", weight), ("bias", bias)):
        if value is not None:
            check_tensor(name, value, "layer_norm")
    if isinstance(normalized_shape, int) or not isinstance(normalized_shape, (list, tuple)):
        raise TypeError(
            f"layer_norm(): argument 'normalized_shape' must be tuple of ints, not {type(normalized_shape).__name__}"
        )
    return _fn.LayerNormFunction.apply(input, tuple(normalized_shape), weight, bias, eps)[0]
# --- end of section ---

__all__ = sorted(n for n, v in list(globals().items()) if not n.startswith("_") and getattr(v, "__module__", None) == __name__)
