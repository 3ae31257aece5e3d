"""HardSwish: Swish with the sigmoid replaced by a clipped line."""

from __future__ import annotations

import torch
import torch.nn.functional as TF
from torch import nn

from . import _inplace
from ._chain import chain
from ._checks import check_float_input, check_inplace_allowed, check_tensor
from ._compile import compiled_variant
from ._docs import documented
from ._fused import aten, fused
from ._inplace import input_values, refuse_double_backward, run_keeping_original
from ._registry import Twin, register, unary


def _slope(x: torch.Tensor) -> torch.Tensor:
    """The derivative as a new tensor: 0 for x <= -3, x/3 + 1/2 between, 1 for x >= 3, nan at nan.

    ``threshold(t, -1, v)`` replaces exactly the entries ``t <= -1``; applied to ``-x/3`` and
    then to ``x/3 + 1/2`` it settles both ends, and ``x/3`` is exactly -1 or 1 only at the kinks.
    """
    t = torch.div(x, -3)
    TF.threshold(t, -1.0, -0.5, inplace=True)  # x >= 3: t = -1/2, so the slope becomes 1
    t = t.sub_(0.5).neg_()  # x/3 + 1/2
    return TF.threshold(t, -0.5, 0.0, inplace=True)  # x <= -3: slope 0


# ----------------------------------------------------------------------------- formulas (see _docs.py)

def formulas():
    """The forward in sympy, the one source of this Function's formulas (``_docs.py``); imports sympy."""
    import sympy

    from .. import symbolic as S

    x = S.x
    # torch 2.13 (and the code): slope 0 at -3 and 1 at 3, the outer values
    return {"hardswish": S.Elementwise(sympy.Piecewise((0, x <= -3), (x * (x + 3) / 6, x < 3), (x, True)),
                                       name="hardswish")}


# The settings every symbolic check runs with (tests/test_symbolic.py, the API reference): the
# formula and the Function's extra arguments after the input, or MatrixRule.check's arguments.
FORMULA_CHECKS = (("hardswish", ()),)


@compiled_variant
@documented(formulas, checks=FORMULA_CHECKS)
class HardSwishFunction(torch.autograd.Function):
    r"""HardSwish with a hand-written backward.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    Saved for backward: the input :math:`x` (the output is not invertible on
    :math:`[-3, 0]`), as torch's built-in.  With ``inplace=True`` the input is about to be
    overwritten, so forward copies it first and ``setup_context`` saves that copy instead
    (torch's in-place hardswish keeps the same copy); how the copy travels from forward to
    ``setup_context`` is explained in ``customgrad/ops/_inplace.py``, shared with SiLU and Mish.

    The plain first-order backward is torch's own one-pass kernel (``customgrad/ops/_fused.py``),
    so its values are torch's, at a nan input too: nan in the kernel's vectorised body, the
    incoming gradient in its scalar tail loop (torch disagrees with itself there).  Everywhere else
    (double backward, ``jvp``, ``torch.func``) the formula runs: the derivative built in one
    temporary with two ``threshold`` passes, no boolean mask, nan at a nan input.

    Args:
        input (Tensor): floating point, any shape.
        inplace (bool): overwrite ``input`` and return it, marked dirty.  Default ``False``.

    Shape:
        Input :math:`(*)`, output :math:`(*)`, the same shape.

    Example:
        >>> x = torch.tensor([-3.0, 0.0, 1.5, 3.0], requires_grad=True)
        >>> y = HardSwishFunction.apply(x)
        >>> y
        tensor([-0.0000,  0.0000,  1.1250,  3.0000], grad_fn=<HardSwishFunctionBackward>)
        >>> y.sum().backward()
        >>> x.grad
        tensor([0.0000, 0.5000, 1.0000, 1.0000])
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(input, inplace=False):
        return run_keeping_original(TF.hardswish, input, inplace)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input = input_values(ctx, inputs, output)
        ctx.save_for_backward(input)
        ctx.save_for_forward(input)

    @staticmethod
    def backward(ctx, grad_output):
        if not ctx.needs_input_grad[0]:
            return None, None
        refuse_double_backward(ctx, "HardSwishFunction")
        (input,) = ctx.saved_tensors
        if fused(grad_output, input):  # one pass: torch's own kernel (_fused.py)
            return aten.hardswish_backward(grad_output, input), None
        return chain(grad_output, _slope(input)), None

    @staticmethod
    def jvp(ctx, input_tangent, _inplace_tangent):
        (input,) = ctx.saved_tensors
        d = _slope(input)
        # An in-place Function must update the input's tangent in place as well.
        return input_tangent.mul_(d) if ctx.inplace else chain(input_tangent, d)


# ----------------------------------------------------------------------------- functional twin

def hardswish(input: torch.Tensor, inplace: bool = False) -> torch.Tensor:
    r"""Twin of :func:`torch.nn.functional.hardswish`, backed by :class:`~customgrad.functions.HardSwishFunction`.

    Args:
        input (Tensor): floating point, any shape.
        inplace (bool): overwrite ``input`` and return the same tensor object.  Default ``False``.

    Shape:
        Input :math:`(*)`, output :math:`(*)`.

    Example:
        >>> import customgrad.functional as CF
        >>> CF.hardswish(torch.tensor([-4.0, -1.5, 0.0, 3.0]))
        tensor([-0.0000, -0.3750,  0.0000,  3.0000])
    """
    check_tensor("input", input, "hardswish")
    check_float_input(input, "hardswish")
    if inplace:
        check_inplace_allowed(input, "hardswish")
    return _inplace.apply(HardSwishFunction, input, inplace=inplace, keeps_input=True)


# ----------------------------------------------------------------------------- Module twin

class Hardswish(nn.Module):
    r"""Twin of :class:`torch.nn.Hardswish`, backed by :class:`~customgrad.functions.HardSwishFunction` through :func:`customgrad.functional.hardswish`.

    Args:
        inplace (bool): overwrite the input and return the same tensor object.  Default ``False``.

    Shape:
        Input :math:`(*)`, output :math:`(*)`.

    Example:
        >>> m = Hardswish()
        >>> m
        Hardswish()
        >>> m(torch.tensor([-3.0, 1.0, 3.0]))
        tensor([-0.0000,  0.6667,  3.0000])
    """

    __constants__ = ["inplace"]

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return hardswish(input, self.inplace)


# ----------------------------------------------------------------------------- twin registration

register(Twin(
    name="hardswish", function=HardSwishFunction, ours=hardswish, reference=TF.hardswish, module=Hardswish,
    sample=unary, apply_args=lambda a, k: (a[0], k.get("inplace", False)), kinks=(-3.0, 3.0), inplace=True,
    settings=({"inplace": True},),
))
