"""The linear layer y = x Wᵀ + b: matrix calculus by hand."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as TF
from torch import nn

from . import _compile
from ._autocast import autocast_inputs, autocast_off
from ._checks import check_tensor
from ._compile import compiled_variant
from ._docs import documented
from ._registry import Twin, randn, register


def _times_weight_t(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """``x Wᵀ`` for a 2-D weight; ``x w`` (a dot product over the last dimension) for a 1-D weight."""
    return x.matmul(weight.mT if weight.dim() == 2 else weight)


def _rows(t: torch.Tensor) -> torch.Tensor:
    """All leading dimensions flattened into one: ``(*, n) -> (rows, n)``; a 1-D tensor is one row."""
    return t.reshape(math.prod(t.shape[:-1]), t.shape[-1])


# ----------------------------------------------------------------------------- formulas (see _docs.py)

def formulas():
    """The forward in sympy, the one source of this Function's formulas (``_docs.py``); imports sympy."""
    from .. import symbolic as S

    x = S.x
    return {"linear": S.linear_rule()}


# The settings every symbolic check runs with (tests/test_symbolic.py, the API reference): the
# formula and the Function's extra arguments after the input, or MatrixRule.check's arguments.
FORMULA_CHECKS = (("linear", {}),)


@compiled_variant
@documented(formulas, checks=FORMULA_CHECKS)
class LinearFunction(torch.autograd.Function):
    r"""Affine map :math:`y = x W^\top + b` with hand-written matrix-calculus gradients.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    The leading dimensions :math:`*` of ``input`` are any number of batch dimensions (none for a
    1-D input), so the weight gradient sums :math:`g_k^\top x_k` over every leading index :math:`k`.
    ``bias`` may be any shape that broadcasts to the output, such as ``(out,)`` or ``(1, out)``;
    its gradient is summed back to ``bias``'s own shape.
    A 1-D weight :math:`(\text{in})` is accepted, as by torch, and drops the output feature dimension.
    The forward is torch's ``linear`` kernel, so values and the errors for mismatched shapes
    or dtypes are exactly torch's; the gradients are ours.

    Saved for backward: ``weight`` only if ``input`` needs a gradient, and ``input`` only if
    ``weight`` needs one (each is the factor of the other's gradient).
    ``bias`` is never saved: its gradient does not depend on any value, only on its shape.
    Both are the caller's own tensors, so saving them costs no copy; torch's ``addmm`` keeps the same two.

    Args:
        input (Tensor): :math:`(*, \text{in})`, or :math:`(\text{in})`.
        weight (Tensor): :math:`(\text{out}, \text{in})`, or :math:`(\text{in})`.
        bias (Tensor, optional): broadcastable to the output :math:`(*, \text{out})`.  Default ``None``.

    Shape:
        Output :math:`(*, \text{out})`: the leading dimensions of ``input``.

    Example:
        >>> x = torch.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
        >>> W = torch.tensor([[0.5, 0.5, 0.5], [1.0, 1.0, 1.0]], requires_grad=True)
        >>> b = torch.tensor([[0.1, 0.2]], requires_grad=True)
        >>> y = LinearFunction.apply(x, W, b)
        >>> y
        tensor([[3.1000, 6.2000]], grad_fn=<LinearFunctionBackward>)
        >>> y.sum().backward()
        >>> x.grad, W.grad, b.grad
        (tensor([[1.5000, 1.5000, 1.5000]]), tensor([[1., 2., 3.],
                [1., 2., 3.]]), tensor([[1., 1.]]))
    """


    generate_vmap_rule = True

    @staticmethod
    def forward(input, weight, bias):
        return torch.nn.functional.linear(input, weight, bias)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, weight, bias = inputs
        ctx.weight_shape = weight.shape
        ctx.bias_shape = None if bias is None else bias.shape
        needs_input, needs_weight = ctx.needs_input_grad[:2]
        ctx.save_for_backward(input if needs_weight else None, weight if needs_input else None)
        ctx.save_for_forward(input, weight)

    @staticmethod
    def backward(ctx, grad_output):
        # Complex tensors take the conjugates (PyTorch's convention); .conj() is free on real ones.
        input, weight = (None if t is None else t.conj() for t in ctx.saved_tensors)
        needs = ctx.needs_input_grad
        grad_input = grad_weight = grad_bias = None
        # A 1-D weight is the single-row matrix weight[None]; its output lost that unit dimension.
        g = grad_output.unsqueeze(-1) if len(ctx.weight_shape) == 1 else grad_output
        if needs[0]:
            grad_input = g.matmul(weight if weight.dim() == 2 else weight.unsqueeze(0))
        if needs[1]:
            grad_weight = _rows(g).mT.matmul(_rows(input)).reshape(ctx.weight_shape)
        if needs[2]:
            grad_bias = grad_output.sum_to_size(ctx.bias_shape)
        return grad_input, grad_weight, grad_bias

    @staticmethod
    def jvp(ctx, input_tangent, weight_tangent, bias_tangent):
        input, weight = ctx.saved_tensors
        if input_tangent is None:
            input_tangent = torch.zeros_like(input)
        out = _times_weight_t(input_tangent, weight)
        if weight_tangent is not None:
            out = out + _times_weight_t(input, weight_tangent)
        if bias_tangent is not None:
            out = out + bias_tangent
        return out


