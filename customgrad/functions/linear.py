"""The linear layer y = x Wᵀ + b as a custom autograd Function: matrix calculus by hand."""

from __future__ import annotations

import math

import torch

from .._docs import documented


def _times_weight_t(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """``x Wᵀ`` for a 2-D weight; ``x w`` (a dot product over the last dimension) for a 1-D weight."""
    return x.matmul(weight.mT if weight.dim() == 2 else weight)


def _rows(t: torch.Tensor) -> torch.Tensor:
    """All leading dimensions flattened into one: ``(*, n) -> (rows, n)``; a 1-D tensor is one row."""
    return t.reshape(math.prod(t.shape[:-1]), t.shape[-1])


@documented
class LinearFunction(torch.autograd.Function):
    r"""Affine map :math:`y = x W^\top + b` with hand-written matrix-calculus gradients.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    The leading dimensions :math:`*` of ``input`` are any number of batch dimensions (none for a
    1-D input), so the weight gradient sums :math:`g_k^\top x_k` over every leading index :math:`k`.
    ``bias`` may be any shape that broadcasts to the output, such as ``(out,)`` or ``(1, out)``;
    its gradient is summed back to ``bias``'s own shape.
    The forward is torch's ``linear`` kernel, so values and the errors for mismatched shapes
    or dtypes are exactly torch's; the gradients are ours.

    Saved for backward: ``weight`` only if ``input`` needs a gradient, and ``input`` only if
    ``weight`` needs one (each is the factor of the other's gradient).
    ``bias`` is never saved: its gradient does not depend on any value, only on its shape.
    Both are the caller's own tensors, so saving them costs no copy; torch's ``addmm`` keeps the same two.

    Args (``apply`` is positional):
        input (Tensor): :math:`(*, \text{in})`, or :math:`(\text{in})`.
        weight (Tensor): :math:`(\text{out}, \text{in})`; a 1-D :math:`(\text{in})` weight is accepted
            as by torch and drops the output feature dimension.
        bias (Tensor, optional): broadcastable to the output :math:`(*, \text{out})`.  Default ``None``.

    Shape:
        Output :math:`(*, \text{out})`: the leading dimensions of ``input``.

    Example:
        >>> x = torch.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
        >>> W = torch.tensor([[0.5, 0.5, 0.5], [1.0, 1.0, 1.0]], requires_grad=True)
        >>> b = torch.tensor([[0.1, 0.2]], requires_grad=True)
        >>> y = LinearFunction.apply(x, W, b)
        >>> y
        tensor([[3.1000, 6.2000]], grad_fn=<LinearFunctionBackward>)
        >>> y.sum().backward()
        >>> x.grad, W.grad, b.grad
        (tensor([[1.5000, 1.5000, 1.5000]]), tensor([[1., 2., 3.],
                [1., 2., 3.]]), tensor([[1., 1.]]))
    """

    FORWARD_MATH = r"""
    .. math:: y = x W^\top + b, \qquad y_{k,i} = \sum_j x_{k,j} W_{i,j} + b_i
    """
    BACKWARD_MATH = r"""
    .. math:: \frac{\partial L}{\partial x} = \frac{\partial L}{\partial y}\, W, \qquad
              \frac{\partial L}{\partial W} = \sum_k \Big(\frac{\partial L}{\partial y_k}\Big)^{\!\top} x_k, \qquad
              \frac{\partial L}{\partial b} = \sum_{\text{broadcast dims}} \frac{\partial L}{\partial y}
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(input, weight, bias=None):
        return torch.nn.functional.linear(input, weight, bias)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, weight, bias = (*inputs, None)[:3]
        ctx.num_inputs = len(inputs)
        ctx.weight_shape = weight.shape
        ctx.bias_shape = None if bias is None else bias.shape
        needs_input, needs_weight = ctx.needs_input_grad[:2]
        ctx.save_for_backward(input if needs_weight else None, weight if needs_input else None)
        ctx.save_for_forward(input, weight)

    @staticmethod
    def backward(ctx, grad_output):
        input, weight = ctx.saved_tensors
        needs = (*ctx.needs_input_grad, False)
        grad_input = grad_weight = grad_bias = None
        # A 1-D weight is the single-row matrix weight[None]; its output lost that unit dimension.
        g = grad_output.unsqueeze(-1) if len(ctx.weight_shape) == 1 else grad_output
        if needs[0]:
            grad_input = g.matmul(weight if weight.dim() == 2 else weight.unsqueeze(0))
        if needs[1]:
            grad_weight = _rows(g).mT.matmul(_rows(input)).reshape(ctx.weight_shape)
        if needs[2]:
            grad_bias = grad_output.sum_to_size(ctx.bias_shape)
        return (grad_input, grad_weight, grad_bias)[: ctx.num_inputs]

    @staticmethod
    def jvp(ctx, input_tangent, weight_tangent, bias_tangent=None):
        input, weight = ctx.saved_tensors
        if input_tangent is None:
            input_tangent = torch.zeros_like(input)
        out = _times_weight_t(input_tangent, weight)
        if weight_tangent is not None:
            out = out + _times_weight_t(input, weight_tangent)
        if bias_tangent is not None:
            out = out + bias_tangent
        return out
