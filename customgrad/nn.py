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
import math as _math

from .functions._reduction import legacy_reduction as _legacy_reduction


@formulas_from(_fn.LinearFunction)
class Linear(_nn.Module):
    r"""Twin of :class:`torch.nn.Linear`, backed by :func:`customgrad.functional.linear`.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Parameters are created and initialised exactly as torch's: ``weight`` :math:`(\text{out}, \text{in})`
    and ``bias`` :math:`(\text{out})` uniform in :math:`\pm 1/\sqrt{\text{in}}`, so the same seed
    gives the same numbers and the state_dicts load into each other.

    Args:
        in_features (int): size of each input sample.
        out_features (int): size of each output sample.
        bias (bool): learn an additive bias.  Default ``True``.
        device, dtype: factory keyword arguments for the parameters, as in torch.

    Shape:
        Input :math:`(*, \text{in})`, output :math:`(*, \text{out})`.

    Example:
        >>> m = Linear(3, 2)
        >>> m
        Linear(in_features=3, out_features=2, bias=True)
        >>> m(torch.randn(4, 5, 3)).shape
        torch.Size([4, 5, 2])
        >>> list(m.state_dict()) == list(torch.nn.Linear(3, 2).state_dict())
        True
    """

    __constants__ = ["in_features", "out_features"]

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = _nn.Parameter(torch.empty((out_features, in_features), **factory_kwargs))
        if bias:
            self.bias = _nn.Parameter(torch.empty(out_features, **factory_kwargs))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """torch's initialisation: Kaiming-uniform with ``a = sqrt(5)``, bias uniform in ``±1/sqrt(fan_in)``."""
        _nn.init.kaiming_uniform_(self.weight, a=_math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = _nn.init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / _math.sqrt(fan_in) if fan_in > 0 else 0
            _nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class _Loss(_nn.Module):
    """Holds ``reduction``, turning torch's deprecated ``size_average`` / ``reduce`` into it as torch does."""

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__()
        if size_average is not None or reduce is not None:
            self.reduction = _legacy_reduction(size_average, reduce)
        else:
            self.reduction = reduction


@formulas_from(_fn.MSELossFunction)
class MSELoss(_Loss):
    r"""Twin of :class:`torch.nn.MSELoss`, backed by :func:`customgrad.functional.mse_loss`.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Args:
        size_average, reduce: deprecated, as in torch; use ``reduction``.
        reduction (str): ``'mean'`` | ``'sum'`` | ``'none'``.  Default ``'mean'``.

    Shape:
        ``input`` any shape, ``target`` the same shape (broadcastable, with a warning);
        output a scalar, or with ``'none'`` the input's shape.

    Example:
        >>> loss = MSELoss(reduction="sum")
        >>> loss(torch.tensor([1.0, 2.0]), torch.tensor([0.0, 0.0]))
        tensor(5.)
    """

    __constants__ = ["reduction"]

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


@formulas_from(_fn.CrossEntropyFunction)
class CrossEntropyLoss(_Loss):
    r"""Twin of :class:`torch.nn.CrossEntropyLoss`, backed by :func:`customgrad.functional.cross_entropy`.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    ``weight`` is a buffer, as in torch: it moves with ``.to()`` and appears in the state_dict.

    Args:
        weight (Tensor, optional): :math:`(C)` class weights.  Default ``None``.
        size_average, reduce: deprecated, as in torch; use ``reduction``.
        ignore_index (int): class index that adds nothing to the loss.  Default ``-100``.
        reduction (str): ``'mean'`` | ``'sum'`` | ``'none'``.  Default ``'mean'``.
        label_smoothing (float): in :math:`[0, 1]`.  Default ``0.0``.

    Shape:
        ``input`` :math:`(C)`, :math:`(N, C)` or :math:`(N, C, d_1, ...)`; ``target`` class indices
        without the class dimension, or probabilities with ``input``'s shape.

    Example:
        >>> loss = CrossEntropyLoss(weight=torch.tensor([1.0, 2.0, 1.0]), label_smoothing=0.1)
        >>> list(loss.state_dict())
        ['weight']
        >>> loss(torch.tensor([[2.0, 0.0, -1.0]]), torch.tensor([1]))
        tensor(2.0809)
    """

    __constants__ = ["ignore_index", "reduction", "label_smoothing"]

    def __init__(
        self,
        weight: torch.Tensor | None = None,
        size_average=None,
        ignore_index: int = -100,
        reduce=None,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(
            input, target, weight=self.weight, ignore_index=self.ignore_index,
            reduction=self.reduction, label_smoothing=self.label_smoothing,
        )


@formulas_from(_fn.LayerNormFunction)
class LayerNorm(_nn.Module):
    r"""Twin of :class:`torch.nn.LayerNorm`, backed by :func:`customgrad.functional.layer_norm`.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Args:
        normalized_shape (int or list or torch.Size): the trailing shape to normalise over.
        eps (float): added to the variance.  Default ``1e-05``.
        elementwise_affine (bool): learn :math:`\gamma` (ones) and, with ``bias``, :math:`\beta` (zeros).
            Default ``True``.
        bias (bool): learn :math:`\beta` when ``elementwise_affine``.  Default ``True``.
        device, dtype: factory keyword arguments for the parameters, as in torch.

    Shape:
        Input :math:`(*, \text{normalized\_shape})`, output the same shape.

    Example:
        >>> m = LayerNorm(3)
        >>> m
        LayerNorm((3,), eps=1e-05, elementwise_affine=True, bias=True)
        >>> m(torch.tensor([[1.0, 2.0, 3.0]]))
        tensor([[-1.2247,  0.0000,  1.2247]], grad_fn=<LayerNormFunctionBackward>)
    """

    __constants__ = ["normalized_shape", "eps", "elementwise_affine"]

    def __init__(
        self,
        normalized_shape,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = _nn.Parameter(torch.empty(self.normalized_shape, **factory_kwargs))
            if bias:
                self.bias = _nn.Parameter(torch.empty(self.normalized_shape, **factory_kwargs))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """torch's initialisation: ``weight`` ones, ``bias`` zeros."""
        if self.elementwise_affine:
            _nn.init.ones_(self.weight)
            if self.bias is not None:
                _nn.init.zeros_(self.bias)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
            f"bias={self.bias is not None}"
        )
# --- end of section ---

__all__ = sorted(n for n, v in list(globals().items()) if not n.startswith("_") and getattr(v, "__module__", None) == __name__)
