"""Layer normalisation that keeps only the per-row statistics."""

from __future__ import annotations

import torch
import torch.nn.functional as TF
from torch import nn

from . import _compile
from ._autocast import autocast_inputs, autocast_off
from ._checks import check_tensor
from ._compile import compiled_variant
from ._docs import documented
from ._registry import Twin, randn, register

# apply's positional defaults, after (input, normalized_shape): weight, bias, eps.


def _normalized_dims(normalized_shape) -> tuple[int, ...]:
    """The trailing dimensions that ``normalized_shape`` names, as negative indices."""
    return tuple(range(-len(normalized_shape), 0))


def _normalize_backward(grad_xhat, xhat, rstd, dims):
    r"""The Jacobian of :math:`\hat x` applied to ``grad_xhat``; it is self-adjoint, so jvp uses it too."""
    centred = grad_xhat - grad_xhat.mean(dims, keepdim=True)
    return rstd * (centred - xhat * (xhat * grad_xhat).mean(dims, keepdim=True))


# ----------------------------------------------------------------------------- formulas (see _docs.py)

def formulas():
    """The forward in sympy, the one source of this Function's formulas (``_docs.py``); imports sympy."""
    from .. import symbolic as S

    x = S.x
    return {"layer_norm": S.layer_norm_rule()}


# The settings every symbolic check runs with (tests/test_symbolic.py, the API reference): the
# formula and the Function's extra arguments after the input, or MatrixRule.check's arguments.
FORMULA_CHECKS = (
    ("layer_norm", dict(call=lambda input, weight, bias: LayerNormFunction.apply(input, (3,), weight, bias, 1e-5)[0])),
)


@compiled_variant
@documented(formulas, checks=FORMULA_CHECKS)
class LayerNormFunction(torch.autograd.Function):
    r"""Layer normalisation over the trailing ``normalized_shape`` dimensions, with a hand-written backward.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    The mean :math:`\mu` and variance :math:`v` (biased, as torch) are taken over the :math:`H`
    elements of the trailing ``normalized_shape`` dimensions, one pair per leading index.
    The forward is torch's ``native_layer_norm`` kernel, so values and shape errors are torch's.

    Returns ``(output, mean, rstd)`` like ``torch.native_layer_norm``: the statistics, of shape
    ``input.shape[:-len(normalized_shape)] + (1,) * len(normalized_shape)``, are outputs marked
    non-differentiable.
    This is how a ``forward`` without ``ctx`` hands intermediate results to ``setup_context``;
    computing them again there would cost a second pass over the input.
    :func:`customgrad.functional.layer_norm` returns the output alone.

    Saved for backward: ``input`` (the caller's tensor, no copy), ``weight``, and the small
    ``mean`` and ``rstd`` :math:`= 1/\sqrt{v + \epsilon} = 1/\sigma`, one number each per row;
    never a normalised copy :math:`\hat x` (it is rebuilt from these in one elementwise pass).
    ``bias`` is not saved: its gradient needs only its shape.
    When the backward itself is being differentiated (``create_graph=True``, ``torch.func``),
    :math:`\mu` and :math:`\sigma` are recomputed from ``input`` with differentiable ops, so the
    second derivative sees how they depend on the input; a first-order backward uses the saved ones.

    Args:
        input (Tensor): :math:`(*, \text{normalized\_shape})`, floating point.
        normalized_shape (list or tuple of int or torch.Size): the trailing shape to normalise over.
        weight (Tensor, optional): :math:`\gamma`, of shape ``normalized_shape``.  Default ``None``.
        bias (Tensor, optional): :math:`\beta`, of shape ``normalized_shape``.  Default ``None``.
        eps (float): added to the variance.  Default ``1e-5``.

    Shape:
        Output: the same shape as ``input``.

    Example:
        >>> x = torch.tensor([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]], requires_grad=True)
        >>> y, mean, rstd = LayerNormFunction.apply(x, (3,), None, None, 1e-5)
        >>> y
        tensor([[-1.2247,  0.0000,  1.2247],
                [-1.2247,  0.0000,  1.2247]], grad_fn=<LayerNormFunctionBackward>)
        >>> mean.squeeze(1), mean.requires_grad
        (tensor([2., 4.]), False)
        >>> y[:, 1].sum().backward()
        >>> x.grad
        tensor([[-0.4082,  0.8165, -0.4082],
                [-0.2041,  0.4082, -0.2041]])
    """


    generate_vmap_rule = True

    @staticmethod
    def forward(input, normalized_shape, weight, bias, eps):
        return torch.native_layer_norm(input, normalized_shape, weight, bias, eps)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, normalized_shape, weight, bias, eps = inputs
        _, mean, rstd = output
        ctx.mark_non_differentiable(mean, rstd)
        ctx.dims = _normalized_dims(normalized_shape)
        ctx.eps = eps
        ctx.bias_shape = None if bias is None else bias.shape
        ctx.save_for_backward(input, weight, mean, rstd)
        ctx.save_for_forward(input, weight, mean, rstd)

    @staticmethod
    def backward(ctx, grad_output, _grad_mean, _grad_rstd):
        input, weight, mean, rstd = ctx.saved_tensors
        needs_input, _, needs_weight, needs_bias, _ = ctx.needs_input_grad
        if torch.is_grad_enabled():
            # A graph of this backward is being recorded: let mu and sigma carry their dependence on x.
            var, mean = torch.var_mean(input, ctx.dims, correction=0, keepdim=True)
            rstd = torch.rsqrt(var + ctx.eps)
        xhat = (input - mean) * rstd
        grad_input = grad_weight = grad_bias = None
        if needs_input:
            grad_xhat = grad_output if weight is None else grad_output * weight
            grad_input = _normalize_backward(grad_xhat, xhat, rstd, ctx.dims)
        if needs_weight:
            grad_weight = (grad_output * xhat).sum_to_size(weight.shape)
        if needs_bias:
            grad_bias = grad_output.sum_to_size(ctx.bias_shape)
        return grad_input, None, grad_weight, grad_bias, None

    @staticmethod
    def jvp(ctx, input_tangent, _shape_tangent, weight_tangent, bias_tangent, _eps_tangent):
        input, weight, mean, rstd = ctx.saved_tensors
        xhat = (input - mean) * rstd
        if input_tangent is None:
            input_tangent = torch.zeros_like(input)
        tangent = _normalize_backward(input_tangent, xhat, rstd, ctx.dims)
        if weight is not None:
            tangent = tangent * weight
        if weight_tangent is not None:
            tangent = tangent + xhat * weight_tangent
        if bias_tangent is not None:
            tangent = tangent + bias_tangent
        return tangent, None, None


