r"""Each Function's formulas come from one symbolic source, its op module's ``formulas()``; none is typed.

Where the formulas live.  Every ``<op>.py`` defines, next to its Function, a function
``formulas()`` that returns the operation's forward as :mod:`customgrad.symbolic` rules, by name:
an :class:`~customgrad.symbolic.Elementwise` (a sympy expression in :data:`~customgrad.symbolic.x`;
a piecewise op is a ``Piecewise`` with the very conditions the code uses, so the convention at a
kink is part of the expression; settings such as ``alpha`` are symbols) or, for Linear, MSE,
cross-entropy and LayerNorm, a :class:`~customgrad.symbolic.MatrixRule`.  It is a function, not a
constant, because ``import customgrad`` must not import sympy (half a second): sympy is imported
when ``formulas()`` is called.  Where the code computes the derivative in a rewritten form (SiLU
through :math:`\sigma`, ELU from its output), the module's ``implemented()`` states that form in
sympy too, and ``tests/test_symbolic.py`` proves it equal to the derived one with
:func:`~customgrad.symbolic.same`.

The Function is decorated ``@documented(formulas, checks=...)``: ``checks`` are the settings (the
Function's extra arguments, or :meth:`~customgrad.symbolic.MatrixRule.check`'s keyword arguments)
at which the code is compared with the derivatives sympy takes.  ``tests/test_symbolic.py`` runs
every one of them (``make test``).

How the docstrings get them.  A Function's docstring says ``{forward_math}`` and ``{backward_math}``.
At import, :func:`documented` puts a one-line note there (what ``help()`` shows), saying where
the formula is.  The site's ``autodoc-process-docstring`` hook (``docs/_ext/site_autodoc.py``)
calls :func:`formula_math`, which first runs every check of the Function and then replaces the
notes with LaTeX printed by sympy: the forward :math:`f(x)`, the derivative :math:`f'(x)` in the
chain rule :math:`\partial L/\partial x = \partial L/\partial y \cdot f'(x)` (and the derivative
in a setting passed as a tensor); for a matrix op its rule's general gradient formulas.  A check
that fails stops ``make html`` with an error naming the operation, the quantity and the point.
Nothing generated is committed.  What stays typed is what no code computes: the chain rule itself
and the notation (:math:`G = \partial L/\partial Y`).  The forward of the four matrix operations is
printed from their rules' indexed equations (:class:`~customgrad.symbolic.Equations`), which the
checks first prove equal to the small symbolic matrices the gradients are derived from.
The functional and Module twins do not repeat the formulas: they link to their Function.
"""

from __future__ import annotations

import re
import sys
import textwrap

NOTE = "({kind}: printed by sympy from ``formulas()`` in ``{module}`` in the API reference.)"
_NOTE = re.compile(r"^(\s*)\((forward|backward): printed by sympy from ``formulas\(\)`` in ``([\w.]+)`` in the API "
                   r"reference\.\)\s*$")


def _indent_like(block: str, doc: str, token: str) -> str:
    """Re-indent ``block`` to the indentation of the line holding ``token`` in ``doc``."""
    for line in doc.splitlines():
        if token in line:
            pad = line[: len(line) - len(line.lstrip())]
            body = textwrap.dedent(block).strip("\n")
            return textwrap.indent(body, pad)[len(pad):]
    return block


def documented(formulas, checks=()):
    """Class decorator for a Function: its formulas come from ``formulas()``; checked at ``checks``.

    Puts a note where the docstring says ``{forward_math}`` and ``{backward_math}``.
    """
    def decorate(function_cls):
        function_cls._formulas = staticmethod(formulas)
        function_cls._formula_checks = tuple(checks)
        doc = function_cls.__doc__
        module = function_cls.__module__
        for token, kind in (("{forward_math}", "forward"), ("{backward_math}", "backward")):
            if doc and token in doc:
                doc = doc.replace(token, _indent_like(NOTE.format(kind=kind, module=module), doc, token))
        function_cls.__doc__ = doc
        return function_cls

    return decorate


def run_checks(function_cls) -> dict:
    """Every check of ``function_cls`` against its sympy rules; raises ``SymbolicMismatch`` on the first failure.

    Returns the rules by name.  The mismatch's message is prefixed with the Function's name and
    the arguments of the failing check.
    """
    from .. import symbolic as S

    rules = function_cls._formulas()
    for name, setting in function_cls._formula_checks:
        rule = rules[name]
        try:
            if isinstance(rule, S.Elementwise):
                rule.check(function_cls.apply, setting)
            else:
                rule.verify_forward()
                rule.check(function_cls.apply, **setting)
        except S.SymbolicMismatch as err:
            shown = setting if isinstance(rule, S.Elementwise) else sorted(setting)
            raise S.SymbolicMismatch(f"{function_cls.__name__} ({name}, {shown}): {err}", err.mismatches) from None
    return rules


_DL_DY = r"\frac{\partial L}{\partial y}"


