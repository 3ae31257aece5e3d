r"""Exp: one of the smallest custom Functions, where the chain rule is one product.

It saves its output, because the derivative of :math:`e^x` is :math:`e^x` itself.
For complex inputs the backward multiplies by the *conjugate* derivative,
:math:`\partial L/\partial x = \partial L/\partial y \cdot \overline{f'(x)}` (PyTorch's convention
for complex gradients; ``.conj()`` costs nothing on real tensors); the forward-mode ``jvp``
multiplies by :math:`f'(x)` itself.
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
    import sympy

    from .. import symbolic as S

    x = S.x
    return {"exp": S.Elementwise(sympy.exp(x), name="exp")}


# The settings every symbolic check runs with (tests/test_symbolic.py, the API reference): the
# formula and the Function's extra arguments after the input, or MatrixRule.check's arguments.
FORMULA_CHECKS = (("exp", ()),)


@compiled_variant
@documented(formulas, checks=FORMULA_CHECKS)
class ExpFunction(torch.autograd.Function):
    r"""The exponential with a hand-written backward: the derivative is the output.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Saved for backward: the output :math:`y` only, the one tensor the derivative needs.
    It is the tensor the caller holds anyway, so saving it costs no extra memory
    (torch's ``exp`` saves the same).  Integer inputs give a float output, as with torch.

    Args:
        input (Tensor): any shape.

    Shape:
        Input :math:`(*)`, output :math:`(*)`, the same shape.

    Example:
        >>> x = torch.tensor(2.0, requires_grad=True)
        >>> y = ExpFunction.apply(x)
        >>> y.backward()
        >>> torch.equal(x.grad, torch.exp(torch.tensor(2.0)))
        True
    """


    generate_vmap_rule = True

    @staticmethod
    def forward(input):
        return torch.exp(input)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)
        ctx.save_for_forward(output)

    @staticmethod
    def backward(ctx, grad_output):
        if not ctx.needs_input_grad[0]:
            return None
        (output,) = ctx.saved_tensors
        return grad_output * output.conj()

    @staticmethod
    def jvp(ctx, input_tangent):
        (output,) = ctx.saved_tensors
        return input_tangent * output


# ----------------------------------------------------------------------------- functional twin

def exp(input: torch.Tensor) -> torch.Tensor:
    r"""Twin of :func:`torch.exp`, backed by :class:`~customgrad.functions.ExpFunction`.

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
    (input,) = autocast_inputs("exp", input)
    with autocast_off(input):
        return _compile.apply(ExpFunction, input)


# ----------------------------------------------------------------------------- twin registration

register(Twin(
    name="exp", function=ExpFunction, ours=exp, reference=torch.exp, sample=unary, apply_args=lambda a, k: (a[0],),
))
