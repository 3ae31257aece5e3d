"""Drop-in twins of :mod:`torch.nn.functional`: same names, argument names, order and defaults.

Each twin checks its arguments the way torch does, then calls one Function from
:mod:`customgrad.functions`, which does the work.  The math lives on that Function.
"""

from __future__ import annotations

import torch

from . import functions as _fn
from ._checks import check_inplace_allowed, check_tensor
from ._docs import formulas_from

@formulas_from(_fn.ReLUFunction)
def relu(input: torch.Tensor, inplace: bool = False) -> torch.Tensor:
    r"""Twin of :func:`torch.nn.functional.relu`, backed by :class:`~customgrad.functions.ReLUFunction`.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Args:
        input (Tensor): any shape; integer tensors work as with torch.
        inplace (bool): overwrite ``input`` and return the same tensor object.  Default ``False``.

    Shape:
        Input :math:`(*)`, output :math:`(*)`.

    Example:
        >>> import customgrad.functional as CF
        >>> CF.relu(torch.tensor([-1.0, 0.0, 2.0]))
        tensor([0., 0., 2.])
        >>> x = torch.arange(-2, 3)
        >>> CF.relu(x, inplace=True) is x
        True
    """
    check_tensor("input", input, "relu")
    if inplace:
        check_inplace_allowed(input, "relu")
    return _fn.ReLUFunction.apply(input, inplace)


# --- piecewise activations: ReLU family, ELU, GELU, Hardswish, Softplus ---

# --- end of section ---

# --- smooth activations and elementary functions: Sigmoid, Tanh, SiLU, Mish, Exp, Square, Cube, LearnedSiLU ---

# --- end of section ---

# --- layers, losses, normalisation ---

# --- end of section ---

__all__ = sorted(n for n, v in list(globals().items()) if not n.startswith("_") and getattr(v, "__module__", None) == __name__)
