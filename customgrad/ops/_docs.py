"""Each Function's formulas, written once on the Function and filled into its docstring.

Every ``XFunction`` defines two class attributes, ``FORWARD_MATH`` and ``BACKWARD_MATH``
(reStructuredText, usually a ``.. math::`` block); the :func:`documented` class decorator puts
them where its docstring says ``{forward_math}`` and ``{backward_math}``.  The functional and
Module twins do not repeat the formulas: they link to their Function.
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


def documented(function_cls):
    """Class decorator for a Function: fill its docstring's ``{forward_math}`` and ``{backward_math}``."""
    doc = function_cls.__doc__
    for token, attr in (("{forward_math}", "FORWARD_MATH"), ("{backward_math}", "BACKWARD_MATH")):
        if doc and token in doc:
            doc = doc.replace(token, _indent_like(getattr(function_cls, attr), doc, token))
    function_cls.__doc__ = doc
    return function_cls
