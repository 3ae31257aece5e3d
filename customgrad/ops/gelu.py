"""GELU: exact (erf) and tanh-approximated, one backward formula each."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as TF
from torch import nn

from . import _compile
from ._chain import chain, may_overwrite
from ._checks import check_float_input, check_tensor
from ._compile import compiled_variant
from ._docs import documented
from ._fused import aten, fused
from ._registry import Twin, register, unary_with

APPROXIMATIONS = ("none", "tanh")


_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


_HALF_LOG2E = 0.5 / math.log(2.0)


_BETA = math.sqrt(2.0 / math.pi)  # tanh approximation: tanh(beta (x + kappa x^3))


_KAPPA = 0.044715


# Beyond |x| = 25 the tanh approximation's derivative is exactly 1 (x > 0) or 0 (x < 0) in every
# floating dtype: z = 2 beta (x + kappa x^3) is about +-1155 there, sigma(z) rounds to 1 or 0.
# _tanh_slope clamps x to this range first, so z never overflows (it did from |x| ~ 9.4e102 in
# float64, 1.2e13 in float32, and inf - inf gave nan); x^2 stays 625, finite in float16 too.
_TANH_SATURATED = 25.0


def _exact_slope(x: torch.Tensor) -> torch.Tensor:
    r"""``Phi(x) + x phi(x)`` as a new tensor.

    Without a graph to record it uses two fast kernels, ``gelu(x) / x = Phi(x)`` (no ``erf``
    pass) and ``exp2`` for the Gaussian; both are accurate but not differentiable at 0,
    so under ``create_graph`` or a ``torch.func`` transform it uses the plain ``erf`` formula.
    """
    if may_overwrite():
        v = TF.hardshrink(x, torch.finfo(x.dtype).tiny)  # x, with 0 for subnormals (gelu loses them)
        # 0/0 -> Phi(0) = 1/2; gelu(x) overflows just below float max, inf/x -> Phi = 1
        cdf = TF.gelu(v).div_(v).nan_to_num_(nan=0.5, posinf=1.0)
        gauss = v.mul_(v).mul_(-_HALF_LOG2E).exp2_()  # exp(-x^2 / 2), in v's buffer
        return cdf.addcmul_(x, gauss, value=_INV_SQRT_2PI)
    cdf = 0.5 * (1.0 + torch.erf(x * math.sqrt(0.5)))
    return cdf + x * torch.exp(-0.5 * x * x) * _INV_SQRT_2PI


def _tanh_slope(x: torch.Tensor) -> torch.Tensor:
    r"""The derivative of the tanh approximation as a new tensor.

    With :math:`z = 2\beta(x + \kappa x^3)` and :math:`s = \sigma(z) = (1 + \tanh(z/2))/2`:
    :math:`\tfrac12(1 + \tanh) = s` and :math:`1 - \tanh^2 = 4 s (1 - s)`, so the derivative is
    :math:`s + s(1-s)\,w` with :math:`w = 2\beta x (1 + 3\kappa x^2) = 3z - 4\beta x`.
    ``sigmoid`` is a fast kernel where ``tanh`` is not.  :math:`(1 - s)\,s w` is formed as
    :math:`sw - s \cdot sw`; its rounding error, about :math:`\epsilon\,|w|`, only arises where
    the derivative is close to 1 and stays far inside the comparison tolerances.

    :math:`x` is first clamped to :math:`[-25, 25]`, beyond which the derivative is exactly 1
    or 0 in every dtype, so :math:`z` cannot overflow (``inf - inf`` would give nan).  The clamp
    is differentiable, so the double backward is unchanged inside and 0 (as :math:`f''`) outside.
    """
    x = x.clamp(-_TANH_SATURATED, _TANH_SATURATED)  # nan stays nan
    z = torch.mul(x, x).mul_(2 * _BETA * _KAPPA).add_(2 * _BETA).mul_(x)
    w = z.mul(3).sub_(x, alpha=4 * _BETA)
    s = z.sigmoid_()
    sw = w.mul_(s)
    if may_overwrite():
        return s.add_(sw.addcmul_(s, sw, value=-1))  # two buffers in all
    return s + (sw - s * sw)  # the same, in a form autograd can differentiate again


def _slope(x: torch.Tensor, approximate: str) -> torch.Tensor:
    return _tanh_slope(x) if approximate == "tanh" else _exact_slope(x)


# ----------------------------------------------------------------------------- formulas (see _docs.py)

def formulas():
    """The forward in sympy, the one source of this Function's formulas (``_docs.py``); imports sympy."""
    import sympy

    from .. import symbolic as S

    x = S.x
    kappa = sympy.Float(_KAPPA)
    return {
        "gelu": S.Elementwise(x / 2 * (1 + sympy.erf(x / sympy.sqrt(2))), name="gelu"),
        "gelu_tanh": S.Elementwise(x / 2 * (1 + sympy.tanh(sympy.sqrt(2 / sympy.pi) * (x + kappa * x**3))),
                                   name="gelu_tanh"),
    }


