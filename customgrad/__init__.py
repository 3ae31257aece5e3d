"""customgrad: verified custom ``torch.autograd.Function`` implementations.

- :mod:`customgrad.functions`: the Function classes (``ReLUFunction``, ...).
- :mod:`customgrad.functional`: drop-in twins of :mod:`torch.nn.functional`.
- :mod:`customgrad.nn`: drop-in twins of :mod:`torch.nn` Modules.
- :mod:`customgrad.twins`: each Function paired with its PyTorch twin and sample inputs.
- :func:`customgrad.checkpoint`: gradient checkpointing written as a custom Function.
- :func:`customgrad.verify`: check any custom Function end to end (:mod:`customgrad.verify`; results in :mod:`customgrad.report`).
- :mod:`customgrad.bench`: time any custom Function against its built-in twin.
- :mod:`customgrad.symbolic`: derive a Function's derivatives with sympy and check its backward against them.
- :mod:`customgrad.autograd_graph`: walk and draw the backward graph autograd records.
- :mod:`customgrad.ctx_timeline`: record and draw when each part of a custom Function runs.
- :mod:`customgrad.plotting`: the tutorials' and gallery's figure helpers.
- :mod:`customgrad.exercises`: the tutorials' exercises, with a checker that says what is wrong and where.
"""

from . import autograd_graph, ctx_timeline, functional, functions, nn, plotting, twins
from .checkpoint import checkpoint
from .report import VerifyMatrix, VerifyReport
from .verify import verify

__version__ = "0.1.0"

__all__ = [
    "checkpoint", "functional", "functions", "nn", "twins", "verify", "VerifyReport", "VerifyMatrix", "bench",
    "symbolic", "autograd_graph", "ctx_timeline", "plotting", "exercises",
]


def __getattr__(name):
    # Imported on first use: `python -m customgrad.bench` must not find bench already imported, and
    # symbolic imports sympy (about 0.5 s after torch), which `import customgrad` should not pay;
    # exercises is needed by the tutorials' exercises only.
    if name in ("bench", "symbolic", "exercises"):
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
