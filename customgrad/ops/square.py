r"""Square: one of the smallest custom Functions, where the chain rule is one product.

It saves its input: the output cannot give the derivative :math:`2x` back without a square
root that loses the sign.  Complex inputs follow PyTorch's conjugate convention, as in
``exp.py``.
"""

from __future__ import annotations

import torch

from . import _compile
from ._checks import check_tensor
from ._compile import compiled_variant
from ._docs import documented
from ._registry import Twin, register, unary


# ----------------------------------------------------------------------------- formulas (see _docs.py)

def formulas():
    """The forward in sympy, the one source of this Function's formulas (``_docs.py``); imports sympy."""
    from .. import symbolic as S

    x = S.x
    return {"square": S.Elementwise(x**2, name="square")}


# The settings every symbolic check runs with (tests/test_symbolic.py, the API reference): the
# formula and the Function's extra arguments after the input, or MatrixRule.check's arguments.
FORMULA_CHECKS = (("square", ()),)


@compiled_variant
@documented(formulas, checks=FORMULA_CHECKS)
class SquareFunction(torch.autograd.Function):
    r"""The square :math:`x^2` with a hand-written backward.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Saved for backward: the input :math:`x` (torch's ``square`` saves the same).
    The output :math:`x^2` has lost the sign of :math:`x`, so it cannot replace it.
    Integer inputs give an integer output, as with torch.

    Args:
        input (Tensor): any shape, any dtype ``torch.square`` accepts.

    Shape:
        Input :math:`(*)`, output :math:`(*)`, the same shape.

    Example:
        >>> x = torch.tensor(2.0, requires_grad=True)
        >>> y = SquareFunction.apply(x)
        >>> y.backward()
        >>> y.item(), x.grad.item()
        (4.0, 4.0)
    """


    generate_vmap_rule = True

    @staticmethod
    def forward(input):
        return torch.square(input)

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
        # 2x first, as torch does: at |x| near the float maximum, 2x is already infinite.
        return grad_output * (2 * input).conj()

    @staticmethod
    def jvp(ctx, input_tangent):
        (input,) = ctx.saved_tensors
        return input_tangent * (2 * input)


# ----------------------------------------------------------------------------- functional twin

def square(input: torch.Tensor) -> torch.Tensor:
    r"""Twin of :func:`torch.square`, backed by :class:`~customgrad.functions.SquareFunction`.

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
    return _compile.apply(SquareFunction, input)


# ----------------------------------------------------------------------------- twin registration

register(Twin(
    name="square", function=SquareFunction, ours=square, reference=torch.square, sample=unary,
    apply_args=lambda a, k: (a[0],),
))