# ----------------------------------------------------------------------------- functional twin

def layer_norm(
    input: torch.Tensor,
    normalized_shape: list[int],
    weight: torch.Tensor | None = None,
    bias: torch.Tensor | None = None,
    eps: float = 1e-05,
) -> torch.Tensor:
    r"""Twin of :func:`torch.nn.functional.layer_norm`, backed by :class:`~customgrad.functions.LayerNormFunction`.

    Args:
        input (Tensor): :math:`(*, \text{normalized\_shape})`.
        normalized_shape (list or tuple of int, or torch.Size): the trailing dimensions to normalise
            over (an ``int`` is refused, as by torch's functional; :class:`customgrad.nn.LayerNorm` accepts one).
        weight (Tensor, optional): :math:`\gamma`, shape ``normalized_shape``.  Default ``None``.
        bias (Tensor, optional): :math:`\beta`, shape ``normalized_shape``.  Default ``None``.
        eps (float): added to the variance.  Default ``1e-05``.

    Shape:
        Output: the shape of ``input``.

    Example:
        >>> import customgrad.functional as CF
        >>> CF.layer_norm(torch.tensor([[1.0, 2.0, 3.0]]), [3])
        tensor([[-1.2247,  0.0000,  1.2247]])
    """
    check_tensor("input", input, "layer_norm")
    for name, value in (("weight", weight), ("bias", bias)):
        if value is not None:
            check_tensor(name, value, "layer_norm")
    if isinstance(normalized_shape, int) or not isinstance(normalized_shape, (list, tuple)):
        raise TypeError(
            f"layer_norm(): argument 'normalized_shape' must be tuple of ints, not {type(normalized_shape).__name__}"
        )
    input, weight, bias = autocast_inputs("layer_norm", input, weight, bias)
    with autocast_off(input):
        return _compile.apply(LayerNormFunction, input, tuple(normalized_shape), weight, bias, eps)[0]


# ----------------------------------------------------------------------------- Module twin

class LayerNorm(nn.Module):
    r"""Twin of :class:`torch.nn.LayerNorm`, backed by :class:`~customgrad.functions.LayerNormFunction` through :func:`customgrad.functional.layer_norm`.

    Args:
        normalized_shape (int or list or torch.Size): the trailing shape to normalise over.
        eps (float): added to the variance.  Default ``1e-05``.
        elementwise_affine (bool): learn :math:`\gamma` (ones) and, with ``bias``, :math:`\beta` (zeros).
            Default ``True``.
        bias (bool): learn :math:`\beta` when ``elementwise_affine``.  Default ``True``.
        device, dtype: factory keyword arguments for the parameters, as in torch.

    Shape:
        Input :math:`(*, \text{normalized\_shape})`, output the same shape.

    Example:
        >>> m = LayerNorm(3)
        >>> m
        LayerNorm((3,), eps=1e-05, elementwise_affine=True, bias=True)
        >>> m(torch.tensor([[1.0, 2.0, 3.0]]))
        tensor([[-1.2247,  0.0000,  1.2247]], grad_fn=<LayerNormFunctionBackward>)
    """

    __constants__ = ["normalized_shape", "eps", "elementwise_affine"]

    def __init__(
        self,
        normalized_shape,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = nn.Parameter(torch.empty(self.normalized_shape, **factory_kwargs))
            if bias:
                self.bias = nn.Parameter(torch.empty(self.normalized_shape, **factory_kwargs))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """torch's initialisation: ``weight`` ones, ``bias`` zeros."""
        if self.elementwise_affine:
            nn.init.ones_(self.weight)
            if self.bias is not None:
                nn.init.zeros_(self.bias)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
            f"bias={self.bias is not None}"
        )


# ----------------------------------------------------------------------------- twin registration

def _sample(dtype):
    return (randn(3, 4, 5, dtype=dtype), (4, 5), randn(4, 5, dtype=dtype), randn(4, 5, dtype=dtype)), {}


register(Twin(
    name="layer_norm", function=LayerNormFunction, ours=layer_norm, reference=TF.layer_norm, module=LayerNorm,
    sample=_sample, apply_args=lambda a, k: (a[0], tuple(a[1]), a[2], a[3], k.get("eps", 1e-5)),
    elementwise=False,
    settings=({"eps": 0.1},),
))
