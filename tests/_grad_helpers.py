"""Small helpers shared by the op-specific tests (layers, losses, checkpoint)."""

from __future__ import annotations

import torch
from torch.testing import assert_close


def grads_of(fn, tensors, seed=0):
    """Output of ``fn(*tensors)`` and the gradients of its floating-point inputs, for a fixed upstream gradient."""
    tensors = [None if t is None else t.detach().clone().requires_grad_(t.is_floating_point()) for t in tensors]
    out = fn(*tensors)
    g = torch.randn(out.shape, dtype=out.dtype, generator=torch.Generator().manual_seed(seed))
    leaves = [t for t in tensors if t is not None and t.requires_grad]
    return (out.detach(), *torch.autograd.grad(out, leaves, g))


def assert_same_as_torch(ours, theirs, tensors, **tol):
    """Same output and gradients (shapes and values) from our function and torch's."""
    for a, b in zip(grads_of(ours, tensors), grads_of(theirs, tensors), strict=True):
        assert a.shape == b.shape and a.dtype == b.dtype
        assert_close(a, b, equal_nan=True, **tol)


def saved_for_backward(fn):
    """The tensors autograd saves while ``fn()`` runs, seen through saved_tensors_hooks."""
    saved = []
    with torch.autograd.graph.saved_tensors_hooks(lambda t: saved.append(t) or t, lambda t: t):
        fn()
    return saved


def sgd_step(module, loss, lr):
    """One plain gradient step (constructing a torch.optim optimiser imports torch._dynamo: seconds)."""
    params = list(module.parameters())
    grads = torch.autograd.grad(loss, params)
    with torch.no_grad():
        for p, g in zip(params, grads):
            p -= lr * g


def train(module, loss_of, steps, lr):
    """Run ``steps`` plain gradient steps on ``loss_of(module)``; return the losses seen."""
    losses = []
    for _ in range(steps):
        loss = loss_of(module)
        sgd_step(module, loss, lr)
        losses.append(loss.item())
    return losses
