r"""Tanh: a squashing function whose derivative is written from its output.

The derivative is a polynomial in the output, :math:`1-y^2`, so the Function keeps the output,
as ``sigmoid.py`` does, with the same complex-conjugate convention.
"""

from __future__ import annotations

import torch
from torch import nn

from . import _compile
from ._checks import check_tensor
from ._compile import compiled_variant
from ._docs import documented
from ._fused import aten, fused
from ._registry import Twin, register, unary


# ----------------------------------------------------------------------------- formulas (see _docs.py)

def formulas():
    """The forward in sympy, the one source of this Function's formulas (``_docs.py``); imports sympy."""
    import sympy

    from .. import symbolic as S

    x = S.x
    return {"tanh": S.Elementwise(sympy.tanh(x), name="tanh")}


def implemented():
    """The backward from the output y = tanh(x): 1 - y^2."""
    import sympy

    from .. import symbolic as S

    return {"tanh": 1 - sympy.tanh(S.x) ** 2}


# The settings every symbolic check runs with (tests/test_symbolic.py, the API reference): the
# formula and the Function's extra arguments after the input, or MatrixRule.check's arguments.
FORMULA_CHECKS = (("tanh", ()),)


@compiled_variant
@documented(formulas, checks=FORMULA_CHECKS)
class TanhFunction(torch.autograd.Function):
    r"""The hyperbolic tangent with a hand-written backward, written from the output.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Saved for backward: the output :math:`y` only (torch's ``tanh`` saves the same).
    It is evaluated as :math:`g - (g y)\,y`: in place on one fresh buffer in a plain backward,
    out of place when autograd records the backward (``create_graph=True``).

    Args:
        input (Tensor): any shape; integer inputs give a float output, as with torch.

    Shape:
        Input :math:`(*)`, output :math:`(*)`, the same shape.

    Example:
        >>> x = torch.tensor([-1.0, 0.0, 1.0], requires_grad=True)
        >>> y = TanhFunction.apply(x)
        >>> y.sum().backward()
        >>> torch.allclose(x.grad, 1 - y * y)
        True
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(input):
        return torch.tanh(input)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)
        ctx.save_for_forward(output)

    @staticmethod
    def backward(ctx, grad_output):
        if not ctx.needs_input_grad[0]:
            return None
        (saved,) = ctx.saved_tensors  # once: under checkpointing each access unpacks
        if fused(grad_output, saved):  # one pass: torch's own kernel (_fused.py)
            return aten.tanh_backward(grad_output, saved)
        output = saved.conj()  # complex: PyTorch's conjugate convention
        grad = grad_output * output
        if torch.is_grad_enabled():
            return grad_output - grad * output
        return grad.mul_(output).sub_(grad_output).neg_()  # -(g y y - g): one buffer

    @staticmethod
    def jvp(ctx, input_tangent):
        (output,) = ctx.saved_tensors
        return torch.addcmul(input_tangent, input_tangent * output, output, value=-1)


# ----------------------------------------------------------------------------- functional twin

def tanh(input: torch.Tensor) -> torch.Tensor:
    r"""Twin of :func:`torch.nn.functional.tanh` (and :func:`torch.tanh`), backed by :class:`~customgrad.functions.TanhFunction`.

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
    return _compile.apply(TanhFunction, input)


# ----------------------------------------------------------------------------- Module twin

class Tanh(nn.Module):
    r"""Twin of :class:`torch.nn.Tanh`, backed by :class:`~customgrad.functions.TanhFunction` through :func:`customgrad.functional.tanh`.

    Shape:
        Input :math:`(*)`, output :math:`(*)`.

    Example:
        >>> m = Tanh()
        >>> m
        Tanh()
        >>> m(torch.tensor([0.0]))
        tensor([0.])
    """

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return tanh(input)


# ----------------------------------------------------------------------------- twin registration

register(Twin(
    name="tanh", function=TanhFunction, ours=tanh, reference=torch.tanh, module=Tanh,
    sample=unary, apply_args=lambda a, k: (a[0],),
))
