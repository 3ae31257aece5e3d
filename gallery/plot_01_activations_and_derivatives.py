"""
Activation functions and their derivatives
==========================================

Every activation in :mod:`customgrad.functional` next to its PyTorch twin, one figure per family.
Each derivative is computed by autograd, which means by the customgrad Function's own
``backward``; PyTorch's curves are drawn dashed on top, so a visible gap would be a bug.
Below each figure, the largest difference over the whole grid is printed.
"""

# %%
# The grid and the two families
# -----------------------------
# The grid runs in double precision and contains the kinks exactly: zero for the ReLU family,
# and the points where Hardswish changes formula.

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

import customgrad.functional as CF
from customgrad.plotting import plot_family, print_differences

x = torch.linspace(-4, 4, 801, dtype=torch.float64)
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

# %%
# The ReLU family
# ---------------
# Piecewise functions: their derivatives change formula at the kinks, and most of them jump there.
# At each jump both libraries follow the same convention (for example, ReLU's derivative at zero
# is zero), so the solid and dashed step functions coincide even there.

fig, diffs = plot_family("ReLU family: customgrad (solid) and torch (dashed)", relu_family, x)
print_differences(diffs)
plt.show()

# %%
# Smooth activations
# ------------------
# Sigmoid and Tanh saturate, so their derivatives vanish for large inputs.
# SiLU, Mish and GELU dip below zero for negative inputs, and for positive inputs their derivatives
# rise a little above one before settling back to one; Softplus is a smooth ReLU whose derivative is
# the sigmoid.

fig, diffs = plot_family("Smooth activations: customgrad (solid) and torch (dashed)", smooth, x)
print_differences(diffs)
plt.show()

# %%
# What the numbers mean
# ---------------------
# The printed differences are in double precision.
# A value of zero means the two computations agree bit for bit; a value near ``1e-16`` is one
# rounding step, where our backward writes the same derivative as a different, equally exact
# sequence of operations.
# The library's tests make the same comparison at more points (infinities, NaN, huge and tiny
# values) and in single precision as well.
