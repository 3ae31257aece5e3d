"""customgrad: verified custom ``torch.autograd.Function`` implementations.

- :mod:`customgrad.functions`: the Function classes (``ReLUFunction``, ...).
- :mod:`customgrad.functional`: drop-in twins of :mod:`torch.nn.functional`.
- :mod:`customgrad.nn`: drop-in twins of :mod:`torch.nn` Modules.
- :mod:`customgrad.twins`: each Function paired with its PyTorch twin and sample inputs.
- :func:`customgrad.checkpoint`: gradient checkpointing written as a custom Function.
- :func:`customgrad.verify`: check any custom Function end to end (:mod:`customgrad.verify`; results in :mod:`customgrad.report`).
- :mod:`customgrad.bench`: time any custom Function against its built-in twin.
"""

from . import functional, functions, nn, twins
from .checkpoint import checkpoint
from .report import VerifyMatrix, VerifyReport
from .verify import verify

__version__ = "0.1.0"

__all__ = ["checkpoint", "functional", "functions", "nn", "twins", "verify", "VerifyReport", "VerifyMatrix", "bench"]


def __getattr__(name):
    # Imported on first use, so that `python -m customgrad.bench` does not find it already imported.
    if name == "bench":
        import importlib

        return importlib.import_module(".bench", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
