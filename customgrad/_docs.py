"""Write each formula once: a Function class owns its math, and its twins borrow it.

Every ``XFunction`` defines two class attributes, ``FORWARD_MATH`` and ``BACKWARD_MATH``
(reStructuredText, usually a ``.. math::`` block).  Docstrings that mention ``{forward_math}``
or ``{backward_math}`` get them filled in by :func:`formulas_from`, so the Function, its
functional twin and its Module all show the same formula from one source.
"""

from __future__ import annotations

import textwrap


def _indent_like(block: str, doc: str, token: str) -> str:
    """Re-indent ``block`` to the indentation of the line holding ``token`` in ``doc``."""
    for line in doc.splitlines():
        if token in line:
            pad = line[: len(line) - len(line.lstrip())]
            body = textwrap.dedent(block).strip("\n")
            return textwrap.indent(body, pad)[len(pad):]
    return block


def fill_formulas(doc: str | None, function_cls) -> str | None:
    """Return ``doc`` with ``{forward_math}`` and ``{backward_math}`` replaced from ``function_cls``."""
    if not doc:
        return doc
    for token, attr in (("{forward_math}", "FORWARD_MATH"), ("{backward_math}", "BACKWARD_MATH")):
        if token in doc:
            doc = doc.replace(token, _indent_like(getattr(function_cls, attr), doc, token))
    return doc


def formulas_from(function_cls):
    """Decorator: fill a function's or class's docstring with ``function_cls``'s formulas."""

    def decorate(obj):
        obj.__doc__ = fill_formulas(obj.__doc__, function_cls)
        return obj

    return decorate


def documented(function_cls):
    """Class decorator for a Function: fill its own docstring from its own formulas."""
    function_cls.__doc__ = fill_formulas(function_cls.__doc__, function_cls)
    return function_cls
