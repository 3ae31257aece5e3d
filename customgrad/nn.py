"""Module twins of :mod:`torch.nn`: same constructor arguments, ``extra_repr`` and state_dict keys.

A Module only stores its settings (and parameters) and forwards them to
:mod:`customgrad.functional`, as :mod:`torch.nn.modules.activation` does.
"""

from __future__ import annotations

import torch
from torch import nn as _nn

from . import functional as F
from . import functions as _fn
from ._docs import formulas_from

@formulas_from(_fn.ReLUFunction)
class ReLU(_nn.Module):
    r"""Twin of :class:`torch.nn.ReLU`, backed by :func:`customgrad.functional.relu`.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Args:
        inplace (bool): overwrite the input and return the same tensor object.  Default ``False``.

    Shape:
        Input :math:`(*)`, output :math:`(*)`.

    Example:
        >>> m = ReLU(inplace=True)
        >>> m
        ReLU(inplace=True)
        >>> x = torch.tensor([1.0, -2.0, 3.0])
        >>> y = m(x)
        >>> y is x, y.data_ptr() == x.data_ptr(), y
        (True, True, tensor([1., 0., 3.]))
    """

    __constants__ = ["inplace"]

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.relu(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


# --- piecewise activations: ReLU family, ELU, GELU, Hardswish, Softplus ---

# --- end of section ---

# --- smooth activations and elementary functions: Sigmoid, Tanh, SiLU, Mish, Exp, Square, Cube, LearnedSiLU ---

# --- end of section ---

# --- layers, losses, normalisation ---

# --- end of section ---

__all__ = sorted(n for n, v in list(globals().items()) if not n.startswith("_") and getattr(v, "__module__", None) == __name__)
