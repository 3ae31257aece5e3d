"""customgrad.symbolic: every elementwise Function checked against derivatives sympy takes of its forward."""

from __future__ import annotations

import math
import time

import pytest
import sympy
import torch
import torch.nn.functional as TF
from torch.autograd.function import once_differentiable

from customgrad import functions as fn
from customgrad import symbolic as S

x = S.x
alpha, beta, threshold, negative_slope, a = S.symbols("alpha beta threshold negative_slope a")
exp, log, sqrt, tanh, Piecewise = sympy.exp, sympy.log, sympy.sqrt, sympy.tanh, sympy.Piecewise

# ============================================================================================
# FORMULAS: the forward of every elementwise Function, written once in sympy.
# The conditions of each Piecewise are the ones the code uses, so the convention at a kink is
# part of the formula.  (To move next to each Function in customgrad/ops/<op>.py.)
# ============================================================================================
FORMULAS = {
    # relu'(0) = 0: the code keeps x > 0
    "relu": S.Elementwise(Piecewise((0, x <= 0), (x, True)), name="relu"),
    # at 0 the negative slope (sign(0) = 0 clamps to the slope)
    "leaky_relu": S.Elementwise(Piecewise((x, x > 0), (negative_slope * x, True)), (negative_slope,),
                                name="leaky_relu"),
    # at 0 the value alpha, as torch
    "elu": S.Elementwise(Piecewise((x, x > 0), (alpha * (exp(x) - 1), True)), (alpha,), name="elu"),
    "gelu": S.Elementwise(x / 2 * (1 + sympy.erf(x / sqrt(2))), name="gelu"),
    "gelu_tanh": S.Elementwise(
        x / 2 * (1 + tanh(sqrt(2 / sympy.pi) * (x + sympy.Float(0.044715) * x**3))), name="gelu_tanh"),
    # torch 2.13 (and the code): slope 0 at -3 and 1 at 3, the outer values
    "hardswish": S.Elementwise(Piecewise((0, x <= -3), (x * (x + 3) / 6, x < 3), (x, True)), name="hardswish"),
    # linear where beta * x > threshold, as torch
    "softplus": S.Elementwise(Piecewise((x, beta * x > threshold), (S.softplus(beta * x) / beta, True)),
                              (beta, threshold), name="softplus"),
    "sigmoid": S.Elementwise(S.sigmoid(x), name="sigmoid"),
    "tanh": S.Elementwise(tanh(x), name="tanh"),
    "silu": S.Elementwise(x * S.sigmoid(x), name="silu"),
    "mish": S.Elementwise(x * tanh(S.softplus(x)), name="mish"),
    "exp": S.Elementwise(exp(x), name="exp"),
    "square": S.Elementwise(x**2, name="square"),
    "cube": S.Elementwise(x**3, name="cube"),
    "learned_silu": S.Elementwise(a * x * S.sigmoid(x), (a,), name="learned_silu"),
    # one slope a; at 0 the slope, as leaky_relu
    "prelu": S.Elementwise(Piecewise((x, x > 0), (a * x, True)), (a,), name="prelu"),
}
# ============================================================================================

# (formula, Function.apply, the Function's extra positional arguments); numbers bind to the settings
CASES = [
    ("relu", fn.ReLUFunction.apply, ()),
    *[("leaky_relu", fn.LeakyReLUFunction.apply, (s,)) for s in (0.01, 0.2, 0.0, 1.0, 1.5, -0.1)],
    *[("elu", fn.ELUFunction.apply, (al,)) for al in (1.0, 1.3, 0.5, -0.5)],
    ("gelu", fn.GELUFunction.apply, ("none",)),
    ("hardswish", fn.HardSwishFunction.apply, ()),
    *[("softplus", fn.SoftplusFunction.apply, (b, t)) for b, t in ((1.0, 20.0), (2.0, 20.0), (1.0, 1.0),
                                                                   (2.0, 1.0), (0.5, 15.0))],
    ("sigmoid", fn.SigmoidFunction.apply, ()),
    ("tanh", fn.TanhFunction.apply, ()),
    ("silu", fn.SwishFunction.apply, ()),
    ("mish", fn.MishFunction.apply, ()),
    ("exp", fn.ExpFunction.apply, ()),
    ("square", fn.SquareFunction.apply, ()),
    ("cube", fn.CubeFunction.apply, ()),
    ("learned_silu", fn.LearnedSiLUFunction.apply, (torch.tensor([0.7]),)),
    ("prelu", fn.PReLUFunction.apply, (torch.tensor([0.25]),)),
]


def _id(case):
    name, _, args = case
    shown = [f"{a.item():g}" if isinstance(a, torch.Tensor) else str(a) for a in args]
    return "-".join([name, *shown])


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_function_agrees_with_sympy(case):
    name, apply, args = case
    report = FORMULAS[name].check(apply, args)
    assert report.checked == ["forward", "backward", "jvp", "double backward"], report
    assert not report.not_checked


def test_gelu_tanh_agrees_with_sympy_except_where_its_cubic_overflows():
    """Known: the tanh GELU's derivative is NaN from |x| ~ 1.4e103 in float64, where it is 1 or 0.

    The code forms z = 2 beta (x + kappa x^3), which overflows there, and then inf - inf.  torch's
    own backward stays finite up to |x| ~ 1.3e154 (where x^2 overflows) and is NaN beyond it; so
    at 1e103 the library disagrees with torch as well, at 1e300 only with the mathematics.
    """
    tails = (1e103, -1e103, 1e300, -1e300)
    with pytest.raises(S.SymbolicMismatch) as caught:
        FORMULAS["gelu_tanh"].check(fn.GELUFunction.apply, ("tanh",), points=tails)
    found = {(m.quantity, m.point) for m in caught.value.mismatches}
    assert found == {(q, p) for q in ("backward", "jvp", "double backward") for p in tails}
    assert all(math.isnan(m.implemented) and m.expected in (0.0, 0.75) for m in caught.value.mismatches)
    x_big = torch.tensor([1e103], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.grad(TF.gelu(x_big, approximate="tanh"), x_big)[0].item() == 1.0  # torch: 1


def test_every_elementwise_function_has_a_formula():
    covered = {apply.__self__ for _, apply, _ in CASES} | {fn.GELUFunction}
    elementwise = {getattr(fn, n) for n in fn.__all__} - {
        fn.LinearFunction, fn.MSELossFunction, fn.CrossEntropyFunction, fn.LayerNormFunction}
    assert elementwise == covered


def test_all_checks_are_fast():
    start = time.perf_counter()
    for name, apply, args in CASES:
        FORMULAS[name].check(apply, args)
    elapsed = time.perf_counter() - start
    assert elapsed < 5.0, f"{len(CASES)} checks took {elapsed:.2f} s"
