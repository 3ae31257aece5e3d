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

from .._torch_private import functorch_transforms_active
from . import _compile

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


def apply(function, input, *settings, inplace, keeps_input=False):
    """For the functional twins: ``function.apply(input, *settings, inplace)``, composed where needed.

    In place, the call runs as ``input.copy_(function.apply(input.clone(), *settings, False))``
    (the same values and gradients, marked on ``input`` by ``copy_``) wherever the in-place
    Function cannot serve:

    - inside a ``torch.func`` transform, which cannot run an in-place Function (``vmap``) or
      calls ``setup_context`` once per level;
    - while ``torch.compile`` traces, which refuses this ``mark_dirty`` without a graph break;
    - for an operation that ``keeps_input`` (SiLU, Mish, HardSwish) when autograd records the
      call: the copy forward keeps is made without a graph, so a second derivative through it
      would miss its dependence on the input; ``input.clone()`` made here is recorded, as
      torch's own in-place ops record theirs.
    """
    compose = functorch_transforms_active() or torch.compiler.is_compiling() or (
        keeps_input and torch.is_grad_enabled() and input.requires_grad
    )
    if inplace and compose:
        return input.copy_(_compile.apply(function, input.clone(), *settings, False))
    return _compile.apply(function, input, *settings, inplace)


def refuse_double_backward(ctx, name: str) -> None:
    """For ``backward``: an in-place ``apply`` that kept a copy of its input cannot be differentiated twice.

    The copy carries no graph (see :func:`apply`), so a second derivative would silently treat
    it as a constant; raise instead.  The functional twins never take this path while recording.
    """
    if ctx.inplace and torch.is_grad_enabled():
        raise RuntimeError(
            f"{name}.apply(input, True) cannot be differentiated twice: its saved copy of the input has no "
            f"graph. Call customgrad.functional's twin with inplace=True, which can."
        )


def output_tangent(ctx, input_tangent, tangent):
    """For ``jvp``: the output's tangent.  In place the output is the input, so is its tangent."""
    return input_tangent.copy_(tangent) if ctx.inplace else tangent
