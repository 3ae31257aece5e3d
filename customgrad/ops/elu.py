"""ELU: a smooth negative branch whose derivative is read off the output."""

from __future__ import annotations

import torch
import torch.nn.functional as TF
from torch import nn

from . import _inplace
from ._chain import chain, smallest_subnormal
from ._checks import check_float_input, check_inplace_allowed, check_tensor
from ._compile import compiled_variant
from ._docs import documented
from ._fused import aten, fused
from ._registry import Twin, register, unary_with

_INPLACE_NEGATIVE_ALPHA = (
    "elu(inplace=True) with a negative alpha cannot be differentiated: the overwritten input "
    "no longer tells which entries were negative. Call it with inplace=False."
)


def _slope_from_output(output: torch.Tensor, alpha: float) -> torch.Tensor:
    """The derivative for ``alpha >= 0``: ``y + alpha`` where ``y <= 0``, 1 where ``y > 0``, nan at nan.

    ``threshold`` keeps the entries above its threshold, so it works on ``-y``: ``-y > -tiny``
    is exactly ``y <= 0``, even for a positive ``y`` too small to change ``y + alpha``.
    """
    if alpha == 1:  # the default: min(y, 0) + 1 is y + 1 for y <= 0 and 1 above, one pass fewer
        return output.clamp(max=0).add_(1)
    # -(y + alpha) where y <= 0 and -inf where y > 0, then -inf -> -1: the 1 is written, never
    # computed as alpha - (alpha - 1), which rounds away from 1 in low precision.
    b = torch.neg(output)
    TF.threshold(b, -smallest_subnormal(output.dtype), float("-inf"), inplace=True)  # y > 0; nan stays
    b.neg_().add_(alpha).neg_()
    TF.threshold(b, float("-inf"), -1.0, inplace=True)
    return b.neg_()


def _slope_from_input(input: torch.Tensor, alpha: float) -> torch.Tensor:
    """The derivative from the input: ``alpha * exp(x)`` where ``x <= 0``, else 1, in float32 at least.

    Used for ``alpha < 0`` (out of place only) and for float16 and bfloat16, where
    :math:`y + \alpha` from a rounded output loses digits that torch's float32 arithmetic keeps.
    """
    x = input if input.dtype in (torch.float32, torch.float64) else input.float()
    return torch.where(x > 0, 1.0, x.clamp(max=0).exp() * alpha)  # nan -> nan, as torch's vectorised kernel


def _slope(ctx, kept: torch.Tensor | None = None) -> torch.Tensor:
    """The derivative from what ``setup_context`` kept (``kept``, if already unpacked), as a new tensor."""
    if ctx.broken:
        raise RuntimeError(_INPLACE_NEGATIVE_ALPHA)
    if kept is None:
        (kept,) = ctx.saved_tensors
    return _slope_from_output(kept, ctx.alpha) if ctx.from_output else _slope_from_input(kept, ctx.alpha)


# ----------------------------------------------------------------------------- formulas (see _docs.py)

def formulas():
    """The forward in sympy, the one source of this Function's formulas (``_docs.py``); imports sympy."""
    import sympy

    from .. import symbolic as S

    x = S.x
    alpha = S.symbols("alpha")
    # at 0 the value alpha, as torch
    return {"elu": S.Elementwise(sympy.Piecewise((x, x > 0), (alpha * (sympy.exp(x) - 1), True)), (alpha,), name="elu")}


def implemented():
    """The derivative as the code computes it: from the output, alpha e^x = y + alpha for x <= 0."""
    import sympy

    from .. import symbolic as S

    (alpha,) = (rule := formulas()["elu"]).params
    y = rule.forward.args[1][0]  # the x <= 0 branch of the forward
    return {"elu": sympy.Piecewise((1, S.x > 0), (y + alpha, True))}



# The settings every symbolic check runs with (tests/test_symbolic.py, the API reference): the
# formula and the Function's extra arguments after the input, or MatrixRule.check's arguments.
FORMULA_CHECKS = tuple(("elu", (a,)) for a in (1.0, 1.3, 0.5, 2.0, -0.5))


