"""Leaky ReLU: ReLU with a small slope below zero, so no unit dies."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as TF
from torch import nn

from .._torch_private import functorch_transforms_active
from . import _inplace
from ._chain import chain
from ._checks import check_float_input, check_inplace_allowed, check_tensor
from ._compile import compiled_variant
from ._docs import documented
from ._fused import aten, fused
from ._registry import Twin, register, unary_with

_INPLACE_NEGATIVE_SLOPE = (
    "leaky_relu(inplace=True) with a negative slope cannot be differentiated: the overwritten "
    "input no longer tells which entries were negative. Call it with inplace=False."
)


def _slope(t: torch.Tensor, negative_slope: float) -> torch.Tensor:
    """The derivative, 1 where ``t > 0`` and ``negative_slope`` elsewhere (nan included), as a new tensor."""
    d = torch.sign(t)  # -1, 0 or 1; sign(nan) is 0, so nan takes the negative slope as in torch
    # threshold keeps the 1s and replaces everything <= 0 by the slope: exact for any slope,
    # inf and nan included (a slope beyond the dtype's range is its infinity, as torch rounds it).
    limit = torch.finfo(d.dtype).max if d.is_floating_point() else float("inf")
    slope = negative_slope if abs(negative_slope) <= limit or negative_slope != negative_slope else (
        float("inf") if negative_slope > 0 else float("-inf"))
    inplace = not functorch_transforms_active()  # vmap has no batching rule for threshold_
    return TF.threshold(d, 0.0, slope, inplace=inplace)


# ----------------------------------------------------------------------------- formulas (see _docs.py)

def formulas():
    """The forward in sympy, the one source of this Function's formulas (``_docs.py``); imports sympy."""
    import sympy

    from .. import symbolic as S

    x = S.x
    negative_slope = S.symbols("negative_slope")
    # at 0 the negative slope (sign(0) = 0 clamps to the slope)
    return {"leaky_relu": S.Elementwise(sympy.Piecewise((x, x > 0), (negative_slope * x, True)), (negative_slope,),
                                        name="leaky_relu")}


# The settings every symbolic check runs with (tests/test_symbolic.py, the API reference): the
# formula and the Function's extra arguments after the input, or MatrixRule.check's arguments.
FORMULA_CHECKS = tuple(("leaky_relu", (s,)) for s in (0.01, 0.2, 0.0, 1.0, 1.5, -0.1))


