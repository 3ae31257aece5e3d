"""customgrad.symbolic: every elementwise Function checked against derivatives sympy takes of its forward."""

from __future__ import annotations

import math
import sys
import time

import mpmath
import pytest
import sympy
import torch
import torch.nn.functional as TF
from torch.autograd.function import once_differentiable

from customgrad import functions as fn
from customgrad import symbolic as S

from customgrad.ops import _docs

x = S.x
alpha, beta, threshold, negative_slope, a = S.symbols("alpha beta threshold negative_slope a")
exp, log, sqrt, tanh, Piecewise = sympy.exp, sympy.log, sympy.sqrt, sympy.tanh, sympy.Piecewise

# Every Function's formulas and the settings they are checked with are declared once, in its op module
# (customgrad/ops/<op>.py: formulas(), implemented(), FORMULA_CHECKS; see customgrad/ops/_docs.py).
FUNCTIONS = _docs.function_classes()
RULES = {name: rule for f in FUNCTIONS for name, rule in f._formulas().items()}
FORMULAS = {name: rule for name, rule in RULES.items() if isinstance(rule, S.Elementwise)}
IMPLEMENTED = {name: form for f in FUNCTIONS if hasattr(module := sys.modules[f.__module__], "implemented")
               for name, form in module.implemented().items()}

# (formula, Function.apply, the Function's extra positional arguments); numbers bind to the settings
CASES = [(name, f.apply, args) for f in FUNCTIONS for name, args in f._formula_checks if name in FORMULAS]


def _id(case):
    name, _, args = case
    shown = [f"{a.item():g}" if isinstance(a, torch.Tensor) else str(a) for a in args]
    return "-".join([name, *shown])


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_function_agrees_with_sympy(case):
    name, apply, args = case
    report = FORMULAS[name].check(apply, args)
    settings = ["backward in a"] if any(isinstance(a, torch.Tensor) for a in args) else []
    assert report.checked == ["forward", "backward", "jvp", "double backward",
                              "double backward, grad_output", *settings], report
    assert not report.not_checked


# At +-inf (not in the default grid) the library follows torch, which differs from the limits in two places.
AT_INFINITY = {
    "leaky_relu-0.0": {("forward", -math.inf, "nan", 0.0)},  # torch: 0 * -inf = nan
    "hardswish": {("forward", -math.inf, "nan", 0.0)},  # torch: -inf * relu6(-inf + 3) / 6 = -inf * 0
    # the library gives the limits (0.5 f' = 0.5 or 0, f'' = 0); the 50-digit reference evaluates inf * 0 = nan
    "gelu_tanh-tanh": {("backward", math.inf, 0.5, "nan"), ("backward", -math.inf, 0.0, "nan"),
                       ("jvp", math.inf, 0.5, "nan"), ("jvp", -math.inf, 0.0, "nan"),
                       ("double backward", math.inf, 0.0, "nan"), ("double backward", -math.inf, 0.0, "nan"),
                       ("double backward, grad_output", math.inf, -0.25, "nan"),
                       ("double backward, grad_output", -math.inf, 0.0, "nan")},
}


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_at_infinity(case):
    name, apply, args = case
    try:
        FORMULAS[name].check(apply, args, points=(math.inf, -math.inf))
        found = set()
    except S.SymbolicMismatch as err:
        found = {(m.quantity, m.point, *("nan" if math.isnan(v) else v for v in (m.implemented, m.expected)))
                 for m in err.mismatches}
    assert found == AT_INFINITY.get(_id(case), set())


