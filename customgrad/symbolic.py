r"""Derivatives from one symbolic source: write the forward once in sympy, check the hand-written backward.

Declare the forward of an elementwise Function as a sympy expression in :data:`x`; sympy derives the
first and second derivative, and :meth:`Elementwise.check` compares them, in float64, with what the
Function computes: its backward, its forward-mode ``jvp`` and its double backward::

    >>> import sympy
    >>> from customgrad import symbolic as S
    >>> from customgrad.functions import ReLUFunction
    >>> rule = S.Elementwise(sympy.Piecewise((0, S.x <= 0), (S.x, True)), name="relu")
    >>> rule.check(ReLUFunction.apply)
    CheckReport('relu': forward, backward, jvp, double backward agree at 32 points; kinks [0.0])
    >>> print(rule.latex())
    \begin{aligned} f(x) &= \begin{cases} 0 & x \leq 0 \\ x & \text{otherwise} \end{cases} \\ f'(x) &= \begin{cases} 0 & x \leq 0 \\ 1 & \text{otherwise} \end{cases} \\ f''(x) &= 0 \end{aligned}

A piecewise forward is a ``sympy.Piecewise`` with the conditions the code uses, so the convention at
a kink (``relu'(0) = 0``) is part of the expression: the kinks are read off the conditions and the
check compares there exactly.  Settings (``alpha``, ``beta``, ...) are sympy symbols whose values
come at check time, from the Function's own extra arguments (see :meth:`Elementwise.check`).

The references are the derived expressions evaluated with mpmath at 50 significant digits and
rounded once to float64, so a naive textbook formula cannot overflow in the tails
(:math:`e^{-x}/(1 + e^{-x})^2` at :math:`x = -10^{300}`) where the Function, rightly, does not.

Also here:

- :func:`same`: prove that a rewritten form (a stable softplus, SiLU's derivative through
  :math:`\sigma`) equals the textbook one, by ``simplify``, by cases, or at 50 digits on a grid.
- :func:`to_torch`: a sympy expression as a function of tensors (``Piecewise`` becomes ``torch.where``).
- :class:`MatrixRule` and :func:`check_matrix_function`: gradients of matrix Functions (Linear,
  MSE, cross-entropy, LayerNorm) derived entry by entry on small matrices of symbols.
- :func:`latex` and :func:`math_block`: KaTeX-safe LaTeX and an RST ``.. math::`` block.

``import customgrad`` does not import this module (sympy costs about half a second to import).
"""

from __future__ import annotations

import math
import random
import textwrap
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import mpmath
import sympy
import torch
import torch.autograd.forward_ad as fwAD
from sympy.printing.latex import LatexPrinter, greek_letters_set

__all__ = [
    "x", "symbols", "sigmoid", "softplus", "Elementwise", "CheckReport", "SymbolicMismatch", "Mismatch",
    "same", "Proof", "to_torch", "kinks_of", "grid", "latex", "math_block",
    "matrix", "Equations", "MatrixRule", "check_matrix_function",
    "linear_rule", "mse_rule", "cross_entropy_rule", "layer_norm_rule",
]

#: The input variable of every elementwise forward.
x = sympy.Symbol("x", real=True)

DIGITS = 50  # significant digits of every mpmath reference


def symbols(names: str, **assumptions):
    """Real sympy symbols for settings, as ``sympy.symbols`` (``alpha, beta = S.symbols("alpha beta")``).

    Example:
        >>> alpha, beta = symbols("alpha beta")
        >>> alpha.is_real, beta.name
        (True, 'beta')
    """
    assumptions.setdefault("real", True)
    return sympy.symbols(names, **assumptions)


class sigmoid(sympy.Function):  # noqa: N801 (a sympy function, spelled as the torch one)
    r"""The logistic function :math:`\sigma(u) = 1/(1 + e^{-u})`, kept whole so derivatives print in :math:`\sigma`.

    Example:
        >>> sympy.diff(sigmoid(x), x)
        (1 - sigmoid(x))*sigmoid(x)
        >>> sigmoid(x).rewrite(sympy.exp)
        1/(1 + exp(-x))
    """

    def fdiff(self, argindex=1):
        s = sigmoid(self.args[0])
        return s * (1 - s)

    @classmethod
    def eval(cls, arg):
        if arg.is_zero:
            return sympy.Rational(1, 2)

    def _eval_rewrite_as_exp(self, arg, **kwargs):
        return 1 / (1 + sympy.exp(-arg))

    def _eval_rewrite_as_tanh(self, arg, **kwargs):
        return (1 + sympy.tanh(arg / 2)) / 2

    def _latex(self, printer, exp=None):
        tex = r"\sigma\left(%s\right)" % printer._print(self.args[0])
        return f"{tex}^{{{exp}}}" if exp else tex


def softplus(u):
    r"""The textbook softplus :math:`\log(1 + e^{u})` as a sympy expression.

    Example:
        >>> softplus(x)
        log(exp(x) + 1)
    """
    return sympy.log(1 + sympy.exp(u))


def _mp_sigmoid(u):
    return 1 / (1 + mpmath.exp(-u))


def _mp_heaviside(u, h0=mpmath.mpf(0.5)):
    return mpmath.mpf(1) if u > 0 else (mpmath.mpf(0) if u < 0 else h0)


_MP_MODULES = [{"sigmoid": _mp_sigmoid, "Heaviside": _mp_heaviside, "log1p": mpmath.log1p,
                "expm1": mpmath.expm1}, "mpmath"]


def _mp_function(expr, syms):
    """``expr`` as a Python function of mpmath numbers (``Piecewise`` becomes ``a if c else b``)."""
    return sympy.lambdify(syms, expr, modules=_MP_MODULES)


def _exact(value):
    """A Python number as an exact sympy number (the float's binary value, not its decimal print)."""
    if isinstance(value, bool):
        return sympy.Integer(int(value))
    if isinstance(value, int):
        return sympy.Integer(value)
    return sympy.Rational(float(value)) if math.isfinite(value) else sympy.Float(value)


# --------------------------------------------------------------------------------------------
# sympy -> torch
# --------------------------------------------------------------------------------------------

_TORCH_UNARY = {
    sympy.exp: torch.exp, sympy.log: torch.log, sympy.erf: torch.erf, sympy.erfc: torch.erfc,
    sympy.tanh: torch.tanh, sympy.sinh: torch.sinh, sympy.cosh: torch.cosh, sympy.sin: torch.sin,
    sympy.cos: torch.cos, sympy.tan: torch.tan, sympy.atan: torch.atan, sympy.asinh: torch.asinh,
    sympy.Abs: torch.abs, sympy.sign: torch.sign, sympy.floor: torch.floor, sympy.ceiling: torch.ceil,
    sigmoid: torch.sigmoid,
}
_TORCH_RELATIONS = {
    sympy.StrictLessThan: torch.lt, sympy.LessThan: torch.le, sympy.StrictGreaterThan: torch.gt,
    sympy.GreaterThan: torch.ge, sympy.Equality: torch.eq, sympy.Unequality: torch.ne,
}


def _codegen_functions():
    from sympy.codegen.cfunctions import expm1, log1p

    return {log1p: torch.log1p, expm1: torch.expm1}


