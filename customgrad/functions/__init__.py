"""The ``torch.autograd.Function`` classes behind :mod:`customgrad.functional`, one per operation.

Each is used as ``XFunction.apply(*args)`` with positional arguments; non-tensor arguments
receive ``None`` as their gradient.
"""

from .relu import ReLUFunction

# --- activations -------------------------------------------------------------

# --- layers, losses and normalisation ----------------------------------------

__all__ = [name for name in dir() if name.endswith("Function")]