def test_every_function_declares_formulas_and_every_formula_is_checked():
    assert set(FUNCTIONS) == {getattr(fn, n) for n in fn.__all__}
    checked = {name for f in FUNCTIONS for name, _ in f._formula_checks}
    assert checked == set(RULES)
    matrix = {f for f in FUNCTIONS if not isinstance(next(iter(f._formulas().values())), S.Elementwise)}
    assert matrix == {fn.LinearFunction, fn.MSELossFunction, fn.CrossEntropyFunction, fn.LayerNormFunction}
    assert len(FORMULAS) == 16 and len(RULES) == 23
    for f in FUNCTIONS:  # no typed formula left: forward and backward both printed from formulas()
        assert not hasattr(f, "BACKWARD_MATH") and not hasattr(f, "FORWARD_MATH"), f
        assert "(forward: printed by sympy from ``formulas()``" in f.__doc__, f
        assert "(backward: printed by sympy from ``formulas()``" in f.__doc__, f


def test_all_checks_are_fast():
    start = time.perf_counter()
    for name, apply, args in CASES:
        FORMULAS[name].check(apply, args)
    elapsed = time.perf_counter() - start
    assert elapsed < 5.0, f"{len(CASES)} checks took {elapsed:.2f} s"


# --- deliberately wrong Functions must fail the check, naming the point and the quantity ---


class _Unary(torch.autograd.Function):
    """An elementwise Function whose derivative is ``slope(x, *settings)``; forward ``forward(x, *settings)``."""

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])
        ctx.save_for_forward(inputs[0])
        ctx.settings = inputs[1:]

    @classmethod
    def _d(cls, ctx):
        (input,) = ctx.saved_tensors
        return cls.slope(input, *ctx.settings)

    @classmethod
    def backward(cls, ctx, grad):
        return (grad * cls._d(ctx),) + (None,) * len(ctx.settings)

    @classmethod
    def jvp(cls, ctx, tangent, *_):
        return tangent * cls._d(ctx)


class ReLUOneAtZero(_Unary):
    """relu'(0) = 1 instead of 0."""

    forward = staticmethod(lambda input: input.clamp(min=0))
    slope = staticmethod(lambda input: (input >= 0).to(input.dtype))


class SiLUDroppedTerm(_Unary):
    """silu' written sigma(1 + x sigma): the (1 - sigma) is dropped."""

    forward = staticmethod(lambda input: TF.silu(input))
    slope = staticmethod(lambda input: torch.sigmoid(input) * (1 + input * torch.sigmoid(input)))


class SoftplusNoBeta(_Unary):
    """softplus' written sigmoid(x) where beta * x is meant."""

    forward = staticmethod(lambda input, beta, threshold: TF.softplus(input, beta, threshold))
    slope = staticmethod(lambda input, beta, threshold: torch.where(
        input * beta > threshold, 1.0, torch.sigmoid(input)))


class HardSwishInnerAtKinks(_Unary):
    """hardswish' with the inner formula at +-3 (-1/2 and 3/2), not the code's outer values."""

    forward = staticmethod(lambda input: TF.hardswish(input))
    slope = staticmethod(lambda input: torch.where(input < -3, 0.0, torch.where(input > 3, 1.0, input / 3 + 0.5)))


def _mismatches(rule, apply, args=()):
    with pytest.raises(S.SymbolicMismatch) as caught:
        rule.check(apply, args)
    return caught.value


def test_relu_with_slope_one_at_zero_fails_exactly_at_zero():
    err = _mismatches(FORMULAS["relu"], ReLUOneAtZero.apply)
    found = {(m.quantity, m.point) for m in err.mismatches}
    assert found == {("backward", 0.0), ("jvp", 0.0), ("double backward, grad_output", 0.0)}
    m = err.mismatches[0]
    assert m.at_kink and m.implemented == 0.5 and m.expected == 0.0
    assert "backward at x = 0.0 (a kink: compared exactly): implemented 0.5, sympy 0.0" in str(err)


def test_silu_with_a_dropped_term_fails_on_both_sides():
    err = _mismatches(FORMULAS["silu"], SiLUDroppedTerm.apply)
    quantities = {m.quantity for m in err.mismatches}
    assert {"backward", "jvp", "double backward"} <= quantities
    assert any(m.point == 1.0 and m.quantity == "backward" for m in err.mismatches)


