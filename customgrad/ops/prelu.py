"""PReLU: a leaky ReLU whose slope is learned, one per channel."""

from __future__ import annotations

import torch
import torch.nn.functional as TF
from torch import nn

from . import _compile
from ._autocast import autocast_inputs, autocast_off
from ._chain import chain
from ._checks import check_float_input, check_tensor
from ._compile import compiled_variant
from ._docs import documented
from ._registry import Twin, randn, register


def channel_view(weight: torch.Tensor, input: torch.Tensor) -> torch.Tensor:
    """``weight`` shaped to broadcast against ``input`` the way ``torch.prelu`` does.

    The slopes run along dimension 1 (the channels); a 0-d or 1-d input has one channel.

    Example:
        >>> channel_view(torch.ones(3), torch.zeros(2, 3, 4)).shape
        torch.Size([1, 3, 1])
    """
    if input.dim() == weight.dim():
        return weight
    shape = [1] * input.dim()
    if input.dim() > 1:
        shape[1] = weight.numel()
    return weight.reshape(shape)


def _slope(input: torch.Tensor, slope: torch.Tensor) -> torch.Tensor:
    """The derivative in the input, 1 where ``x > 0`` and ``slope`` elsewhere, as a new tensor."""
    positive = torch.sign(input).clamp_(min=0)  # 1 where x > 0; 0 elsewhere, nan included
    return torch.addcmul(slope, positive, 1 - slope)  # w + [x > 0] (1 - w)


# ----------------------------------------------------------------------------- formulas (see _docs.py)

def formulas():
    """The forward in sympy, the one source of this Function's formulas (``_docs.py``); imports sympy."""
    import sympy

    from .. import symbolic as S

    x = S.x
    a = S.symbols("a")
    # one slope a; at 0 the slope, as leaky_relu
    return {"prelu": S.Elementwise(sympy.Piecewise((x, x > 0), (a * x, True)), (a,), name="prelu")}


# The settings every symbolic check runs with (tests/test_symbolic.py, the API reference): the
# formula and the Function's extra arguments after the input, or MatrixRule.check's arguments.
FORMULA_CHECKS = (("prelu", (torch.tensor([0.25]),)),)


@compiled_variant
@documented(formulas, checks=FORMULA_CHECKS)
class PReLUFunction(torch.autograd.Function):
    r"""Parametric ReLU with a hand-written backward for the input and the slopes.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Saved for backward: the input and the weight, as torch's built-in: the weight gradient
    needs :math:`x` itself, and a slope may be 0 or negative, so the output cannot stand in.

    The slopes broadcast along dimension 1, so the weight gradient sums over every other
    dimension (the batch and any spatial dimensions).  A single slope (``numel() == 1``)
    is shared by every entry; a 0-d or 1-d input counts as one channel.

    Args:
        input (Tensor): floating point, :math:`(N, C, *)` (channels on dimension 1), 1-d or 0-d.
        weight (Tensor): the slopes, 0-d or 1-d with 1 or :math:`C` entries, same dtype as input.

    Shape:
        Input :math:`(*)`, output :math:`(*)`, the same shape; weight gradient weight's shape.

    Example:
        >>> x = torch.tensor([[-1.0, 2.0], [-3.0, -4.0]], requires_grad=True)
        >>> w = torch.tensor([0.1, 0.5], requires_grad=True)
        >>> y = PReLUFunction.apply(x, w)
        >>> y
        tensor([[-0.1000,  2.0000],
                [-0.3000, -2.0000]], grad_fn=<PReLUFunctionBackward>)
        >>> y.sum().backward()
        >>> x.grad
        tensor([[0.1000, 1.0000],
                [0.1000, 0.5000]])
        >>> w.grad
        tensor([-4., -4.])
    """


    generate_vmap_rule = True

    @staticmethod
    def forward(input, weight):
        return TF.prelu(input, weight)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, weight = inputs
        ctx.save_for_backward(input, weight)
        ctx.save_for_forward(input, weight)

    @staticmethod
    def backward(ctx, grad_output):
        input, weight = ctx.saved_tensors
        slope = channel_view(weight, input)
        grad_input = grad_weight = None
        if ctx.needs_input_grad[0]:
            grad_input = chain(grad_output, _slope(input, slope))
        if ctx.needs_input_grad[1]:
            per_entry = chain(grad_output, input.clamp(max=0))  # x g where x <= 0, else 0
            grad_weight = per_entry.sum_to_size(slope.shape).reshape(weight.shape)
        return grad_input, grad_weight

    @staticmethod
    def jvp(ctx, input_tangent, weight_tangent):
        input, weight = ctx.saved_tensors
        slope = channel_view(weight, input)
        tangent = None
        if input_tangent is not None:
            tangent = chain(input_tangent, _slope(input, slope))
        if weight_tangent is not None:
            # Forward AD hands a zero tangent for a weight that is not a dual tensor; where the
            # tangent is 0 the term is 0, not min(x, 0) * 0, which is nan at x = -inf and nan.
            wt = channel_view(weight_tangent, input)
            by_weight = torch.where(wt == 0, 0.0, input.clamp(max=0) * wt)
            tangent = by_weight if tangent is None else tangent + by_weight
        return tangent


