"""Sigmoid and tanh: squashing functions whose derivative is written from their output.

Both derivatives are polynomials in the output, :math:`y(1-y)` and :math:`1-y^2`, so the
Function keeps the output the caller already holds and never a copy of the input.
For complex inputs the backward uses the conjugate output (PyTorch's convention for complex
gradients; free on real tensors), the forward-mode ``jvp`` the output itself.
"""

from __future__ import annotations

import torch

from .._docs import documented


@documented
class SigmoidFunction(torch.autograd.Function):
    r"""The logistic sigmoid with a hand-written backward, written from the output.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Saved for backward: the output :math:`y` only (torch's ``sigmoid`` saves the same).
    The derivative needs nothing else, and the output is the tensor the caller holds anyway.
    It is evaluated as :math:`g y - (g y)\,y`, which never overflows: :math:`y \in [0, 1]`.
    A plain backward does this on one fresh buffer, in place; when the backward is itself
    being recorded (``create_graph=True``, double backward, ``torch.func``) the same formula
    is spelled out of place, so autograd can differentiate it.

    Args (``apply`` is positional):
        input (Tensor): any shape; integer inputs give a float output, as with torch.

    Shape:
        Input :math:`(*)`, output :math:`(*)`, the same shape.

    Example:
        >>> x = torch.tensor([-1.0, 0.0, 1.0], requires_grad=True)
        >>> y = SigmoidFunction.apply(x)
        >>> y.sum().backward()
        >>> torch.allclose(x.grad, y * (1 - y))
        True
    """

    FORWARD_MATH = r"""
    .. math:: y = \sigma(x) = \frac{1}{1 + e^{-x}}
    """
    BACKWARD_MATH = r"""
    .. math:: \frac{\partial L}{\partial x} = \frac{\partial L}{\partial y}\, y\,(1 - y)
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(input):
        return torch.sigmoid(input)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)
        ctx.save_for_forward(output)

    @staticmethod
    def backward(ctx, grad_output):
        if not ctx.needs_input_grad[0]:
            return None
        output = ctx.saved_tensors[0].conj()  # complex: PyTorch's conjugate convention
        grad = grad_output * output
        if torch.is_grad_enabled():
            return torch.addcmul(grad, grad, output, value=-1)
        return grad.addcmul_(grad, output, value=-1)

    @staticmethod
    def jvp(ctx, input_tangent):
        (output,) = ctx.saved_tensors
        tangent = input_tangent * output
        return torch.addcmul(tangent, tangent, output, value=-1)


@documented
class TanhFunction(torch.autograd.Function):
    r"""The hyperbolic tangent with a hand-written backward, written from the output.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Saved for backward: the output :math:`y` only (torch's ``tanh`` saves the same).
    It is evaluated as :math:`g - (g y)\,y`: in place on one fresh buffer in a plain backward,
    out of place when autograd records the backward (``create_graph=True``).

    Args (``apply`` is positional):
        input (Tensor): any shape; integer inputs give a float output, as with torch.

    Shape:
        Input :math:`(*)`, output :math:`(*)`, the same shape.

    Example:
        >>> x = torch.tensor([-1.0, 0.0, 1.0], requires_grad=True)
        >>> y = TanhFunction.apply(x)
        >>> y.sum().backward()
        >>> torch.allclose(x.grad, 1 - y * y)
        True
    """

    FORWARD_MATH = r"""
    .. math:: y = \tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}
    """
    BACKWARD_MATH = r"""
    .. math:: \frac{\partial L}{\partial x} = \frac{\partial L}{\partial y}\,(1 - y^2)
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(input):
        return torch.tanh(input)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)
        ctx.save_for_forward(output)

    @staticmethod
    def backward(ctx, grad_output):
        if not ctx.needs_input_grad[0]:
            return None
        output = ctx.saved_tensors[0].conj()  # complex: PyTorch's conjugate convention
        grad = grad_output * output
        if torch.is_grad_enabled():
            return grad_output - grad * output
        return grad.mul_(output).sub_(grad_output).neg_()  # -(g y y - g): one buffer

    @staticmethod
    def jvp(ctx, input_tangent):
        (output,) = ctx.saved_tensors
        return torch.addcmul(input_tangent, input_tangent * output, output, value=-1)
