"""SiLU (Swish) and its learnable variant: x times its own sigmoid.

Both Functions keep the input (the derivative needs :math:`x` itself, not only
:math:`\\sigma(x)`) and recompute the sigmoid in backward, as torch's ``silu`` does.
"""

from __future__ import annotations

import torch
import torch.nn.functional as TF

from .._docs import documented
from ._inplace import input_values, output_tangent, run_keeping_original


def silu_grad(grad, input, sigma, fast, grad_is_scratch=False):
    r"""``grad * silu'(input)``, given ``sigma = sigmoid(input)``: :math:`g\sigma + g\sigma\,(x - x\sigma)`.

    Stable everywhere: :math:`\sigma \in [0, 1]`, and :math:`x - x\sigma = x(1 - \sigma)` is exactly
    0 once :math:`\sigma` rounds to 1, rather than overflowing; at :math:`\pm\infty` it is NaN,
    as in torch.  With ``fast=True`` (a plain backward, nothing recording it) the formula runs
    in place on ``sigma``, which it consumes, and one fresh buffer; ``grad_is_scratch=True`` says
    ``grad`` is a temporary of the caller's, which then serves as that buffer.  Otherwise (double
    backward, ``torch.func``, forward-mode tangents) the same operations run out of place, so
    autograd can differentiate them.
    """
    if not fast or torch._C._are_functorch_transforms_active():  # out= does not batch under vmap
        out = grad * sigma
        return torch.addcmul(out, out, torch.addcmul(input, input, sigma, value=-1))
    out = grad.mul_(sigma) if grad_is_scratch else grad * sigma
    torch.addcmul(input, input, sigma, value=-1, out=sigma)  # x - x sigma, over sigma
    return out.addcmul_(out, sigma)


@documented
class SwishFunction(torch.autograd.Function):
    r"""SiLU, also called Swish: :math:`x\,\sigma(x)`, with a hand-written backward.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Saved for backward: the input :math:`x` only, the one tensor torch's ``silu`` saves too.
    The sigmoid is recomputed in backward rather than kept: keeping it would double the memory.
    With ``inplace=True`` the input's old values are about to be overwritten, so forward copies
    them first and ``setup_context`` saves that copy instead (torch's ``silu_`` keeps the same
    copy); how the copy travels from forward to ``setup_context`` is explained in
    ``customgrad/functions/_inplace.py``.

    The backward is numerically stable at :math:`\pm` huge inputs: it never forms
    :math:`e^{x}`, only :math:`\sigma(x) \in [0, 1]`.  A plain backward evaluates it in place on
    two fresh buffers; when autograd records the backward (``create_graph=True``, double
    backward, ``torch.func``) the same operations run out of place (see :func:`silu_grad`).

    Args (``apply`` is positional):
        input (Tensor): any shape, a floating-point dtype (torch refuses integers).
        inplace (bool): overwrite ``input`` and return it, marked dirty.  Default ``False``.

    Shape:
        Input :math:`(*)`, output :math:`(*)`, the same shape.

    Example:
        >>> x = torch.tensor([-1.0, 0.0, 2.0], requires_grad=True)
        >>> y = SwishFunction.apply(x)
        >>> y.sum().backward()
        >>> s = torch.sigmoid(x.detach())
        >>> torch.allclose(x.grad, s * (1 + x.detach() * (1 - s)))
        True
    """

    FORWARD_MATH = r"""
    .. math:: y = x\,\sigma(x) = \frac{x}{1 + e^{-x}}
    """
    BACKWARD_MATH = r"""
    .. math:: \frac{\partial L}{\partial x} = \frac{\partial L}{\partial y}\,
              \sigma(x)\bigl(1 + x\,(1 - \sigma(x))\bigr)
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(input, inplace=False):
        return run_keeping_original(TF.silu, input, inplace)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input = input_values(ctx, inputs, output)
        ctx.save_for_backward(input)
        ctx.save_for_forward(input)

    @staticmethod
    def backward(ctx, grad_output):
        if not ctx.needs_input_grad[0]:
            return None, None
        input = ctx.saved_tensors[0].conj()  # complex: PyTorch's conjugate convention
        fast = not torch.is_grad_enabled()  # True unless create_graph=True
        return silu_grad(grad_output, input, torch.sigmoid(input), fast), None

    @staticmethod
    def jvp(ctx, input_tangent, _inplace_tangent):
        (input,) = ctx.saved_tensors
        tangent = silu_grad(input_tangent, input, torch.sigmoid(input), fast=False)
        return output_tangent(ctx, input_tangent, tangent)


def _real_if_real(grad, input):
    """A real input's gradient is the real part (a complex slope makes the output complex)."""
    return grad.real if grad.is_complex() and not input.is_complex() else grad