def test_softplus_missing_beta_fails():
    err = _mismatches(FORMULAS["softplus"], SoftplusNoBeta.apply, (2.0, 20.0))
    assert any(m.quantity == "backward" and m.point == 0.5 for m in err.mismatches)
    SoftplusNoBeta.apply  # with beta = 1 the mistake cannot show
    FORMULAS["softplus"].check(SoftplusNoBeta.apply, (1.0, 20.0))


def test_a_kink_convention_other_than_the_formulas_fails_at_the_kinks_only():
    err = _mismatches(FORMULAS["hardswish"], HardSwishInnerAtKinks.apply)
    found = {(m.quantity, m.point, m.implemented, m.expected) for m in err.mismatches if m.quantity == "backward"}
    assert found == {("backward", -3.0, -0.25, 0.0), ("backward", 3.0, 0.75, 0.5)}


class ELUSlightlyOffBelowZero(_Unary):
    """ELU whose slope for x <= 0 is alpha exp(x) + 2^-50: far inside the tolerance, but not exact at the kink."""

    forward = staticmethod(lambda input, alpha: TF.elu(input, alpha))
    slope = staticmethod(lambda input, alpha: torch.where(
        input > 0, 1.0, alpha * torch.exp(input.clamp(max=0)) + 2.0**-50))


def test_kinks_are_compared_exactly_and_elsewhere_with_a_tolerance():
    err = _mismatches(FORMULAS["elu"], ELUSlightlyOffBelowZero.apply, (1.3,))
    assert {(m.quantity, m.point, m.at_kink) for m in err.mismatches} == {
        ("backward", 0.0, True), ("jvp", 0.0, True), ("double backward, grad_output", 0.0, True)}
    assert 0 < err.mismatches[0].implemented - err.mismatches[0].expected < 1e-15


def test_wrong_forward_is_caught_too():
    err = _mismatches(FORMULAS["elu"], fn.ELUFunction.apply, (1.3,)) if False else None
    with pytest.raises(S.SymbolicMismatch, match="forward at x"):
        FORMULAS["elu"].check(lambda t, al: fn.ELUFunction.apply(t, 1.0), (1.3,))
    assert err is None


class PReLUWeightGradEverywhere(torch.autograd.Function):
    """PReLU whose weight gradient sums g x over every entry, not only where x <= 0."""

    @staticmethod
    def forward(input, weight):
        return TF.prelu(input, weight)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(*inputs)

    @staticmethod
    def backward(ctx, grad):
        input, weight = ctx.saved_tensors
        return grad * torch.where(input > 0, 1.0, weight), (grad * input).sum().reshape(weight.shape)


def test_a_wrong_gradient_in_a_tensor_setting_fails():
    err = _mismatches(FORMULAS["prelu"], PReLUWeightGradEverywhere.apply, (torch.tensor([0.25]),))
    assert {m.quantity for m in err.mismatches} == {"backward in a"}
    assert {m.point for m in err.mismatches} >= {1.0, 1e300} and all(m.point > 0 for m in err.mismatches)


class NoJvp(torch.autograd.Function):
    """Square without jvp, and with a backward that cannot be differentiated again."""

    @staticmethod
    def forward(input):
        return input * input

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        (input,) = ctx.saved_tensors
        return 2 * input * grad


def test_missing_jvp_and_double_backward_are_reported_not_failed():
    report = FORMULAS["square"].check(NoJvp.apply)
    assert report.checked == ["forward", "backward"]  # forward and backward agree
    assert set(report.not_checked) == {"jvp", "double backward"}
    assert "jvp not checked" in repr(report)