def _elementwise_math(rules, checks) -> tuple[str, str]:
    from .. import symbolic as S

    label = (lambda rule: r"\text{%s}:\quad " % rule.name.replace("_", r"\_")) if len(rules) > 1 else (lambda rule: "")
    forward = [f"{label(r)}y = f(x) = {S.latex(r.forward)}" for r in rules.values()]
    backward = []
    for name, rule in rules.items():
        backward.append(rf"{label(rule)}\frac{{\partial L}}{{\partial x}} = {_DL_DY}\, f'(x), \qquad "
                        rf"f'(x) = {S.latex(rule.first)}")
        tensors = set()
        for check_name, setting in checks:
            if check_name == name:
                tensors |= set(rule._bind(setting, None)[1].values())
        for p in sorted(tensors, key=lambda s: s.name):
            d = S.latex(p)
            backward.append(rf"\frac{{\partial L}}{{\partial {d}}} = \sum {_DL_DY}\, \frac{{\partial f}}{{\partial {d}}}"
                            rf"\ \text{{(over the entries that share }} {d}\text{{)}}, \qquad "
                            rf"\frac{{\partial f}}{{\partial {d}}} = {S.latex(S.sympy.diff(rule.forward, p))}")
    return _blocks(forward), _blocks(backward)


def _blocks(lines) -> str:
    """One ``.. math::`` block per line: KaTeX renders a block as one display line, side by side."""
    from .. import symbolic as S

    return "\n".join(S.math_block(line) for line in lines)


def _matrix_math(rules) -> str:
    from .. import symbolic as S

    whole = {k: r for k, r in rules.items() if set(r.general) == set(r.inputs)}  # a general formula for each input
    lines = [(r"\text{%s}:\quad " % k.replace("_", r"\_") if len(whole) > 1 else "") + r.latex() for k, r in whole.items()]
    first = next(iter(whole.values()))
    names = r",\ ".join(rf"{S.latex(S.sympy.Symbol(first.letters[k]))} = \text{{{k}}}" for k in first.inputs)
    incoming = (r"G = \frac{\partial L}{\partial Y}" if isinstance(first.G, S.sympy.MatrixBase)
                else r"g = \frac{\partial L}{\partial \ell}\ \text{(}\ell\text{ the loss)}")
    return _blocks([*lines, rf"{names},\qquad {incoming}"])


def _matrix_forward(rules) -> str:
    """Each rule's indexed forward, a line per equation; an equation printed for an earlier rule is not repeated."""
    from .. import symbolic as S

    parts, seen = [], set()
    for k, r in rules.items():
        new = [eq for eq in r.equations.lines if (str(eq.lhs), str(eq.rhs)) not in seen]
        seen |= {(str(eq.lhs), str(eq.rhs)) for eq in r.equations.lines}
        shown = type(r.equations)(new, r.equations.out_indices, r.equations.values, r.equations.bases)
        if len(rules) > 1:  # the rule's name on a line of its own: beside the math it runs off the page
            parts.append(f"``{k}``:\n")
        parts.append(S.math_block(shown.latex()))
    return "\n".join(parts)


def formula_math(function_cls, check: bool = True) -> dict:
    """The RST that replaces the notes of ``function_cls``'s docstring, by kind (``'forward'``, ``'backward'``).

    With ``check`` (the default) every check runs first (:func:`run_checks`), so a formula is never
    printed for code that disagrees with it.  For a matrix op, ``'forward'`` is its rules' indexed
    equations and ``'backward'`` their general gradient formulas, with :math:`G = \\partial L/\\partial Y`
    (or :math:`g` for a scalar loss).
    """
    from .. import symbolic as S

    rules = run_checks(function_cls) if check else function_cls._formulas()
    if all(isinstance(r, S.Elementwise) for r in rules.values()):
        forward, backward = _elementwise_math(rules, function_cls._formula_checks)
        return {"forward": forward, "backward": backward}
    return {"forward": _matrix_forward(rules), "backward": _matrix_math(rules)}


def fill_notes(lines: list, function_cls, check: bool = True) -> bool:
    """Replace the note lines in ``lines`` (a docstring, one line an item) with :func:`formula_math`, in place.

    Returns whether there was a note.  For the site's ``autodoc-process-docstring`` hook.
    """
    found = [(i, m) for i, line in enumerate(lines) if (m := _NOTE.match(line))]
    if not found:
        return False
    math = formula_math(function_cls, check=check)
    for i, m in reversed(found):
        pad, kind = m.group(1), m.group(2)
        block = textwrap.indent(math[kind], pad).rstrip("\n").split("\n")
        lines[i:i + 1] = block
    return True


def function_classes():
    """Every Function with formulas, from :mod:`customgrad.functions`, in its ``__all__`` order."""
    functions = sys.modules.get("customgrad.functions") or __import__("customgrad.functions").functions
    return [getattr(functions, n) for n in functions.__all__ if hasattr(getattr(functions, n), "_formulas")]
