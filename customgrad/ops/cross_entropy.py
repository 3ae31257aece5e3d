"""Cross-entropy loss: class indices or probabilities, weights, smoothing."""

from __future__ import annotations

import torch
import torch.nn.functional as TF
from torch import nn

from .._torch_private import is_functorch_wrapped
from . import _compile
from ._autocast import autocast_inputs, autocast_off
from ._checks import check_tensor
from ._compile import compiled_variant
from ._docs import documented
from ._reduction import check_reduction, legacy_reduction, module_reduction
from ._registry import Twin, randn, register

_DTYPE_NAMES = {
    torch.int64: "Long", torch.int32: "Int", torch.int16: "Short", torch.int8: "Char", torch.uint8: "Byte",
    torch.bool: "Bool", torch.float64: "Double", torch.float32: "Float", torch.float16: "Half",
    torch.bfloat16: "BFloat16",
}


# apply's positional defaults, after (input, target): weight, ignore_index, reduction, label_smoothing.


def _name(dtype: torch.dtype) -> str:
    return _DTYPE_NAMES.get(dtype, str(dtype))


def check_cross_entropy(input, target, weight, ignore_index, label_smoothing) -> bool:
    """Raise where torch's ``cross_entropy`` raises; return whether ``target`` holds class probabilities.

    As in torch, a target of exactly the input's shape holds probabilities; any other target
    holds class indices, of shape :math:`()` or :math:`(1)` for a 1-D input, :math:`(N)` for
    :math:`(N, C)`, and :math:`(N, d_1, ...)` for :math:`(N, C, d_1, ...)`.
    """
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, int):
        raise TypeError(f"cross_entropy(): argument 'ignore_index' must be int, not {type(ignore_index).__name__}")
    probs = input.shape == target.shape
    if probs and not target.is_floating_point():
        raise RuntimeError(f"Expected floating point type for target with class probabilities, got {_name(target.dtype)}")
    if probs and ignore_index >= 0:
        raise RuntimeError("ignore_index is not supported for floating point target")
    if input.dim() == 0:
        raise IndexError("cross_entropy(): input has no class dimension (a 0-dim tensor); expected (C), (N, C) or (N, C, d1, ...)")
    if not input.is_floating_point():
        raise NotImplementedError(f"cross_entropy(): log_softmax is not implemented for {_name(input.dtype)} input")
    if float(label_smoothing) > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    classes = input.shape[0 if input.dim() == 1 else 1]
    bad_weight = weight is not None and (weight.dim() != 1 or weight.numel() != classes)
    weight_message = (f"weight tensor should be defined either for all {classes} classes or no classes "
                      f"but got weight tensor of shape: {list(weight.shape) if weight is not None else None}")
    if probs:
        if bad_weight:
            raise RuntimeError("cross_entropy: " + weight_message)
        return True
    target_batch = target.shape[0] if target.dim() else 0
    if input.dim() != 1 and input.shape[0] != target_batch:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size ({target_batch}).")
    if target.dtype not in (torch.int64, torch.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {_name(target.dtype)}")
    if input.dim() <= 2:
        if target.dim() > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if input.dim() == 1 and target.dim() == 1 and target.shape[0] != 1:
            raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {target.shape[0]}")
    elif input.dim() == 4 and target.dim() != 3:
        raise RuntimeError(f"only batches of spatial targets supported (3D tensors) but got targets of dimension: {target.dim()}")
    elif input.dim() == 4 and target.shape != input.shape[:1] + input.shape[2:]:
        raise RuntimeError(f"size mismatch (got input: {list(input.shape)} , target: {list(target.shape)}")
    elif target.shape != input.shape[:1] + input.shape[2:]:
        raise RuntimeError(f"Expected target size {list(input.shape[:1] + input.shape[2:])}, got {list(target.shape)}")
    if bad_weight:
        raise RuntimeError(weight_message)
    if weight is not None and weight.dtype != input.dtype:
        raise RuntimeError(f"expected scalar type {_name(input.dtype)} but found {_name(weight.dtype)}")
    return False


def _check_target_range(target, classes, ignore_index) -> None:
    """``IndexError`` for a class index outside ``[0, C)`` that is not ``ignore_index``, as torch raises.

    The check reads the data, so it is skipped for a target wrapped by ``torch.func`` (vmap over
    the target) and while ``torch.compile`` traces; an out-of-range index there still fails, in
    ``gather``.
    """
    if torch.compiler.is_compiling() or is_functorch_wrapped(target):
        return
    bad = (target != ignore_index) & ((target < 0) | (target >= classes))
    if bad.any():
        raise IndexError(f"Target {target[bad][0].item()} is out of bounds.")


def _smoothing(label_smoothing) -> float:
    """torch smooths only for ``label_smoothing > 0`` (negative or NaN values mean no smoothing)."""
    return float(label_smoothing) if label_smoothing > 0 else 0.0


def _batched(input, target, probs):
    """View an unbatched ``(C)`` input as a batch of one, so one code path serves both."""
    if input.dim() != 1:
        return input, target
    return input.unsqueeze(0), (target.unsqueeze(0) if probs else target.reshape(1))


def _class_view(weight, ndim):
    """The ``(C)`` class weights shaped ``(1, C, 1, ...)`` to broadcast over the batch and extra dims."""
    return weight.view(1, -1, *([1] * (ndim - 2)))


def _sum_but_class(v):
    """Sum over every dimension except the class dimension 1."""
    return v.sum(dim=(0, *range(2, v.dim())))


def _terms(input, target, weight, ignore_index, smoothing, probs):
    """The loss as :math:`\\ell_n = -\\sum_c q_{n,c} \\log p_{n,c}` with :math:`q = r\\,w`: the pieces backward and jvp need.

    Returns ``(x, w, r, q, hits, total)``: the batched input, the class weights as a view (or
    ``None``), the coefficients ``r`` (smoothed probabilities, or the smoothed one-hot of the
    target with ignored positions zeroed), ``q = r w``, the one-hot ``hits`` of the non-ignored
    targets (``None`` for probabilities) and the ``'mean'`` denominator ``total``.
    """
    x, t = _batched(input, target, probs)
    classes = x.shape[1]
    w = None if weight is None else _class_view(weight, x.dim())
    if probs:
        r = t * (1 - smoothing) + smoothing / classes if smoothing else t
        hits = None
        total = x.numel() // classes if classes else 0
    else:
        valid = (t != ignore_index).unsqueeze(1).to(x.dtype)
        index = t.masked_fill(t == ignore_index, 0).long().unsqueeze(1)
        hits = torch.zeros_like(x).scatter(1, index, 1.0) * valid
        r = hits * (1 - smoothing) + valid * (smoothing / classes) if smoothing else hits
        total = hits.sum() if w is None else (hits * w).sum()
    return x, w, r, (r if w is None else r * w), hits, total


# ----------------------------------------------------------------------------- formulas (see _docs.py)

def formulas():
    """The forward in sympy, the one source of this Function's formulas (``_docs.py``); imports sympy."""
    from .. import symbolic as S

    x = S.x
    return {
        "cross_entropy_probs": S.cross_entropy_rule(),
        "cross_entropy_probs_weight_smoothing": S.cross_entropy_rule(weighted=True, label_smoothing=0.1),
        "cross_entropy_indices_weight": S.cross_entropy_rule(indices=[2, 0], weighted=True),
    }


# The settings every symbolic check runs with (tests/test_symbolic.py, the API reference): the
# formula and the Function's extra arguments after the input, or MatrixRule.check's arguments.
FORMULA_CHECKS = (
    ("cross_entropy_probs", dict(
        call=lambda input, target: CrossEntropyFunction.apply(input, target, None, -100, "mean", 0.0),
        values={"target": torch.tensor([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]])})),
    ("cross_entropy_probs_weight_smoothing", dict(
        call=lambda input, target, weight: CrossEntropyFunction.apply(input, target, weight, -100, "mean", 0.1),
        values={"target": torch.tensor([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]]), "weight": torch.tensor([0.5, 1.0, 2.0])})),
    ("cross_entropy_indices_weight", dict(
        call=lambda input, weight: CrossEntropyFunction.apply(input, torch.tensor([2, 0]), weight, -100, "mean", 0.0),
        values={"weight": torch.tensor([0.5, 1.0, 2.0])})),
)


