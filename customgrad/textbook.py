r"""The textbook version of each elementwise Function: what a reader writes first.

Each class here is the short, clearly written ``torch.autograd.Function`` that tutorials show:
save the input (or the output, where the derivative is a function of it), and write the
derivative out in plain torch operations in ``backward``.  They are correct (the tests compare
each with torch in value and gradient) but not tuned: no fused kernels, no in-place reuse of
buffers, extra temporaries.  :mod:`customgrad.bench` times them beside customgrad's own
Functions and torch's built-ins, so the difference shows what each optimisation buys.

:data:`TEXTBOOK` maps an operation name of :data:`customgrad.twins.TWINS` to a callable with the
functional twin's signature (``inplace=`` is not supported: these are out-of-place only).

Example:
    >>> x = torch.randn(6, requires_grad=True)
    >>> y = TEXTBOOK["relu"](x)
    >>> torch.equal(y, torch.relu(x))
    True
    >>> (g,) = torch.autograd.grad(y.sum(), x)
    >>> torch.equal(g, (x > 0).to(x.dtype))
    True
"""

from __future__ import annotations

import math
from typing import Callable

import torch
from torch.autograd import Function

__all__ = ["TEXTBOOK", "ReLU", "LeakyReLU", "ELU", "Exp", "Sigmoid", "Tanh", "SiLU", "LearnedSiLU", "Hardswish",
           "GELU", "Mish", "Softplus", "Square", "Cube"]


class ReLU(Function):
    """``max(x, 0)``; the gradient passes where the input is positive."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (x > 0)


class LeakyReLU(Function):
    """``x`` where positive, ``slope * x`` elsewhere."""

    @staticmethod
    def forward(ctx, x, negative_slope):
        ctx.save_for_backward(x)
        ctx.negative_slope = negative_slope
        return torch.where(x > 0, x, x * negative_slope)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return torch.where(x > 0, grad, grad * ctx.negative_slope), None


class ELU(Function):
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere."""

    @staticmethod
    def forward(ctx, x, alpha):
        ctx.save_for_backward(x)
        ctx.alpha = alpha
        return torch.where(x > 0, x, alpha * (torch.exp(x) - 1))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * torch.where(x > 0, torch.ones_like(x), ctx.alpha * torch.exp(x)), None


class Exp(Function):
    """``exp(x)``, whose derivative is itself: save the output."""

    @staticmethod
    def forward(ctx, x):
        y = torch.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y


class Sigmoid(Function):
    """``1 / (1 + exp(-x))``; save the input and recompute ``s`` for ``s * (1 - s)``."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.sigmoid(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        s = torch.sigmoid(x)
        return grad * s * (1 - s)


class Tanh(Function):
    """``tanh(x)``; save the output for ``1 - y**2``."""

    @staticmethod
    def forward(ctx, x):
        y = torch.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (1 - y ** 2)


class SiLU(Function):
    """``x * sigmoid(x)``; the derivative ``s + x * s * (1 - s)`` from the saved input."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * torch.sigmoid(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        s = torch.sigmoid(x)
        return grad * (s + x * s * (1 - s))


class LearnedSiLU(Function):
    """``slope * x * sigmoid(x)`` with a learnable ``slope`` (a tensor broadcast against ``x``)."""

    @staticmethod
    def forward(ctx, x, slope):
        ctx.save_for_backward(x, slope)
        return slope * (x * torch.sigmoid(x))

    @staticmethod
    def backward(ctx, grad):
        x, slope = ctx.saved_tensors
        s = torch.sigmoid(x)
        grad_x = grad * slope * (s + x * s * (1 - s))
        grad_slope = (grad * x * s).sum_to_size(slope.shape)
        return grad_x, grad_slope


class Hardswish(Function):
    """``x * relu6(x + 3) / 6``, written with ``torch.where`` masks for the three pieces."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.where(x <= -3, torch.zeros_like(x), torch.where(x >= 3, x, x * (x + 3) / 6))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        slope = torch.where(x < -3, torch.zeros_like(x), torch.where(x <= 3, x / 3 + 0.5, torch.ones_like(x)))
        return grad * slope


class GELU(Function):
    r"""``x * Phi(x)``, the exact form with ``erf``, or the ``tanh`` approximation."""

    @staticmethod
    def forward(ctx, x, approximate):
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        if approximate == "tanh":
            return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
        return 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        if ctx.approximate == "tanh":
            k = math.sqrt(2 / math.pi)
            t = torch.tanh(k * (x + 0.044715 * x ** 3))
            slope = 0.5 * (1 + t) + 0.5 * x * (1 - t ** 2) * k * (1 + 3 * 0.044715 * x ** 2)
        else:
            cdf = 0.5 * (1 + torch.erf(x / math.sqrt(2)))
            pdf = torch.exp(-0.5 * x ** 2) / math.sqrt(2 * math.pi)
            slope = cdf + x * pdf
        return grad * slope, None


class Mish(Function):
    """``x * tanh(softplus(x))``."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * torch.tanh(torch.nn.functional.softplus(x))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        t = torch.tanh(torch.nn.functional.softplus(x))
        return grad * (t + x * torch.sigmoid(x) * (1 - t ** 2))


class Softplus(Function):
    """``log(1 + exp(beta * x)) / beta``, linear where ``beta * x > threshold``."""

    @staticmethod
    def forward(ctx, x, beta, threshold):
        ctx.save_for_backward(x)
        ctx.beta, ctx.threshold = beta, threshold
        return torch.where(x * beta > threshold, x, torch.log1p(torch.exp(beta * x)) / beta)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        slope = torch.where(x * ctx.beta > ctx.threshold, torch.ones_like(x), torch.sigmoid(ctx.beta * x))
        return grad * slope, None, None


class Square(Function):
    """``x ** 2``; derivative ``2 * x``."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 2 * x


class Cube(Function):
    """``x ** 3``; derivative ``3 * x ** 2``."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x ** 2


#: Operation name -> a callable with the functional twin's signature, applying the textbook Function.
TEXTBOOK: dict[str, Callable[..., torch.Tensor]] = {
    "relu": lambda input: ReLU.apply(input),
    "leaky_relu": lambda input, negative_slope=0.01: LeakyReLU.apply(input, negative_slope),
    "elu": lambda input, alpha=1.0: ELU.apply(input, alpha),
    "exp": lambda input: Exp.apply(input),
    "sigmoid": lambda input: Sigmoid.apply(input),
    "tanh": lambda input: Tanh.apply(input),
    "silu": lambda input: SiLU.apply(input),
    "learned_silu": lambda input, slope: LearnedSiLU.apply(input, slope),
    "hardswish": lambda input: Hardswish.apply(input),
    "gelu": lambda input, approximate="none": GELU.apply(input, approximate),
    "mish": lambda input: Mish.apply(input),
    "softplus": lambda input, beta=1.0, threshold=20.0: Softplus.apply(input, beta, threshold),
    "square": lambda input: Square.apply(input),
    "cube": lambda input: Cube.apply(input),
}