# ----------------------------------------------------------------------------- functional twin

def linear(input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    r"""Twin of :func:`torch.nn.functional.linear`, backed by :class:`~customgrad.functions.LinearFunction`.

    Args:
        input (Tensor): :math:`(*, \text{in})` with any number of leading dimensions, or :math:`(\text{in})`.
        weight (Tensor): :math:`(\text{out}, \text{in})`.
        bias (Tensor, optional): broadcastable to :math:`(*, \text{out})`, e.g. :math:`(\text{out})` or
            :math:`(1, \text{out})`.  Default ``None``.

    Shape:
        Output :math:`(*, \text{out})`.

    Example:
        >>> import customgrad.functional as CF
        >>> x = torch.ones(2, 4, 3)
        >>> CF.linear(x, torch.ones(5, 3), torch.arange(5.0)).shape
        torch.Size([2, 4, 5])
        >>> CF.linear(torch.tensor([1.0, 2.0]), torch.tensor([[1.0, 1.0], [0.0, 1.0]]))
        tensor([3., 2.])
    """
    check_tensor("input", input, "linear")
    check_tensor("weight", weight, "linear")
    if bias is not None:
        check_tensor("bias", bias, "linear")
    input, weight, bias = autocast_inputs("linear", input, weight, bias)
    with autocast_off(input):
        return _compile.apply(LinearFunction, input, weight, bias)


# ----------------------------------------------------------------------------- Module twin

class Linear(nn.Module):
    r"""Twin of :class:`torch.nn.Linear`, backed by :class:`~customgrad.functions.LinearFunction` through :func:`customgrad.functional.linear`.

    Parameters are created and initialised exactly as torch's: ``weight`` :math:`(\text{out}, \text{in})`
    and ``bias`` :math:`(\text{out})` uniform in :math:`\pm 1/\sqrt{\text{in}}`, so the same seed
    gives the same numbers and the state_dicts load into each other.

    Args:
        in_features (int): size of each input sample.
        out_features (int): size of each output sample.
        bias (bool): learn an additive bias.  Default ``True``.
        device, dtype: factory keyword arguments for the parameters, as in torch.

    Shape:
        Input :math:`(*, \text{in})`, output :math:`(*, \text{out})`.

    Example:
        >>> m = Linear(3, 2)
        >>> m
        Linear(in_features=3, out_features=2, bias=True)
        >>> m(torch.randn(4, 5, 3)).shape
        torch.Size([4, 5, 2])
        >>> list(m.state_dict()) == list(torch.nn.Linear(3, 2).state_dict())
        True
    """

    __constants__ = ["in_features", "out_features"]

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = nn.Parameter(torch.empty((out_features, in_features), **factory_kwargs))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_features, **factory_kwargs))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """torch's initialisation: Kaiming-uniform with ``a = sqrt(5)``, bias uniform in ``±1/sqrt(fan_in)``."""
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = nn.init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


# ----------------------------------------------------------------------------- twin registration

def _sample(dtype):
    return (randn(2, 4, 3, dtype=dtype), randn(5, 3, dtype=dtype), randn(5, dtype=dtype)), {}


register(Twin(
    name="linear", function=LinearFunction, ours=linear, reference=TF.linear, module=Linear, sample=_sample,
    apply_args=lambda a, k: (a[0], a[1], a[2] if len(a) > 2 else k.get("bias")), elementwise=False,
))