@compiled_variant
@documented(formulas, checks=FORMULA_CHECKS)
class CrossEntropyFunction(torch.autograd.Function):
    r"""Cross-entropy of logits against class indices or class probabilities, with a hand-written backward.

    Forward:

    {forward_math}

    Backward:

    {backward_math}

    The forward is printed for ``'mean'``, once per kind of target the checks run: :math:`s` is the
    log-softmax, :math:`p` a probability target and :math:`q` its smoothed form (:math:`\varepsilon`
    the label smoothing), :math:`y_n` a class index and :math:`w` the class weights (1 without them).
    ``'sum'`` leaves out the division and ``'none'`` keeps one term per sample.  A class-index target
    equal to ``ignore_index`` contributes nothing and no weight to the division; with label smoothing
    a class-index target :math:`y_n` is the probability row :math:`[c = y_n]`.
    ``'mean'`` divides by the total weight of the non-ignored class-index targets, but by the
    number of samples for probability targets: exactly torch's two conventions.

    The forward follows torch's own decomposition (``log_softmax``, then a gather for class
    indices), so values are torch's, including ``inf`` for a target whose logit is hugely below
    the others and ``nan`` where torch gives ``nan`` (probability 0 times log-probability
    :math:`-\infty`).  The backward is written with the softmax :math:`p`, which never overflows:
    at logits of :math:`\pm 10^{38}` the gradient :math:`s\,(p \sum q - q)` is still finite.

    Class weights get a gradient too (for probability targets as in torch; for class indices,
    where torch refuses a ``weight`` that requires grad, this Function returns the true one).

    Saved for backward: the logits ``input`` (the caller's tensor, no copy), ``target`` and
    ``weight``; for a weighted ``'mean'`` over class indices also the scalar output.
    torch keeps a full ``log_softmax`` copy of the logits instead; the backward here recomputes
    the softmax from the logits, which also keeps double backward exact.

    Args:
        input (Tensor): logits :math:`(C)`, :math:`(N, C)` or :math:`(N, C, d_1, ...)`.
        target (Tensor): class indices (``int64`` or ``uint8``) or class probabilities (shapes below).
        weight (Tensor, optional): :math:`(C)` class weights.  Default ``None``.
        ignore_index (int): class index that contributes nothing.  Default ``-100``.
        reduction (str): ``'mean'`` | ``'sum'`` | ``'none'``.  Default ``'mean'``.
        label_smoothing (float): :math:`\varepsilon \in [0, 1]`.  Default ``0.0``.

    Shape:
        ``target``: class indices :math:`()`, :math:`(N)` or :math:`(N, d_1, ...)`; probabilities: ``input``'s shape.
        Output: a scalar, or with ``'none'`` the target's shape without the class dimension.

    Example:
        >>> logits = torch.tensor([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0]], requires_grad=True)
        >>> loss = CrossEntropyFunction.apply(logits, torch.tensor([0, 2]), None, -100, "mean", 0.0)
        >>> loss
        tensor(0.8606, grad_fn=<CrossEntropyFunctionBackward>)
        >>> loss.backward()
        >>> logits.grad
        tensor([[-0.0781,  0.0571,  0.0210],
                [ 0.1060,  0.2881, -0.3940]])
    """


    generate_vmap_rule = True

    @staticmethod
    def forward(input, target, weight, ignore_index, reduction, label_smoothing):
        probs = check_cross_entropy(input, target, weight, ignore_index, label_smoothing)
        reduction = check_reduction(reduction)
        smoothing = _smoothing(label_smoothing)
        x, t = _batched(input, target, probs)
        classes = x.shape[1]
        logp = torch.log_softmax(x, 1)
        w = None if weight is None else _class_view(weight, x.dim())
        if probs:
            if smoothing:
                t = t * (1 - smoothing) + smoothing / classes
            terms = logp * t if w is None else logp * t * w
            if reduction == "none":
                loss = -terms.sum(1)
            else:
                loss = -terms.sum() if reduction == "sum" else -terms.sum() / (x.numel() // classes if classes else 0)
        else:
            _check_target_range(t, classes, ignore_index)
            valid = t != ignore_index
            index = t.masked_fill(~valid, 0).long()
            picked = logp.gather(1, index.unsqueeze(1)).squeeze(1)
            per_sample = valid.to(logp.dtype) if weight is None else weight[index] * valid
            nll = torch.where(valid, -picked * per_sample, 0)
            total = per_sample.sum()
            loss = nll if reduction == "none" else nll.sum() if reduction == "sum" else nll.sum() / total
            if smoothing:
                smooth = -(logp.sum(1) if w is None else (logp * w).sum(1))
                smooth = smooth.masked_fill(~valid, 0)
                if reduction != "none":
                    smooth = smooth.sum() if reduction == "sum" else smooth.sum() / total
                loss = (1 - smoothing) * loss + smooth * (smoothing / classes)
        return loss.squeeze(0) if input.dim() == 1 and reduction == "none" else loss

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, target, weight, ignore_index, reduction, label_smoothing = inputs
        ctx.probs = input.shape == target.shape
        ctx.ignore_index = ignore_index
        ctx.reduction = check_reduction(reduction, warn=False)
        ctx.smoothing = _smoothing(label_smoothing)
        # A weighted 'mean' over class indices divides by the weights: its weight gradient needs L.
        keep_output = weight is not None and not ctx.probs and ctx.reduction == "mean"
        ctx.save_for_backward(input, target, weight, output if keep_output else None)
        ctx.save_for_forward(input, target, weight, output if keep_output else None)

    @staticmethod
    def backward(ctx, grad_output):
        input, target, weight, output = ctx.saved_tensors
        needs_input, needs_target, needs_weight = ctx.needs_input_grad[:3]
        x, w, r, q, hits, total = _terms(input, target, weight, ctx.ignore_index, ctx.smoothing, ctx.probs)
        s = grad_output.reshape(x.shape[:1] + x.shape[2:]).unsqueeze(1) if ctx.reduction == "none" else grad_output
        if ctx.reduction == "mean":
            # A zero denominator makes the loss 0/0 = nan.  As in torch, the gradient is then nan
            # at the targets that count (their class weights are all zero) and 0 at ignored ones.
            if isinstance(total, torch.Tensor):
                s = torch.where(total == 0, torch.nan, s / total)
            else:
                s = s / max(total, 1)
        grad_input = grad_target = grad_weight = None
        if needs_input:
            grad_input = s * (torch.softmax(x, 1) * q.sum(1, keepdim=True) - q)
            if hits is not None and ctx.reduction == "mean":
                grad_input = torch.where(hits.sum(1, keepdim=True) > 0, grad_input, 0)  # ignored: 0
            grad_input = grad_input.reshape(input.shape).to(input.dtype)
        if needs_target or needs_weight:
            logp = torch.log_softmax(x, 1)
            if needs_target:
                grad_target = -s * (1 - ctx.smoothing) * (logp if w is None else logp * w)
                grad_target = grad_target.reshape(target.shape).to(target.dtype)
            if needs_weight:
                # 0 * log 0 stays 0 for the classes a class-index target does not touch.
                logp = logp if ctx.probs else torch.where(r != 0, logp, 0)
                grad_weight = -_sum_but_class(s * r * logp)
                if output is not None:
                    grad_weight = grad_weight - s * output * _sum_but_class(hits)
                grad_weight = grad_weight.to(weight.dtype)
        return grad_input, grad_target, grad_weight, None, None, None

    @staticmethod
    def jvp(ctx, input_tangent, target_tangent, weight_tangent, *_setting_tangents):
        input, target, weight, output = ctx.saved_tensors
        x, w, r, q, hits, total = _terms(input, target, weight, ctx.ignore_index, ctx.smoothing, ctx.probs)
        tangent = torch.zeros(x.shape[:1] + x.shape[2:], dtype=q.dtype, device=x.device)
        if input_tangent is not None:
            grad_of_logits = torch.softmax(x, 1) * q.sum(1, keepdim=True) - q
            tangent = tangent + (grad_of_logits * input_tangent.reshape(x.shape)).sum(1)
        q_tangent = 0
        if ctx.probs and target_tangent is not None:
            t_tangent = target_tangent.reshape(x.shape) * (1 - ctx.smoothing)
            q_tangent = t_tangent if w is None else t_tangent * w
        if weight_tangent is not None:
            q_tangent = q_tangent + r * _class_view(weight_tangent, x.dim())
        if not isinstance(q_tangent, int):
            logp = torch.log_softmax(x, 1)
            logp = logp if ctx.probs else torch.where(r != 0, logp, 0)
            tangent = tangent - (q_tangent * logp).sum(1)
        if ctx.reduction == "none":
            return tangent.squeeze(0) if input.dim() == 1 else tangent
        tangent = tangent.sum()
        if ctx.reduction == "sum":
            return tangent
        tangent = tangent / total
        if output is not None and weight_tangent is not None:
            tangent = tangent - output * (hits * _class_view(weight_tangent, x.dim())).sum() / total
        return tangent


# ----------------------------------------------------------------------------- functional twin

def cross_entropy(
    input: torch.Tensor,
    target: torch.Tensor,
    weight: torch.Tensor | None = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> torch.Tensor:
    r"""Twin of :func:`torch.nn.functional.cross_entropy`, backed by :class:`~customgrad.functions.CrossEntropyFunction`.

    Args:
        input (Tensor): unnormalised logits :math:`(C)`, :math:`(N, C)` or :math:`(N, C, d_1, ...)`.
        target (Tensor): class indices (``int64``) of shape :math:`()`, :math:`(N)` or :math:`(N, d_1, ...)`,
            or class probabilities with ``input``'s shape.
        weight (Tensor, optional): :math:`(C)` class weights.  Default ``None``.
        size_average (bool, optional): deprecated, as in torch; use ``reduction``.
        ignore_index (int): class index that adds nothing to the loss or its ``'mean'`` (class-index
            targets only).  Default ``-100``.
        reduce (bool, optional): deprecated, as in torch; use ``reduction``.
        reduction (str): ``'mean'`` | ``'sum'`` | ``'none'``.  Default ``'mean'``.
        label_smoothing (float): mix the target with the uniform distribution, in :math:`[0, 1]`.  Default ``0.0``.

    Shape:
        Output: a scalar, or with ``'none'`` :math:`()`, :math:`(N)` or :math:`(N, d_1, ...)`.

    Example:
        >>> import customgrad.functional as CF
        >>> logits = torch.tensor([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
        >>> CF.cross_entropy(logits, torch.tensor([0, 2]), reduction="none")
        tensor([0.1698, 1.5514])
        >>> CF.cross_entropy(logits, torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]))
        tensor(0.8606)
    """
    check_tensor("input", input, "cross_entropy")
    check_tensor("target", target, "cross_entropy")
    if weight is not None:
        check_tensor("weight", weight, "cross_entropy")
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    if isinstance(ignore_index, torch.Tensor) and ignore_index.dim() == 0 and not (
        ignore_index.is_floating_point() or ignore_index.is_complex() or ignore_index.dtype == torch.bool
    ):
        ignore_index = int(ignore_index)  # torch reads an integer 0-d tensor as an int
    input, target, weight = autocast_inputs("cross_entropy", input, target, weight)
    with autocast_off(input):
        return _compile.apply(CrossEntropyFunction, input, target, weight, ignore_index, reduction, label_smoothing)


# ----------------------------------------------------------------------------- Module twin

class CrossEntropyLoss(nn.Module):
    r"""Twin of :class:`torch.nn.CrossEntropyLoss`, backed by :class:`~customgrad.functions.CrossEntropyFunction` through :func:`customgrad.functional.cross_entropy`.

    ``weight`` is a buffer, as in torch: it moves with ``.to()`` and appears in the state_dict.

    Args:
        weight (Tensor, optional): :math:`(C)` class weights.  Default ``None``.
        size_average, reduce: deprecated, as in torch; use ``reduction``.
        ignore_index (int): class index that adds nothing to the loss.  Default ``-100``.
        reduction (str): ``'mean'`` | ``'sum'`` | ``'none'``.  Default ``'mean'``.
        label_smoothing (float): in :math:`[0, 1]`.  Default ``0.0``.

    Shape:
        ``input`` :math:`(C)`, :math:`(N, C)` or :math:`(N, C, d_1, ...)`; ``target`` class indices
        without the class dimension, or probabilities with ``input``'s shape.

    Example:
        >>> loss = CrossEntropyLoss(weight=torch.tensor([1.0, 2.0, 1.0]), label_smoothing=0.1)
        >>> list(loss.state_dict())
        ['weight']
        >>> loss(torch.tensor([[2.0, 0.0, -1.0]]), torch.tensor([1]))
        tensor(2.0809)
    """

    __constants__ = ["ignore_index", "reduction", "label_smoothing"]

    def __init__(
        self,
        weight: torch.Tensor | None = None,
        size_average=None,
        ignore_index: int = -100,
        reduce=None,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__()
        self.reduction = module_reduction(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return cross_entropy(
            input, target, weight=self.weight, ignore_index=self.ignore_index,
            reduction=self.reduction, label_smoothing=self.label_smoothing,
        )


# ----------------------------------------------------------------------------- twin registration

def _index_sample(dtype):
    """(N, C, d) logits, class indices with one ignored, class weights and smoothing: every branch at once."""
    target = torch.randint(0, 4, (3, 2))
    target[1, 1] = -100
    weight = torch.rand(4, dtype=dtype) + 0.5
    return (randn(3, 4, 2, dtype=dtype), target), {"weight": weight, "label_smoothing": 0.1}


def _probability_sample(dtype):
    """Class probabilities as the target; target and class weights get gradients too."""
    target = torch.rand(4, 5, dtype=dtype).softmax(1).requires_grad_()
    weight = (torch.rand(5, dtype=dtype) + 0.5).requires_grad_()
    return (randn(4, 5, dtype=dtype), target, weight), {"label_smoothing": 0.2, "reduction": "sum"}


def _apply_args(a, k):
    weight = a[2] if len(a) > 2 else k.get("weight")
    return (a[0], a[1], weight, k.get("ignore_index", -100), k.get("reduction", "mean"),
            k.get("label_smoothing", 0.0))


register(Twin(
    name="cross_entropy", function=CrossEntropyFunction, ours=cross_entropy, reference=TF.cross_entropy,
    module=CrossEntropyLoss, sample=_index_sample, apply_args=_apply_args, elementwise=False,
    settings=({"weight": None}, {"reduction": "sum"}, {"reduction": "none"}, {"label_smoothing": 0.0}, {"weight": None, "label_smoothing": 0.0}),
))
register(Twin(
    name="cross_entropy_probs", function=CrossEntropyFunction, ours=cross_entropy,
    reference=TF.cross_entropy, module=CrossEntropyLoss, sample=_probability_sample, apply_args=_apply_args,
    elementwise=False,
    settings=({"reduction": "mean"}, {"reduction": "none"}, {"label_smoothing": 0.0}),
))
