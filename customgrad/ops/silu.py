r"""SiLU, also called Swish: :math:`x` times its own sigmoid.

The Function keeps the input (the derivative needs :math:`x` itself, not only :math:`\sigma(x)`)
and recomputes the sigmoid in backward, as torch's ``silu`` does.  ``silu_grad`` is the
stable backward formula, shared with ``learned_silu.py``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as TF
from torch import nn

from .._torch_private import functorch_transforms_active
from . import _inplace
from ._checks import check_inplace_allowed, check_tensor, refuse_complex_grad
from ._compile import compiled_variant
from ._docs import documented
from ._fused import aten, fused
from ._inplace import (
    input_values,
    output_tangent,
    refuse_double_backward,
    run_keeping_original,
)
from ._registry import Twin, register, unary


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
    if not fast or functorch_transforms_active():  # out= does not batch under vmap
        out = grad * sigma
        return torch.addcmul(out, out, torch.addcmul(input, input, sigma, value=-1))
    out = grad.mul_(sigma) if grad_is_scratch else grad * sigma
    torch.addcmul(input, input, sigma, value=-1, out=sigma)  # x - x sigma, over sigma
    return out.addcmul_(out, sigma)


# ----------------------------------------------------------------------------- formulas (see _docs.py)

def formulas():
    """The forward in sympy, the one source of this Function's formulas (``_docs.py``); imports sympy."""
    from .. import symbolic as S

    x = S.x
    return {"silu": S.Elementwise(x * S.sigmoid(x), name="silu")}


def implemented():
    """``silu_grad``: sigma (1 + x (1 - sigma)), never forming e^(-x)."""
    from .. import symbolic as S

    s = S.sigmoid(S.x)
    return {"silu": s * (1 + S.x * (1 - s))}


# The settings every symbolic check runs with (tests/test_symbolic.py, the API reference): the
# formula and the Function's extra arguments after the input, or MatrixRule.check's arguments.
FORMULA_CHECKS = (("silu", ()),)


@compiled_variant
@documented(formulas, checks=FORMULA_CHECKS)
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
    ``customgrad/ops/_inplace.py``.

    The backward is numerically stable at :math:`\pm` huge inputs: it never forms
    :math:`e^{x}`, only :math:`\sigma(x) \in [0, 1]`.  A plain backward evaluates it in place on
    two fresh buffers; when autograd records the backward (``create_graph=True``, double
    backward, ``torch.func``) the same operations run out of place (see ``silu_grad`` in this module).

    Args:
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
        refuse_double_backward(ctx, "SwishFunction")
        (saved,) = ctx.saved_tensors  # once: under checkpointing each access unpacks
        if fused(grad_output, saved):  # one pass: torch's own kernel (_fused.py)
            return aten.silu_backward(grad_output, saved), None
        input = saved.conj()  # complex: PyTorch's conjugate convention
        fast = not torch.is_grad_enabled()  # True unless create_graph=True
        return silu_grad(grad_output, input, torch.sigmoid(input), fast), None

    @staticmethod
    def jvp(ctx, input_tangent, _inplace_tangent):
        (input,) = ctx.saved_tensors
        tangent = silu_grad(input_tangent, input, torch.sigmoid(input), fast=False)
        return output_tangent(ctx, input_tangent, tangent)


# ----------------------------------------------------------------------------- functional twin

def silu(input: torch.Tensor, inplace: bool = False) -> torch.Tensor:
    r"""Twin of :func:`torch.nn.functional.silu` (Swish), backed by :class:`~customgrad.functions.SwishFunction`.

    Args:
        input (Tensor): any shape, floating point (integer tensors raise, as in torch).
        inplace (bool): overwrite ``input`` and return the same tensor object.  Default ``False``.

    Shape:
        Input :math:`(*)`, output :math:`(*)`.

    Example:
        >>> import customgrad.functional as CF
        >>> x = torch.tensor([-1e10, 0.0, 1e10], requires_grad=True)
        >>> CF.silu(x).sum().backward()
        >>> x.grad.tolist()  # torch's kernel: -0.0 far left, where the derivative is a tiny negative number
        [-0.0, 0.5, 1.0]
        >>> y = torch.zeros(3)
        >>> CF.silu(y, inplace=True) is y
        True
    """
    check_tensor("input", input, "silu")
    refuse_complex_grad(input, "silu")
    if inplace:
        check_inplace_allowed(input, "silu")
    return _inplace.apply(SwishFunction, input, inplace=inplace, keeps_input=True)


# ----------------------------------------------------------------------------- Module twin

class SiLU(nn.Module):
    r"""Twin of :class:`torch.nn.SiLU` (Swish), backed by :class:`~customgrad.functions.SwishFunction` through :func:`customgrad.functional.silu`.

    Args:
        inplace (bool): overwrite the input and return the same tensor object.  Default ``False``.

    Shape:
        Input :math:`(*)`, output :math:`(*)`.

    Example:
        >>> m = SiLU(inplace=True)
        >>> m
        SiLU(inplace=True)
        >>> x = torch.tensor([0.0, 1.0])
        >>> m(x) is x, x
        (True, tensor([0.0000, 0.7311]))
    """

    __constants__ = ["inplace"]

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return silu(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


# ----------------------------------------------------------------------------- twin registration

register(Twin(
    name="silu", function=SwishFunction, ours=silu, reference=TF.silu, module=SiLU, sample=unary,
    apply_args=lambda a, k: (a[0], k.get("inplace", False)), inplace=True,
    settings=({"inplace": True},),
))
