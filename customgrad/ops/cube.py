r"""Cube: one of the smallest custom Functions, where the chain rule is one product.

It saves its input: recovering :math:`3x^2` from the output would need a cube root, slower and
less exact than keeping :math:`x`.  Complex inputs follow PyTorch's conjugate convention, as in
``exp.py``.  torch has no ``cube``; its twin is ``input ** 3``.
"""

from __future__ import annotations

import torch

from . import _compile
from ._autocast import autocast_inputs, autocast_off
from ._checks import check_tensor
from ._compile import compiled_variant
from ._docs import documented
from ._registry import Twin, register, unary


# ----------------------------------------------------------------------------- formulas (see _docs.py)

def formulas():
    """The forward in sympy, the one source of this Function's formulas (``_docs.py``); imports sympy."""
    from .. import symbolic as S

    x = S.x
    return {"cube": S.Elementwise(x**3, name="cube")}


# The settings every symbolic check runs with (tests/test_symbolic.py, the API reference): the
# formula and the Function's extra arguments after the input, or MatrixRule.check's arguments.
FORMULA_CHECKS = (("cube", ()),)


@compiled_variant
@documented(formulas, checks=FORMULA_CHECKS)
class CubeFunction(torch.autograd.Function):
    r"""The cube :math:`x^3` with a hand-written backward.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Saved for backward: the input :math:`x` (``x ** 3`` in torch saves the same).
    Integer inputs give an integer output, as ``x ** 3`` does.

    Args:
        input (Tensor): any shape, any dtype ``torch.pow`` accepts.

    Shape:
        Input :math:`(*)`, output :math:`(*)`, the same shape.

    Example:
        >>> x = torch.tensor(2.0, requires_grad=True)
        >>> y = CubeFunction.apply(x)
        >>> y.backward()
        >>> y.item(), x.grad.item()
        (8.0, 12.0)
    """


    generate_vmap_rule = True

    @staticmethod
    def forward(input):
        return torch.pow(input, 3)

    @staticmethod
    def setup_context(ctx, inputs, output):
        (input,) = inputs
        ctx.save_for_backward(input)
        ctx.save_for_forward(input)

    @staticmethod
    def backward(ctx, grad_output):
        if not ctx.needs_input_grad[0]:
            return None
        (input,) = ctx.saved_tensors
        return grad_output * input.square().mul_(3).conj()

    @staticmethod
    def jvp(ctx, input_tangent):
        (input,) = ctx.saved_tensors
        return input_tangent * input.square().mul_(3)


# ----------------------------------------------------------------------------- functional twin

def cube(input: torch.Tensor) -> torch.Tensor:
    r"""The cube ``input ** 3`` (torch has no function of that name), backed by :class:`~customgrad.functions.CubeFunction`.

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
    (input,) = autocast_inputs("cube", input)
    with autocast_off(input):
        return _compile.apply(CubeFunction, input)


# ----------------------------------------------------------------------------- twin registration

def _reference(input):
    """torch has no ``cube``: the reference is the power, with torch's own gradient."""
    return input ** 3


register(Twin(
    name="cube", function=CubeFunction, ours=cube, reference=_reference, sample=unary,
    apply_args=lambda a, k: (a[0],),
))
