"""Each customgrad operation paired with its PyTorch twin, sample inputs and special points.

One table serves the tests, :mod:`customgrad.verify`, the verification-matrix page and the
benchmarks, so adding an operation here puts it under every check at once.

Example:
    >>> twin = TWINS["relu"]
    >>> twin.function.__name__, twin.reference.__name__
    ('ReLUFunction', 'relu')
    >>> args, kwargs = twin.sample(torch.float64)
    >>> torch.equal(twin.ours(*args, **kwargs), twin.reference(*args, **kwargs))
    True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn.functional as TF

from . import functional as F
from . import functions as fn


@dataclass(frozen=True)
class Twin:
    """One operation: our Function and functional twin, torch's twin, and how to feed them.

    Attributes:
        name: the functional name, as in ``torch.nn.functional``.
        function: the ``torch.autograd.Function`` class.
        ours: ``customgrad.functional`` twin.
        reference: the torch callable with the same signature (``None`` where torch has none).
        sample: ``sample(dtype) -> (args, kwargs)``; tensor args require grad where differentiable.
        apply_args: maps the functional's ``(args, kwargs)`` to ``Function.apply``'s positional args.
        elementwise: unary elementwise in its first argument (edge-case sweeps apply).
        kinks: points where the derivative jumps (checked exactly against torch's convention).
        inplace: the functional takes ``inplace=``.
    """

    name: str
    function: type
    ours: Callable
    reference: Callable | None
    sample: Callable[[torch.dtype], tuple[tuple, dict]]
    apply_args: Callable[[tuple, dict], tuple]
    elementwise: bool = True
    kinks: tuple[float, ...] = ()
    inplace: bool = False
    tags: tuple[str, ...] = field(default_factory=tuple)


def randn(*shape, dtype=torch.float64, requires_grad=True, scale=3.0):
    """A random tensor, spread wide enough to cross every kink of the activations."""
    return (torch.randn(*shape, dtype=dtype) * scale).requires_grad_(requires_grad)


def _unary(dtype):
    return (randn(4, 5, dtype=dtype),), {}


TWINS: dict[str, Twin] = {}


def register(twin: Twin) -> Twin:
    TWINS[twin.name] = twin
    return twin


register(Twin(
    name="relu", function=fn.ReLUFunction, ours=F.relu, reference=TF.relu, sample=_unary,
    apply_args=lambda a, k: (a[0], k.get("inplace", False)), kinks=(0.0,), inplace=True,
))

# --- piecewise activations: ReLU family, ELU, GELU, Hardswish, Softplus ---


def _with(**kwargs):
    """A unary sample with fixed keyword settings (non-default ones, so a dropped argument shows)."""
    return lambda dtype: ((randn(4, 5, dtype=dtype),), dict(kwargs))


def _prelu_sample(dtype):
    """Input (N, C, L) with C = 3 and a per-channel weight, one slope negative, one above 1/2."""
    weight = torch.tensor([0.25, -0.1, 0.6], dtype=dtype).requires_grad_()
    return (randn(4, 3, 5, dtype=dtype), weight), {}


register(Twin(
    name="leaky_relu", function=fn.LeakyReLUFunction, ours=F.leaky_relu, reference=TF.leaky_relu,
    sample=_with(negative_slope=0.2),
    apply_args=lambda a, k: (a[0], k.get("negative_slope", 0.01), k.get("inplace", False)),
    kinks=(0.0,), inplace=True,
))
register(Twin(
    name="prelu", function=fn.PReLUFunction, ours=F.prelu, reference=TF.prelu, sample=_prelu_sample,
    apply_args=lambda a, k: (a[0], a[1]), elementwise=False, kinks=(0.0,),
))
register(Twin(
    name="elu", function=fn.ELUFunction, ours=F.elu, reference=TF.elu, sample=_with(alpha=1.5),
    apply_args=lambda a, k: (a[0], k.get("alpha", 1.0), k.get("inplace", False)), kinks=(0.0,), inplace=True,
))
register(Twin(
    name="gelu", function=fn.GELUFunction, ours=F.gelu, reference=TF.gelu, sample=_with(approximate="none"),
    apply_args=lambda a, k: (a[0], k.get("approximate", "none")),
))
register(Twin(
    name="hardswish", function=fn.HardSwishFunction, ours=F.hardswish, reference=TF.hardswish, sample=_unary,
    apply_args=lambda a, k: (a[0], k.get("inplace", False)), kinks=(-3.0, 3.0), inplace=True,
))
register(Twin(
    name="softplus", function=fn.SoftplusFunction, ours=F.softplus, reference=TF.softplus,
    sample=_with(beta=2.0, threshold=15.0),  # the switch to x sits at beta * x == threshold
    apply_args=lambda a, k: (a[0], k.get("beta", 1.0), k.get("threshold", 20.0)), kinks=(7.5,),
))


# --- end of section ---

# --- smooth activations and elementary functions: Sigmoid, Tanh, SiLU, Mish, Exp, Square, Cube, LearnedSiLU ---


def _cube_reference(input):
    """torch has no ``cube``: the reference is the power, with torch's own gradient."""
    return input ** 3


def _learned_silu_reference(input, slope):
    """torch has no ``learned_silu``: the reference is the composite of torch's ops."""
    return slope * TF.silu(input)


def _with_slope(dtype):
    return (randn(4, 5, dtype=dtype), torch.tensor([0.7], dtype=dtype, requires_grad=True)), {}


def _unary_inplace_args(a, k):
    return (a[0], k.get("inplace", False))


for _name, _function, _ours, _reference, _inplace in [
    ("sigmoid", fn.SigmoidFunction, F.sigmoid, torch.sigmoid, False),
    ("tanh", fn.TanhFunction, F.tanh, torch.tanh, False),
    ("silu", fn.SwishFunction, F.silu, TF.silu, True),
    ("mish", fn.MishFunction, F.mish, TF.mish, True),
    ("exp", fn.ExpFunction, F.exp, torch.exp, False),
    ("square", fn.SquareFunction, F.square, torch.square, False),
    ("cube", fn.CubeFunction, F.cube, _cube_reference, False),
]:
    register(Twin(
        name=_name, function=_function, ours=_ours, reference=_reference, sample=_unary,
        apply_args=_unary_inplace_args if _inplace else (lambda a, k: (a[0],)), inplace=_inplace,
    ))

register(Twin(
    name="learned_silu", function=fn.LearnedSiLUFunction, ours=F.learned_silu,
    reference=_learned_silu_reference, sample=_with_slope, apply_args=lambda a, k: (a[0], a[1]),
))

# --- end of section ---

# --- layers, losses, normalisation ---
# Tag: torch's mse_loss reads ``target.size()`` before any type check, so a list input makes
# it raise AttributeError; ours raises TypeError.
REFERENCE_ATTRIBUTE_ERROR = "reference-raises-attribute-error-on-non-tensor"


def _linear_sample(dtype):
    return (randn(2, 4, 3, dtype=dtype), randn(5, 3, dtype=dtype), randn(5, dtype=dtype)), {}


def _mse_sample(dtype):
    return (randn(4, 5, dtype=dtype), randn(4, 5, dtype=dtype)), {}


def _cross_entropy_sample(dtype):
    """(N, C, d) logits, class indices with one ignored, class weights and smoothing: every branch at once."""
    target = torch.randint(0, 4, (3, 2))
    target[1, 1] = -100
    weight = torch.rand(4, dtype=dtype) + 0.5
    return (randn(3, 4, 2, dtype=dtype), target), {"weight": weight, "label_smoothing": 0.1}


def _cross_entropy_probs_sample(dtype):
    """Class probabilities as the target; target and class weights get gradients too."""
    target = torch.rand(4, 5, dtype=dtype).softmax(1).requires_grad_()
    weight = (torch.rand(5, dtype=dtype) + 0.5).requires_grad_()
    return (randn(4, 5, dtype=dtype), target, weight), {"label_smoothing": 0.2, "reduction": "sum"}


def _cross_entropy_apply_args(a, k):
    weight = a[2] if len(a) > 2 else k.get("weight")
    return (a[0], a[1], weight, k.get("ignore_index", -100), k.get("reduction", "mean"),
            k.get("label_smoothing", 0.0))


def _layer_norm_sample(dtype):
    return (randn(3, 4, 5, dtype=dtype), (4, 5), randn(4, 5, dtype=dtype), randn(4, 5, dtype=dtype)), {}


register(Twin(
    name="linear", function=fn.LinearFunction, ours=F.linear, reference=TF.linear, sample=_linear_sample,
    apply_args=lambda a, k: (a[0], a[1], a[2] if len(a) > 2 else k.get("bias")), elementwise=False,
))
register(Twin(
    name="mse_loss", function=fn.MSELossFunction, ours=F.mse_loss, reference=TF.mse_loss, sample=_mse_sample,
    apply_args=lambda a, k: (a[0], a[1], k.get("reduction", "mean")), elementwise=False,
    tags=(REFERENCE_ATTRIBUTE_ERROR,),
))
register(Twin(
    name="cross_entropy", function=fn.CrossEntropyFunction, ours=F.cross_entropy, reference=TF.cross_entropy,
    sample=_cross_entropy_sample, apply_args=_cross_entropy_apply_args, elementwise=False,
))
register(Twin(
    name="cross_entropy_probs", function=fn.CrossEntropyFunction, ours=F.cross_entropy,
    reference=TF.cross_entropy, sample=_cross_entropy_probs_sample, apply_args=_cross_entropy_apply_args,
    elementwise=False,
))
register(Twin(
    name="layer_norm", function=fn.LayerNormFunction, ours=F.layer_norm, reference=TF.layer_norm,
    sample=_layer_norm_sample, apply_args=lambda a, k: (a[0], tuple(a[1]), a[2], a[3], k.get("eps", 1e-5)),
    elementwise=False,
))
# --- end of section ---


# --- verifying the registered operations ---

from .report import FAILED, PASSED, Check, VerifyMatrix, VerifyReport  # noqa: E402
from .verify import verify  # noqa: E402

_INPLACE_CHECKS = ("forward", "gradients", "backward", "in-place", "grad_output", "ctx tensors")


def _row_name(twin: Twin) -> str:
    """The matrix row: the Function's name, with the twin's name where one Function has several twins."""
    shared = [t for t in TWINS.values() if t.function is twin.function]
    return twin.function.__name__ if shared[0] is twin else f"{twin.function.__name__} ({twin.name})"


def verify_twin(twin: Twin | str, dtype: torch.dtype = torch.float64, **options) -> VerifyReport:
    """:func:`~customgrad.verify.verify` one entry of :data:`TWINS` against its torch twin.

    For an operation with ``inplace=``, the in-place check also runs ``inplace=True`` and compares
    it with torch's in-place call.

    Args:
        twin: a :class:`Twin`, or its name in :data:`TWINS`.
        dtype: the dtype of the sample inputs.
        **options: passed on to :func:`~customgrad.verify.verify`.

    Returns:
        The :class:`~customgrad.report.VerifyReport`, named after the Function.
    """
    twin = TWINS[twin] if isinstance(twin, str) else twin
    strict = options.pop("strict", False)
    args, kwargs = twin.sample(dtype)
    options.setdefault("elementwise", twin.elementwise)
    report = verify(twin.ours, *args, kwargs=kwargs, reference=twin.reference, kinks=twin.kinks,
                    name=_row_name(twin), **options)
    if twin.inplace:
        inplace = verify(twin.ours, *args, kwargs={**kwargs, "inplace": True}, reference=twin.reference,
                         kinks=twin.kinks, name=_row_name(twin), checks=_INPLACE_CHECKS,
                         **{k: v for k, v in options.items() if k != "checks"})
        problems = [f"inplace=True {c.name}: {c.detail}" for c in inplace if c.failed]
        before = report["in-place"]
        if problems:
            report.checks["in-place"] = Check("in-place", FAILED, "; ".join(problems))
        elif before.passed:
            report.checks["in-place"] = Check(
                "in-place", PASSED,
                f"inplace=False: {before.detail}; inplace=True: {inplace['in-place'].detail}, "
                f"gradients equal the reference's")
    if strict:
        report.raise_if_failed()
    return report


def verify_all(twins=None, **options) -> VerifyMatrix:
    """:func:`verify_twin` over every registered operation (or the given ones): the verification matrix.

    Args:
        twins: names or :class:`Twin` entries (default: all of :data:`TWINS`).
        **options: passed on to :func:`verify_twin`; ``strict=True`` raises on any failing cell.

    Returns:
        The :class:`~customgrad.report.VerifyMatrix`, one row per operation.
    """
    chosen = list(TWINS.values()) if twins is None else [TWINS[t] if isinstance(t, str) else t for t in twins]
    strict = options.pop("strict", False)
    matrix = VerifyMatrix([verify_twin(t, **options) for t in chosen])
    if strict:
        matrix.raise_if_failed()
    return matrix
