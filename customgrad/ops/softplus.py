"""Softplus: a smooth ReLU whose derivative is the sigmoid."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as TF
from torch import nn

from . import _compile
from ._autocast import autocast_inputs, autocast_off
from ._chain import chain, float_below
from ._checks import check_float_input, check_tensor
from ._compile import compiled_variant
from ._docs import documented
from ._fused import aten, fused
from ._registry import Twin, register, unary_with


def _slope(x: torch.Tensor, beta: float, threshold: float) -> torch.Tensor:
    r"""The derivative as a new tensor: :math:`\sigma(\beta x)`, or 1 where :math:`\beta x > \text{threshold}`.

    :math:`u = -\beta x` is set to :math:`-\infty` where :math:`u < -\text{threshold}` (one
    ``threshold`` pass, exact at the switch), and :math:`\sigma(-u)` is then 1 there.
    Where :math:`\sigma(\text{threshold})` already rounds to 1 in the input's dtype (float32
    with the default threshold 20), that pass changes nothing and is skipped.
    ``sigmoid`` never overflows: 0 at :math:`-\infty`, 1 at :math:`+\infty`, nan stays nan.
    """
    if threshold >= math.log(4 / torch.finfo(x.dtype).eps):  # exp(-threshold) <= eps / 4
        return torch.sigmoid(x) if beta == 1 else torch.mul(x, beta).sigmoid_()
    u = torch.mul(x, -beta)
    TF.threshold(u, float_below(-threshold, x.dtype), float("-inf"), inplace=True)
    return u.neg_().sigmoid_()


# ----------------------------------------------------------------------------- formulas (see _docs.py)

def formulas():
    """The forward in sympy, the one source of this Function's formulas (``_docs.py``); imports sympy."""
    import sympy

    from .. import symbolic as S

    x = S.x
    beta, threshold = S.symbols("beta threshold")
    # linear where beta * x > threshold, as torch
    return {"softplus": S.Elementwise(sympy.Piecewise((x, beta * x > threshold), (S.softplus(beta * x) / beta, True)),
                                      (beta, threshold), name="softplus")}


def implemented():
    """``_slope``: sigmoid(beta x), 1 where beta x > threshold (never the overflowing e^(beta x) / (e^(beta x) + 1))."""
    import sympy

    from .. import symbolic as S

    beta, threshold = formulas()["softplus"].params
    return {"softplus": sympy.Piecewise((1, beta * S.x > threshold), (S.sigmoid(beta * S.x), True))}


# The settings every symbolic check runs with (tests/test_symbolic.py, the API reference): the
# formula and the Function's extra arguments after the input, or MatrixRule.check's arguments.
FORMULA_CHECKS = tuple(("softplus", bt) for bt in ((1.0, 20.0), (2.0, 20.0), (1.0, 1.0), (2.0, 1.0), (0.5, 15.0)))


@compiled_variant
@documented(formulas, checks=FORMULA_CHECKS)
class SoftplusFunction(torch.autograd.Function):
    r"""Softplus with a hand-written backward, linear above ``threshold`` as torch's.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Saved for backward: the input :math:`x` only, as torch's built-in; ``beta`` and
    ``threshold``, numbers, are kept on ``ctx``.

    Numerics: the derivative is ``sigmoid(beta * x)``, which is stable at :math:`\pm\infty`;
    torch's own kernel computes :math:`e^{\beta x} / (e^{\beta x} + 1)`, which gives nan once
    :math:`e^{\beta x}` overflows (float32 with a ``threshold`` above about 88).  Here it gives 1.

    Args:
        input (Tensor): floating point, any shape.
        beta (float): :math:`\beta`.  Default ``1.0``.
        threshold (float): above :math:`\beta x > \text{threshold}` the function is :math:`x`.  Default ``20.0``.

    Shape:
        Input :math:`(*)`, output :math:`(*)`, the same shape.

    Example:
        >>> x = torch.tensor([-2.0, 0.0, 100.0], requires_grad=True)
        >>> y = SoftplusFunction.apply(x, 1.0, 20.0)
        >>> y
        tensor([  0.1269,   0.6931, 100.0000], grad_fn=<SoftplusFunctionBackward>)
        >>> y.sum().backward()
        >>> x.grad
        tensor([0.1192, 0.5000, 1.0000])
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(input, beta=1.0, threshold=20.0):
        return TF.softplus(input, beta, threshold)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, beta, threshold = inputs
        ctx.beta, ctx.threshold = beta, threshold
        ctx.save_for_backward(input)
        ctx.save_for_forward(input)

    @staticmethod
    def backward(ctx, grad_output):
        if not ctx.needs_input_grad[0]:
            return None, None, None
        (input,) = ctx.saved_tensors
        # One pass: torch's own kernel (_fused.py), for number settings and a threshold below the
        # dtype's exp range: above it torch's kernel divides inf by inf (nan) where the formula gives 1.
        numbers = not isinstance(ctx.beta, torch.Tensor) and not isinstance(ctx.threshold, torch.Tensor)
        if numbers and fused(grad_output, input) and ctx.threshold < math.log(torch.finfo(input.dtype).max):
            return aten.softplus_backward(grad_output, input, ctx.beta, ctx.threshold), None, None
        return chain(grad_output, _slope(input, ctx.beta, ctx.threshold)), None, None

    @staticmethod
    def jvp(ctx, input_tangent, _beta_tangent, _threshold_tangent):
        (input,) = ctx.saved_tensors
        return chain(input_tangent, _slope(input, ctx.beta, ctx.threshold))


# ----------------------------------------------------------------------------- functional twin

def softplus(input: torch.Tensor, beta: float = 1.0, threshold: float = 20.0) -> torch.Tensor:
    r"""Twin of :func:`torch.nn.functional.softplus`, backed by :class:`~customgrad.functions.SoftplusFunction`.

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
    check_float_input(input, "softplus")
    # torch reads a tensor beta or threshold as a number; so do we (float_below needs a number).
    beta, threshold = (float(v) if isinstance(v, torch.Tensor) else v for v in (beta, threshold))
    (input,) = autocast_inputs("softplus", input)
    with autocast_off(input):
        return _compile.apply(SoftplusFunction, input, beta, threshold)


# ----------------------------------------------------------------------------- Module twin

class Softplus(nn.Module):
    r"""Twin of :class:`torch.nn.Softplus`, backed by :class:`~customgrad.functions.SoftplusFunction` through :func:`customgrad.functional.softplus`.

    Args:
        beta (float): :math:`\beta`.  Default ``1.0``.
        threshold (float): where :math:`\beta x` exceeds it, the output is :math:`x`.  Default ``20.0``.

    Shape:
        Input :math:`(*)`, output :math:`(*)`.

    Example:
        >>> m = Softplus(beta=2.0)
        >>> m
        Softplus(beta=2.0, threshold=20.0)
        >>> m(torch.tensor([0.0]))
        tensor([0.3466])
    """

    __constants__ = ["beta", "threshold"]

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


# ----------------------------------------------------------------------------- twin registration

register(Twin(
    name="softplus", function=SoftplusFunction, ours=softplus, reference=TF.softplus, module=Softplus,
    sample=unary_with(beta=2.0, threshold=15.0),  # the switch to x sits at beta * x == threshold
    apply_args=lambda a, k: (a[0], k.get("beta", 1.0), k.get("threshold", 20.0)), kinks=(7.5,),
    settings=({"beta": 0.5, "threshold": 20.0}, {"beta": 1.0, "threshold": 1.0}, {"beta": 3.0, "threshold": 2.0}),
))
