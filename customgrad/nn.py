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

@formulas_from(_fn.SigmoidFunction)
class Sigmoid(_nn.Module):
    r"""Twin of :class:`torch.nn.Sigmoid`, backed by :func:`customgrad.functional.sigmoid`.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Shape:
        Input :math:`(*)`, output :math:`(*)`.

    Example:
        >>> m = Sigmoid()
        >>> m
        Sigmoid()
        >>> m(torch.tensor([0.0]))
        tensor([0.5000])
    """

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.sigmoid(input)


@formulas_from(_fn.TanhFunction)
class Tanh(_nn.Module):
    r"""Twin of :class:`torch.nn.Tanh`, backed by :func:`customgrad.functional.tanh`.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Shape:
        Input :math:`(*)`, output :math:`(*)`.

    Example:
        >>> m = Tanh()
        >>> m
        Tanh()
        >>> m(torch.tensor([0.0]))
        tensor([0.])
    """

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.tanh(input)


@formulas_from(_fn.SwishFunction)
class SiLU(_nn.Module):
    r"""Twin of :class:`torch.nn.SiLU` (Swish), backed by :func:`customgrad.functional.silu`.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Args:
        inplace (bool): overwrite the input and return the same tensor object.  Default ``False``.

    Shape:
        Input :math:`(*)`, output :math:`(*)`.

    Example:
        >>> m = SiLU(inplace=True)
        >>> m
        SiLU(inplace=True)
        >>> x = torch.tensor([0.0, 1.0])
        >>> m(x) is x, x
        (True, tensor([0.0000, 0.7311]))
    """

    __constants__ = ["inplace"]

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.silu(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


@formulas_from(_fn.MishFunction)
class Mish(_nn.Module):
    r"""Twin of :class:`torch.nn.Mish`, backed by :func:`customgrad.functional.mish`.

    Forward:

    {forward_math}

    Backward, with :math:`\sigma = \sigma(x)` and :math:`r = 1 - \sigma`:

    {backward_math}

    Args:
        inplace (bool): overwrite the input and return the same tensor object.  Default ``False``.

    Shape:
        Input :math:`(*)`, output :math:`(*)`.

    Example:
        >>> m = Mish()
        >>> m
        Mish()
        >>> m(torch.tensor([0.0, 1.0]))
        tensor([0.0000, 0.8651])
    """

    __constants__ = ["inplace"]

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.mish(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


@formulas_from(_fn.LearnedSiLUFunction)
class LearnedSiLU(_nn.Module):
    r"""SiLU with a learnable ``slope`` :math:`a`, in the manner of :class:`torch.nn.PReLU`.

    Backed by :func:`customgrad.functional.learned_silu`; torch has no such Module.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Args:
        num_parameters (int): ``1`` (one slope for all inputs) or the number of channels,
            dimension 1 of the input, as in :class:`torch.nn.PReLU`.  Default ``1``.
        init (float): the initial slope.  Default ``1.0``, where the Module starts as plain SiLU.

    Attributes:
        slope (Parameter): shape ``(num_parameters,)``, filled with ``init``.

    Shape:
        Input :math:`(*)`, at least 2 dimensions when ``num_parameters > 1``; output: same shape.

    Example:
        >>> m = LearnedSiLU(num_parameters=3, init=0.5)
        >>> m
        LearnedSiLU(num_parameters=3, init=0.5)
        >>> m(torch.ones(2, 3, 4)).sum().backward()
        >>> m.slope.grad.shape
        torch.Size([3])
    """

    __constants__ = ["num_parameters"]
    num_parameters: int

    def __init__(self, num_parameters: int = 1, init: float = 1.0, device=None, dtype=None) -> None:
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.slope = _nn.Parameter(torch.empty(num_parameters, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Fill the slope with ``init`` again."""
        _nn.init.constant_(self.slope, self.init)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        # One slope: a 0-dim view, so the output keeps the input's shape (0-dim included).
        # Per channel: shape (C, 1, ..., 1) against dimension 1, as prelu does.
        if self.num_parameters == 1:
            return F.learned_silu(input, self.slope.view(()))
        if input.dim() < 2 or input.shape[1] != self.num_parameters:
            raise RuntimeError(
                f"LearnedSiLU(num_parameters={self.num_parameters}) needs an input with "
                f"{self.num_parameters} channels in dimension 1, got shape {tuple(input.shape)}"
            )
        return F.learned_silu(input, self.slope.view(-1, *([1] * (input.dim() - 2))))

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}, init={self.init}"

# --- end of section ---

# --- layers, losses, normalisation ---

# --- end of section ---

__all__ = sorted(n for n, v in list(globals().items()) if not n.startswith("_") and getattr(v, "__module__", None) == __name__)
