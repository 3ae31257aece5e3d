"""Each customgrad operation paired with its PyTorch twin, sample inputs and special points.

One table serves the tests, :mod:`customgrad.verify`, the verification-matrix page and the
benchmarks, so registering an operation puts it under every check at once.  Each operation
registers itself at the end of its module, ``customgrad/ops/<operation>.py``.

Example:
    >>> twin = TWINS["relu"]
    >>> twin.function.__name__, twin.reference.__name__, twin.module.__name__
    ('ReLUFunction', 'relu', 'ReLU')
    >>> args, kwargs = twin.sample(torch.float64)
    >>> torch.equal(twin.ours(*args, **kwargs), twin.reference(*args, **kwargs))
    True
"""

from __future__ import annotations

import torch

from . import ops  # noqa: F401  (importing the operations fills the registry)
from .ops._registry import REFERENCE_ATTRIBUTE_ERROR, TWINS, Twin, randn, register
from .report import FAILED, PASSED, Check, VerifyMatrix, VerifyReport
from .verify import verify

__all__ = ["Twin", "TWINS", "register", "randn", "REFERENCE_ATTRIBUTE_ERROR", "verify_twin", "verify_all"]


# ----------------------------------------------------------------------------- verifying the registered operations

_INPLACE_CHECKS = ("forward", "gradients", "backward", "gradcheck", "gradgradcheck", "in-place", "grad_output", "ctx tensors")


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
