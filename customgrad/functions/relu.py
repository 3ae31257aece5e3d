"""ReLU as a custom autograd Function: the template every Function in customgrad follows."""

from __future__ import annotations

import torch

from .._docs import documented


@documented
class ReLUFunction(torch.autograd.Function):
    r"""Rectified linear unit with a hand-written backward.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Saved for backward: the output :math:`y` only.  It is the tensor the caller holds anyway,
    so saving it costs no extra memory, and :math:`y > 0` exactly where :math:`x > 0`.
    A float copy of the input would double the memory kept alive.
    The mask is written ``y <= 0 -> 0`` rather than ``y > 0 -> grad`` so that a NaN input
    passes its gradient through, as torch's ``threshold_backward`` does.

    Args (``apply`` is positional):
        input (Tensor): any shape, any dtype ``torch.clamp`` accepts (integers too).
        inplace (bool): overwrite ``input`` and return it, marked dirty.  Default ``False``.

    Shape:
        Input :math:`(*)`, output :math:`(*)`, the same shape.

    Example:
        >>> x = torch.tensor([-2.0, -1.0, 0.0, 1.0, 2.0], requires_grad=True)
        >>> y = ReLUFunction.apply(x)
        >>> y
        tensor([0., 0., 0., 1., 2.], grad_fn=<ReLUFunctionBackward>)
        >>> y.sum().backward()
        >>> x.grad
        tensor([0., 0., 0., 1., 1.])
    """

    FORWARD_MATH = r"""
    .. math:: y = \max(0, x)
    """
    BACKWARD_MATH = r"""
    .. math:: \frac{\partial L}{\partial x} = \frac{\partial L}{\partial y}\,\mathbb{1}[x > 0],
              \qquad \operatorname{relu}'(0) = 0 \text{ (PyTorch's convention)}
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(input, inplace=False):
        return input.clamp_(min=0) if inplace else input.clamp(min=0)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, inplace = inputs
        ctx.inplace = inplace
        if inplace:
            ctx.mark_dirty(input)
        ctx.save_for_backward(output)
        ctx.save_for_forward(output)

    @staticmethod
    def backward(ctx, grad_output):
        if not ctx.needs_input_grad[0]:
            return None, None
        (output,) = ctx.saved_tensors
        return torch.where(output <= 0, 0, grad_output), None

    @staticmethod
    def jvp(ctx, input_tangent, _inplace_tangent):
        (output,) = ctx.saved_tensors
        # An in-place Function must update the input's tangent in place as well.
        if ctx.inplace:
            return input_tangent.masked_fill_(output <= 0, 0)
        return torch.where(output <= 0, 0, input_tangent)
