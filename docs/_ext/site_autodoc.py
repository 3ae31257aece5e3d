"""One job: autodoc shows this library's classes as a reader calls them.

The API pages themselves come from Sphinx's autosummary (``docs/api-modules.rst`` and
``_templates/autosummary/module-all.rst``); this only adjusts what autodoc writes for them:

- a ``torch.autograd.Function`` is never constructed (``apply`` is the call): no constructor
  signature after its name;
- a Function's formulas: the notes its docstring holds at import (``customgrad/ops/_docs.py``)
  become LaTeX printed by sympy from its op module's ``formulas()``, after every symbolic check
  of the Function has passed.  A check that fails is a build error naming the Function, the
  quantity and the point (``make html`` stops; it cannot print a formula the code disagrees with).
"""

from __future__ import annotations

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError


def function_signature(app, what, name, obj, options, signature, return_annotation):
    import torch

    if what == "class" and isinstance(obj, type) and issubclass(obj, torch.autograd.Function):
        return "", None
    return None


def function_formulas(app, what, name, obj, options, lines):
    """Replace the formula notes of a Function's docstring with sympy's LaTeX, once its checks pass."""
    if what != "class" or not hasattr(obj, "_formulas"):
        return
    from customgrad import symbolic as S
    from customgrad.ops import _docs

    try:
        _docs.fill_notes(lines, obj)
    except S.SymbolicMismatch as err:
        raise ExtensionError(f"{name}: the code disagrees with its sympy formula, so it is not printed:\n{err}") from None


def setup(app: Sphinx):
    app.connect("autodoc-process-signature", function_signature)
    # before napoleon (500), on the docstring as written
    app.connect("autodoc-process-docstring", function_formulas, priority=400)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
