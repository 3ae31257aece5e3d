"""How the losses read ``reduction``: the strings torch accepts, and its errors and warnings."""

from __future__ import annotations

import warnings

REDUCTIONS = ("none", "mean", "sum")


def check_reduction(reduction, warn: bool = True) -> str:
    """Return ``'none'``, ``'mean'`` or ``'sum'``; raise ``ValueError`` for anything else, as torch does.

    torch still accepts the old spelling ``'elementwise_mean'`` (with a deprecation warning,
    unless ``warn`` is false because the caller has already warned).
    """
    if reduction == "elementwise_mean":
        if warn:
            warnings.warn(
                "reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.", stacklevel=3
            )
        return "mean"
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def legacy_reduction(size_average, reduce) -> str:
    """The ``reduction`` that torch's deprecated ``size_average`` / ``reduce`` pair stands for (with its warning)."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(
        f"size_average and reduce args will be deprecated, please use reduction='{reduction}' instead.",
        stacklevel=3,
    )
    return reduction



def module_reduction(size_average, reduce, reduction: str) -> str:
    """A loss Module's ``reduction``, from torch's deprecated ``size_average`` / ``reduce`` where given.

    A function, not a shared base class: the losses derive from :class:`torch.nn.Module` directly,
    so the API reference names no private class among their bases.
    """
    if size_average is not None or reduce is not None:
        return legacy_reduction(size_average, reduce)
    return reduction