def test_arguments_bind_to_settings_in_order():
    rule = FORMULAS["softplus"]
    assert rule.bind((2.0, 1.0)) == {"beta": 2.0, "threshold": 1.0}
    assert rule.bind((2.0,), {"threshold": 5}) == {"beta": 2.0, "threshold": 5.0}
    assert rule.bind((2.0, 1.0), {"beta": 2.0}) == {"beta": 2.0, "threshold": 1.0}
    with pytest.raises(ValueError, match="beta is 2.0 in args but 3.0 in values"):
        rule.bind((2.0, 1.0), {"beta": 3.0})
    assert FORMULAS["elu"].bind((1.3, False)) == {"alpha": 1.3}  # a bool binds nothing
    assert FORMULAS["prelu"].bind((torch.tensor([0.25]),)) == {"a": 0.25}
    with pytest.raises(ValueError, match="no value for"):
        rule.bind((2.0,))
    with pytest.raises(ValueError, match="numeric arguments"):
        FORMULAS["elu"].bind((1.0, 2.0))


def test_kinks_come_from_the_conditions():
    assert FORMULAS["hardswish"].kinks() == [-3.0, 3.0]
    assert FORMULAS["softplus"].kinks(beta=2.0, threshold=1.0) == [0.5]
    assert FORMULAS["silu"].kinks() == []
    assert S.kinks_of(sympy.Max(x, 1) + sympy.Abs(x + 2)) == [-2.0, 1.0]


def test_grid_has_the_edges():
    g = S.grid([0.5]).tolist()
    for p in (0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1e2, -1e4, 1e300, -1e300, 0.5,
              math.nextafter(0.5, 1), math.nextafter(0.5, 0)):
        assert p in g
    assert [math.copysign(1, p) for p in g if p == 0] == [-1.0, 1.0]


# --- sympy -> torch ---


def test_to_torch_constants_and_piecewise_in_float64():
    half = sympy.Rational(1, 2)
    expr = Piecewise((sympy.sqrt(2) * sympy.pi, x < -1), (sympy.erf(x / sympy.sqrt(2)) * half, x <= 1),
                     (sympy.Heaviside(x - 2) + sympy.Max(x, 3) / 3, True))
    t = torch.tensor([-2.0, 0.3, 1.5, 2.0, 4.0], dtype=torch.float64)
    got = S.to_torch(expr)(t)
    assert got.dtype == torch.float64 and got.shape == t.shape
    want = [math.sqrt(2) * math.pi, math.erf(0.3 / math.sqrt(2)) / 2, 0.0 + 1.0, 0.5 + 1.0, 1.0 + 4 / 3]
    assert got.tolist() == pytest.approx(want, rel=1e-15)
    assert S.to_torch(sympy.Integer(3))(t).tolist() == [3.0] * 5  # a constant still has the input's shape
    band = S.to_torch(Piecewise((1, (x > 0) & (x < 2)), (sympy.Rational(1, 3), (x < -1) | sympy.Eq(x, 2)), (0, True)))
    assert band(t).tolist() == [1 / 3, 1.0, 1.0, 1 / 3, 0.0]
    f32 = S.to_torch(2**x * sympy.sqrt(2))(t.float())  # c**x through exp(x log c); dtype follows the input
    assert f32.dtype == torch.float32 and f32.tolist() == pytest.approx([2**v * math.sqrt(2) for v in t.tolist()],
                                                                        rel=1e-6)
    with pytest.raises(NotImplementedError, match="no torch translation for besselj"):
        S.to_torch(sympy.besselj(0, x))(t)


@pytest.mark.parametrize("name", ["gelu", "gelu_tanh", "mish", "silu", "softplus", "elu", "hardswish"])
def test_to_torch_matches_the_50_digit_reference(name):
    rule = FORMULAS[name]
    values = {p.name: 1.5 for p in rule.params}
    t = torch.linspace(-8, 8, 161, dtype=torch.float64)
    for order, expr in enumerate((rule.forward, rule.first, rule.second)):
        got = rule.to_torch(order, **values)(t)
        f = sympy.lambdify(x, expr.subs({p: 1.5 for p in rule.params}),
                           modules=[{"sigmoid": lambda u: 1 / (1 + mpmath.exp(-u))}, "mpmath"])
        want = torch.tensor([float(f(mpmath.mpf(v))) for v in t.tolist()], dtype=torch.float64)
        torch.testing.assert_close(got, want, rtol=1e-13, atol=1e-14)