def to_torch(expr, *syms) -> Callable[..., torch.Tensor]:
    r"""``expr`` as a function of tensors, one per symbol in ``syms`` (default: :data:`x`).

    Every constant subexpression (:math:`\sqrt 2`, :math:`\pi`, ``1/3``) is evaluated to a
    number once, in the tensors' dtype; ``Piecewise`` becomes nested ``torch.where`` (first
    true condition wins), ``Heaviside``, ``Max``, ``Min``, ``erf``, :func:`sigmoid` map to torch.
    The result always has the broadcast shape and dtype of the inputs, even for a constant.

    Example:
        >>> f = to_torch(sympy.Piecewise((0, x <= 0), (sympy.sqrt(2) * sympy.erf(x / sympy.sqrt(2)), True)))
        >>> f(torch.tensor([-1.0, 0.0, 1.0], dtype=torch.float64))
        tensor([0.0000, 0.0000, 0.9655], dtype=torch.float64)
    """
    syms = syms or (x,)
    expr = sympy.sympify(expr)
    unary = {**_TORCH_UNARY, **_codegen_functions()}
    numbers = {}  # constant subexpression -> float, evaluated (30 digits) on first use, kept across calls

    def number(e):
        if e not in numbers:
            numbers[e] = float(sympy.N(e, 30))
        return numbers[e]

    def run(*tensors):
        tensors = [torch.as_tensor(t) for t in tensors]
        dtype = tensors[0].dtype if tensors[0].is_floating_point() else torch.get_default_dtype()
        env = dict(zip(syms, tensors))
        cache = {}

        def const(value):
            return torch.tensor(value, dtype=dtype)

        def ev(e):
            if e in cache:
                return cache[e]
            out = walk(e)
            cache[e] = out
            return out

        def walk(e):
            if e in env:
                return env[e].to(dtype)
            if e is sympy.true or e is sympy.false:
                return torch.tensor(bool(e))
            if not e.free_symbols:
                if isinstance(e, sympy.logic.boolalg.Boolean):
                    return torch.tensor(bool(e))
                return const(number(e))
            if isinstance(e, sympy.Add):
                out = ev(e.args[0])
                for a in e.args[1:]:
                    out = out + ev(a)
                return out
            if isinstance(e, sympy.Mul):
                out = ev(e.args[0])
                for a in e.args[1:]:
                    out = out * ev(a)
                return out
            if isinstance(e, sympy.Pow):
                base, p = e.args
                if p == sympy.Rational(1, 2):
                    return torch.sqrt(ev(base))
                if p == -sympy.Rational(1, 2):
                    return torch.rsqrt(ev(base))
                if p == -1:
                    return torch.reciprocal(ev(base))
                if p.is_Integer:
                    return torch.pow(ev(base), int(p))
                if not base.free_symbols:  # c**u: exp(u log c)
                    return torch.exp(ev(p) * number(sympy.log(base)))
                return torch.pow(ev(base), ev(p))
            if isinstance(e, sympy.Piecewise):
                out = None
                for value, cond in reversed(e.args):
                    v = ev(value)
                    out = v if out is None else torch.where(ev(cond), v, out)
                return out
            if type(e) in _TORCH_RELATIONS:
                return _TORCH_RELATIONS[type(e)](ev(e.lhs), ev(e.rhs))
            if isinstance(e, sympy.And):
                return _fold(torch.logical_and, [ev(a) for a in e.args])
            if isinstance(e, sympy.Or):
                return _fold(torch.logical_or, [ev(a) for a in e.args])
            if isinstance(e, sympy.Not):
                return torch.logical_not(ev(e.args[0]))
            if isinstance(e, sympy.Max):
                return _fold(torch.maximum, [ev(a) for a in e.args])
            if isinstance(e, sympy.Min):
                return _fold(torch.minimum, [ev(a) for a in e.args])
            if isinstance(e, sympy.Heaviside):
                h0 = e.args[1] if len(e.args) > 1 else sympy.Rational(1, 2)
                return torch.heaviside(ev(e.args[0]), const(float(h0)))
            if type(e) in unary:
                return unary[type(e)](ev(e.args[0]))
            raise NotImplementedError(f"to_torch: no torch translation for {type(e).__name__} in {e}")

        out = ev(expr)
        shape = torch.broadcast_shapes(*(t.shape for t in tensors))
        return out.to(dtype).expand(shape).clone() if out.shape != shape or out.dtype != dtype else out

    return run


def _fold(op, items):
    out = items[0]
    for item in items[1:]:
        out = op(out, item)
    return out


# --------------------------------------------------------------------------------------------
# kinks and the grid
# --------------------------------------------------------------------------------------------

def kinks_of(expr, var=None) -> list[float]:
    """The real points where ``expr`` may switch branch: roots of its ``Piecewise`` conditions and of
    the arguments of ``Abs``, ``sign``, ``Heaviside``, ``Max``, ``Min``.  Every other symbol must have a value.

    Example:
        >>> kinks_of(sympy.Piecewise((0, x < -3), (x * (x + 3) / 6, x <= 3), (x, True)))
        [-3.0, 3.0]
    """
    var = var or x
    zeros = []
    for pw in expr.atoms(sympy.Piecewise):
        for _, cond in pw.args:
            for rel in cond.atoms(sympy.core.relational.Relational):
                zeros.append(rel.lhs - rel.rhs)
    for f in expr.atoms(sympy.Abs, sympy.sign, sympy.Heaviside):
        zeros.append(f.args[0])
    for f in expr.atoms(sympy.Max, sympy.Min):
        zeros.extend(a - b for a in f.args for b in f.args if a != b)
    found = set()
    for z in zeros:
        if var not in z.free_symbols:
            continue
        try:
            roots = sympy.solve(z, var)
        except NotImplementedError:
            continue
        for r in roots:
            value = complex(sympy.N(r, 30))
            if value.imag == 0:
                found.add(value.real)
    return sorted(found)


_TAIL = (1e-8, 0.1, 0.5, 1.0, 1.5, 2.0, 5.0, 10.0, 30.0, 1e2, 1e4, 1e300)


def grid(kinks: Sequence[float] = (), extra: Sequence[float] = ()) -> torch.Tensor:
    """The float64 check points: 0 and -0, the smallest subnormal and normal numbers and both
    tails (to :math:`\\pm 10^{300}`) on each side, and each kink with its two float64 neighbours and
    points :math:`10^{-6}` and 0.5 either side; then ``extra``.  Sorted, without repeats.

    Example:
        >>> g = grid(kinks=[3.0])
        >>> bool((g == 3.0).any()), bool((g == math.nextafter(3.0, 4.0)).any()), g.dtype
        (True, True, torch.float64)
    """
    info = torch.finfo(torch.float64)
    points = [0.0, -0.0, 5e-324, -5e-324, info.tiny, -info.tiny]
    points += [s * v for v in _TAIL for s in (1.0, -1.0)]
    for k in kinks:
        step = 1e-6 * max(1.0, abs(k))
        points += [k, math.nextafter(k, -math.inf), math.nextafter(k, math.inf), k - step, k + step,
                   k - 0.5, k + 0.5]
    points += [float(p) for p in extra]
    seen, unique = set(), []
    for p in points:
        key = (p, math.copysign(1.0, p))
        if key not in seen:
            seen.add(key)
            unique.append(p)
    unique.sort(key=lambda p: (p, math.copysign(1.0, p)))
    return torch.tensor(unique, dtype=torch.float64)


# --------------------------------------------------------------------------------------------
# comparison
# --------------------------------------------------------------------------------------------

class SymbolicMismatch(AssertionError):
    """A Function (or a rewritten form) disagrees with sympy; ``mismatches`` lists each disagreement.

    Each entry is a :class:`Mismatch`: which quantity, at which point, both values.
    """

    def __init__(self, message, mismatches=()):
        super().__init__(message)
        self.mismatches = list(mismatches)


@dataclass(frozen=True)
class Mismatch:
    """One disagreement: ``quantity`` (``'backward'``, ...) at ``point``, ``implemented`` vs ``expected``."""

    quantity: str
    point: float
    implemented: float
    expected: float
    at_kink: bool = False

    def __str__(self):
        where = " (a kink: compared exactly)" if self.at_kink else ""
        return (f"{self.quantity} at x = {self.point!r}{where}: implemented {self.implemented!r}, "
                f"sympy {self.expected!r}")


def _agree(got: float, want: float, exact: bool, rtol: float, atol: float) -> bool:
    if math.isnan(want) or math.isnan(got):
        return math.isnan(want) and math.isnan(got)
    if math.isinf(want) or math.isinf(got):
        return got == want
    if exact or got == want:
        return got == want
    return abs(got - want) <= rtol * abs(want) + atol


def _is_float64(value) -> bool:
    """True when an mpmath number is exactly a float64 number (so a kink can be compared exactly)."""
    try:
        f = float(value)
    except (TypeError, ValueError, OverflowError):
        return False
    return math.isfinite(f) and mpmath.mpf(f) == value


