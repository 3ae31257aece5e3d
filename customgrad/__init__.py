"""customgrad: verified custom ``torch.autograd.Function`` implementations.

- :mod:`customgrad.functions`: the Function classes (``ReLUFunction``, ...).
- :mod:`customgrad.functional`: drop-in twins of :mod:`torch.nn.functional`.
- :mod:`customgrad.nn`: drop-in twins of :mod:`torch.nn` Modules.
- :mod:`customgrad.twins`: each Function paired with its PyTorch twin and sample inputs.
- :func:`customgrad.checkpoint`: gradient checkpointing written as a custom Function.
"""

from . import functional, functions, nn, twins
from .checkpoint import checkpoint

__version__ = "0.1.0"

__all__ = ["checkpoint", "functional", "functions", "nn", "twins"]
