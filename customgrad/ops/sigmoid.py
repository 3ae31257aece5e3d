r"""Sigmoid: a squashing function whose derivative is written from its output.

The derivative is a polynomial in the output, :math:`y(1-y)`, so the Function keeps the output
the caller already holds and never a copy of the input.  For complex inputs the backward uses
the conjugate output (PyTorch's convention for complex gradients; free on real tensors), the
forward-mode ``jvp`` the output itself.
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
    from .. import symbolic as S

    x = S.x
    return {"sigmoid": S.Elementwise(S.sigmoid(x), name="sigmoid")}


def implemented():
    """The backward from the output y = sigma(x): y - y^2 (``g y - (g y) y``)."""
    from .. import symbolic as S

    y = S.sigmoid(S.x)
    return {"sigmoid": y - y * y}


# The settings every symbolic check runs with (tests/test_symbolic.py, the API reference): the
# formula and the Function's extra arguments after the input, or MatrixRule.check's arguments.
FORMULA_CHECKS = (("sigmoid", ()),)


@compiled_variant
@documented(formulas, checks=FORMULA_CHECKS)
class SigmoidFunction(torch.autograd.Function):
    r"""The logistic sigmoid with a hand-written backward, written from the output.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Saved for backward: the output :math:`y` only (torch's ``sigmoid`` saves the same).
    The derivative needs nothing else, and the output is the tensor the caller holds anyway.
    It is evaluated as :math:`g y - (g y)\,y`, which never overflows: :math:`y \in [0, 1]`.
    A plain backward does this on one fresh buffer, in place; when the backward is itself
    being recorded (``create_graph=True``, double backward, ``torch.func``) the same formula
    is spelled out of place, so autograd can differentiate it.

    Args:
        input (Tensor): any shape; integer inputs give a float output, as with torch.

    Shape:
        Input :math:`(*)`, output :math:`(*)`, the same shape.

    Example:
        >>> x = torch.tensor([-1.0, 0.0, 1.0], requires_grad=True)
        >>> y = SigmoidFunction.apply(x)
        >>> y.sum().backward()
        >>> torch.allclose(x.grad, y * (1 - y))
        True
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(input):
        return torch.sigmoid(input)

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
            return aten.sigmoid_backward(grad_output, saved)
        output = saved.conj()  # complex: PyTorch's conjugate convention
        grad = grad_output * output
        if torch.is_grad_enabled():
            return torch.addcmul(grad, grad, output, value=-1)
        return grad.addcmul_(grad, output, value=-1)

    @staticmethod
    def jvp(ctx, input_tangent):
        (output,) = ctx.saved_tensors
        tangent = input_tangent * output
        return torch.addcmul(tangent, tangent, output, value=-1)


# ----------------------------------------------------------------------------- functional twin

def sigmoid(input: torch.Tensor) -> torch.Tensor:
    r"""Twin of :func:`torch.nn.functional.sigmoid` (and :func:`torch.sigmoid`), backed by :class:`~customgrad.functions.SigmoidFunction`.

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
    return _compile.apply(SigmoidFunction, input)


# ----------------------------------------------------------------------------- Module twin

class Sigmoid(nn.Module):
    r"""Twin of :class:`torch.nn.Sigmoid`, backed by :class:`~customgrad.functions.SigmoidFunction` through :func:`customgrad.functional.sigmoid`.

    Shape:
        Input :math:`(*)`, output :math:`(*)`.

    Example:
        >>> m = Sigmoid()
        >>> m
        Sigmoid()
        >>> m(torch.tensor([0.0]))
        tensor([0.5000])
    """

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return sigmoid(input)


# ----------------------------------------------------------------------------- twin registration

register(Twin(
    name="sigmoid", function=SigmoidFunction, ours=sigmoid, reference=torch.sigmoid, module=Sigmoid,
    sample=unary, apply_args=lambda a, k: (a[0],),
))
