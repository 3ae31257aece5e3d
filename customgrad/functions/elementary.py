r"""Exp, Square and Cube: the smallest custom Functions, where the chain rule is one product.

``exp`` saves its output, because the derivative of :math:`e^x` is :math:`e^x` itself.
``square`` and ``cube`` save their input: their outputs cannot give the derivative back
without a division that fails at :math:`x = 0`.

All three accept complex inputs, as torch does.  Their backward then multiplies by the
*conjugate* derivative, :math:`\partial L/\partial x = \partial L/\partial y \cdot \overline{f'(x)}`
(PyTorch's convention for complex gradients); ``.conj()`` costs nothing on real tensors.
The forward-mode ``jvp`` multiplies by :math:`f'(x)` itself.
"""

from __future__ import annotations

import torch

from .._docs import documented


@documented
class ExpFunction(torch.autograd.Function):
    r"""The exponential with a hand-written backward: the derivative is the output.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Saved for backward: the output :math:`y` only, the one tensor the derivative needs.
    It is the tensor the caller holds anyway, so saving it costs no extra memory
    (torch's ``exp`` saves the same).  Integer inputs give a float output, as with torch.

    Args (``apply`` is positional):
        input (Tensor): any shape.

    Shape:
        Input :math:`(*)`, output :math:`(*)`, the same shape.

    Example:
        >>> x = torch.tensor(2.0, requires_grad=True)
        >>> y = ExpFunction.apply(x)
        >>> y.backward()
        >>> torch.equal(x.grad, torch.exp(torch.tensor(2.0)))
        True
    """

    FORWARD_MATH = r"""
    .. math:: y = e^{x}
    """
    BACKWARD_MATH = r"""
    .. math:: \frac{\partial L}{\partial x} = \frac{\partial L}{\partial y}\, y
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(input):
        return torch.exp(input)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)
        ctx.save_for_forward(output)

    @staticmethod
    def backward(ctx, grad_output):
        if not ctx.needs_input_grad[0]:
            return None
        (output,) = ctx.saved_tensors
        return grad_output * output.conj()

    @staticmethod
    def jvp(ctx, input_tangent):
        (output,) = ctx.saved_tensors
        return input_tangent * output


@documented
class SquareFunction(torch.autograd.Function):
    r"""The square :math:`x^2` with a hand-written backward.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Saved for backward: the input :math:`x` (torch's ``square`` saves the same).
    The output :math:`x^2` has lost the sign of :math:`x`, so it cannot replace it.
    Integer inputs give an integer output, as with torch.

    Args (``apply`` is positional):
        input (Tensor): any shape, any dtype ``torch.square`` accepts.

    Shape:
        Input :math:`(*)`, output :math:`(*)`, the same shape.

    Example:
        >>> x = torch.tensor(2.0, requires_grad=True)
        >>> y = SquareFunction.apply(x)
        >>> y.backward()
        >>> y.item(), x.grad.item()
        (4.0, 4.0)
    """

    FORWARD_MATH = r"""
    .. math:: y = x^2
    """
    BACKWARD_MATH = r"""
    .. math:: \frac{\partial L}{\partial x} = \frac{\partial L}{\partial y}\, 2x
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(input):
        return torch.square(input)

    @staticmethod
    def setup_context(ctx, inputs, output):
        (input,) = inputs
        ctx.save_for_backward(input)
        ctx.save_for_forward(input)

    @staticmethod
    def backward(ctx, grad_output):
        if not ctx.needs_input_grad[0]:
            return None
        (input,) = ctx.saved_tensors
        # 2x first, as torch does: at |x| near the float maximum, 2x is already infinite.
        return grad_output * (2 * input).conj()

    @staticmethod
    def jvp(ctx, input_tangent):
        (input,) = ctx.saved_tensors
        return input_tangent * (2 * input)


@documented
class CubeFunction(torch.autograd.Function):
    r"""The cube :math:`x^3` with a hand-written backward.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Saved for backward: the input :math:`x` (``x ** 3`` in torch saves the same).
    Integer inputs give an integer output, as ``x ** 3`` does.

    Args (``apply`` is positional):
        input (Tensor): any shape, any dtype ``torch.pow`` accepts.

    Shape:
        Input :math:`(*)`, output :math:`(*)`, the same shape.

    Example:
        >>> x = torch.tensor(2.0, requires_grad=True)
        >>> y = CubeFunction.apply(x)
        >>> y.backward()
        >>> y.item(), x.grad.item()
        (8.0, 12.0)
    """

    FORWARD_MATH = r"""
    .. math:: y = x^3
    """
    BACKWARD_MATH = r"""
    .. math:: \frac{\partial L}{\partial x} = \frac{\partial L}{\partial y}\, 3x^2
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(input):
        return torch.pow(input, 3)

    @staticmethod
    def setup_context(ctx, inputs, output):
        (input,) = inputs
        ctx.save_for_backward(input)
        ctx.save_for_forward(input)

    @staticmethod
    def backward(ctx, grad_output):
        if not ctx.needs_input_grad[0]:
            return None
        (input,) = ctx.saved_tensors
        return grad_output * input.square().mul_(3).conj()

    @staticmethod
    def jvp(ctx, input_tangent):
        (input,) = ctx.saved_tensors
        return input_tangent * input.square().mul_(3)
