r"""LearnedSiLU: SiLU with a learnable scale, :math:`a\,x\,\sigma(x)`, gradients for both.

torch has no such layer; its twin is the composite ``slope * torch.nn.functional.silu(input)``.
The backward reuses SiLU's stable formula (``silu_grad`` from ``silu.py``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as TF
from torch import nn

from . import _compile
from ._checks import check_tensor, refuse_complex_grad
from ._compile import compiled_variant
from ._docs import documented
from ._fused import aten, fused
from ._registry import Twin, randn, register
from .silu import silu_grad


def _real_if_real(grad, input):
    """A real input's gradient is the real part (a complex slope makes the output complex)."""
    return grad.real if grad.is_complex() and not input.is_complex() else grad


# ----------------------------------------------------------------------------- formulas (see _docs.py)

def formulas():
    """The forward in sympy, the one source of this Function's formulas (``_docs.py``); imports sympy."""
    from .. import symbolic as S

    x = S.x
    a = S.symbols("a")
    return {"learned_silu": S.Elementwise(a * x * S.sigmoid(x), (a,), name="learned_silu")}


def implemented():
    """SiLU's ``silu_grad`` times the slope: a sigma (1 + x (1 - sigma))."""
    from .. import symbolic as S

    (a,) = formulas()["learned_silu"].params
    s = S.sigmoid(S.x)
    return {"learned_silu": a * s * (1 + S.x * (1 - s))}


# The settings every symbolic check runs with (tests/test_symbolic.py, the API reference): the
# formula and the Function's extra arguments after the input, or MatrixRule.check's arguments.
FORMULA_CHECKS = (("learned_silu", (torch.tensor([0.7]),)),)


@compiled_variant
@documented(formulas, checks=FORMULA_CHECKS)
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

    Args:
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
        grad_input = grad_slope = None
        input, slope = ctx.saved_tensors  # once: under checkpointing each access unpacks
        # One pass each (_fused.py).  grad_output has the output's dtype, promoted from both inputs, so
        # when it is the input's, a slope of another dtype is a lower one: autograd casts its gradient.
        if fused(grad_output, input):
            # One slope for the whole tensor (the usual case): its gradient is a dot product, which
            # needs no product tensor, and one temporary serves the three steps, silu(x), then
            # grad_output * slope, then the input's gradient, written over it (fresh 1e6-element
            # buffers cost page faults here; see bench.page_faults).
            one_slope = (slope.numel() == 1 and grad_output.shape == input.shape
                         and input.dtype in (torch.float32, torch.float64))
            scratch = None
            if ctx.needs_input_grad[1]:
                if one_slope:
                    scratch = TF.silu(input)
                    grad_slope = torch.dot(grad_output.reshape(-1), scratch.reshape(-1)).reshape(slope.shape)
                else:
                    grad_slope = (grad_output * TF.silu(input)).sum_to_size(slope.shape)
            if ctx.needs_input_grad[0]:
                scaled = grad_output * slope if scratch is None else torch.mul(grad_output, slope, out=scratch)
                grad_input = aten.silu_backward.grad_input(scaled, input, grad_input=scaled).sum_to_size(input.shape)
            return grad_input, grad_slope
        input, slope = input.conj(), slope.conj()
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


# ----------------------------------------------------------------------------- functional twin

def learned_silu(input: torch.Tensor, slope: torch.Tensor) -> torch.Tensor:
    r"""SiLU scaled by a learnable ``slope``, backed by :class:`~customgrad.functions.LearnedSiLUFunction`.

    torch has no such function; it equals ``slope * torch.nn.functional.silu(input)``
    in value and gradients, without keeping the SiLU output alive for backward.

    Args:
        input (Tensor): any shape, floating point.
        slope (Tensor): broadcastable to ``input``, e.g. shape ``(1,)``; its gradient has its shape.

    Shape:
        Input :math:`(*)`, output: ``input`` and ``slope`` broadcast together.

    Example:
        >>> import customgrad.functional as CF
        >>> x = torch.tensor([[1.0, -1.0, 2.0]], requires_grad=True)
        >>> slope = torch.tensor([0.5], requires_grad=True)
        >>> CF.learned_silu(x, slope).sum().backward()
        >>> slope.grad
        tensor([2.2237])
    """
    check_tensor("input", input, "learned_silu")
    check_tensor("slope", slope, "learned_silu")
    refuse_complex_grad(input, "silu")
    return _compile.apply(LearnedSiLUFunction, input, slope)


# ----------------------------------------------------------------------------- Module twin

class LearnedSiLU(nn.Module):
    r"""SiLU with a learnable ``slope`` :math:`a`, in the manner of :class:`torch.nn.PReLU`.

    Backed by :func:`customgrad.functional.learned_silu`; torch has no such Module.

    Args:
        num_parameters (int): ``1`` (one slope for all inputs) or the number of channels,
            dimension 1 of the input, as in :class:`torch.nn.PReLU`.  Default ``1``.
        init (float): the initial slope.  Default ``1.0``, where the Module starts as plain SiLU.

    Attributes:
        slope (torch.nn.Parameter): shape ``(num_parameters,)``, filled with ``init``.

    Shape:
        Input :math:`(*)`, at least 2 dimensions when ``num_parameters > 1``; output: same shape.

    Example:
        >>> m = LearnedSiLU(num_parameters=3, init=0.5)
        >>> m
        LearnedSiLU(num_parameters=3, init=0.5)
        >>> m(torch.ones(2, 3, 4)).sum().backward()
        >>> m.slope.grad.shape
        torch.Size([3])
    """

    __constants__ = ["num_parameters"]
    num_parameters: int

    def __init__(self, num_parameters: int = 1, init: float = 1.0, device=None, dtype=None) -> None:
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.slope = nn.Parameter(torch.empty(num_parameters, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Fill the slope with ``init`` again."""
        nn.init.constant_(self.slope, self.init)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        # One slope: a 0-dim view, so the output keeps the input's shape (0-dim included).
        # Per channel: shape (C, 1, ..., 1) against dimension 1, as prelu does.
        if self.num_parameters == 1:
            return learned_silu(input, self.slope.view(()))
        if input.dim() < 2 or input.shape[1] != self.num_parameters:
            raise RuntimeError(
                f"LearnedSiLU(num_parameters={self.num_parameters}) needs an input with "
                f"{self.num_parameters} channels in dimension 1, got shape {tuple(input.shape)}"
            )
        return learned_silu(input, self.slope.view(-1, *([1] * (input.dim() - 2))))

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}, init={self.init}"


# ----------------------------------------------------------------------------- twin registration

def _reference(input, slope):
    """torch has no ``learned_silu``: the reference is the composite of torch's ops."""
    return slope * TF.silu(input)


def _sample(dtype):
    return (randn(4, 5, dtype=dtype), torch.tensor([0.7], dtype=dtype, requires_grad=True)), {}


register(Twin(
    name="learned_silu", function=LearnedSiLUFunction, ours=learned_silu, reference=_reference,
    module=LearnedSiLU, sample=_sample, apply_args=lambda a, k: (a[0], a[1]),
))
