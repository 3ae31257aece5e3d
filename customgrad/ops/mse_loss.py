"""Mean squared error, with torch's broadcasting and reductions."""

from __future__ import annotations

import warnings

import torch
import torch.nn.functional as TF
from torch import nn

from . import _compile
from ._autocast import autocast_inputs, autocast_off
from ._checks import check_tensor
from ._compile import compiled_variant
from ._docs import documented
from ._reduction import check_reduction, legacy_reduction, module_reduction
from ._registry import REFERENCE_ATTRIBUTE_ERROR, Twin, randn, register


def check_mse_dtypes(input: torch.Tensor, target: torch.Tensor) -> None:
    """torch's ``mse_loss`` kernel exists for real floating types only (after type promotion)."""
    dtype = torch.promote_types(input.dtype, target.dtype)
    if not dtype.is_floating_point:
        raise NotImplementedError(f"mse_loss(): not implemented for {dtype}; expected floating-point input or target")


# ----------------------------------------------------------------------------- formulas (see _docs.py)

def formulas():
    """The forward in sympy, the one source of this Function's formulas (``_docs.py``); imports sympy."""
    from .. import symbolic as S

    x = S.x
    return {"mse": S.mse_rule(), "mse_weighted": S.mse_rule(weighted=True)}


# The settings every symbolic check runs with (tests/test_symbolic.py, the API reference): the
# formula and the Function's extra arguments after the input, or MatrixRule.check's arguments.
FORMULA_CHECKS = (
    ("mse", dict(call=lambda input, target: MSELossFunction.apply(input, target, "mean", None))),
    ("mse_weighted", dict(
        call=lambda input, target, weight: MSELossFunction.apply(input, target, "mean", weight),
        values={"weight": torch.tensor([[0.5, 1.0, 2.0], [1.5, 0.25, 1.0]])})),
)


@compiled_variant
@documented(formulas, checks=FORMULA_CHECKS)
class MSELossFunction(torch.autograd.Function):
    r"""Mean squared error between ``input`` and ``target``, with a hand-written backward.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    ``input`` and ``target`` broadcast against each other, as in torch (whose ``mse_loss`` warns
    when their sizes differ: :func:`customgrad.functional.mse_loss` warns the same way), and each
    gradient is summed back to its own tensor's shape.
    The forward is printed for ``'mean'``, without and with ``weight``: ``'sum'`` leaves out the
    division and ``'none'`` keeps one term per element.
    :math:`N` is the number of elements after broadcasting; with ``weight``, ``'mean'`` divides by
    :math:`\sum w` instead, as torch's weighted ``mse_loss`` does.

    Saved for backward: ``input`` and ``target`` (and ``weight`` if given), the tensors the
    caller holds anyway, as torch does.
    The difference :math:`d` is recomputed in backward rather than saved: a saved :math:`d` would be
    a new tensor without a graph, so a second derivative could not see that it depends on
    ``input`` and ``target``.

    Args:
        input (Tensor): any shape, floating point.
        target (Tensor): broadcastable with ``input``; also gets a gradient if it requires one.
        reduction (str): ``'mean'`` | ``'sum'`` | ``'none'``.  Default ``'mean'``.
        weight (Tensor, optional): per-element weights, the same size as ``input``.  Default ``None``.

    Shape:
        Output: a scalar, or with ``'none'`` the broadcast shape of ``input`` and ``target``.

    Example:
        >>> x = torch.tensor([1.0, 2.0, 4.0], requires_grad=True)
        >>> t = torch.tensor([1.0, 0.0, 1.0])
        >>> loss = MSELossFunction.apply(x, t, "mean", None)
        >>> loss
        tensor(4.3333, grad_fn=<MSELossFunctionBackward>)
        >>> loss.backward()
        >>> x.grad
        tensor([0.0000, 1.3333, 2.0000])
    """


    generate_vmap_rule = True

    @staticmethod
    def forward(input, target, reduction, weight):
        reduction = check_reduction(reduction)
        check_mse_dtypes(input, target)
        loss = (input - target).square()
        if weight is None:
            return loss if reduction == "none" else loss.sum() if reduction == "sum" else loss.mean()
        loss = loss * weight
        return loss if reduction == "none" else loss.sum() if reduction == "sum" else loss.sum() / weight.sum()

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, target, reduction, weight = inputs
        ctx.reduction = check_reduction(reduction, warn=False)
        ctx.save_for_backward(input, target, weight)
        ctx.save_for_forward(input, target, weight)

    @staticmethod
    def backward(ctx, grad_output):
        input, target, weight = ctx.saved_tensors
        needs_input, needs_target, _, needs_weight = ctx.needs_input_grad
        diff = input - target
        scale = grad_output
        if ctx.reduction == "mean":
            scale = scale / (diff.numel() if weight is None else weight.sum())
        grad_input = grad_target = grad_weight = None
        if needs_input or needs_target:
            grad_diff = 2 * diff * scale if weight is None else 2 * diff * weight * scale
            if needs_input:
                grad_input = grad_diff.sum_to_size(input.shape).to(input.dtype)
            if needs_target:
                grad_target = (-grad_diff).sum_to_size(target.shape).to(target.dtype)
        if needs_weight:
            square = diff.square()
            if ctx.reduction == "mean":
                square = square - (square * weight).sum() / weight.sum()
            grad_weight = (square * scale).sum_to_size(weight.shape).to(weight.dtype)
        return grad_input, grad_target, None, grad_weight

    @staticmethod
    def jvp(ctx, input_tangent, target_tangent, _reduction_tangent, weight_tangent):
        input, target, weight = ctx.saved_tensors
        diff = input - target
        diff_tangent = 0
        if input_tangent is not None:
            diff_tangent = diff_tangent + input_tangent
        if target_tangent is not None:
            diff_tangent = diff_tangent - target_tangent
        tangent = 2 * diff * diff_tangent
        if weight is None:
            if ctx.reduction == "none":
                return tangent.expand(diff.shape)
            return tangent.sum() if ctx.reduction == "sum" else tangent.sum() / diff.numel()
        square = diff.square()
        tangent = tangent * weight
        if weight_tangent is not None:
            tangent = tangent + square * weight_tangent
        if ctx.reduction == "none":
            return tangent.expand(diff.shape)
        if ctx.reduction == "sum":
            return tangent.sum()
        total = weight.sum()
        loss = (square * weight).sum() / total
        weight_total_tangent = 0 if weight_tangent is None else weight_tangent.sum()
        return (tangent.sum() - loss * weight_total_tangent) / total


