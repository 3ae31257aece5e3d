"""Argument checks shared by the functional twins: fail the way torch fails, with a clear message."""

from __future__ import annotations

import torch


def check_tensor(name: str, value, fn: str) -> None:
    """Raise ``TypeError`` unless ``value`` is a tensor, as torch does for a non-tensor input."""
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{fn}(): argument '{name}' must be Tensor, not {type(value).__name__}")


def check_floating(name: str, value: torch.Tensor, fn: str) -> None:
    """Raise ``RuntimeError`` for integer or bool tensors, which torch's float-only kernels refuse."""
    if not (value.is_floating_point() or value.is_complex()):
        raise RuntimeError(f"{fn}(): expected a floating-point tensor for '{name}', got {value.dtype}")


def check_inplace_allowed(input: torch.Tensor, fn: str) -> None:
    """Refuse an in-place call on a leaf that requires grad *before* touching its data.

    torch raises this error before writing; a custom Function would only notice in
    ``mark_dirty``, after its forward had already overwritten the leaf.
    """
    if torch.is_grad_enabled() and input.is_leaf and input.requires_grad:
        raise RuntimeError(
            f"{fn}(inplace=True): a leaf Variable that requires grad is being used in an in-place operation."
        )
