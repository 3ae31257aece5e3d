"""Mish, :math:`x \\tanh(\\operatorname{softplus}(x))`, with a backward that cannot overflow.

The textbook derivative :math:`e^{x}\\omega / \\delta^{2}` (with :math:`\\omega` and :math:`\\delta`
polynomials in :math:`e^{x}` up to :math:`e^{3x}`) is exact on paper and overflows in float32
from :math:`x \\approx 30`: :math:`e^{3x}` is already infinite, and infinity over infinity is NaN.
Writing every term through :math:`\\sigma(x) \\in [0, 1]` instead keeps all intermediates bounded.
"""

from __future__ import annotations

import torch
import torch.nn.functional as TF

from .._docs import documented
from ._inplace import input_values, output_tangent, run_keeping_original


def mish_grad(grad, input, inplace):
    r"""``grad * mish'(input)`` through :math:`\sigma = \sigma(x)` and :math:`r = 1 - \sigma`.

    Since :math:`e^{\operatorname{softplus}(x)} = 1 + e^{x} = 1/r`,
    :math:`t = \tanh(\operatorname{softplus}(x)) = \frac{1 - r^2}{1 + r^2} = \frac{\sigma(1 + r)}{1 + r^2}`
    and :math:`1 - t^2 = \bigl(\frac{2r}{1 + r^2}\bigr)^2`.  Every factor lies in :math:`[0, 2]`,
    and :math:`x` is multiplied last, so nothing overflows for any finite :math:`x`.
    With ``inplace=True`` (a plain backward) the same steps run on fresh buffers in place.
    """
    sigma = torch.sigmoid(input)
    r = 1 - sigma
    if not inplace:
        u = 1 + r * r
        t = sigma * (1 + r) / u
        return grad * (t + (2 * r / u).square() * sigma * input)
    u = torch.addcmul(torch.ones((), dtype=r.dtype), r, r)  # 1 + r^2
    t = torch.addcmul(sigma, sigma, r).div_(u)  # tanh(softplus(x))
    r.div_(u).mul_(2).square_().mul_(sigma).mul_(input)  # x sigma (1 - t^2)
    return grad * t.add_(r)


@documented
class MishFunction(torch.autograd.Function):
    r"""Mish with a hand-written, overflow-free backward.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    where :math:`\sigma = \sigma(x)` and :math:`r = 1 - \sigma = \sigma(-x)`.
    This is the textbook :math:`\tanh(s) + x\,\sigma(x)\,(1 - \tanh^2(s))`, :math:`s = \operatorname{softplus}(x)`,
    rewritten through :math:`e^{s} = 1/r`: every intermediate stays in :math:`[0, 2]`, so it is
    finite for all finite :math:`x` and gives NaN at :math:`\pm\infty` and NaN, as torch does.

    Saved for backward: the input :math:`x` only (torch's ``mish`` saves the same).
    With ``inplace=True``, as in :class:`SwishFunction`, it saves a copy of the input
    taken before forward overwrites it (torch's ``mish_`` keeps the same copy).

    Args (``apply`` is positional):
        input (Tensor): any shape, a floating-point dtype (torch refuses integers).
        inplace (bool): overwrite ``input`` and return it, marked dirty.  Default ``False``.

    Shape:
        Input :math:`(*)`, output :math:`(*)`, the same shape.

    Example:
        >>> x = torch.tensor([-1e4, 0.0, 1e4], requires_grad=True)
        >>> MishFunction.apply(x).sum().backward()
        >>> x.grad
        tensor([0.0000, 0.6000, 1.0000])
    """

    FORWARD_MATH = r"""
    .. math:: y = x \tanh\bigl(\operatorname{softplus}(x)\bigr) = x \tanh\bigl(\ln(1 + e^{x})\bigr)
    """
    BACKWARD_MATH = r"""
    .. math:: \frac{\partial L}{\partial x} = \frac{\partial L}{\partial y}
              \left( \frac{\sigma\,(1 + r)}{1 + r^2}
              + x\,\sigma \left(\frac{2r}{1 + r^2}\right)^{2} \right)
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(input, inplace=False):
        return run_keeping_original(TF.mish, input, inplace)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input = input_values(ctx, inputs, output)
        ctx.save_for_backward(input)
        ctx.save_for_forward(input)

    @staticmethod
    def backward(ctx, grad_output):
        if not ctx.needs_input_grad[0]:
            return None, None
        (input,) = ctx.saved_tensors
        inplace = not torch.is_grad_enabled()  # True unless create_graph=True
        return mish_grad(grad_output, input, inplace), None

    @staticmethod
    def jvp(ctx, input_tangent, _inplace_tangent):
        (input,) = ctx.saved_tensors
        tangent = mish_grad(input_tangent, input, inplace=False)
        return output_tangent(ctx, input_tangent, tangent)