# --- rewritten forms ---


@pytest.mark.parametrize("name", sorted(IMPLEMENTED))
def test_the_implemented_form_of_the_derivative_is_the_derived_one(name):
    """Each op module's implemented() (the form the code computes) equals sympy's derivative of formulas()."""
    rule = FORMULAS[name]
    values = {p.name: v for p, v in zip(rule.params, (1.5, 20.0))}  # alpha/a/beta 1.5, threshold 20
    proof = S.same(rule.first, IMPLEMENTED[name], values=values or None)
    assert proof.method in ("simplify", "cases", "numeric"), proof


def test_the_rewritten_forms_the_brief_names_are_all_stated_in_the_ops():
    assert {"silu", "mish", "softplus", "gelu_tanh", "elu"} <= set(IMPLEMENTED)


def test_same_proves_the_rewritten_forms_the_code_uses():
    s = S.sigmoid(x)
    assert S.same(sympy.diff(x * s, x), s * (1 + x * (1 - s))).method == "simplify"  # SiLU backward
    assert S.same(FORMULAS["sigmoid"].first, s - s * s).method == "simplify"  # g y - (g y) y
    stable = sympy.Max(x, 0) + sympy.log(1 + exp(-sympy.Abs(x)))
    assert S.same(S.softplus(x), stable).method == "cases"  # stable softplus
    r = 1 - s
    u = 1 + r**2
    q = r / u
    assert S.same(FORMULAS["mish"].first, s * (1 / u + q + 4 * x * q**2)).method == "simplify"  # mish_grad
    assert str(S.same(x**2, x * x)) == "sympy simplifies the difference to 0"
    negative_branch = FORMULAS["elu"].forward.args[1][0]  # elu.py: alpha e^x = y + alpha for x <= 0
    assert S.same(sympy.diff(negative_branch, x), negative_branch + alpha).method == "simplify"


def test_same_proves_the_tanh_gelu_backward_through_the_sigmoid():
    """gelu.py's _tanh_slope: s + s (1 - s) w with z = 2 beta (x + kappa x^3), s = sigma(z), w = 3 z - 4 beta x."""
    b = sqrt(2 / sympy.pi)
    z = 2 * b * (x + sympy.Float(0.044715) * x**3)
    s = S.sigmoid(z)
    proof = S.same(FORMULAS["gelu_tanh"].first, s + s * (1 - s) * (3 * z - 4 * b * x))
    assert proof.method in ("simplify", "numeric"), proof
    with pytest.raises(S.SymbolicMismatch):  # w = 3 z - 2 beta x would be wrong
        S.same(FORMULAS["gelu_tanh"].first, s + s * (1 - s) * (3 * z - 2 * b * x))


def test_same_falls_back_to_50_digits_and_fails_with_the_point():
    from sympy.codegen.cfunctions import log1p

    stable = (sympy.Max(beta * x, 0) + log1p(exp(-sympy.Abs(beta * x)))) / beta
    proof = S.same(S.softplus(beta * x) / beta, stable, values={"beta": 2.0})
    assert proof.method in ("simplify", "cases", "numeric")
    assert S.same(tanh(x), 2 * S.sigmoid(2 * x) - 1).method == "simplify"
    assert S.same(sympy.erf(x), 1 - sympy.erfc(x)).method in ("simplify", "numeric")
    hard = S.same(sympy.sqrt(x**2 + 1) - x, 1 / (sympy.sqrt(x**2 + 1) + x), points=(7.25,))
    assert hard.method in ("simplify", "numeric")
    with pytest.raises(S.SymbolicMismatch, match="at x = "):
        S.same(S.softplus(x), sympy.Max(x, 0) + sympy.log(1 + exp(-x)))