def _mp_eval(f, point, scale=1):
    """``scale * f(point)`` with 50 digits, as an mpmath number (nan where mpmath raises)."""
    with mpmath.workdps(DIGITS):
        try:
            value = f(mpmath.mpf(point))
            if isinstance(value, mpmath.mpc) or isinstance(value, complex):
                value = mpmath.mpc(value)
                value = value.real if value.imag == 0 else mpmath.nan
            return mpmath.mpf(value) * mpmath.mpf(scale)
        except (ZeroDivisionError, ValueError, OverflowError, TypeError):
            return mpmath.nan


# --------------------------------------------------------------------------------------------
# LaTeX
# --------------------------------------------------------------------------------------------

_GREEK = set(greek_letters_set) | {"lambda"}


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class _Printer(LatexPrinter):
    """``sympy.latex`` with cases without ``for``, and nothing KaTeX lacks (no ``\\mathbb{1}``)."""

    def _print_Piecewise(self, expr):
        rows = [f"{self._print(v)} & {self._print(c)}" for v, c in expr.args[:-1]]
        v, c = expr.args[-1]
        last = r"\text{otherwise}" if c == sympy.true else self._print(c)
        rows.append(f"{self._print(v)} & {last}")
        return r"\begin{cases} " + r" \\ ".join(rows) + r" \end{cases}"

    def _print_Symbol(self, expr, style="plain"):
        # a setting named by a word (threshold, negative_slope) prints upright as that word, not as
        # a product of italic letters with a subscript; x, W_00, alpha, gamma print as usual
        base = expr.name.split("_")[0]
        if _is_number(expr.name) or expr.name.startswith("\\"):  # a value put in for a setting, or LaTeX
            return expr.name
        if len(base) > 1 and base.lower() not in _GREEK:
            return r"\text{%s}" % expr.name.replace("_", r"\_")
        return super()._print_Symbol(expr, style=style)

    def _print_Heaviside(self, expr, exp=None):
        tex = r"H\left(%s\right)" % self._print(expr.args[0])
        return f"{tex}^{{{exp}}}" if exp else tex


def latex(expr, **settings) -> str:
    r"""``expr`` in LaTeX that KaTeX renders: ``Piecewise`` as ``cases``, :math:`\sigma` for :func:`sigmoid`.

    Example:
        >>> latex(sympy.Piecewise((0, x <= 0), (x, True)))
        '\\begin{cases} 0 & x \\leq 0 \\\\ x & \\text{otherwise} \\end{cases}'
        >>> latex(x * sigmoid(x))
        'x \\sigma\\left(x\\right)'
    """
    settings.setdefault("ln_notation", True)
    return _Printer(settings).doprint(expr)


def math_block(*lines: str, indent: int = 0) -> str:
    r"""An RST ``.. math::`` block holding ``lines`` (LaTeX), for a docstring or a page.

    Example:
        >>> print(math_block("y = x^2", r"y' = 2x"))
        .. math::
        <BLANKLINE>
           y = x^2
        <BLANKLINE>
           y' = 2x
        <BLANKLINE>
    """
    body = "\n\n".join(textwrap.indent(line, "   ") for line in lines)
    return textwrap.indent(f".. math::\n\n{body}\n", " " * indent)


# --------------------------------------------------------------------------------------------
# elementwise rules
# --------------------------------------------------------------------------------------------

@dataclass
class CheckReport:
    """What :meth:`Elementwise.check` compared: ``points`` (float64), ``kinks``, and per quantity
    (``'forward'``, ``'backward'``, ``'jvp'``, ``'double backward'``) either ``checked`` or a reason
    in ``not_checked``."""

    name: str
    points: torch.Tensor
    kinks: list
    values: dict
    checked: list = field(default_factory=list)
    not_checked: dict = field(default_factory=dict)

    def __repr__(self):
        skipped = "".join(f"; {q} not checked: {why}" for q, why in self.not_checked.items())
        names = [q for q in self.checked if q != "double backward, grad_output"]  # one of two halves
        return (f"CheckReport({self.name!r}: {', '.join(names)} agree at {len(self.points)} points; "
                f"kinks {self.kinks}{skipped})")


def _without_delta(expr):
    return expr.replace(sympy.DiracDelta, lambda *args: sympy.Integer(0)) if expr.has(sympy.DiracDelta) else expr


def _bindable(arg) -> bool:
    if isinstance(arg, bool):
        return False
    if isinstance(arg, (int, float)):
        return True
    return isinstance(arg, torch.Tensor) and arg.numel() == 1 and arg.is_floating_point()


def _implemented(fn, pts, args, grad_output, grad_grad, not_checked) -> dict:
    """What ``fn`` computes at ``pts``: forward, backward, double backward (in x and in g), jvp."""
    got = {}
    xin = pts.clone().requires_grad_()
    y = fn(xin, *args)
    got["forward"] = y.detach()
    # grad_output requires grad, as in gradgradcheck: the backward's graph then always exists,
    # and a backward that cannot be differentiated (once_differentiable) says so.
    gy = torch.full_like(pts, grad_output).requires_grad_()
    (grad,) = torch.autograd.grad(y, xin, gy, create_graph=True)
    got["backward"] = grad.detach()
    if type(grad.grad_fn).__name__ in ("Error", "DelayedError"):
        # once_differentiable: autograd.grad would silently answer None (the error node is not
        # connected to the inputs), so say so rather than compare zeros
        not_checked["double backward"] = "the backward is once_differentiable"
    else:
        try:
            gg, ggy = torch.autograd.grad(grad, (xin, gy), torch.full_like(pts, grad_grad), allow_unused=True)
            got["double backward"] = torch.zeros_like(pts) if gg is None else gg.detach()
            got["double backward, grad_output"] = torch.zeros_like(pts) if ggy is None else ggy.detach()
        except RuntimeError as err:
            not_checked["double backward"] = str(err).splitlines()[0]
    try:
        with fwAD.dual_level():
            out = fn(fwAD.make_dual(pts.clone(), torch.full_like(pts, grad_output)), *args)
            tangent = fwAD.unpack_dual(out).tangent
        got["jvp"] = torch.zeros_like(pts) if tangent is None else tangent.detach()
    except NotImplementedError as err:  # "You must implement the jvp function ..."
        if "jvp" not in str(err):
            raise
        not_checked["jvp"] = str(err).splitlines()[0]
    return got


def _setting_gradients(fn, pts, args, i, grad_output):
    """The gradient of ``args[i]`` (a one-element tensor) at each point alone: one call per point."""
    out = []
    for q in pts:
        setting = args[i].clone().requires_grad_()
        y = fn(q.reshape(1), *args[:i], setting, *args[i + 1:])
        (grad,) = torch.autograd.grad(y, setting, torch.full_like(y, grad_output), allow_unused=True)
        out.append(0.0 if grad is None else grad.sum().item())
    return torch.tensor(out, dtype=torch.float64)


