"""Layer normalisation as a custom autograd Function that keeps only the per-row statistics."""

from __future__ import annotations

import torch

from .._docs import documented

# apply's positional defaults, after (input, normalized_shape): weight, bias, eps.
_DEFAULTS = (None, None, None, None, 1e-5)


def _normalized_dims(normalized_shape) -> tuple[int, ...]:
    """The trailing dimensions that ``normalized_shape`` names, as negative indices."""
    return tuple(range(-len(normalized_shape), 0))


def _normalize_backward(grad_xhat, xhat, rstd, dims):
    r"""The Jacobian of :math:`\hat x` applied to ``grad_xhat``; it is self-adjoint, so jvp uses it too."""
    centred = grad_xhat - grad_xhat.mean(dims, keepdim=True)
    return rstd * (centred - xhat * (xhat * grad_xhat).mean(dims, keepdim=True))


@documented
class LayerNormFunction(torch.autograd.Function):
    r"""Layer normalisation over the trailing ``normalized_shape`` dimensions, with a hand-written backward.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    The mean :math:`\mu` and variance :math:`\sigma^2` (biased, as torch) are taken over the :math:`H`
    elements of the trailing ``normalized_shape`` dimensions, one pair per leading index.
    The forward is torch's ``native_layer_norm`` kernel, so values and shape errors are torch's.

    Returns ``(output, mean, rstd)`` like ``torch.native_layer_norm``: the statistics, of shape
    ``input.shape[:-len(normalized_shape)] + (1,) * len(normalized_shape)``, are outputs marked
    non-differentiable.
    This is how a ``forward`` without ``ctx`` hands intermediate results to ``setup_context``;
    computing them again there would cost a second pass over the input.
    :func:`customgrad.functional.layer_norm` returns the output alone.

    Saved for backward: ``input`` (the caller's tensor, no copy), ``weight``, and the small
    ``mean`` and ``rstd`` :math:`= 1/\sqrt{\sigma^2 + \epsilon}`, one number each per row;
    never a normalised copy :math:`\hat x` (it is rebuilt from these in one elementwise pass).
    ``bias`` is not saved: its gradient needs only its shape.
    When the backward itself is being differentiated (``create_graph=True``, ``torch.func``),
    :math:`\mu` and :math:`\sigma` are recomputed from ``input`` with differentiable ops, so the
    second derivative sees how they depend on the input; a first-order backward uses the saved ones.

    Args (``apply`` is positional):
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

    FORWARD_MATH = r"""
    .. math:: \mu = \frac{1}{H} \sum_{j} x_j, \qquad
              \sigma^2 = \frac{1}{H} \sum_{j} (x_j - \mu)^2, \qquad
              \hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad
              y = \gamma \odot \hat x + \beta
    """
    BACKWARD_MATH = r"""
    .. math:: g = \gamma \odot \frac{\partial L}{\partial y}, \qquad
              \frac{\partial L}{\partial x} = \frac{1}{\sqrt{\sigma^2 + \epsilon}}
              \Big(g - \overline{g} - \hat x\, \overline{g \odot \hat x}\Big)

    .. math:: \frac{\partial L}{\partial \gamma} = \sum_{\text{rows}} \frac{\partial L}{\partial y} \odot \hat x, \qquad
              \frac{\partial L}{\partial \beta} = \sum_{\text{rows}} \frac{\partial L}{\partial y}
              \qquad (\overline{v} = \text{mean of } v \text{ over the normalised dims})
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(input, normalized_shape, weight=None, bias=None, eps=1e-5):
        return torch.native_layer_norm(input, normalized_shape, weight, bias, eps)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, normalized_shape, weight, bias, eps = inputs + _DEFAULTS[len(inputs):]
        _, mean, rstd = output
        ctx.mark_non_differentiable(mean, rstd)
        ctx.num_inputs = len(inputs)
        ctx.dims = _normalized_dims(normalized_shape)
        ctx.eps = eps
        ctx.bias_shape = None if bias is None else bias.shape
        ctx.save_for_backward(input, weight, mean, rstd)
        ctx.save_for_forward(input, weight, mean, rstd)

    @staticmethod
    def backward(ctx, grad_output, _grad_mean, _grad_rstd):
        input, weight, mean, rstd = ctx.saved_tensors
        needs_input, _, needs_weight, needs_bias = (*ctx.needs_input_grad, False, False)[:4]
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
        return (grad_input, None, grad_weight, grad_bias, None)[: ctx.num_inputs]

    @staticmethod
    def jvp(ctx, input_tangent, _shape_tangent, weight_tangent=None, bias_tangent=None, _eps_tangent=None):
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