# --- LaTeX ---


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_latex_is_katex_friendly(name):
    tex = FORMULAS[name].latex()
    assert tex.startswith(r"\begin{aligned} f(x) &= ") and r"f''(x) &= " in tex
    assert r"\mathbb" not in tex and r"\text{for}" not in tex and "Piecewise" not in tex
    assert tex.count("{") == tex.count("}")
    block = FORMULAS[name].math_block(indent=4)
    assert block.startswith("    .. math::\n\n       \\begin{aligned}")


def test_latex_prints_cases_and_sigma():
    assert FORMULAS["hardswish"].latex().count(r"\begin{cases}") == 3
    assert r"\sigma\left(x\right)" in FORMULAS["silu"].latex()
    assert r"\alpha \left(e^{x} - 1\right)" in FORMULAS["elu"].latex()
    assert r"1.3 \left(e^{x} - 1\right)" in FORMULAS["elu"].latex({"alpha": 1.3})


# --- matrix Functions: gradients derived on small matrices of symbols ---


MATRIX_CASES = {name: (f, RULES[name], kwargs) for f in FUNCTIONS for name, kwargs in f._formula_checks
                if name not in FORMULAS}


@pytest.mark.parametrize("name", sorted(MATRIX_CASES))
def test_matrix_function_gradients_agree_with_sympy(name):
    function, rule, kwargs = MATRIX_CASES[name]
    worst = rule.check(function.apply, **kwargs)
    assert set(worst) == set(rule.shapes) and max(worst.values()) < 1e-12, worst
    proofs = rule.verify_general()
    assert all(p.method == "simplify" for p in proofs.values()), proofs
    tex = rule.latex()
    assert tex.startswith(r"\begin{aligned}") and r"\mathbb" not in tex and tex.count("{") == tex.count("}")


@pytest.mark.parametrize("name", sorted(MATRIX_CASES))
def test_matrix_forward_is_printed_from_equations_proven_equal_to_the_rule(name):
    rule = MATRIX_CASES[name][1]
    assert rule.verify_forward().method == "numeric"
    tex = rule.forward_latex()
    assert tex.startswith(r"\begin{aligned}") and r"\sum" in tex and tex.count("{") == tex.count("}")


def test_a_wrong_printed_forward_is_refused():
    rule = S.layer_norm_rule()
    mu, v, y = rule.equations.lines
    rule.equations.lines = [mu, sympy.Eq(v.lhs, v.rhs * 2), y]  # a variance twice too large
    with pytest.raises(S.SymbolicMismatch, match="printed forward differs"):
        rule.verify_forward()


def test_linear_general_result_prints_from_sympy():
    rule = S.linear_rule(batch=2, n_in=3, n_out=2)
    assert rule.latex() == (r"\begin{aligned} \frac{\partial L}{\partial X} &= G W \\ "
                            r"\frac{\partial L}{\partial W} &= G^{T} X \\ "
                            r"\frac{\partial L}{\partial b} &= G^{T} \mathbf{1} \end{aligned}")
    assert r"\left(X - T\right)" in S.mse_rule().latex()


def test_check_matrix_function_in_one_call():
    worst = S.check_matrix_function(lambda input, weight: fn.LinearFunction.apply(input, weight, None),
                                    lambda input, weight: input * weight.T,
                                    {"input": (3, 2), "weight": (4, 2)})
    assert max(worst.values()) < 1e-13


class LinearBiasNotSummed(torch.autograd.Function):
    """x W^T + b whose bias gradient is the first row of G instead of the sum over the batch."""

    @staticmethod
    def forward(input, weight, bias):
        return input @ weight.T + bias

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0], inputs[1])

    @staticmethod
    def backward(ctx, grad):
        input, weight = ctx.saved_tensors
        return grad @ weight, grad.T @ input, grad[0]


def test_wrong_matrix_gradient_fails_naming_the_entry():
    with pytest.raises(S.SymbolicMismatch, match=r"gradient of bias\[0\]") as caught:
        S.linear_rule().check(LinearBiasNotSummed.apply)
    assert {m.quantity for m in caught.value.mismatches} == {"gradient of bias[0]", "gradient of bias[1]"}


