"""In-place SiLU, Mish and HardSwish: keeping the input values a forward overwrites.

ReLU can run in place and still differentiate from its output, because the output says where
the input was positive.  SiLU, Mish and HardSwish cannot: they are not one-to-one (all dip below
zero and come back), so the output does not give the input back, and the derivative needs the
input.  An in-place forward therefore copies the input first, as torch's ``silu_``, ``mish_`` and
``hardswish_`` do.

With ``forward`` separate from ``setup_context`` (the form ``torch.func`` needs), forward has no
``ctx`` to save that copy on.  Returning it as a second output, PyTorch's usual way to pass an
intermediate on, is ruled out here: autograd refuses a Function with two outputs that modifies
a view in place (``F.silu(h[:, :4], inplace=True)`` raises "your Function cannot return more
than one Tensor").  So forward leaves the copy in a per-thread slot, and ``setup_context``,
which autograd calls right after forward on the same thread, takes it out and saves it with
``save_for_backward`` like any other tensor.

``torch.func`` transforms (``grad``, ``jvp``, ``vmap``) call ``setup_context`` once per
transform level for a single forward, which no hand-over can serve, and ``vmap`` cannot run an
in-place Function at all.  There the functional twins compose instead: an out-of-place apply on
a copy, written back with ``copy_`` (:func:`apply`), which every transform supports.
"""

from __future__ import annotations

import threading

import torch

from . import _compile
from ._torch_private import functorch_transforms_active

_slot = threading.local()


def run_keeping_original(kernel, input, inplace):
    """For ``forward``: ``kernel(input)``, or ``kernel(input, inplace=True)`` after copying ``input``."""
    if not inplace:
        return kernel(input)
    _slot.original = input.clone()
    try:
        return kernel(input, inplace=True)
    except BaseException:  # e.g. an integer tensor torch refuses: keep no stale copy
        del _slot.original
        raise


def input_values(ctx, inputs, output):
    """For ``setup_context``: the input's values to save; in place, the copy forward kept."""
    input, inplace = inputs
    ctx.inplace = inplace
    if not inplace:
        return input
    ctx.mark_dirty(input)
    original = _slot.__dict__.pop("original", None)
    if original is None:
        raise RuntimeError(
            "inplace=True through Function.apply is not supported under torch.func transforms; "
            "call the customgrad.functional twin, which runs in place under them by copy_"
        )
    return original


def apply(function, input, *settings, inplace):
    """For the functional twins: ``function.apply(input, *settings, inplace)``, composed where needed.

    Inside a ``torch.func`` transform, and while ``torch.compile`` traces, an in-place call runs
    as ``input.copy_(function.apply(input.clone(), *settings, False))``: the same values and
    gradients as the in-place Function, in a form every transform supports (``vmap`` cannot run
    an in-place Function at all) and that the compiler traces without a graph break.
    """
    if inplace and (functorch_transforms_active() or torch.compiler.is_compiling()):
        return input.copy_(_compile.apply(function, input.clone(), *settings, False))
    return _compile.apply(function, input, *settings, inplace)


def output_tangent(ctx, input_tangent, tangent):
    """For ``jvp``: the output's tangent.  In place the output is the input, so is its tangent."""
    return input_tangent.copy_(tangent) if ctx.inplace else tangent