@compiled_variant
@documented(formulas, checks=FORMULA_CHECKS)
class ELUFunction(torch.autograd.Function):
    r"""Exponential linear unit with a hand-written backward.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Saved for backward: one tensor of the input's size, as torch's built-in.
    For :math:`\alpha \ge 0` it is the output :math:`y`: on the negative branch
    :math:`\alpha e^x = y + \alpha`, so the derivative needs no ``exp`` at all, and
    :math:`y \le 0` exactly where :math:`x \le 0`.
    For :math:`\alpha < 0` the output has lost the sign of :math:`x`, so the input is kept
    (in-place with :math:`\alpha < 0` keeps neither, and backward raises as torch's does).

    The plain first-order backward with the output saved is torch's own one-pass kernel
    (``customgrad/ops/_fused.py``), so its values are torch's, at a nan input too: nan in the
    kernel's vectorised body, the incoming gradient in its scalar tail loop (torch disagrees with
    itself there).  Everywhere else the formula runs: the derivative built with ``threshold`` on
    :math:`-y` in one temporary, no boolean mask, no ``torch.where``; exactly 0 at
    :math:`x \to -\infty` with no overflow, and nan at a nan input.

    Args:
        input (Tensor): floating point, any shape.
        alpha (float): :math:`\alpha`, the negative saturation level.  Default ``1.0``.
        inplace (bool): overwrite ``input`` and return it, marked dirty.  Default ``False``.

    Shape:
        Input :math:`(*)`, output :math:`(*)`, the same shape.

    Example:
        >>> x = torch.tensor([-1.0, 0.0, 2.0], requires_grad=True)
        >>> y = ELUFunction.apply(x, 1.0)
        >>> y
        tensor([-0.6321,  0.0000,  2.0000], grad_fn=<ELUFunctionBackward>)
        >>> y.sum().backward()
        >>> x.grad
        tensor([0.3679, 1.0000, 1.0000])
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(input, alpha=1.0, inplace=False):
        return TF.elu(input, alpha, inplace)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, alpha, inplace = inputs
        if inplace:
            ctx.mark_dirty(input)
        ctx.alpha = alpha
        ctx.inplace = inplace
        ctx.broken = inplace and alpha < 0
        # The output gives the derivative without a copy of the input, except for alpha < 0 (not
        # one-to-one) and in float16/bfloat16 (too few digits); in place only the output is left.
        ctx.from_output = inplace or (alpha >= 0 and output.dtype in (torch.float32, torch.float64))
        kept = output if ctx.from_output else input
        ctx.save_for_backward(kept)
        ctx.save_for_forward(kept)

    @staticmethod
    def backward(ctx, grad_output):
        if not ctx.needs_input_grad[0]:
            return None, None, None
        if ctx.broken:
            raise RuntimeError(_INPLACE_NEGATIVE_ALPHA)
        (kept,) = ctx.saved_tensors  # once: under checkpointing each access unpacks
        if fused(grad_output, kept) and ctx.from_output:  # one pass: torch's own kernel (_fused.py)
            return aten.elu_backward(grad_output, ctx.alpha, 1, 1, True, kept), None, None
        slope = _slope(ctx, kept)
        if slope.dtype != grad_output.dtype:  # float16/bfloat16: one rounding, as torch's
            return (grad_output.float() * slope).to(grad_output.dtype), None, None
        return chain(grad_output, slope), None, None

    @staticmethod
    def jvp(ctx, input_tangent, _alpha_tangent, _inplace_tangent):
        d = _slope(ctx).to(input_tangent.dtype)
        # An in-place Function must update the input's tangent in place as well.
        return input_tangent.mul_(d) if ctx.inplace else chain(input_tangent, d)


# ----------------------------------------------------------------------------- functional twin

def elu(input: torch.Tensor, alpha: float = 1.0, inplace: bool = False) -> torch.Tensor:
    r"""Twin of :func:`torch.nn.functional.elu`, backed by :class:`~customgrad.functions.ELUFunction`.

    Args:
        input (Tensor): floating point, any shape.
        alpha (float): :math:`\alpha`, the value :math:`-\alpha` is approached as :math:`x \to -\infty`.  Default ``1.0``.
        inplace (bool): overwrite ``input`` and return the same tensor object.  Default ``False``.

    Shape:
        Input :math:`(*)`, output :math:`(*)`.

    Example:
        >>> import customgrad.functional as CF
        >>> CF.elu(torch.tensor([-100.0, 0.0, 2.0]), alpha=0.5)
        tensor([-0.5000,  0.0000,  2.0000])
    """
    check_tensor("input", input, "elu")
    check_float_input(input, "elu")
    if inplace:
        check_inplace_allowed(input, "elu")
    return _inplace.apply(ELUFunction, input, alpha, inplace=inplace)


# ----------------------------------------------------------------------------- Module twin

class ELU(nn.Module):
    r"""Twin of :class:`torch.nn.ELU`, backed by :class:`~customgrad.functions.ELUFunction` through :func:`customgrad.functional.elu`.

    Args:
        alpha (float): :math:`\alpha`.  Default ``1.0``.
        inplace (bool): overwrite the input and return the same tensor object.  Default ``False``.

    Shape:
        Input :math:`(*)`, output :math:`(*)`.

    Example:
        >>> m = ELU(alpha=0.5, inplace=True)
        >>> m
        ELU(alpha=0.5, inplace=True)
        >>> x = torch.tensor([-100.0, 1.0])
        >>> m(x) is x, x
        (True, tensor([-0.5000,  1.0000]))
    """

    __constants__ = ["alpha", "inplace"]

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return elu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        inplace_str = ", inplace=True" if self.inplace else ""
        return f"alpha={self.alpha}{inplace_str}"


# ----------------------------------------------------------------------------- twin registration

register(Twin(
    name="elu", function=ELUFunction, ours=elu, reference=TF.elu, module=ELU, sample=unary_with(alpha=1.5),
    apply_args=lambda a, k: (a[0], k.get("alpha", 1.0), k.get("inplace", False)), kinks=(0.0,), inplace=True,
    settings=({"alpha": 0.3}, {"alpha": 3.0}, {"alpha": -0.7}, {"alpha": 0.0}, {"inplace": True}),
))
