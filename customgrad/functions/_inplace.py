"""In-place SiLU and Mish: keeping the input values a forward overwrites.

ReLU can run in place and still differentiate from its output, because the output says where
the input was positive.  SiLU and Mish cannot: they are not one-to-one (both dip below zero and
come back), so the output does not give the input back, and the derivative needs the input.
An in-place forward therefore copies the input first, as torch's ``silu_`` and ``mish_`` do.

With ``forward`` separate from ``setup_context`` (the form ``torch.func`` needs), forward has no
``ctx`` to save that copy on.  PyTorch's documented way out is to return an intermediate as an
extra output: forward returns ``(input, copy)``, ``setup_context`` marks the copy
non-differentiable and saves it, and the functional twin returns only ``input``.
"""

from __future__ import annotations


def run_keeping_original(kernel, input, inplace):
    """For ``forward``: ``kernel(input)``, or in place ``(kernel(input, inplace=True), old values)``."""
    if not inplace:
        return kernel(input)
    original = input.clone()
    return kernel(input, inplace=True), original


def input_values(ctx, inputs, output):
    """For ``setup_context``: the input's values to save; in place, also mark what changed."""
    input, inplace = inputs
    ctx.inplace = inplace
    if not inplace:
        return input
    ctx.mark_dirty(input)
    _, original = output
    ctx.mark_non_differentiable(original)
    return original


def output_tangent(ctx, input_tangent, tangent):
    """For ``jvp``: the output's tangent.  In place the output is the input, so is its tangent."""
    if ctx.inplace:
        return input_tangent.copy_(tangent), None
    return tangent
