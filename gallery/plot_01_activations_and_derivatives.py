"""
Activation functions and their derivatives
==========================================

Every activation in :mod:`customgrad.functional` next to its PyTorch twin, one figure per family.
Each derivative is computed by autograd, which means by the customgrad Function's own
``backward``; PyTorch's curves are drawn dashed on top, so a visible gap would be a bug.
Below each figure, the largest difference over the whole grid is printed, absolute and in ulps.
"""

# %%
# The grid and the two families
# -----------------------------
# The grid runs in double precision and contains the kinks exactly: zero for the ReLU family,
# and the points where Hardswish changes formula (-3 and 3).
# It is built as integers divided by 100, so each point is the float64 number nearest to it and zero is
# exactly zero (``torch.linspace`` would put its middle point at about ``-8e-17``); the script checks it.

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

import customgrad.functional as CF
from customgrad.plotting import plot_family, value_and_derivative

x = torch.arange(-400, 401, dtype=torch.float64) / 100  # -4 to 4 in steps of 0.01
assert all((x == k).any() for k in (-3.0, 0.0, 3.0)), "the grid must contain every kink exactly"
slope = torch.tensor([0.25], dtype=torch.float64)  # PReLU's learnable weight, at torch's default init

relu_family = {
    "relu": (CF.relu, F.relu),
    "leaky_relu(0.1)": (lambda t: CF.leaky_relu(t, 0.1), lambda t: F.leaky_relu(t, 0.1)),
    "prelu(0.25)": (lambda t: CF.prelu(t, slope), lambda t: F.prelu(t, slope)),
    "elu": (CF.elu, F.elu),
    "hardswish": (CF.hardswish, F.hardswish),
}

smooth = {
    "sigmoid": (CF.sigmoid, torch.sigmoid),
    "tanh": (CF.tanh, torch.tanh),
    "silu": (CF.silu, F.silu),
    "mish": (CF.mish, F.mish),
    "gelu": (CF.gelu, F.gelu),
    "gelu(tanh)": (lambda t: CF.gelu(t, approximate="tanh"), lambda t: F.gelu(t, approximate="tanh")),
    "softplus": (CF.softplus, F.softplus),
}


def ulps(ours, ref):
    """|ours - ref| in units in the last place: the spacing of float64 numbers at the larger magnitude."""
    scale = torch.maximum(ours.abs(), ref.abs())
    spacing = torch.nextafter(scale, torch.tensor(float("inf"), dtype=scale.dtype)) - scale
    return (ours - ref).abs() / spacing


def largest_difference(ours, ref):
    """The largest |ours - ref| over the grid, and the same difference in ulps at that point."""
    gap = (ours - ref).abs()
    i = int(gap.argmax())
    return gap[i].item(), ulps(ours[i], ref[i]).item()


def print_differences(members):
    """Per member, the largest difference in value and in derivative, absolute and in ulps there."""
    worst = {}
    print(f"{'function':16} {'max |f diff|':>13} {'ulps':>5} {'max |df diff|':>14} {'ulps':>5}")
    for label, (ours, theirs) in members.items():
        (y, dy), (y_ref, dy_ref) = value_and_derivative(ours, x), value_and_derivative(theirs, x)
        (f_gap, f_ulps), (df_gap, df_ulps) = largest_difference(y, y_ref), largest_difference(dy, dy_ref)
        print(f"{label:16} {f_gap:13.3g} {f_ulps:5.0f} {df_gap:14.3g} {df_ulps:5.0f}")
        worst[label] = (max(f_gap, df_gap), max(f_ulps, df_ulps))
    return worst


# %%
# The ReLU family
# ---------------
# Piecewise functions: their derivatives change formula at the kinks, and most of them jump there.
# At each jump both libraries follow the same convention (for example, ReLU's derivative at zero
# is zero), so the solid and dashed step functions coincide even there.

fig, diffs = plot_family("ReLU family: customgrad (solid) and torch (dashed)", relu_family, x)
assert max(u for _, u in print_differences(relu_family).values()) < 64
plt.show()

# %%
# At each member's kinks (zero, and -3 and 3 for Hardswish) the derivative follows a convention;
# the script checks that customgrad's equals torch's bit for bit there, and prints both.

member_kinks = {"relu": [0.0], "leaky_relu(0.1)": [0.0], "prelu(0.25)": [0.0], "elu": [0.0],
                "hardswish": [-3.0, 3.0]}
print(f"{'function':16} {'kink':>5} {'customgrad':>11} {'torch':>8}")
for label, (ours, theirs) in relu_family.items():
    at = torch.tensor(member_kinks[label], dtype=torch.float64)
    (_, d), (_, d_ref) = value_and_derivative(ours, at), value_and_derivative(theirs, at)
    assert torch.equal(d, d_ref), f"{label}: {d} != {d_ref} at its kinks"
    for k, a, b in zip(at.tolist(), d.tolist(), d_ref.tolist()):
        print(f"{label:16} {k:5g} {a:11.4g} {b:8.4g}")

# %%
# Smooth activations
# ------------------
# Sigmoid and Tanh saturate, so their derivatives vanish for large inputs.
# SiLU, Mish and GELU dip below zero for negative inputs, and for positive inputs their derivatives
# rise a little above one before settling back to one; Softplus is a smooth ReLU whose derivative is
# the sigmoid.

fig, diffs = plot_family("Smooth activations: customgrad (solid) and torch (dashed)", smooth, x)
worst_ulps = print_differences(smooth)
plt.show()
assert all(v == 0 for v, _ in (largest_difference(*(value_and_derivative(f, x)[0] for f in pair))
                               for pair in smooth.values()))

largest = max(worst_ulps, key=lambda label: worst_ulps[label][1])
print(f"Values bit for bit equal for all {len(smooth)}; the derivatives differ by at most "
      f"{worst_ulps[largest][1]:.0f} ulps ({largest}, {worst_ulps[largest][0]:.2g}).")

# %%
# What the numbers mean
# ---------------------
# The printed differences are in double precision, absolute and in ulps (units in the last place:
# the gap between a float64 number and the next one, at the larger of the two values compared),
# taken where the absolute difference is largest.
# Zero ulps means the two computations agree bit for bit.
# A few ulps, or a few dozen where a formula subtracts nearly equal numbers, is rounding: our backward
# writes the same derivative as a different sequence of operations, each rounding once, and the
# errors add up.
# The library's tests make the same comparison at more points (infinities, NaN, huge and tiny
# values) and in single precision as well.
