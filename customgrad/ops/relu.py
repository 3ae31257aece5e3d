"""ReLU: the template every operation in customgrad follows.

One module holds everything about the operation: the ``torch.autograd.Function``
(``ReLUFunction``), its :mod:`torch.nn.functional` twin (``relu``), its :mod:`torch.nn` twin
(``ReLU``) and its entry in the twin registry (what the tests and the verification matrix
check it against).
"""

from __future__ import annotations

import torch
import torch.nn.functional as TF
from torch import nn

from .._torch_private import functorch_transforms_active
from . import _inplace
from ._chain import chain
from ._checks import check_inplace_allowed, check_tensor
from ._compile import compiled_variant
from ._docs import documented
from ._fused import aten, fused
from ._registry import Twin, register, unary

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
    Under ``torch.compile`` it is ``sign(y)``, with 1 where ``y != y`` (nan): both need ``y``
    itself, so the compiled graph saves the float output, not a bool mask (``_fused.py``).
    """
    y = output.detach()
    if torch.compiler.is_compiling():
        return torch.where(y != y, 1.0, y.sign())
    if functorch_transforms_active():
        return torch.nan_to_num(y, nan=1.0).sign_()
    return torch.ne(y, _ZERO, out=torch.empty_like(y))


# ----------------------------------------------------------------------------- formulas (see _docs.py)

def formulas():
    """The forward in sympy, the one source of this Function's formulas (``_docs.py``); imports sympy."""
    import sympy

    from .. import symbolic as S

    x = S.x
    # relu'(0) = 0: the code keeps x > 0 (y != 0)
    return {"relu": S.Elementwise(sympy.Piecewise((0, x <= 0), (x, True)), name="relu")}


# The settings every symbolic check runs with (tests/test_symbolic.py, the API reference): the
# formula and the Function's extra arguments after the input, or MatrixRule.check's arguments.
FORMULA_CHECKS = (("relu", ()),)


@compiled_variant
@documented(formulas, checks=FORMULA_CHECKS)
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

    Args:
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
        if fused(grad_output, output, when_compiling=False):  # one pass: torch's own kernel (_fused.py)
            return aten.threshold_backward(grad_output, output, 0), None
        return chain(grad_output, _derivative(output)), None

    @staticmethod
    def jvp(ctx, input_tangent, _inplace_tangent):
        (output,) = ctx.saved_tensors
        d = _derivative(output)
        # An in-place Function must update the input's tangent in place as well.
        return input_tangent.mul_(d) if ctx.inplace else chain(input_tangent, d)


# ----------------------------------------------------------------------------- functional twin

def relu(input: torch.Tensor, inplace: bool = False) -> torch.Tensor:
    r"""Twin of :func:`torch.nn.functional.relu`, backed by :class:`~customgrad.functions.ReLUFunction`.

    Args:
        input (Tensor): any shape; integer tensors work as with torch.
        inplace (bool): overwrite ``input`` and return the same tensor object.  Default ``False``.

    Shape:
        Input :math:`(*)`, output :math:`(*)`.

    Example:
        >>> import customgrad.functional as CF
        >>> CF.relu(torch.tensor([-1.0, 0.0, 2.0]))
        tensor([0., 0., 2.])
        >>> x = torch.arange(-2, 3)
        >>> CF.relu(x, inplace=True) is x
        True
    """
    check_tensor("input", input, "relu")
    if input.dtype == torch.bool:
        raise RuntimeError("Boolean inputs not supported for relu")
    if inplace:
        check_inplace_allowed(input, "relu")
    return _inplace.apply(ReLUFunction, input, inplace=inplace)


# ----------------------------------------------------------------------------- Module twin

class ReLU(nn.Module):
    r"""Twin of :class:`torch.nn.ReLU`, backed by :class:`~customgrad.functions.ReLUFunction` through :func:`customgrad.functional.relu`.

    Args:
        inplace (bool): overwrite the input and return the same tensor object.  Default ``False``.

    Shape:
        Input :math:`(*)`, output :math:`(*)`.

    Example:
        >>> m = ReLU(inplace=True)
        >>> m
        ReLU(inplace=True)
        >>> x = torch.tensor([1.0, -2.0, 3.0])
        >>> y = m(x)
        >>> y is x, y.data_ptr() == x.data_ptr(), y
        (True, True, tensor([1., 0., 3.]))
    """

    __constants__ = ["inplace"]

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return relu(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


# ----------------------------------------------------------------------------- twin registration

register(Twin(
    name="relu", function=ReLUFunction, ours=relu, reference=TF.relu, module=ReLU, sample=unary,
    apply_args=lambda a, k: (a[0], k.get("inplace", False)), kinks=(0.0,), inplace=True,
    settings=({"inplace": True},),
))