@compiled_variant
@documented(formulas, checks=FORMULA_CHECKS)
class LeakyReLUFunction(torch.autograd.Function):
    r"""Leaky rectified linear unit with a hand-written backward.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Saved for backward: one tensor of the input's size, as torch's built-in.
    With a slope :math:`\ge 0` it is the output :math:`y`, which is positive exactly where
    :math:`x` is, so the caller's tensor serves and no copy is made.
    With a negative slope :math:`y` has lost the sign of :math:`x`, so the input is kept instead;
    in-place with a negative slope has neither, and backward raises as torch's does.
    The slope, a number, is kept on ``ctx`` and gets ``None`` as its gradient.

    The derivative is built as ``sign(y).clamp(min=negative_slope)``: two vectorised passes,
    no boolean mask and no ``torch.where`` (both are several times slower on the CPU).

    Args:
        input (Tensor): floating point, any shape.
        negative_slope (float): slope for :math:`x \le 0`.  Default ``0.01``.
        inplace (bool): overwrite ``input`` and return it, marked dirty.  Default ``False``.

    Shape:
        Input :math:`(*)`, output :math:`(*)`, the same shape.

    Example:
        >>> x = torch.tensor([-2.0, 0.0, 3.0], requires_grad=True)
        >>> y = LeakyReLUFunction.apply(x, 0.1)
        >>> y
        tensor([-0.2000,  0.0000,  3.0000], grad_fn=<LeakyReLUFunctionBackward>)
        >>> y.sum().backward()
        >>> x.grad
        tensor([0.1000, 0.1000, 1.0000])
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(input, negative_slope=0.01, inplace=False):
        return TF.leaky_relu(input, negative_slope, inplace)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, negative_slope, inplace = inputs
        if inplace:
            ctx.mark_dirty(input)
        ctx.negative_slope = negative_slope
        ctx.inplace = inplace
        ctx.broken = inplace and negative_slope < 0
        kept = output if inplace or negative_slope >= 0 else input
        ctx.save_for_backward(kept)
        ctx.save_for_forward(kept)

    @staticmethod
    def backward(ctx, grad_output):
        if not ctx.needs_input_grad[0]:
            return None, None, None
        if ctx.broken:
            raise RuntimeError(_INPLACE_NEGATIVE_SLOPE)
        (kept,) = ctx.saved_tensors
        if fused(grad_output, kept, when_compiling=False) and math.isfinite(ctx.negative_slope):  # one pass (_fused.py)
            # kept > 0 exactly where x > 0, output or input.  The last argument (self_is_result) only
            # makes torch refuse an in-place negative slope, refused above already.
            return aten.leaky_relu_backward(grad_output, kept, ctx.negative_slope, False), None, None
        return chain(grad_output, _slope(kept, ctx.negative_slope)), None, None

    @staticmethod
    def jvp(ctx, input_tangent, _slope_tangent, _inplace_tangent):
        if ctx.broken:
            raise RuntimeError(_INPLACE_NEGATIVE_SLOPE)
        (kept,) = ctx.saved_tensors
        d = _slope(kept, ctx.negative_slope)
        # An in-place Function must update the input's tangent in place as well.
        return input_tangent.mul_(d) if ctx.inplace else chain(input_tangent, d)


# ----------------------------------------------------------------------------- functional twin

def leaky_relu(input: torch.Tensor, negative_slope: float = 0.01, inplace: bool = False) -> torch.Tensor:
    r"""Twin of :func:`torch.nn.functional.leaky_relu`, backed by :class:`~customgrad.functions.LeakyReLUFunction`.

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
    check_float_input(input, "leaky_relu")
    if inplace:
        check_inplace_allowed(input, "leaky_relu")
    return _inplace.apply(LeakyReLUFunction, input, negative_slope, inplace=inplace)


# ----------------------------------------------------------------------------- Module twin

class LeakyReLU(nn.Module):
    r"""Twin of :class:`torch.nn.LeakyReLU`, backed by :class:`~customgrad.functions.LeakyReLUFunction` through :func:`customgrad.functional.leaky_relu`.

    Args:
        negative_slope (float): slope for :math:`x \le 0`.  Default ``0.01``.
        inplace (bool): overwrite the input and return the same tensor object.  Default ``False``.

    Shape:
        Input :math:`(*)`, output :math:`(*)`.

    Example:
        >>> m = LeakyReLU(0.1)
        >>> m
        LeakyReLU(negative_slope=0.1)
        >>> m(torch.tensor([-2.0, 3.0]))
        tensor([-0.2000,  3.0000])
    """

    __constants__ = ["inplace", "negative_slope"]

    def __init__(self, negative_slope: float = 1e-2, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        inplace_str = ", inplace=True" if self.inplace else ""
        return f"negative_slope={self.negative_slope}{inplace_str}"


# ----------------------------------------------------------------------------- twin registration

register(Twin(
    name="leaky_relu", function=LeakyReLUFunction, ours=leaky_relu, reference=TF.leaky_relu, module=LeakyReLU,
    sample=unary_with(negative_slope=0.2),
    apply_args=lambda a, k: (a[0], k.get("negative_slope", 0.01), k.get("inplace", False)),
    kinks=(0.0,), inplace=True,
    settings=({"negative_slope": 0.0}, {"negative_slope": -0.5}, {"negative_slope": 1.5}, {"inplace": True}),
))
