"""torch.compile: each Function runs inside a compiled graph without a graph break.

torch 2.13's compiler (Dynamo) refuses to trace an ``autograd.Function`` that defines ``jvp``
("Unsupported custom jvp"), and every Function here defines one, so that forward-mode AD
(``torch.func.jvp``, dual tensors) works.  Dynamo compiles only the forward and the backward,
never a ``jvp``, so inside ``torch.compile`` the ``jvp`` is not needed at all.

So :func:`compiled_variant` gives each Function a twin class, identical but for ``jvp`` (the
one ``torch.autograd.Function`` itself has, which raises), made once when the Function is
defined.  The functional twins call :func:`apply`, which picks the variant while
``torch.compiler.is_compiling()`` (a public API) and the Function itself everywhere else.
A reader's own Function needs the same for ``fullgraph=True``: no ``jvp`` while compiling.
"""

from __future__ import annotations

import torch

from . import _direct

# Keyed by ``id(function)``: Dynamo can look an int up in a dict, not a class (or its name).
_VARIANTS: dict[int, type] = {}


def compiled_variant(function):
    """Class decorator: make ``function``'s jvp-less twin, the class Dynamo traces in its place."""
    _VARIANTS[id(function)] = type(
        function.__name__,  # the same name, so compiled and eager graphs show the same node names
        (function,),
        {"jvp": staticmethod(torch.autograd.Function.jvp), "__module__": function.__module__,
         "__qualname__": function.__qualname__, "__doc__": function.__doc__},
    )
    return function


def apply(function, *args):
    """``function.apply(*args)``, or its jvp-less variant's while ``torch.compile`` traces."""
    if torch.compiler.is_compiling():
        return _VARIANTS[id(function)].apply(*args)
    return _direct.apply(function, *args)  # function.apply(*args), faster (_direct.py)
