r"""Mish, :math:`x \tanh(\operatorname{softplus}(x))`, with a backward that cannot overflow.

The textbook derivative :math:`e^{x}\omega / \delta^{2}` (with :math:`\omega` and :math:`\delta`
polynomials in :math:`e^{x}` up to :math:`e^{3x}`) is exact on paper and overflows in float32
from :math:`x \approx 30`: :math:`e^{3x}` is already infinite, and infinity over infinity is NaN.
Writing every term through :math:`\sigma(x) \in [0, 1]` instead keeps all intermediates bounded.
"""

from __future__ import annotations

import torch
import torch.nn.functional as TF
from torch import nn

from . import _inplace
from ._checks import check_inplace_allowed, check_tensor
from ._compile import compiled_variant
from ._docs import documented
from ._fused import aten, fused
from ._inplace import (
    input_values,
    output_tangent,
    refuse_double_backward,
    run_keeping_original,
)
from ._registry import Twin, register, unary


def mish_grad(grad, input, fast):
    r"""``grad * mish'(input)`` through :math:`\sigma = \sigma(x)` and :math:`r = 1 - \sigma`.

    Since :math:`e^{\operatorname{softplus}(x)} = 1 + e^{x} = 1/r`, with :math:`u = 1 + r^2` and
    :math:`q = r/u`: :math:`t = \tanh(\operatorname{softplus}(x)) = (1 - r^2)/u = \sigma(1 + r)/u
    = \sigma(1/u + q)` and :math:`1 - t^2 = 4q^2`, so
    :math:`\operatorname{mish}'(x) = t + x\sigma(1 - t^2) = \sigma\,(1/u + q + 4xq^2)`.
    Here :math:`u \in [1, 2]` and :math:`q \in [0, 1/2]`, and :math:`x` only ever multiplies
    :math:`q^2` (zero where :math:`x` is huge and positive) before :math:`\sigma` (zero where
    :math:`x` is huge and negative) can cancel it, so no step overflows for a finite :math:`x`.
    With ``fast=True`` (a plain backward, nothing recording it) the steps run in place on
    three fresh buffers; otherwise out of place, so autograd can differentiate them.
    """
    sigma = torch.sigmoid(input)
    one = torch.ones((), dtype=sigma.dtype)
    if not fast:  # the same operations as below, in the same order, out of place
        r = 1 - sigma
        inv_u = torch.addcmul(one, r, r).reciprocal()
        q = r * inv_u
        return grad * sigma * torch.add(inv_u + q, q.square() * input, alpha=4)
    out = grad * sigma  # the result buffer: grad * sigma, times the bracket at the end
    r = sigma.neg_().add_(1)
    bracket = torch.addcmul(one, r, r).reciprocal_()  # 1/u
    q = r.mul_(bracket)  # r/u
    bracket.add_(q).add_(q.square_().mul_(input), alpha=4)  # 1/u + q + 4 x q^2
    return out.mul_(bracket)


# ----------------------------------------------------------------------------- formulas (see _docs.py)

def formulas():
    """The forward in sympy, the one source of this Function's formulas (``_docs.py``); imports sympy."""
    import sympy

    from .. import symbolic as S

    x = S.x
    return {"mish": S.Elementwise(x * sympy.tanh(S.softplus(x)), name="mish")}


def implemented():
    """``mish_grad`` through sigma: r = 1 - sigma, u = 1 + r^2, q = r / u; sigma (1/u + q + 4 x q^2)."""
    from .. import symbolic as S

    s = S.sigmoid(S.x)
    r = 1 - s
    u = 1 + r**2
    q = r / u
    return {"mish": s * (1 / u + q + 4 * S.x * q**2)}


# The settings every symbolic check runs with (tests/test_symbolic.py, the API reference): the
# formula and the Function's extra arguments after the input, or MatrixRule.check's arguments.
FORMULA_CHECKS = (("mish", ()),)


