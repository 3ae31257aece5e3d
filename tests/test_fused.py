"""ATen's fused backward (customgrad/ops/_fused.py) and each Function's own formula give the same gradients.

The plain first-order backward of an activation returns ATen's one-pass kernel; everything else
(double backward, torch.func, jvp, the symbolic checks) runs the Function's formula.  So both paths
must agree wherever a gradient can be asked for: on the symbolic grid of every checked setting
(each kink and its float neighbours, +-tiny, both tails), at inf and nan, in float32 and float64,
in place too.
"""

from __future__ import annotations

import pytest
import torch

import customgrad.functional as CF
import customgrad.functions as fn
from customgrad import symbolic as S
from customgrad.ops import _docs
from customgrad.ops._fused import formulas_only, fused

FUNCTIONS = _docs.function_classes()
CASES = [(name, f, args) for f in FUNCTIONS for name, args in f._formula_checks
         if isinstance(f._formulas()[name], S.Elementwise)]
SPECIAL = [float("inf"), float("-inf"), float("nan")]


def _points(rule, args, dtype):
    bound = rule._bind(args, None)[0]
    kinks = S.kinks_of(rule._subs(rule.forward, bound))
    big = torch.finfo(dtype).max  # where gelu(x) overflows just below it
    pts = torch.cat([S.grid(kinks), torch.tensor(SPECIAL + [big, -big], dtype=torch.float64)]).to(dtype)
    return pts[torch.isfinite(pts) | torch.isnan(pts) | torch.isinf(pts)]


def _grads(apply, x, args, grad_output):
    x = x.clone().requires_grad_()
    args = tuple(a.to(x.dtype).clone().requires_grad_() if isinstance(a, torch.Tensor) else a for a in args)
    y = apply(x, *args)
    wrt = [x] + [a for a in args if isinstance(a, torch.Tensor)]
    return torch.autograd.grad(y, wrt, grad_output)


def _same(a, b, dtype, name=""):
    eps = torch.finfo(dtype).eps
    # GELU's left tail (Phi(x) + x phi(x)) and tanh's tails (1 - y^2) cancel, and torch's kernel and
    # the formula round differently there: equal to a few ulps of 1 (the derivative's scale), times |g| <= 2.
    atol = 16 * eps if name in ("gelu", "tanh") else 8 * torch.finfo(dtype).tiny
    rtol = 8 * eps
    torch.testing.assert_close(a, b, rtol=rtol, atol=atol, equal_nan=True)


# At a nan input torch's ELU and HardSwish kernels give nan in their vectorised body and pass the
# gradient in their scalar tail; the formula gives nan.  The plain backward is torch's there.
TORCH_AT_NAN = {"elu": lambda x, alpha: torch.nn.functional.elu(x, alpha), "hardswish": torch.nn.functional.hardswish}


def _id(case):
    name, _, args = case
    return "-".join([name, *(f"{a.item():g}" if isinstance(a, torch.Tensor) else str(a) for a in args)])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("case", CASES, ids=_id)
def test_fused_and_formula_paths_agree_on_the_grid(case, dtype):
    name, function, args = case
    x = _points(function._formulas()[name], args, dtype)
    g = torch.linspace(-2, 2, x.numel(), dtype=dtype)
    fast = _grads(function.apply, x, args, g)
    with formulas_only():
        formula = _grads(function.apply, x, args, g)
    if name in TORCH_AT_NAN and not (name == "elu" and args[0] < 0):  # alpha < 0: the input is kept, no kernel
        nan = torch.isnan(x)
        (torch_grad,) = _grads(TORCH_AT_NAN[name], x, args, g)
        torch.testing.assert_close(fast[0][nan], torch_grad[nan], rtol=0, atol=0, equal_nan=True)  # torch's, exactly
        assert torch.isnan(formula[0][nan]).all()
        fast, formula = (fast[0][~nan],), (formula[0][~nan],)
    for a, b in zip(fast, formula):
        _same(a, b, dtype, name)


@pytest.mark.parametrize("op, kwargs", [(CF.relu, {}), (CF.leaky_relu, {"negative_slope": 0.2}),
                                        (CF.elu, {"alpha": 1.3}), (CF.silu, {}), (CF.hardswish, {})])
def test_in_place_twins_agree_too(op, kwargs):
    x0 = torch.cat([S.grid([0.0, -3.0, 3.0]).float(), torch.tensor(SPECIAL[:2])])
    g = torch.linspace(-2, 2, x0.numel())
    grads = []
    for only in (False, True):
        x = x0.clone().requires_grad_()
        y = op(x * 1, inplace=True, **kwargs)
        if only:
            with formulas_only():
                grads.append(torch.autograd.grad(y, x, g)[0])
        else:
            grads.append(torch.autograd.grad(y, x, g)[0])
    _same(*grads, torch.float32)


def test_the_fused_path_is_taken_only_in_a_plain_first_order_backward():
    g, y = torch.ones(3), torch.tensor([-1.0, 0.0, 2.0])
    with torch.no_grad():  # as in a plain backward
        assert fused(g, y)
        assert not fused(g, y.double())  # mixed dtypes (autocast): the formula
        assert not fused(g.to(torch.complex64), y.to(torch.complex64))
        with formulas_only():
            assert not fused(g, y)
        assert fused(g, y)
    assert not fused(g, y)  # grad mode on, as with create_graph=True: the formula, differentiable


def test_double_backward_still_differentiates_the_formula():
    x = torch.tensor([-1.5, -0.5, 0.5, 1.5], dtype=torch.float64, requires_grad=True)
    for ours, theirs in ((fn.GELUFunction.apply, torch.nn.functional.gelu), (fn.SwishFunction.apply, torch.nn.functional.silu)):
        (g1,) = torch.autograd.grad(ours(x).sum(), x, create_graph=True)
        (h1,) = torch.autograd.grad(g1.sum(), x)
        (g2,) = torch.autograd.grad(theirs(x).sum(), x, create_graph=True)
        (h2,) = torch.autograd.grad(g2.sum(), x)
        torch.testing.assert_close(h1, h2)


@pytest.mark.parametrize("slope_shape", [(), (1,), (3, 1), (3, 4)])
@pytest.mark.parametrize("wrt", ["both", "input", "slope"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_learned_silu_plain_backward_matches_torchs_composite(slope_shape, wrt, dtype):
    """One slope (a dot product and one reused temporary) or one per row or entry (sum_to_size), each gradient alone too."""
    torch.manual_seed(0)
    x0, s0 = torch.randn(3, 4, dtype=dtype) * 4, torch.rand(slope_shape, dtype=dtype) + 0.5
    g = torch.randn(3, 4, dtype=dtype)
    results = []
    for fn in (CF.learned_silu, lambda x, s: s * torch.nn.functional.silu(x)):
        x, s = x0.clone().requires_grad_(wrt != "slope"), s0.clone().requires_grad_(wrt != "input")
        results.append(torch.autograd.grad(fn(x, s), [t for t in (x, s) if t.requires_grad], g))
    for ours, torchs in zip(*results, strict=True):
        assert ours.shape == torchs.shape
        _same(ours, torchs, dtype)