# ----------------------------------------------------------------------------- functional twin

def prelu(input: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    r"""Twin of :func:`torch.nn.functional.prelu`, backed by :class:`~customgrad.functions.PReLUFunction`.

    Args:
        input (Tensor): floating point; the channels are dimension 1 (a 0-d or 1-d input has one).
        weight (Tensor): 0-d or 1-d, one slope or one per channel, the input's dtype.

    Shape:
        Input :math:`(N, C, *)` or :math:`(*)` with one slope, output the same shape.

    Example:
        >>> import customgrad.functional as CF
        >>> CF.prelu(torch.tensor([[-1.0, -1.0], [2.0, -2.0]]), torch.tensor([0.1, 0.5]))
        tensor([[-0.1000, -0.5000],
                [ 2.0000, -1.0000]])
    """
    check_tensor("input", input, "prelu")
    check_tensor("weight", weight, "prelu")
    if input.dtype != weight.dtype:
        raise RuntimeError(
            f"prelu(): input is {input.dtype} but weight is {weight.dtype}; like torch, prelu does not promote types"
        )
    if weight.numel() != 1:
        if input.dim() == 0:
            raise RuntimeError(f"prelu(): a 0-d input takes a single slope, got a weight with {weight.numel()}")
        channels = input.shape[1] if input.dim() > 1 else 1
        if weight.numel() != channels:
            raise RuntimeError(
                f"prelu(): weight has {weight.numel()} slopes but the input of shape {tuple(input.shape)} "
                f"has {channels} channel(s) along dimension 1; pass one slope, or one per channel"
            )
    if weight.dim() > 1:
        raise RuntimeError(f"prelu(): weight must be 0-d or 1-d, got shape {tuple(weight.shape)}")
    check_float_input(input, "prelu")
    input, weight = autocast_inputs("prelu", input, weight)
    with autocast_off(input):
        return _compile.apply(PReLUFunction, input, weight)


# ----------------------------------------------------------------------------- Module twin

class PReLU(nn.Module):
    r"""Twin of :class:`torch.nn.PReLU`, backed by :class:`~customgrad.functions.PReLUFunction` through :func:`customgrad.functional.prelu`.

    Args:
        num_parameters (int): 1 (one slope shared by all channels) or the number of channels.  Default ``1``.
        init (float): the initial slope.  Default ``0.25``.

    Attributes:
        weight (torch.nn.Parameter): the learnable slopes, shape ``(num_parameters,)``; the state_dict
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
        self.weight = nn.Parameter(torch.empty(num_parameters, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        torch.nn.init.constant_(self.weight, self.init)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


# ----------------------------------------------------------------------------- twin registration

def _sample(dtype):
    """Input (N, C, L) with C = 3 and a per-channel weight, one slope negative, one above 1/2."""
    weight = torch.tensor([0.25, -0.1, 0.6], dtype=dtype).requires_grad_()
    return (randn(4, 3, 5, dtype=dtype), weight), {}


register(Twin(
    name="prelu", function=PReLUFunction, ours=prelu, reference=TF.prelu, module=PReLU, sample=_sample,
    apply_args=lambda a, k: (a[0], a[1]), elementwise=False, kinks=(0.0,),
))
