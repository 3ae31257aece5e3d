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


@formulas_from(_fn.LeakyReLUFunction)
class LeakyReLU(_nn.Module):
    r"""Twin of :class:`torch.nn.LeakyReLU`, backed by :func:`customgrad.functional.leaky_relu`.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Args:
        negative_slope (float): slope for :math:`x \le 0`.  Default ``0.01``.
        inplace (bool): overwrite the input and return the same tensor object.  Default ``False``.

    Shape:
        Input :math:`(*)`, output :math:`(*)`.

    Example:
        >>> m = LeakyReLU(0.1)
        >>> m
        LeakyReLU(negative_slope=0.1)
        >>> m(torch.tensor([-2.0, 3.0]))
        tensor([-0.2000,  3.0000])
    """

    __constants__ = ["inplace", "negative_slope"]

    def __init__(self, negative_slope: float = 1e-2, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        inplace_str = ", inplace=True" if self.inplace else ""
        return f"negative_slope={self.negative_slope}{inplace_str}"


@formulas_from(_fn.PReLUFunction)
class PReLU(_nn.Module):
    r"""Twin of :class:`torch.nn.PReLU`, backed by :func:`customgrad.functional.prelu`.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Args:
        num_parameters (int): 1 (one slope shared by all channels) or the number of channels.  Default ``1``.
        init (float): the initial slope.  Default ``0.25``.

    Attributes:
        weight (Parameter): the learnable slopes, shape ``(num_parameters,)``; the state_dict
            key and shape are torch's, so weights load both ways.

    Shape:
        Input :math:`(N, C, *)` or :math:`(*)`, output the same shape.

    Example:
        >>> m = PReLU(num_parameters=2, init=0.1)
        >>> m
        PReLU(num_parameters=2)
        >>> y = m(torch.tensor([[-1.0, -2.0]]))
        >>> y.sum().backward()
        >>> m.weight.grad
        tensor([-1., -2.])
    """

    __constants__ = ["num_parameters"]

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None, dtype=None) -> None:
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.weight = _nn.Parameter(torch.empty(num_parameters, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        torch.nn.init.constant_(self.weight, self.init)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


@formulas_from(_fn.ELUFunction)
class ELU(_nn.Module):
    r"""Twin of :class:`torch.nn.ELU`, backed by :func:`customgrad.functional.elu`.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Args:
        alpha (float): :math:`\alpha`.  Default ``1.0``.
        inplace (bool): overwrite the input and return the same tensor object.  Default ``False``.

    Shape:
        Input :math:`(*)`, output :math:`(*)`.

    Example:
        >>> m = ELU(alpha=0.5, inplace=True)
        >>> m
        ELU(alpha=0.5, inplace=True)
        >>> x = torch.tensor([-100.0, 1.0])
        >>> m(x) is x, x
        (True, tensor([-0.5000,  1.0000]))
    """

    __constants__ = ["alpha", "inplace"]

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        inplace_str = ", inplace=True" if self.inplace else ""
        return f"alpha={self.alpha}{inplace_str}"


@formulas_from(_fn.GELUFunction)
class GELU(_nn.Module):
    r"""Twin of :class:`torch.nn.GELU`, backed by :func:`customgrad.functional.gelu`.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Args:
        approximate (str): ``'none'`` or ``'tanh'``.  Default ``'none'``.

    Shape:
        Input :math:`(*)`, output :math:`(*)`.

    Example:
        >>> m = GELU(approximate="tanh")
        >>> m
        GELU(approximate='tanh')
        >>> m(torch.tensor([1.0]))
        tensor([0.8412])
    """

    __constants__ = ["approximate"]

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


@formulas_from(_fn.HardSwishFunction)
class Hardswish(_nn.Module):
    r"""Twin of :class:`torch.nn.Hardswish`, backed by :func:`customgrad.functional.hardswish`.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Args:
        inplace (bool): overwrite the input and return the same tensor object.  Default ``False``.

    Shape:
        Input :math:`(*)`, output :math:`(*)`.

    Example:
        >>> m = Hardswish()
        >>> m
        Hardswish()
        >>> m(torch.tensor([-3.0, 1.0, 3.0]))
        tensor([-0.0000,  0.6667,  3.0000])
    """

    __constants__ = ["inplace"]

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.hardswish(input, self.inplace)


@formulas_from(_fn.SoftplusFunction)
class Softplus(_nn.Module):
    r"""Twin of :class:`torch.nn.Softplus`, backed by :func:`customgrad.functional.softplus`.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Args:
        beta (float): :math:`\beta`.  Default ``1.0``.
        threshold (float): where :math:`\beta x` exceeds it, the output is :math:`x`.  Default ``20.0``.

    Shape:
        Input :math:`(*)`, output :math:`(*)`.

    Example:
        >>> m = Softplus(beta=2.0)
        >>> m
        Softplus(beta=2.0, threshold=20.0)
        >>> m(torch.tensor([0.0]))
        tensor([0.3466])
    """

    __constants__ = ["beta", "threshold"]

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


# --- end of section ---

# --- smooth activations and elementary functions: Sigmoid, Tanh, SiLU, Mish, Exp, Square, Cube, LearnedSiLU ---

# --- end of section ---

# --- layers, losses, normalisation ---

# --- end of section ---

__all__ = sorted(n for n, v in list(globals().items()) if not n.startswith("_") and getattr(v, "__module__", None) == __name__)