# ----------------------------------------------------------------------------- functional twin

def mse_loss(
    input: torch.Tensor,
    target: torch.Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: torch.Tensor | None = None,
) -> torch.Tensor:
    r"""Twin of :func:`torch.nn.functional.mse_loss`, backed by :class:`~customgrad.functions.MSELossFunction`.

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
        warnings.warn(
            f"Using a target size ({target.size()}) that is different to the input size ({input.size()}). "
            "This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.",
            stacklevel=2,
        )
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    if weight is not None:
        check_tensor("weight", weight, "mse_loss")
        if weight.size() != input.size():
            raise ValueError("Weights and input must have the same size.")
        if reduction not in ("none", "mean", "sum"):
            raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")
    input, target, weight = autocast_inputs("mse_loss", input, target, weight)
    with autocast_off(input):
        return _compile.apply(MSELossFunction, input, target, reduction, weight)


# ----------------------------------------------------------------------------- Module twin

class MSELoss(nn.Module):
    r"""Twin of :class:`torch.nn.MSELoss`, backed by :class:`~customgrad.functions.MSELossFunction` through :func:`customgrad.functional.mse_loss`.

    Args:
        size_average, reduce: deprecated, as in torch; use ``reduction``.
        reduction (str): ``'mean'`` | ``'sum'`` | ``'none'``.  Default ``'mean'``.

    Shape:
        ``input`` any shape, ``target`` the same shape (broadcastable, with a warning);
        output a scalar, or with ``'none'`` the input's shape.

    Example:
        >>> loss = MSELoss(reduction="sum")
        >>> loss(torch.tensor([1.0, 2.0]), torch.tensor([0.0, 0.0]))
        tensor(5.)
    """

    __constants__ = ["reduction"]

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = module_reduction(size_average, reduce, reduction)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return mse_loss(input, target, reduction=self.reduction)


# ----------------------------------------------------------------------------- twin registration

def _sample(dtype):
    return (randn(4, 5, dtype=dtype), randn(4, 5, dtype=dtype)), {}


register(Twin(
    name="mse_loss", function=MSELossFunction, ours=mse_loss, reference=TF.mse_loss, module=MSELoss,
    sample=_sample, apply_args=lambda a, k: (a[0], a[1], k.get("reduction", "mean"), k.get("weight")),
    elementwise=False, tags=(REFERENCE_ATTRIBUTE_ERROR,),
    settings=({"reduction": "sum"}, {"reduction": "none"}),
))
