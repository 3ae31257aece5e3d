"""Helpers shared by the gallery scripts (no ``plot_`` prefix, so sphinx-gallery does not run it).

Derivatives here always come from autograd, so for a customgrad function they are computed by
that Function's own ``backward``; nothing is differentiated by hand.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import torch


def value_and_derivative(fn, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``fn(x)`` and its elementwise derivative, by one backward pass through ``fn``."""
    x = x.detach().clone().requires_grad_()
    y = fn(x)
    (dy,) = torch.autograd.grad(y.sum(), x)
    return y.detach(), dy.detach()


def plot_family(title: str, members: dict, x: torch.Tensor):
    """Draw each member's function and derivative, ours solid and torch's dashed on top.

    ``members`` maps a label to ``(ours, theirs)``, two callables of one tensor.
    Returns the figure and, per label, the largest difference in value and in derivative.
    """
    fig, (ax_f, ax_d) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
    diffs = {}
    xs = x.numpy()
    for i, (label, (ours, theirs)) in enumerate(members.items()):
        color = f"C{i}"
        y, dy = value_and_derivative(ours, x)
        y_ref, dy_ref = value_and_derivative(theirs, x)
        ax_f.plot(xs, y.numpy(), color=color, lw=2.2, label=label)
        ax_d.plot(xs, dy.numpy(), color=color, lw=2.2, label=label)
        ax_f.plot(xs, y_ref.numpy(), color="black", lw=0.9, ls="--")
        ax_d.plot(xs, dy_ref.numpy(), color="black", lw=0.9, ls="--")
        diffs[label] = ((y - y_ref).abs().max().item(), (dy - dy_ref).abs().max().item())
    ax_f.plot([], [], color="black", lw=0.9, ls="--", label="torch (dashed)")
    for ax, name in ((ax_f, "f(x)"), (ax_d, "f'(x), by autograd")):
        ax.axhline(0, color="0.6", lw=0.6)
        ax.axvline(0, color="0.6", lw=0.6)
        ax.set_xlabel("x")
        ax.set_title(name)
        ax.grid(alpha=0.3)
    ax_f.legend(fontsize=8, loc="upper left")
    fig.suptitle(title)
    return fig, diffs


def print_differences(diffs: dict) -> None:
    """One line per member: the largest |ours - torch| in value and in derivative."""
    print(f"{'function':22} {'max |f diff|':>14} {'max |df diff|':>14}")
    for label, (d_f, d_df) in diffs.items():
        print(f"{label:22} {d_f:14.3g} {d_df:14.3g}")


def analytical_jacobian(fn, x: torch.Tensor) -> torch.Tensor:
    """The Jacobian of ``fn`` at ``x`` from backward passes (one per output element).

    Row ``i`` is the gradient of output element ``i``: exactly what the Function's backward returns
    for a ``grad_output`` that is one at ``i`` and zero elsewhere.
    """
    x = x.detach().clone().requires_grad_()
    y = fn(x).reshape(-1)
    rows = [torch.autograd.grad(y[i], x, retain_graph=True)[0].reshape(-1) for i in range(y.numel())]
    return torch.stack(rows).detach()


def numerical_jacobian(fn, x: torch.Tensor, eps: float) -> torch.Tensor:
    """The Jacobian by central differences, column by column, as ``gradcheck`` computes it."""
    x = x.detach()
    flat = x.reshape(-1)
    columns = []
    with torch.no_grad():
        for j in range(flat.numel()):
            step = torch.zeros_like(flat)
            step[j] = eps
            plus = fn((flat + step).reshape(x.shape)).reshape(-1)
            minus = fn((flat - step).reshape(x.shape)).reshape(-1)
            columns.append((plus - minus) / (2 * eps))
    return torch.stack(columns, dim=1)