@compiled_variant
@documented(formulas, checks=FORMULA_CHECKS)
class MishFunction(torch.autograd.Function):
    r"""Mish with a hand-written, overflow-free backward.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    where :math:`\sigma = \sigma(x)` and :math:`r = 1 - \sigma = \sigma(-x)`.
    This is the textbook :math:`\tanh(s) + x\,\sigma(x)\,(1 - \tanh^2(s))`, :math:`s = \operatorname{softplus}(x)`,
    rewritten through :math:`e^{s} = 1/r`: every intermediate stays in :math:`[0, 2]`, so it is
    finite for all finite :math:`x` and gives NaN at :math:`\pm\infty` and NaN, as torch does.
    A plain backward evaluates it in place on three fresh buffers; when autograd records the
    backward (``create_graph=True``) the same operations run out of place (see ``mish_grad`` in this module).

    Saved for backward: the input :math:`x` only (torch's ``mish`` saves the same).
    With ``inplace=True``, as in :class:`SwishFunction`, it saves a copy of the input
    taken before forward overwrites it (torch's ``mish_`` keeps the same copy).

    Args:
        input (Tensor): any shape, a floating-point dtype (torch refuses integers).
        inplace (bool): overwrite ``input`` and return it, marked dirty.  Default ``False``.

    Shape:
        Input :math:`(*)`, output :math:`(*)`, the same shape.

    Example:
        >>> x = torch.tensor([-1e4, 0.0, 1e4], requires_grad=True)
        >>> MishFunction.apply(x).sum().backward()
        >>> torch.allclose(x.grad, torch.tensor([0.0, 0.6, 1.0]))
        True
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(input, inplace=False):
        return run_keeping_original(TF.mish, input, inplace)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input = input_values(ctx, inputs, output)
        ctx.save_for_backward(input)
        ctx.save_for_forward(input)

    @staticmethod
    def backward(ctx, grad_output):
        if not ctx.needs_input_grad[0]:
            return None, None
        refuse_double_backward(ctx, "MishFunction")
        (input,) = ctx.saved_tensors
        if fused(grad_output, input, when_compiling=False):  # one pass: torch's own kernel (_fused.py)
            return aten.mish_backward(grad_output, input), None
        fast = not torch.is_grad_enabled()  # True unless create_graph=True
        return mish_grad(grad_output, input, fast), None

    @staticmethod
    def jvp(ctx, input_tangent, _inplace_tangent):
        (input,) = ctx.saved_tensors
        tangent = mish_grad(input_tangent, input, fast=False)
        return output_tangent(ctx, input_tangent, tangent)


# ----------------------------------------------------------------------------- functional twin

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
    return _inplace.apply(MishFunction, input, inplace=inplace, keeps_input=True)


# ----------------------------------------------------------------------------- Module twin

class Mish(nn.Module):
    r"""Twin of :class:`torch.nn.Mish`, backed by :class:`~customgrad.functions.MishFunction` through :func:`customgrad.functional.mish`.

    Forward:

    {forward_math}

    Backward, with :math:`\sigma = \sigma(x)` and :math:`r = 1 - \sigma`:

    {backward_math}

    Args:
        inplace (bool): overwrite the input and return the same tensor object.  Default ``False``.

    Shape:
        Input :math:`(*)`, output :math:`(*)`.

    Example:
        >>> m = Mish()
        >>> m
        Mish()
        >>> m(torch.tensor([0.0, 1.0]))
        tensor([0.0000, 0.8651])
    """

    __constants__ = ["inplace"]

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return mish(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


# ----------------------------------------------------------------------------- twin registration

register(Twin(
    name="mish", function=MishFunction, ours=mish, reference=TF.mish, module=Mish, sample=unary,
    apply_args=lambda a, k: (a[0], k.get("inplace", False)), inplace=True,
    settings=({"inplace": True},),
))
