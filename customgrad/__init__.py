"""customgrad: verified custom ``torch.autograd.Function`` implementations.

- :mod:`customgrad.functions`: the Function classes (``ReLUFunction``, ...).
- :mod:`customgrad.functional`: drop-in twins of :mod:`torch.nn.functional`.
- :mod:`customgrad.nn`: drop-in twins of :mod:`torch.nn` Modules.
- :mod:`customgrad.twins`: each Function paired with its PyTorch twin and sample inputs.
"""

from . import functional, functions, nn, twins

__version__ = "0.1.0"

__all__ = ["functional", "functions", "nn", "twins"]
