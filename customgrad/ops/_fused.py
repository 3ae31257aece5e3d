"""One speed trick: ATen's fused backward kernel in the plain first-order backward.

An elementwise backward written with tensor operations, however careful (``_chain.py``), makes at
least two passes over memory: one for the derivative :math:`f'(x)`, one for the product with
``grad_output``.  PyTorch's built-in makes one: every activation has a backward kernel in ATen
(``torch.ops.aten.gelu_backward``, ``threshold_backward`` for ReLU, ...), the very kernel its own
autograd formula calls, which reads ``grad_output`` and the saved tensor and writes the gradient
in a single loop.  At 1e6 float32 elements on one CPU thread that second pass was the whole gap to
the built-in: ReLU 1.65x, GELU 2.0x, HardSwish 2.7x, SiLU 1.8x the built-in's forward+backward time
(``make bench`` on this project's 2 cores, before this helper); with it, 0.9x to 1.25x at 1e6 and
1e7 in runs on an idle 16-core machine (torch 2.11, one thread), tanh included once it used the
kernel (1.3x before).  Mish, measured at 1.2x to 1.3x with its formula, uses ``mish_backward`` too.

So a backward here first asks :func:`fused`, and when it is true returns the ATen kernel's result:
the same numbers as torch's built-in, in one pass.  It is true only in the plain first-order
backward of real floating-point tensors of one dtype, where nothing records or transforms the
backward.  Everywhere else the Function's own formula runs: with ``create_graph=True`` (so double
backward differentiates the formula), under ``torch.func`` transforms and ``gradcheck``'s batched
gradients, for complex and mixed-dtype gradients, and always in ``jvp``.  The formula is what
sympy derives and checks (:func:`formulas_only` is on during those checks, so they test the
formula, not ATen), and ``tests/test_fused.py`` checks that both paths agree on every point of the
symbolic grid (each kink, +-tiny, both tails, inf and nan) in float32 and float64.

Under ``torch.compile`` there is no second pass to save: inductor fuses the formula into one loop
too, and it decomposes the ATen kernel into the same kind of loop.  Which of the two compiles to
faster code is measured per op (``make bench``, compiled column, 1e6 and 1e7 elements).  Three ops
compile their formula (``fused(..., when_compiling=False)``):

- ReLU and LeakyReLU: their kernels decompose into a select on a comparison (``y <= 0``), so the
  partitioner saves the comparison's bool mask for backward instead of the float tensor.  On this
  project's CPU, inductor's bool stores and loads are slow: ``torch.compile(F.relu)`` took 10 ms
  per 1e6-element forward against 0.1 ms eager, and the compiled twins ran 25x (1e6) and 4x (1e7)
  the eager built-in's forward+backward.  Their formulas reach the output only through float
  arithmetic (``sign``, ``threshold``; their comparisons stay in registers), so the partitioner
  saves a float tensor: 1.3x-1.5x (1e6) and 1.0x (1e7), where ``torch.compile`` of torch's own
  ops stays at 27x-33x and 4x (``tests/test_compile.py`` checks that no bool mask is saved).
- Mish: its formula compiled to 0.6x-0.7x the eager built-in, ``mish_backward``'s decomposition
  to 1.0x-1.1x.
"""

from __future__ import annotations

import contextlib
import threading

import torch

from ._chain import may_overwrite
from .._torch_private import is_legacy_batched

_STATE = threading.local()

aten = torch.ops.aten


def fused(grad_output: torch.Tensor, saved: torch.Tensor, when_compiling: bool = True) -> bool:
    """True when the backward may return ATen's fused kernel instead of its own formula.

    ``saved`` is the tensor the kernel reads (input or output): same dtype as ``grad_output``,
    real floating point, and nothing recording or transforming the backward (:func:`may_overwrite`).
    ``when_compiling=False`` keeps the kernel out of ``torch.compile``'s graphs (see the module's
    docstring for the ops that ask it and why).

    Example:
        >>> g, y = torch.ones(3), torch.tensor([-1.0, 0.0, 2.0])
        >>> with torch.no_grad():  # as in a backward without create_graph
        ...     fused(g, y), fused(g, y.double())
        (True, False)
        >>> fused(g, y)  # grad mode on, as in a backward with create_graph=True
        False
    """
    return (not getattr(_STATE, "off", False)
            and (when_compiling or not torch.compiler.is_compiling())
            and grad_output.dtype == saved.dtype
            and grad_output.dtype.is_floating_point
            and may_overwrite()
            and not is_legacy_batched(grad_output))


@contextlib.contextmanager
def formulas_only():
    """Within this block every backward runs its own formula (the symbolic checks use it)."""
    before = getattr(_STATE, "off", False)
    _STATE.off = True
    try:
        yield
    finally:
        _STATE.off = before