class Elementwise:
    r"""The derivative rule of an elementwise Function, from its forward written once in sympy.

    Args:
        forward: a sympy expression in :data:`x` (a ``Piecewise`` with the code's conditions
            where the Function is piecewise) and in setting symbols.
        params: the setting symbols in the order of the Function's extra positional arguments
            (``(alpha,)`` for ``ELUFunction.apply(x, alpha, inplace)``).  Default: the free
            symbols other than ``x``, by name.
        name: for messages and reports.
        points: extra check points (floats) beyond the automatic grid.

    Attributes:
        forward, first, second: the sympy expressions of :math:`f`, :math:`f'`, :math:`f''`
            (``DiracDelta`` terms, zero away from their kink, are dropped).

    Write a kink as a ``Piecewise``: its conditions say the value there.  ``Max(x, 0)``
    differentiates to ``Heaviside(x)``, which is 1/2 at 0, a convention no Function uses.

    Example:
        >>> alpha = symbols("alpha")
        >>> rule = Elementwise(sympy.Piecewise((alpha * (sympy.exp(x) - 1), x <= 0), (x, True)), name="elu")
        >>> rule.first
        Piecewise((alpha*exp(x), x <= 0), (1, True))
        >>> rule.kinks(alpha=1.3)
        [0.0]
    """

    def __init__(self, forward, params: Sequence[sympy.Symbol] | None = None, name: str = "f",
                 points: Sequence[float] = ()):
        self.forward = sympy.sympify(forward)
        others = self.forward.free_symbols - {x}
        self.params = tuple(params) if params is not None else tuple(sorted(others, key=lambda s: s.name))
        unknown = others - set(self.params)
        if unknown:
            raise ValueError(f"{name}: symbols {sorted(map(str, unknown))} are not in params {self.params}")
        self.name = name
        self.points = tuple(points)
        # DiracDelta terms (from Heaviside, sign, Abs) vanish away from their kink; the check
        # compares pointwise derivatives, and the value at a kink is the Piecewise's convention
        self.first = _without_delta(sympy.diff(self.forward, x))
        self.second = _without_delta(sympy.diff(self.first, x))

    def __repr__(self):
        return f"Elementwise({self.forward}, params={self.params}, name={self.name!r})"

    # -- values of the settings --------------------------------------------------------------

    def bind(self, args: Sequence = (), values: Mapping[str, float] | None = None) -> dict:
        """Setting values by name: the numbers among ``args`` bind to :attr:`params` in order, ``values`` to the rest.

        Numbers (``int``/``float``, not ``bool``) and one-element float tensors are the numbers;
        strings and bools are passed to the Function but bind nothing.  A setting given both
        ways must have the same value in both.

        Example:
            >>> beta, threshold = symbols("beta threshold")
            >>> rule = Elementwise(sympy.Piecewise((softplus(beta * x) / beta, beta * x <= threshold), (x, True)),
            ...                    params=(beta, threshold))
            >>> rule.bind((2.0, 1.0))
            {'beta': 2.0, 'threshold': 1.0}
        """
        return self._bind(args, values)[0]

    def _bind(self, args, values):
        """(values by name, {position in args: param} for the tensors among args)."""
        bound = {str(k): float(v) for k, v in (values or {}).items()}
        numbers = [i for i, a in enumerate(args) if _bindable(a)]
        if len(numbers) > len(self.params):
            raise ValueError(f"{self.name}: {len(numbers)} numeric arguments {[args[i] for i in numbers]} but "
                             f"only {len(self.params)} parameters {[p.name for p in self.params]}")
        tensors = {}
        for p, i in zip(self.params, numbers):
            a = args[i]
            value = float(a.item() if isinstance(a, torch.Tensor) else a)
            if p.name in bound and bound[p.name] != value:
                raise ValueError(f"{self.name}: {p.name} is {value} in args but {bound[p.name]} in values")
            bound[p.name] = value
            if isinstance(a, torch.Tensor):
                tensors[i] = p
        missing = [p.name for p in self.params if p.name not in bound]
        if missing:
            raise ValueError(f"{self.name}: no value for {missing}; pass them in args or values")
        return bound, tensors

    def _subs(self, expr, values):
        return expr.subs({p: _exact(values[p.name]) for p in self.params})

    def kinks(self, **values) -> list[float]:
        """The kinks of the forward with these setting values (see :func:`kinks_of`)."""
        return kinks_of(self._subs(self.forward, self.bind((), values)))

    def to_torch(self, order: int = 0, **values) -> Callable[[torch.Tensor], torch.Tensor]:
        r""":math:`f`, :math:`f'` or :math:`f''` (``order`` 0, 1, 2) with these setting values, on tensors."""
        expr = (self.forward, self.first, self.second)[order]
        return to_torch(self._subs(expr, self.bind((), values)))

    # -- the check ---------------------------------------------------------------------------

    def check(self, fn: Callable, args: Sequence = (), values: Mapping[str, float] | None = None, *,
              points: Sequence[float] = (), rtol: float = 1e-12, atol: float = 1e-13,
              grad_output: float = 0.5, grad_grad: float = -0.25) -> CheckReport:
        r"""Compare ``fn(x, *args)`` with sympy in float64: forward, backward, ``jvp``, double backward.

        The check points are :func:`grid` through the forward's kinks (after substituting the
        setting values) plus ``points``.  At each, with :math:`g` = ``grad_output`` and
        :math:`h` = ``grad_grad`` (powers of two by default, so that :math:`g f'` is exactly a
        float64 number wherever :math:`f'` is one, and a kink can be compared exactly):

        - forward: ``fn(x)`` against :math:`f(x)`;
        - backward: ``autograd.grad(y, x, g)`` against :math:`g f'(x)` (customgrad's own Functions
          run their formula here, not ATen's fused kernel: ``customgrad/ops/_fused.py``);
        - jvp: forward-mode AD with tangent :math:`g` against :math:`g f'(x)` (reported as not
          checked where the Function has no ``jvp``);
        - double backward: ``autograd.grad(grad, (x, g), h)`` of that backward (``create_graph=True``,
          :math:`g` requiring grad as in ``gradgradcheck``) against :math:`g h f''(x)` and, for
          :math:`g`, against :math:`h f'(x)`; a derivative autograd finds unused counts as 0, and a
          backward that cannot be differentiated (``once_differentiable``) is reported as not checked;
        - backward in a setting passed as a one-element tensor (PReLU's weight, LearnedSiLU's
          slope): its gradient, point by point, against :math:`g\,\partial f/\partial p`.

        References are evaluated with 50 digits and rounded once.  At
        a kink, where the reference is a float64 number (0, 1, the slope, ``alpha``), the values
        must be equal; elsewhere (and at a kink whose value is not one, as :math:`\sigma(20)`)
        within ``rtol * |want| + atol``.  NaN must meet NaN and an infinity the same infinity.

        Args:
            fn: takes the float64 input first, then ``args`` (tensors among them become float64).
            args: the Function's extra positional arguments; their numbers give the settings (:meth:`bind`).
            values: setting values by name, for settings not passed positionally.

        Returns:
            A :class:`CheckReport`.  Raises :class:`SymbolicMismatch` naming each disagreeing
            point, both values and which quantity.
        """
        bound, tensor_params = self._bind(args, values)
        args = tuple(a.detach().to(torch.float64) if isinstance(a, torch.Tensor) else a for a in args)
        exprs = [self._subs(e, bound) for e in (self.forward, self.first, self.second)]
        kinks = kinks_of(exprs[0])
        pts = grid(kinks, tuple(self.points) + tuple(points))
        plist = pts.tolist()
        kink_set = set(kinks)
        g, h = _exact(grad_output), _exact(grad_grad)
        funcs = [_mp_function(e, x) for e in exprs]
        wanted = {}
        for name, f, scale in (("forward", funcs[0], 1), ("backward", funcs[1], g), ("jvp", funcs[1], g),
                               ("double backward", funcs[2], g * h),
                               ("double backward, grad_output", funcs[1], h)):
            scale = sympy.N(scale, DIGITS)
            wanted[name] = [_mp_eval(f, p, scale) for p in plist]

        for i, p in tensor_params.items():  # a setting passed as a tensor gets a gradient: g df/dp
            f_p = _mp_function(self._subs(_without_delta(sympy.diff(self.forward, p)), bound), x)
            wanted[f"backward in {p.name}"] = [_mp_eval(f_p, q, sympy.N(g, DIGITS)) for q in plist]

        report = CheckReport(self.name, pts, kinks, bound)
        from .ops._fused import formulas_only  # customgrad's backwards run their formulas, not ATen's

        with formulas_only():
            got = _implemented(fn, pts, args, grad_output, grad_grad, report.not_checked)
            for i, p in tensor_params.items():
                got[f"backward in {p.name}"] = _setting_gradients(fn, pts, args, i, grad_output)

        mismatches = []
        for name in wanted:
            if name not in got:
                continue
            for p, have, want in zip(plist, got[name].tolist(), wanted[name]):
                at_kink = p in kink_set
                try:
                    want_f = float(want)
                except (TypeError, ValueError):
                    want_f = math.nan
                exact = at_kink and _is_float64(want)  # the convention, when it is a float64 number
                if not _agree(have, want_f, exact, rtol, atol):
                    mismatches.append(Mismatch(name, p, have, want_f, at_kink))
            report.checked.append(name)
        if mismatches:
            shown = "\n  ".join(map(str, mismatches[:12]))
            more = f"\n  ... and {len(mismatches) - 12} more" if len(mismatches) > 12 else ""
            derivs = f"f(x) = {exprs[0]}\n  f'(x) = {exprs[1]}\n  f''(x) = {exprs[2]}"
            raise SymbolicMismatch(
                f"{self.name} with {bound or 'no settings'}: {len(mismatches)} disagreement(s) with sympy "
                f"(grad_output {grad_output}, grad_grad {grad_grad}):\n  {shown}{more}\nwhere\n  {derivs}",
                mismatches)
        return report

    # -- printing ----------------------------------------------------------------------------

    def latex(self, values: Mapping[str, float] | None = None, simplify: bool = False) -> str:
        r"""``\begin{aligned}`` LaTeX of :math:`f`, :math:`f'` and :math:`f''` (settings as symbols, or ``values``).

        ``simplify=True`` runs ``sympy.simplify`` on each first (slower, sometimes shorter).
        """
        lines = []
        for label, e in (("f(x)", self.forward), ("f'(x)", self.first), ("f''(x)", self.second)):
            if values:
                # a symbol named by the number keeps the structure (alpha (e^x - 1) -> 1.3 (e^x - 1))
                e = e.subs({p: sympy.Symbol(f"{values[p.name]:g}") for p in self.params if p.name in values})
            if simplify:
                e = sympy.simplify(e)
            lines.append(f"{label} &= {latex(e)}")
        return r"\begin{aligned} " + r" \\ ".join(lines) + r" \end{aligned}"

    def math_block(self, indent: int = 0, **kwargs) -> str:
        """:meth:`latex` as an RST ``.. math::`` block."""
        return math_block(self.latex(**kwargs), indent=indent)