@documented
class LearnedSiLUFunction(torch.autograd.Function):
    r"""SiLU with a learnable scale: :math:`a\,x\,\sigma(x)`, gradients for both :math:`x` and :math:`a`.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    ``slope`` is any tensor that broadcasts against ``input`` (a scalar, shape ``(1,)``, one
    value per channel ...).  Each gradient is summed back over the dimensions broadcasting
    added, so it has the shape of its own input.

    Saved for backward: the input :math:`x` and the slope :math:`a`.  Both gradients are
    rebuilt from them with one sigmoid; a composite ``slope * F.silu(x)`` would keep the
    input, the SiLU output and the slope.

    Args (``apply`` is positional):
        input (Tensor): any shape, floating point.
        slope (Tensor): broadcastable to ``input``.

    Shape:
        Input :math:`(*)`, slope broadcastable, output: the broadcast shape.

    Example:
        >>> x = torch.tensor([[1.0, -1.0, 2.0]], requires_grad=True)
        >>> slope = torch.tensor([0.5], requires_grad=True)
        >>> y = LearnedSiLUFunction.apply(x, slope)
        >>> y.sum().backward()
        >>> slope.grad.shape, torch.allclose(slope.grad, torch.nn.functional.silu(x.detach()).sum())
        (torch.Size([1]), True)
    """

    FORWARD_MATH = r"""
    .. math:: y = a\,x\,\sigma(x)
    """
    BACKWARD_MATH = r"""
    .. math:: \frac{\partial L}{\partial x} = \frac{\partial L}{\partial y}\,
              a\,\sigma(x)\bigl(1 + x\,(1 - \sigma(x))\bigr), \qquad
              \frac{\partial L}{\partial a} = \sum_{\text{broadcast}}
              \frac{\partial L}{\partial y}\, x\,\sigma(x)
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(input, slope):
        return slope * TF.silu(input)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, slope = inputs
        ctx.save_for_backward(input, slope)
        ctx.save_for_forward(input, slope)

    @staticmethod
    def backward(ctx, grad_output):
        # Conjugates for complex values (PyTorch's convention); free on real tensors.
        input, slope = (t.conj() for t in ctx.saved_tensors)
        grad_input = grad_slope = None
        sigma = torch.sigmoid(input)
        fast = not torch.is_grad_enabled()  # True unless create_graph=True
        if ctx.needs_input_grad[1]:  # before silu_grad, which may consume sigma
            weighted = grad_output * input  # then times sigma: grad_output * silu(x)
            weighted = weighted.mul_(sigma) if fast else weighted * sigma
            grad_slope = _real_if_real(weighted.sum_to_size(slope.shape), slope)
        if ctx.needs_input_grad[0]:
            grad = silu_grad(grad_output * slope, input, sigma, fast, grad_is_scratch=True)
            grad_input = _real_if_real(grad.sum_to_size(input.shape), input)
        return grad_input, grad_slope

    @staticmethod
    def jvp(ctx, input_tangent, slope_tangent):
        input, slope = ctx.saved_tensors
        sigma = torch.sigmoid(input)
        tangent = None
        if slope_tangent is not None:
            tangent = slope_tangent * (input * sigma)
        if input_tangent is not None:
            part = silu_grad(input_tangent * slope, input, sigma, fast=False)
            tangent = part if tangent is None else tangent + part
        return tangent