class LinearOffByBias(LinearBiasNotSummed):
    """x W^T + 2b: a wrong forward, with the bias gradient summed as it should be (for x W^T + b)."""

    @staticmethod
    def forward(input, weight, bias):
        return input @ weight.T + 2 * bias

    @staticmethod
    def backward(ctx, grad):
        grad_input, grad_weight, _ = LinearBiasNotSummed.backward(ctx, grad)
        return grad_input, grad_weight, grad.sum(0)


def test_a_wrong_matrix_forward_fails_the_check():
    with pytest.raises(S.SymbolicMismatch, match=r"output\[0\]"):
        S.linear_rule().check(LinearOffByBias.apply)


def test_a_wrong_general_formula_is_refused():
    rule = S.MatrixRule(lambda input, weight: input * weight.T, {"input": (2, 3), "weight": (2, 3)},
                        general={"weight": lambda input, weight, G: G * input.T.T})  # G X, not G^T X
    with pytest.raises(S.SymbolicMismatch, match="general formula for weight"):
        rule.verify_general()


# --- import cost and docstrings ---


def test_import_customgrad_does_not_import_sympy():
    import subprocess
    import sys

    code = ("import sys, customgrad; assert 'sympy' not in sys.modules, 'sympy imported'; "
            "customgrad.symbolic.x; assert 'sympy' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_public_docstrings_render_cleanly():
    import inspect

    from docutils import nodes
    from test_docstrings import docutils_core, rendered

    for name in [None, *S.__all__]:
        obj = getattr(S, name) if name else S
        if isinstance(obj, sympy.Symbol):
            continue
        assert inspect.getdoc(obj), name
        doctree = docutils_core.publish_doctree(rendered(obj), settings_overrides={"report_level": 5, "halt_level": 5})
        problems = [m.astext() for m in doctree.findall(nodes.system_message) if m["level"] >= 2]
        assert not problems, (name, problems)


def test_heaviside_and_max_forms_and_their_conventions_at_the_kink():
    relu = fn.ReLUFunction.apply
    S.Elementwise(x * sympy.Heaviside(x, 0)).check(relu)  # H(0) = 0 written down: passes
    with pytest.raises(S.SymbolicMismatch) as caught:
        S.Elementwise(sympy.Max(x, 0)).check(relu)  # sympy's Max' is Heaviside(x), 1/2 at 0
    assert {(m.quantity, m.point, m.expected) for m in caught.value.mismatches} >= {("backward", 0.0, 0.25)}


def _katex_errors(formulas):
    """Render each formula with the site's npm KaTeX (display mode, throwOnError, strict); the errors."""
    import json
    import pathlib
    import shutil
    import subprocess

    katex = pathlib.Path(__file__).resolve().parent.parent / "node_modules" / "katex"
    if not shutil.which("node") or not katex.is_dir():
        pytest.skip("node or node_modules/katex missing (npm ci)")
    script = (f"const k = require({json.dumps(str(katex))}); const out = [];"
              "for (const f of JSON.parse(require('fs').readFileSync(0, 'utf8'))) {"
              " try { k.renderToString(f, {displayMode: true, throwOnError: true, strict: 'error'}); }"
              " catch (e) { out.push(f + ' :: ' + e.message); } }"
              "console.log(JSON.stringify(out));")
    done = subprocess.run(["node", "-e", script], input=json.dumps(formulas), capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout)


def test_every_latex_renders_in_katex():
    formulas = [rule.latex() for rule in FORMULAS.values()]
    formulas += [FORMULAS["elu"].latex({"alpha": 1.3}), FORMULAS["softplus"].latex(simplify=True)]
    formulas += [rule.latex() for _, rule, _ in MATRIX_CASES.values()]
    assert _katex_errors(formulas) == []
    assert _katex_errors([r"\notacommand{x}"])  # the checker does catch what KaTeX refuses