# --------------------------------------------------------------------------------------------
# rewritten forms
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Proof:
    """How :func:`same` showed two forms equal.

    ``method`` is ``'simplify'`` (sympy reduces the difference to 0), ``'cases'`` (it does on each
    side of the kink at 0 and at 0 itself) or ``'numeric'`` (they agree to ``digits`` significant
    digits at every one of ``points`` points).  ``str(proof)`` is a sentence for a page.
    """

    method: str
    points: int = 0
    digits: int = 0

    def __str__(self):
        if self.method == "simplify":
            return "sympy simplifies the difference to 0"
        if self.method == "cases":
            return "sympy simplifies the difference to 0 for x < 0, x = 0 and x > 0"
        return f"the two agree to {self.digits} significant digits at {self.points} points"


def _is_zero(expr) -> bool:
    from sympy.codegen.cfunctions import expm1, log1p

    expr = expr.replace(log1p, lambda u: sympy.log(1 + u)).replace(expm1, lambda u: sympy.exp(u) - 1)
    expr = expr.rewrite(sympy.exp) if expr.has(sigmoid, sympy.tanh) else expr
    return sympy.simplify(expr) == 0


def same(raw, implemented, values: Mapping[str, float] | None = None, points: Sequence[float] = (),
         digits: int = DIGITS, var=None) -> Proof:
    r"""Show that ``implemented`` (a rewritten form, as coded) equals ``raw`` (the textbook form).

    Tries, in order: ``sympy.simplify`` of the difference (with :func:`sigmoid` and ``tanh``
    rewritten through ``exp``); the same on each side of 0 and at 0, where the only kink is at 0
    (``Abs``, ``Max``: a stable softplus); else both evaluated with mpmath at ``digits`` significant
    digits on :func:`grid` through the kinks of either (settings from ``values``) and ``points``.

    Returns:
        A :class:`Proof` saying which worked.  Raises :class:`SymbolicMismatch` with the first
        point where the two differ.

    Example:
        >>> s = sigmoid(x)
        >>> str(same(sympy.diff(x * s, x), s * (1 + x * (1 - s))))
        'sympy simplifies the difference to 0'
        >>> stable = sympy.Max(x, 0) + sympy.log(1 + sympy.exp(-sympy.Abs(x)))
        >>> same(softplus(x), stable).method
        'cases'
    """
    var = var or x
    raw, implemented = sympy.sympify(raw), sympy.sympify(implemented)
    diff = raw - implemented
    if _is_zero(diff):
        return Proof("simplify")
    subs = {s: _exact(values[s.name]) for s in diff.free_symbols - {var} if values and s.name in values}
    kinks = kinks_of(diff.subs(subs), var) if not (diff.free_symbols - {var} - set(subs)) else []
    if kinks == [0.0]:
        p = sympy.Symbol("p", positive=True)
        if all(_is_zero(diff.subs(var, v)) for v in (p, -p, 0)):
            return Proof("cases")
    missing = diff.free_symbols - {var} - set(subs)
    if missing:
        raise ValueError(f"same: give values for {sorted(map(str, missing))} to compare numerically")
    pts = grid(kinks, points).tolist()
    f_raw, f_impl = (_mp_function(e.subs(subs), var) for e in (raw, implemented))
    for p in pts:
        with mpmath.workdps(digits + 10):
            try:
                a, b = f_raw(mpmath.mpf(p)), f_impl(mpmath.mpf(p))
            except (ZeroDivisionError, ValueError, OverflowError):
                continue  # mpmath cannot evaluate one of them here (erfc at 1e300)
            ok = (mpmath.isnan(a) and mpmath.isnan(b)) or a == b or (
                mpmath.isfinite(a) and abs(a - b) <= mpmath.mpf(10) ** (-digits) * max(1, abs(a)))
        if not ok:
            raise SymbolicMismatch(f"same: at x = {p!r} the textbook form is {mpmath.nstr(a, 20)} and the "
                                   f"rewritten one {mpmath.nstr(b, 20)}",
                                   [Mismatch("rewritten form", p, float(b), float(a))])
    return Proof("numeric", points=len(pts), digits=digits)


# --------------------------------------------------------------------------------------------
# matrix Functions
# --------------------------------------------------------------------------------------------

def matrix(name: str, shape: Sequence[int]) -> sympy.Matrix:
    """A sympy Matrix of real symbols ``name_ij`` of ``shape`` (2-d, or 1-d as a column).

    Example:
        >>> matrix("W", (2, 3))
        Matrix([
        [W_00, W_01, W_02],
        [W_10, W_11, W_12]])
        >>> matrix("b", (2,)).shape
        (2, 1)
    """
    rows, cols = (tuple(shape) + (1,))[:2] if len(shape) == 1 else tuple(shape)
    sub = (lambda i, j: f"{i}") if len(shape) == 1 else (lambda i, j: f"{i}{j}")
    return sympy.Matrix(rows, cols, lambda i, j: sympy.Symbol(f"{name}_{sub(i, j)}", real=True))


def _entries(m):
    return list(m) if isinstance(m, sympy.MatrixBase) else [m]


@dataclass
class Equations:
    r"""A matrix op's forward as indexed sympy equations: what the docs print, proven equal to the rule.

    ``lines`` are ``sympy.Eq(left, right)`` in order; a left side is an ``Indexed`` (``mu[n]``) or a
    ``Symbol``, and later lines may use it.  The last line's left side is the output: ``out_indices``
    are its free indices, in the order of the output matrix's axes (none for a scalar loss).
    ``values`` gives the sizes (and settings such as :math:`\varepsilon`) the rule was built with;
    ``bases`` maps each input's ``IndexedBase`` to the input's name, and ``constants`` an
    ``IndexedBase`` of fixed integers (class indices) to their values.  An index on an input with
    fewer axes than the matrix runs over its entries in row-major order.  Indices count from 1, as
    in print; class indices in ``constants`` count from 0, as in torch.

    Example:
        >>> print(linear_rule().forward_latex())
        \begin{aligned} {y}_{k,i} &= \sum_{j=1}^{J} {W}_{i,j} {x}_{k,j} + {b}_{i} \end{aligned}
    """

    lines: Sequence
    out_indices: Sequence
    values: Mapping
    bases: Mapping
    constants: Mapping = field(default_factory=dict)

    def latex(self) -> str:
        rows = [f"{latex(eq.lhs)} &= {latex(eq.rhs, order='rev-lex')}" for eq in self.lines]
        return r"\begin{aligned} " + r" \\ ".join(rows) + r" \end{aligned}"

    def _definitions(self):
        defs = {}
        for eq in self.lines[:-1]:
            rhs = eq.rhs.subs(self.values)
            if isinstance(eq.lhs, sympy.Indexed):
                defs[eq.lhs.base] = (eq.lhs.indices, rhs)
            else:
                defs[eq.lhs] = ((), rhs)
        return defs

    def entries(self, inputs: Mapping[str, sympy.Matrix], output) -> list:
        """(printed, rule) pairs of sympy expressions, one per output entry, in the rule's symbols."""
        defs = self._definitions()

        def expand(expr):
            for _ in range(len(defs) + 1):
                expr = expr.replace(lambda e: isinstance(e, sympy.Indexed) and e.base in defs,
                                    lambda e: defs[e.base][1].subs(dict(zip(defs[e.base][0], e.indices))))
                expr = expr.subs({k: v[1] for k, v in defs.items() if isinstance(k, sympy.Symbol)})
            return expr

        def entry(e):
            m = inputs[self.bases[e.base]]
            idx = [int(i) - 1 for i in e.indices]  # the equations count from 1
            return m[idx[0]] if len(idx) == 1 else m[idx[0], idx[1]]

        last = self.lines[-1].rhs.subs(self.values)
        outputs = list(output) if isinstance(output, sympy.MatrixBase) else [output]
        shape = output.shape if isinstance(output, sympy.MatrixBase) else ()
        pairs = []
        for flat, derived in enumerate(outputs):
            at = dict(zip(self.out_indices, [i + 1 for i in divmod(flat, shape[1])] if shape else ()))
            expr = expand(last.subs(at)).doit()
            expr = expand(expr).doit()
            expr = expr.replace(lambda e: isinstance(e, sympy.Indexed) and e.base in self.constants,
                                lambda e: sympy.Integer(self.constants[e.base][int(e.indices[0]) - 1] + 1))
            expr = expr.replace(lambda e: isinstance(e, sympy.Indexed) and e.base in self.bases, entry)
            pairs.append((expr, derived))
        return pairs


