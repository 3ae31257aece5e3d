"""Mixed precision: each twin meets ``torch.autocast`` the way its torch twin does.

Inside an autocast region torch runs some operations in a lower precision (``linear`` and
``prelu`` in bfloat16 or float16) and some in float32 (the losses; on CUDA also ``exp``,
``softplus``, ``pow`` and ``layer_norm``), casting their floating-point inputs first; the others
run in their inputs' dtype.  A custom Function gets none of this by itself: its forward runs
with autocast still on, so a matmul inside it casts while the Function's saved tensors and
incoming gradients keep other dtypes, and its backward fails or its loss comes out in bfloat16.

``torch.amp.custom_fwd(cast_inputs=...)`` solves this for Functions whose ``forward`` takes
``ctx``; it cannot decorate a ``forward`` written with ``setup_context``.  So the functional
twins do the same two things themselves with :func:`autocast_inputs` and :func:`autocast_off`:
cast the inputs as torch's autocast would (the casts are recorded by autograd, so gradients
come back to each input in its own dtype), then run the Function with autocast disabled.
The tables follow torch's autocast op reference for CPU and CUDA.
"""

from __future__ import annotations

import contextlib

import torch

LOWER = "lower precision"  # cast float32/float16/bfloat16 inputs to the autocast dtype
FLOAT32 = "float32"  # cast float16/bfloat16 inputs to float32

POLICIES: dict[str, dict[str, str]] = {
    "linear": {"cpu": LOWER, "cuda": LOWER},
    "prelu": {"cpu": LOWER, "cuda": LOWER},
    "mse_loss": {"cpu": FLOAT32, "cuda": FLOAT32},
    "cross_entropy": {"cpu": FLOAT32, "cuda": FLOAT32},
    "layer_norm": {"cuda": FLOAT32},
    "exp": {"cuda": FLOAT32},
    "softplus": {"cuda": FLOAT32},
    "cube": {"cuda": FLOAT32},  # torch's twin is ``input ** 3``, a pow
}


def _device_type(tensors) -> str:
    return next(t.device.type for t in tensors if isinstance(t, torch.Tensor))


def autocast_inputs(op: str, *tensors):
    """``tensors`` cast as ``torch.autocast`` casts the inputs of torch's ``op`` (unchanged outside autocast).

    Only floating-point tensors other than float64 are cast, as autocast does; ``None`` and
    other values pass through.
    """
    device = _device_type(tensors)
    if not torch.is_autocast_enabled(device):
        return tensors
    policy = POLICIES.get(op, {}).get(device)
    if policy is None:
        return tensors
    dtype = torch.get_autocast_dtype(device) if policy == LOWER else torch.float32
    return tuple(
        t.to(dtype) if isinstance(t, torch.Tensor) and t.is_floating_point() and t.dtype != torch.float64 else t
        for t in tensors
    )


def autocast_off(*tensors):
    """A context that disables autocast on the tensors' device while the Function runs (a no-op outside it)."""
    device = _device_type(tensors)
    if not torch.is_autocast_enabled(device):
        return contextlib.nullcontext()
    return torch.autocast(device_type=device, enabled=False)
