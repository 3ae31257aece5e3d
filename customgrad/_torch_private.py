"""The private torch calls customgrad relies on, each with the reason it is needed.

Everything else in the library uses public torch APIs.  These have no public
equivalent in torch 2.13; they are wrapped here so that a change in torch breaks one module,
and ``tests/test_torch_private.py`` checks each one's behaviour on every run, so such a change
fails loudly instead of silently taking a slow or wrong path.
"""

from __future__ import annotations

import torch


def functorch_transforms_active() -> bool:
    """True inside ``torch.func`` transforms (``grad``, ``vmap``, ``jvp``).

    Why: the fast paths write into preallocated buffers with ``out=`` or update temporaries in
    place; neither batches under ``vmap`` nor is recorded under ``grad``.  Inside a transform
    the Functions take the plain out-of-place path, and the in-place twins compose by ``copy_``.
    """
    return torch._C._are_functorch_transforms_active()


def is_legacy_batched(tensor: torch.Tensor) -> bool:
    """True for a tensor batched by the legacy vmap that ``gradcheck(check_batched_grad=True)`` uses.

    Why: that vmap runs outside ``torch.func``, so :func:`functorch_transforms_active` is false,
    yet writing a batched gradient into an unbatched temporary in place fails.
    ``torch.compile`` cannot trace the call; a compiled graph never holds such a tensor.
    """
    if torch.compiler.is_compiling():
        return False
    return torch._C._functorch.is_legacy_batchedtensor(tensor)


# The C++ entry that ``torch.autograd.Function.apply`` ends in (``super().apply``).
_FUNCTION_BASE_APPLY = torch._C._FunctionBase.__dict__["apply"]


def function_base_apply(function: type, *args):
    """``function.apply(*args)`` through the C++ entry, without ``torch.autograd.Function.apply``'s Python steps.

    Why: on every call ``Function.apply`` binds the arguments to ``forward``'s signature with
    ``inspect.signature`` (for the defaults ``setup_context`` sees) and unwraps dead ``torch.func``
    wrappers, then calls this entry, which runs ``forward`` and ``setup_context`` and records the
    node.  Those two steps are most of the cost of a cheap op's call (``ops/_direct.py``).  For a
    call that gives every argument of ``forward`` positionally, outside ``torch.func`` transforms
    and with no wrapped tensor, they change nothing; :func:`customgrad.ops._direct.apply` checks that.
    """
    return _FUNCTION_BASE_APPLY.__get__(None, function)(*args)


def is_functorch_wrapped(tensor: torch.Tensor) -> bool:
    """True for a tensor wrapped by a ``torch.func`` transform.

    Why: reading a wrapped tensor's values (``.item()``, ``min()``/``max()`` for a range
    check) is refused under ``vmap``; such checks are skipped for wrapped tensors.
    """
    return torch._C._functorch.is_functorch_wrapped_tensor(tensor)


def has_setup_context(function: type) -> bool:
    """True when a ``torch.autograd.Function`` defines its own ``setup_context``.

    Why: :mod:`customgrad.ctx_timeline` draws ``setup_context`` as its own step only for a
    Function that has one; torch answers this with the private ``_is_setup_context_defined``.
    """
    from torch.autograd.function import _is_setup_context_defined

    return _is_setup_context_defined(function.setup_context)