def _ix(*names):
    """Integer index symbols."""
    return sympy.symbols(names, integer=True, nonnegative=True)


class MatrixRule:
    r"""Gradients of a matrix Function, derived by sympy entry by entry on small matrices of symbols.

    ``forward(**inputs)`` receives one sympy Matrix of symbols per entry of ``shapes`` (see
    :func:`matrix`) and returns the output, a Matrix or a scalar.  With an upstream gradient
    :math:`G` of the output's shape (a scalar :math:`g` for a scalar loss) the rule forms
    :math:`L = \sum_{ij} G_{ij}\,Y_{ij}` and differentiates it in every input entry:
    :attr:`gradients` maps each input name to its gradient Matrix.

    ``general`` maps input names to the claimed closed form, a function of the same Matrices and
    ``G`` (written with ``*``, ``.T``, ...).  :meth:`verify_general` proves it equals the derived
    gradient; :meth:`latex` prints it, from sympy when the function also accepts ``MatrixSymbol``
    arguments (``G * W`` prints :math:`G W`), else from ``general_latex``.

    Example:
        >>> rule = linear_rule()
        >>> rule.gradients["bias"].T
        Matrix([[G_00 + G_10, G_01 + G_11]])
        >>> {name: proof.method for name, proof in rule.verify_general().items()}
        {'input': 'simplify', 'weight': 'simplify', 'bias': 'simplify'}
        >>> print(rule.latex())
        \begin{aligned} \frac{\partial L}{\partial X} &= G W \\ \frac{\partial L}{\partial W} &= G^{T} X \\ \frac{\partial L}{\partial b} &= G^{T} \mathbf{1} \end{aligned}
    """

    def __init__(self, forward: Callable, shapes: Mapping[str, Sequence[int]], *, name: str = "f",
                 letters: Mapping[str, str] | None = None, general: Mapping[str, Callable] | None = None,
                 general_latex: Mapping[str, str] | None = None, equations: "Equations | None" = None):
        self.name = name
        self.equations = equations
        self.shapes = {k: tuple(v) for k, v in shapes.items()}
        self.letters = {k: (letters or {}).get(k, k) for k in self.shapes}
        self.inputs = {k: matrix(self.letters[k], s) for k, s in self.shapes.items()}
        out = forward(**self.inputs)
        self.output = out
        if isinstance(out, sympy.MatrixBase):
            self.G = matrix("G", out.shape)
            loss = sum(gi * yi for gi, yi in zip(self.G, out))
        else:
            self.G = sympy.Symbol("g", real=True)
            loss = self.G * out
        self.loss = loss
        self.gradients = {k: m.applyfunc(lambda s: sympy.diff(loss, s)) for k, m in self.inputs.items()}
        self.general = dict(general or {})
        self.general_latex = dict(general_latex or {})

    def __repr__(self):
        return f"MatrixRule({self.name!r}, shapes={self.shapes})"

    def _symbols(self):
        syms = [s for m in self.inputs.values() for s in m]
        return syms + _entries(self.G)

    def verify_forward(self) -> Proof:
        """Prove that :attr:`equations` (the indexed forward the docs print) give :attr:`output`.

        Every entry is compared at three random points with 50 digits; raises :class:`SymbolicMismatch`
        naming the entry otherwise.
        """
        eq = self.equations
        entries = eq.entries(self.inputs, self.output)
        claimed = [c for c, _ in entries]
        derived = [d for _, d in entries]
        f = _mp_function([c - d for c, d in zip(claimed, derived)], self._symbols())
        rng = random.Random(1)
        for _ in range(3):
            with mpmath.workdps(DIGITS + 10):
                vals = [mpmath.mpf(rng.uniform(0.1, 2)) for _ in self._symbols()]
                for i, d in enumerate(f(*vals)):
                    if abs(d) > mpmath.mpf(10) ** -(DIGITS - 10):
                        raise SymbolicMismatch(f"{self.name}: the printed forward differs from the rule's "
                                               f"at output entry {i} by {mpmath.nstr(d, 10)}")
        return Proof("numeric", points=3, digits=DIGITS)

    def forward_latex(self) -> str:
        """The indexed forward equations, printed by sympy (``aligned``, one equation a line)."""
        return self.equations.latex()

    def verify_general(self) -> dict:
        """For each ``general`` formula, a :class:`Proof` that it equals the derived gradient.

        ``'simplify'`` when sympy reduces every entry of the difference to 0 (``expand``, or
        ``together`` and ``cancel``: fast on these rational functions of exponentials), else
        ``'numeric'`` (50 digits at three random points).  Raises :class:`SymbolicMismatch` otherwise.
        """
        proofs = {}
        for k, formula in self.general.items():
            claimed = sympy.Matrix(formula(**self.inputs, G=self.G))
            derived = self.gradients[k]
            claimed = claimed.reshape(*derived.shape)
            diff = claimed - derived
            if all(sympy.expand(d) == 0 or sympy.cancel(sympy.together(d)) == 0 for d in diff):
                proofs[k] = Proof("simplify")
                continue
            f = _mp_function(list(diff), self._symbols())
            rng = random.Random(0)
            for _ in range(3):
                with mpmath.workdps(DIGITS + 10):
                    vals = [mpmath.mpf(rng.uniform(-2, 2)) for _ in self._symbols()]
                    bad = [d for d in f(*vals) if abs(d) > mpmath.mpf(10) ** -DIGITS]
                if bad:
                    raise SymbolicMismatch(f"{self.name}: the general formula for {k} differs from the derived "
                                           f"gradient by {mpmath.nstr(bad[0], 10)}")
            proofs[k] = Proof("numeric", points=3, digits=DIGITS)
        return proofs

    def latex(self) -> str:
        r"""``\begin{aligned}`` LaTeX of each gradient: the general formula where given, else the derived Matrix."""
        lines = []
        for k in self.inputs:
            left = r"\frac{\partial L}{\partial %s}" % latex(sympy.Symbol(self.letters[k]))
            if k in self.general_latex:
                right = self.general_latex[k]
            elif k in self.general:
                right = latex(self._general_symbolic(k), order="rev-lex")  # X - T, not -T + X
            else:
                right = latex(self.gradients[k])
            lines.append(f"{left} &= {right}")
        return r"\begin{aligned} " + r" \\ ".join(lines) + r" \end{aligned}"

    def _general_symbolic(self, k):
        mats = {n: sympy.MatrixSymbol(self.letters[n], *(tuple(s) + (1,))[:2] if len(s) == 1 else s)
                for n, s in self.shapes.items()}
        shape = self.G.shape if isinstance(self.G, sympy.MatrixBase) else None
        G = sympy.MatrixSymbol("G", *shape) if shape else self.G
        return self.general[k](**mats, G=G)

    def check(self, fn: Callable, values: Mapping[str, torch.Tensor] | None = None, *,
              call: Callable | None = None, wrt: Sequence[str] | None = None, seed: int = 0,
              rtol: float = 1e-10, atol: float = 1e-12) -> dict:
        """Compare the Function's gradients with the derived ones, in float64.

        Args:
            fn: the Function's ``apply``; called as ``fn(*tensors)`` in the order of ``shapes``
                unless ``call(**tensors)`` is given (to add settings or pick one of several outputs).
            values: float64 tensors by input name (the symbols take these values); the rest random.
            wrt: the inputs whose gradients are compared (default: all).

        Returns:
            The largest relative difference per input.  Raises :class:`SymbolicMismatch` naming the
            input, the entry and both values.
        """
        gen = torch.Generator().manual_seed(seed)
        tensors = {}
        for k, shape in self.shapes.items():
            given = (values or {}).get(k)
            t = given if given is not None else torch.randn(shape, generator=gen, dtype=torch.float64)
            tensors[k] = t.detach().to(torch.float64).clone().requires_grad_()
        wrt = list(wrt or self.shapes)
        out = call(**tensors) if call else fn(*tensors.values())
        g_value = torch.randn(out.shape, generator=gen, dtype=torch.float64)
        from .ops._fused import formulas_only  # customgrad's backwards run their formulas, not ATen's

        with formulas_only():
            grads = torch.autograd.grad(out, [tensors[k] for k in wrt], g_value, allow_unused=True)
        subs = [mpmath.mpf(v) for k in self.shapes for v in tensors[k].detach().reshape(-1).tolist()]
        subs += [mpmath.mpf(v) for v in g_value.reshape(-1).tolist()]
        worst, mismatches = {}, []
        f = _mp_function(_entries(self.output), self._symbols())
        with mpmath.workdps(DIGITS):
            want = [float(v) for v in f(*subs)]
        for i, (h_, w_) in enumerate(zip(out.detach().reshape(-1).tolist(), want)):
            if not _agree(h_, w_, False, rtol, atol):
                mismatches.append(Mismatch(f"output[{i}]", i, h_, w_))
        for k, got in zip(wrt, grads):
            f = _mp_function(list(self.gradients[k]), self._symbols())
            with mpmath.workdps(DIGITS):
                want = [float(v) for v in f(*subs)]
            have = [0.0] * len(want) if got is None else got.reshape(-1).tolist()
            worst[k] = 0.0
            for i, (h_, w_) in enumerate(zip(have, want)):
                if not _agree(h_, w_, False, rtol, atol):
                    index = tuple(int(j) for j in torch.unravel_index(torch.tensor(i), self.shapes[k]))
                    mismatches.append(Mismatch(f"gradient of {k}{list(index)}", i, h_, w_))
                worst[k] = max(worst[k], abs(h_ - w_) / max(abs(w_), 1e-300))
        if mismatches:
            shown = "\n  ".join(f"{m.quantity}: implemented {m.implemented!r}, sympy {m.expected!r}"
                                for m in mismatches[:12])
            raise SymbolicMismatch(f"{self.name}: {len(mismatches)} output or gradient entries disagree with sympy:\n  {shown}",
                                   mismatches)
        return worst


