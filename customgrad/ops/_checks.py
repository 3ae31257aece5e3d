"""Argument checks shared by the operations: fail the way torch fails, with a clear message.

Each operation's own checks live in its module, in its functional twin; these are the ones
several operations share.
"""

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


def check_float_input(input: torch.Tensor, fn: str) -> None:
    """Refuse integer, bool and complex input with the exception torch raises (``NotImplementedError``)."""
    if not input.is_floating_point():
        raise NotImplementedError(f"{fn}(): expected a floating-point input, got {input.dtype} (torch refuses it too)")


def refuse_complex_grad(input: torch.Tensor, fn: str) -> None:
    """torch computes some activations on complex tensors but refuses to differentiate them: so do we."""
    if input.is_complex() and input.requires_grad and torch.is_grad_enabled():
        raise RuntimeError(f"{fn} does not support automatic differentiation for outputs with complex dtype.")
