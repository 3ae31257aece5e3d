"""PReLU as a custom autograd Function: a leaky ReLU whose slope is learned, one per channel."""

from __future__ import annotations

import torch
import torch.nn.functional as TF

from .._docs import documented
from ._chain import chain


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


@documented
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

    Args (``apply`` is positional):
        input (Tensor): floating point, :math:`(N, C, *)` with the channels on dimension 1,
            or 1-d or 0-d (one channel).
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

    FORWARD_MATH = r"""
    .. math:: y_{n,c,\dots} = \begin{cases} x_{n,c,\dots} & x_{n,c,\dots} > 0 \\
              w_c \, x_{n,c,\dots} & x_{n,c,\dots} \le 0 \end{cases}
    """
    BACKWARD_MATH = r"""
    .. math:: \frac{\partial L}{\partial x} = \frac{\partial L}{\partial y}
              \begin{cases} 1 & x > 0 \\ w_c & x \le 0 \end{cases}, \qquad
              \frac{\partial L}{\partial w_c} = \sum_{n,\dots} \frac{\partial L}{\partial y_{n,c,\dots}}
              \min(x_{n,c,\dots}, 0)
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
            by_weight = input.clamp(max=0) * channel_view(weight_tangent, input)
            tangent = by_weight if tangent is None else tangent + by_weight
        return tangent