def check_matrix_function(fn: Callable, forward: Callable, shapes: Mapping[str, Sequence[int]], **kwargs) -> dict:
    """:meth:`MatrixRule.check` of ``MatrixRule(forward, shapes)`` in one call (keyword arguments go to ``check``).

    Example:
        >>> from customgrad.functions import MSELossFunction
        >>> worst = check_matrix_function(
        ...     lambda input, target: MSELossFunction.apply(input, target, "mean", None),
        ...     lambda input, target: sum((a - b) ** 2 for a, b in zip(input, target)) / 6,
        ...     {"input": (2, 3), "target": (2, 3)})
        >>> sorted(worst), all(w < 1e-12 for w in worst.values())
        (['input', 'target'], True)
    """
    return MatrixRule(forward, shapes).check(fn, **kwargs)


def _ones(n):
    return sympy.ones(n, 1)


def linear_rule(batch: int = 2, n_in: int = 3, n_out: int = 2) -> MatrixRule:
    r"""``Y = X W^T + 1 b^T`` for ``LinearFunction.apply(input, weight, bias)``: :math:`G W`, :math:`G^T X`, :math:`G^T \mathbf 1`."""
    def general_bias(G, **_):
        ones = sympy.MatrixSymbol(r"\mathbf{1}", G.shape[0], 1) if isinstance(G, sympy.MatrixSymbol) \
            else _ones(G.shape[0])
        return G.T * ones

    k, i, j = _ix("k", "i", "j")
    J = sympy.Symbol("J", integer=True, positive=True)
    x, W, b, y = (sympy.IndexedBase(n) for n in ("x", "W", "b", "y"))
    equations = Equations([sympy.Eq(y[k, i], sympy.Sum(x[k, j] * W[i, j], (j, 1, J)) + b[i])], (k, i),
                          {J: n_in}, {x: "input", W: "weight", b: "bias"})
    return MatrixRule(
        lambda input, weight, bias: input * weight.T + _ones(batch) * bias.T,
        {"input": (batch, n_in), "weight": (n_out, n_in), "bias": (n_out,)},
        name="linear", letters={"input": "X", "weight": "W", "bias": "b"}, equations=equations,
        general={"input": lambda input, weight, bias, G: G * weight,
                 "weight": lambda input, weight, bias, G: G.T * input,
                 "bias": general_bias},
    )


def mse_rule(shape: Sequence[int] = (2, 3), weighted: bool = False) -> MatrixRule:
    r"""Mean squared error (mean reduction), optionally with per-element weights :math:`\sum w (x-t)^2 / \sum w`."""
    n = math.prod(shape)
    shapes = {"input": tuple(shape), "target": tuple(shape)}
    (i,) = _ix("i")
    N = sympy.Symbol("N", integer=True, positive=True)
    x, t, w = (sympy.IndexedBase(v) for v in ("x", "t", "w"))
    loss = sympy.Symbol(r"\ell")
    if weighted:
        lines = [sympy.Eq(loss, sympy.Sum(w[i] * (x[i] - t[i]) ** 2, (i, 1, N)) / sympy.Sum(w[i], (i, 1, N)))]
    else:
        lines = [sympy.Eq(loss, sympy.Sum((x[i] - t[i]) ** 2, (i, 1, N)) / N)]
    equations = Equations(lines, (), {N: n}, {x: "input", t: "target", w: "weight"})
    if weighted:
        shapes["weight"] = tuple(shape)

        def forward(input, target, weight):
            return sum(w * (a - b) ** 2 for a, b, w in zip(input, target, weight)) / sum(weight)

        def general_input(input, target, weight, G):
            return 2 * G * weight.multiply_elementwise(input - target) / sum(weight)

        def general_weight(input, target, weight, G):
            d = input - target
            return G * (d.multiply_elementwise(d) - sympy.ones(*d.shape) * forward(input, target, weight)) / sum(weight)

        general = {"input": general_input, "weight": general_weight,
                   "target": lambda input, target, weight, G: -general_input(input, target, weight, G)}
        tex = {"input": r"\frac{2 g}{\sum w}\, w \odot (X - T)", "target": r"-\frac{2 g}{\sum w}\, w \odot (X - T)",
               "weight": r"\frac{g}{\sum w}\left((X - T)^{\odot 2} - \ell\right),\quad \ell \text{ the loss}"}
    else:
        def forward(input, target):
            return sum((a - b) ** 2 for a, b in zip(input, target)) / n

        def count(m):  # N in the printed general formula (matrix symbols), the number n when checked
            return sympy.Symbol("N", positive=True) if isinstance(m, sympy.MatrixSymbol) else n

        general = {"input": lambda input, target, G: 2 * G * (input - target) / count(input),
                   "target": lambda input, target, G: -2 * G * (input - target) / count(input)}
        tex = {}  # printed by sympy from the general formulas
    return MatrixRule(forward, shapes, name="mse_loss", letters={"input": "X", "target": "T", "weight": "w"},
                      general=general, general_latex=tex, equations=equations)