def implemented():
    """``_tanh_slope``: s + s (1 - s) w with z = 2 beta (x + kappa x^3), s = sigma(z), w = 3 z - 4 beta x
    (inside |x| <= 25; beyond, the limit 1 or 0)."""
    import sympy

    from .. import symbolic as S

    x, b = S.x, sympy.sqrt(2 / sympy.pi)
    z = 2 * b * (x + sympy.Float(_KAPPA) * x**3)
    s = S.sigmoid(z)
    return {"gelu_tanh": s + s * (1 - s) * (3 * z - 4 * b * x)}


# The settings every symbolic check runs with (tests/test_symbolic.py, the API reference): the
# formula and the Function's extra arguments after the input, or MatrixRule.check's arguments.
FORMULA_CHECKS = (("gelu", ("none",)), ("gelu_tanh", ("tanh",)))


@compiled_variant
@documented(formulas, checks=FORMULA_CHECKS)
class GELUFunction(torch.autograd.Function):
    r"""Gaussian error linear unit with a hand-written backward, exact or tanh-approximated.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Saved for backward: the input :math:`x` only, as torch's built-in (the output alone does
    not determine :math:`x`).  ``approximate``, a string, is kept on ``ctx``.

    Numerics: :math:`x\,\varphi(x)` underflows to 0 for large :math:`|x|`, so the gradient is
    exactly 0 or 1 far out; at :math:`\pm\infty` it is nan, as torch's.  With
    ``approximate='tanh'`` the gradient (backward, ``jvp``, double backward) is exactly 1 or 0 for
    every :math:`|x| \ge 25`, :math:`\pm\infty` included.  Here the library differs from torch on
    purpose: torch's tanh backward is nan from :math:`|x| \approx 1.34 \cdot 10^{154}` in float64
    (:math:`1.8 \cdot 10^{19}` in float32), where :math:`x^2` overflows; the mathematics says 1 or 0.

    Args:
        input (Tensor): floating point, any shape.
        approximate (str): ``'none'`` (exact, with :math:`\operatorname{erf}`) or ``'tanh'``.

    Shape:
        Input :math:`(*)`, output :math:`(*)`, the same shape.

    Example:
        >>> x = torch.tensor([-1.0, 0.0, 1.0], requires_grad=True)
        >>> y = GELUFunction.apply(x, "none")
        >>> y
        tensor([-0.1587,  0.0000,  0.8413], grad_fn=<GELUFunctionBackward>)
        >>> y.sum().backward()
        >>> x.grad
        tensor([-0.0833,  0.5000,  1.0833])
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(input, approximate="none"):
        return TF.gelu(input, approximate=approximate)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, approximate = inputs
        ctx.approximate = approximate
        ctx.save_for_backward(input)
        ctx.save_for_forward(input)

    @staticmethod
    def backward(ctx, grad_output):
        if not ctx.needs_input_grad[0]:
            return None, None
        (input,) = ctx.saved_tensors
        # One pass: torch's own kernel (_fused.py); not for 'tanh', where it overflows to nan at |x| > 1e12.
        if ctx.approximate == "none" and fused(grad_output, input):
            return aten.gelu_backward(grad_output, input, approximate=ctx.approximate), None
        return chain(grad_output, _slope(input, ctx.approximate)), None

    @staticmethod
    def jvp(ctx, input_tangent, _approximate_tangent):
        (input,) = ctx.saved_tensors
        return chain(input_tangent, _slope(input, ctx.approximate))


# ----------------------------------------------------------------------------- functional twin

def gelu(input: torch.Tensor, approximate: str = "none") -> torch.Tensor:
    r"""Twin of :func:`torch.nn.functional.gelu`, backed by :class:`~customgrad.functions.GELUFunction`.

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
    check_float_input(input, "gelu")
    return _compile.apply(GELUFunction, input, approximate)


# ----------------------------------------------------------------------------- Module twin

class GELU(nn.Module):
    r"""Twin of :class:`torch.nn.GELU`, backed by :class:`~customgrad.functions.GELUFunction` through :func:`customgrad.functional.gelu`.

    Args:
        approximate (str): ``'none'`` or ``'tanh'``.  Default ``'none'``.

    Shape:
        Input :math:`(*)`, output :math:`(*)`.

    Example:
        >>> m = GELU(approximate="tanh")
        >>> m
        GELU(approximate='tanh')
        >>> m(torch.tensor([1.0]))
        tensor([0.8412])
    """

    __constants__ = ["approximate"]

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


# ----------------------------------------------------------------------------- twin registration

register(Twin(
    name="gelu", function=GELUFunction, ours=gelu, reference=TF.gelu, module=GELU,
    sample=unary_with(approximate="none"), apply_args=lambda a, k: (a[0], k.get("approximate", "none")),
    settings=({"approximate": "tanh"},),
))
