"""ReLU as a custom autograd Function: the template every Function in customgrad follows."""

from __future__ import annotations

import torch

from .._docs import documented
from ._chain import chain


# Compared against this 0-dim tensor rather than the number 0, which torch wraps in a new small
# tensor on every call.  Measured at 1e6 elements: with those small allocations between the large
# ones, glibc's allocator often returned the large buffers to the system and the next call took
# hundreds of page faults to get them back.
_ZERO = torch.zeros((), dtype=torch.float32, device="cpu")


def _derivative(output: torch.Tensor) -> torch.Tensor:
    """relu'(x) read off ``output = relu(x)``: 1 where the output is nonzero (nan too), else 0, as a new tensor.

    The output is never negative, so ``y != 0`` is ``y > 0``, and ``nan != 0`` is true: a nan
    input passes its gradient through, as in torch's ``threshold_backward`` (``nan <= 0`` is false).
    Written straight into a float tensor with ``out=``, the comparison is one vectorised pass
    and no boolean mask is made (those are slow on the CPU, see ``_chain.py``).  ``out=`` does not
    batch under ``torch.func`` transforms; there ``sign(nan_to_num(y, nan=1))`` gives the same
    values (``sign`` alone would take nan to 0).  The derivative of a step is zero, so ``output``
    is detached: double backward differentiates through the incoming gradient only, as torch's.
    """
    y = output.detach()
    if torch._C._are_functorch_transforms_active():
        return torch.nan_to_num(y, nan=1.0).sign_()
    return torch.ne(y, _ZERO, out=torch.empty_like(y))


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
    The derivative is read off it as ``y != 0`` (1 or 0) rather than ``y > 0``, so that a NaN
    input passes its gradient through, as torch's ``threshold_backward`` does; it is made in
    one float temporary, without a boolean mask, and multiplied into the incoming gradient.
    So a gradient that is itself infinite or NaN where :math:`y = 0` gives NaN (``0 * inf``)
    where torch's select gives 0.

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
        return chain(grad_output, _derivative(output)), None

    @staticmethod
    def jvp(ctx, input_tangent, _inplace_tangent):
        (output,) = ctx.saved_tensors
        d = _derivative(output)
        # An in-place Function must update the input's tangent in place as well.
        return input_tangent.mul_(d) if ctx.inplace else chain(input_tangent, d)