def _softmax_rows(Z):
    rows = []
    for i in range(Z.shape[0]):
        e = [sympy.exp(v) for v in Z.row(i)]
        total = sum(e)
        rows.append([v / total for v in e])
    return sympy.Matrix(rows)


def _log_softmax_rows(Z):
    """``Z - log(sum(exp(Z)))`` row by row: the same function as ``log(softmax)``, cheaper to differentiate."""
    return sympy.Matrix([[v - sympy.log(sum(sympy.exp(u) for u in Z.row(i))) for v in Z.row(i)]
                         for i in range(Z.shape[0])])


def cross_entropy_rule(batch: int = 2, classes: int = 3, *, indices: Sequence[int] | None = None,
                       weighted: bool = False, label_smoothing: float = 0.0) -> MatrixRule:
    r"""Cross-entropy of logits :math:`Z` (mean reduction), as ``CrossEntropyFunction`` computes it.

    With ``indices`` (one class per row) the target is fixed and only :math:`Z` (and the class
    weights) are inputs; the mean divides by :math:`\sum_n w_{y_n}`.  Otherwise the target is a
    matrix :math:`P` of class probabilities (an input too), smoothed as
    :math:`(1 - \varepsilon) P + \varepsilon / C`, and the mean divides by :math:`N`.
    General result for probabilities without weights or smoothing:
    :math:`\partial L/\partial Z = \tfrac{g}{N}(\operatorname{diag}(P\mathbf 1)\,S - P)`, :math:`S` the row softmax.
    """
    eps = _exact(label_smoothing)
    shapes = {"input": (batch, classes)}
    if indices is None:
        shapes["target"] = (batch, classes)
    if weighted:
        shapes["weight"] = (classes,)

    def forward(input, target=None, weight=None):
        logp = _log_softmax_rows(input)
        w = [1] * classes if weight is None else list(weight)
        if indices is not None:
            total = sum(w[c] for c in indices)
            return -sum(w[c] * logp[n, c] for n, c in enumerate(indices)) / total
        t = target * (1 - eps) + sympy.ones(batch, classes) * eps / classes
        return -sum(w[c] * t[n, c] * logp[n, c] for n in range(batch) for c in range(classes)) / batch

    n, c, k = _ix("n", "c", "k")
    N, C = (sympy.Symbol(v, integer=True, positive=True) for v in ("N", "C"))
    z, p, w, s, q, y = (sympy.IndexedBase(v) for v in ("z", "p", "w", "s", "q", "y"))
    smoothing = sympy.Symbol(r"\varepsilon")
    loss = sympy.Symbol(r"\ell")
    lines = [sympy.Eq(s[n, c], z[n, c] - sympy.log(sympy.Sum(sympy.exp(z[n, k]), (k, 1, C))))]
    weight_of = (lambda cls: w[cls]) if weighted else (lambda cls: 1)
    if indices is not None:
        lines.append(sympy.Eq(loss, -sympy.Sum(weight_of(y[n]) * s[n, y[n]], (n, 1, N))
                              / sympy.Sum(weight_of(y[n]), (n, 1, N))))
    else:
        target = p
        if label_smoothing:
            lines.append(sympy.Eq(q[n, c], (1 - smoothing) * p[n, c] + smoothing / C))
            target = q
        lines.append(sympy.Eq(loss, -sympy.Sum(weight_of(c) * target[n, c] * s[n, c], (n, 1, N), (c, 1, C)) / N))
    equations = Equations(lines, (), {N: batch, C: classes, smoothing: eps}, {z: "input", p: "target", w: "weight"},
                          {y: list(indices or ())})

    general, tex = {}, {}
    if indices is None and not weighted and label_smoothing == 0:
        def general_input(input, target, G):
            S_ = _softmax_rows(input)
            return G * (sympy.diag(*(target * _ones(classes))) * S_ - target) / batch

        general = {"input": general_input,
                   "target": lambda input, target, G: -G * _log_softmax_rows(input) / batch}
        tex = {"input": r"\frac{g}{N}\left(\operatorname{diag}(P\mathbf{1})\,S - P\right),\quad "
                        r"S_{nc} = \frac{e^{Z_{nc}}}{\sum_k e^{Z_{nk}}}",
               "target": r"-\frac{g}{N} \log S"}
    return MatrixRule(forward, shapes, name="cross_entropy", letters={"input": "Z", "target": "P", "weight": "w"},
                      general=general, general_latex=tex, equations=equations)


def layer_norm_rule(batch: int = 2, features: int = 3, eps: float = 1e-5) -> MatrixRule:
    r"""Layer normalisation over the last dimension with weight :math:`\gamma` and bias :math:`\beta`.

    General result, row by row, with :math:`\hat x = (x - \mu)/\sigma`, :math:`\sigma = \sqrt{\operatorname{var} + \epsilon}`
    and :math:`\hat g = g \odot \gamma`: :math:`\partial L/\partial x = (\hat g - \operatorname{mean}(\hat g)
    - \hat x\,\operatorname{mean}(\hat g \odot \hat x))/\sigma`, :math:`\partial L/\partial\gamma = \sum_n g \odot \hat x`,
    :math:`\partial L/\partial\beta = \sum_n g`.
    """
    e = _exact(eps)
    D = features
    n, d, j = _ix("n", "d", "j")
    H = sympy.Symbol("H", integer=True, positive=True)
    epsilon = sympy.Symbol(r"\epsilon")
    x, mu, v, gamma, beta, y = (sympy.IndexedBase(k) for k in ("x", "mu", "v", "gamma", "beta", "y"))
    equations = Equations([
        sympy.Eq(mu[n], sympy.Sum(x[n, j], (j, 1, H)) / H),
        sympy.Eq(v[n], sympy.Sum((x[n, j] - mu[n]) ** 2, (j, 1, H)) / H),
        sympy.Eq(y[n, d], gamma[d] * (x[n, d] - mu[n]) / sympy.sqrt(v[n] + epsilon) + beta[d]),
    ], (n, d), {H: D, epsilon: e}, {x: "input", gamma: "weight", beta: "bias"})

    def normalised(input):
        rows = []
        for i in range(batch):
            r = list(input.row(i))
            mu = sum(r) / D
            var = sum((v - mu) ** 2 for v in r) / D
            sigma = sympy.sqrt(var + e)
            rows.append(([(v - mu) / sigma for v in r], sigma))
        return rows

    def forward(input, weight, bias):
        return sympy.Matrix([[xh[d] * weight[d] + bias[d] for d in range(D)] for xh, _ in normalised(input)])

    def general_input(input, weight, bias, G):
        rows = []
        for i, (xh, sigma) in enumerate(normalised(input)):
            gh = [G[i, d] * weight[d] for d in range(D)]
            m1 = sum(gh) / D
            m2 = sum(a * b for a, b in zip(gh, xh)) / D
            rows.append([(gh[d] - m1 - xh[d] * m2) / sigma for d in range(D)])
        return sympy.Matrix(rows)

    def general_weight(input, weight, bias, G):
        rows = normalised(input)
        return sympy.Matrix([sum(G[i, d] * rows[i][0][d] for i in range(batch)) for d in range(D)])

    return MatrixRule(
        forward, {"input": (batch, D), "weight": (D,), "bias": (D,)}, name="layer_norm", equations=equations,
        letters={"input": "X", "weight": "gamma", "bias": "beta"},
        general={"input": general_input, "weight": general_weight,
                 "bias": lambda input, weight, bias, G: G.T * _ones(batch)},
        general_latex={
            "input": r"\frac{1}{\sigma}\left(\hat G - \operatorname{mean}(\hat G)\,\mathbf{1}^{T}"
                     r" - \hat X \odot \operatorname{mean}(\hat G \odot \hat X)\,\mathbf{1}^{T}\right),"
                     r" \\ &\qquad \hat G = G \operatorname{diag}(\gamma),\ \hat X = \frac{X - \mu \mathbf{1}^{T}}{\sigma},"
                     r"\ \sigma = \sqrt{v + \epsilon}\ \text{(means row by row)}",
            "weight": r"\sum_n G_{n} \odot \hat X_{n}",
            "bias": r"G^{T} \mathbf{1}"},
    )
