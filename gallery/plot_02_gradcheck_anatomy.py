"""
Anatomy of gradcheck
====================

``torch.autograd.gradcheck`` builds the Jacobian of a function twice: once from the Function's
``backward`` (the *analytical* Jacobian) and once from finite differences (the *numerical*
Jacobian), and fails if they differ by more than ``atol + rtol * |numerical|``.
This script takes both apart for one Function, :func:`customgrad.functional.layer_norm`, and
then shows how the agreement depends on the step ``eps`` in single and double precision.
"""

# %%
# Two Jacobians of layer normalisation
# ------------------------------------
# The input has two rows of four numbers, each row normalised on its own, so the Jacobian is
# 8 by 8 with two dense 4 by 4 blocks: an output depends on every input of its row and on
# nothing in the other row.

import math

import matplotlib.pyplot as plt
import torch

import customgrad.functional as CF
from customgrad.plotting import analytical_jacobian, numerical_jacobian, use_cjk_font

use_cjk_font()  # each figure is drawn twice, in English and in Chinese: the site shows one per language
TEXTS = {
    "en": {
        "analytical": "analytical (from backward)",
        "numerical": "numerical (central differences, eps={:g})",
        "difference": "log10 |analytical - numerical|",
        "input": "input element j",
        "output": "output element i",
        "eps": "gradcheck's eps = {:g}",
        "atol": "gradcheck's atol = 1e-05",
        "step": "eps (step of the central difference)",
        "error": "max |numerical - analytical|",
        "title": "Central-difference error: rounding (dotted, u/eps) on the left, truncation on the right",
    },
    "zh_CN": {
        "analytical": "解析雅可比矩阵（由 backward 得到）",
        "numerical": "数值雅可比矩阵（中心差分，eps={:g}）",
        "difference": "log10 |解析 - 数值|",
        "input": "输入元素 j",
        "output": "输出元素 i",
        "eps": "gradcheck 的 eps = {:g}",
        "atol": "gradcheck 的 atol = 1e-05",
        "step": "eps（中心差分的步长）",
        "error": "max |数值 - 解析|",
        "title": "中心差分误差：左侧为舍入误差（点线，u/eps），右侧为截断误差",
    },
}

torch.manual_seed(0)
x64 = torch.randn(2, 4, dtype=torch.float64)


def layer_norm(t):
    return CF.layer_norm(t, (4,))


EPS = 1e-6  # gradcheck's default step
analytical = analytical_jacobian(layer_norm, x64)
numerical = numerical_jacobian(layer_norm, x64, EPS)
difference = (analytical - numerical).abs()
limit = analytical.abs().max().item()

for lang, text in TEXTS.items():
    fig, axes = plt.subplots(1, 3, figsize=(12, 4), layout="constrained")
    fig.set_label(lang)
    for ax, matrix, title in (
        (axes[0], analytical, text["analytical"]),
        (axes[1], numerical, text["numerical"].format(EPS)),
    ):
        image = ax.imshow(matrix.numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(title, fontsize=10)
    fig.colorbar(image, ax=axes[:2], shrink=0.8)
    image = axes[2].imshow(difference.clamp(min=1e-18).log10().numpy(), cmap="viridis")
    axes[2].set_title(text["difference"], fontsize=10)
    fig.colorbar(image, ax=axes[2], shrink=0.8)
    for ax in axes:
        ax.set_xlabel(text["input"])
        ax.set_ylabel(text["output"])
plt.show()

print(f"largest entry of the Jacobian:      {limit:.3g}")
print(f"largest |analytical - numerical|:   {difference.max().item():.3g}")
print("torch's gradcheck agrees:", torch.autograd.gradcheck(layer_norm, (x64.clone().requires_grad_(),)))

# %%
# The error against the step
# --------------------------
# A central difference has two sources of error.
# Truncation: the formula is exact only for a quadratic, so the error grows like ``eps**2``.
# Rounding: ``f(x + eps)`` and ``f(x - eps)`` are each wrong by about one unit in the last place,
# ``u`` (the dtype's machine epsilon), and dividing their difference by ``2 * eps`` turns that into
# an error of about ``u / eps``.
# The sum is smallest near ``eps = u ** (1/3)``, and on log-log axes it draws a V.

steps = torch.logspace(-11, -0.5, 43, dtype=torch.float64).tolist()
errors = {}
for dtype in (torch.float32, torch.float64):
    x = x64.to(dtype)
    reference = analytical_jacobian(layer_norm, x64)  # the float64 backward as the yardstick
    errors[dtype] = [
        (numerical_jacobian(layer_norm, x, eps).double() - reference).abs().max().item() for eps in steps
    ]

for lang, text in TEXTS.items():
    fig, ax = plt.subplots(figsize=(8, 5), layout="constrained")
    fig.set_label(lang)
    for dtype, color in ((torch.float32, "C3"), (torch.float64, "C0")):
        u = torch.finfo(dtype).eps
        ax.loglog(steps, errors[dtype], "o-", ms=3.5, color=color, label=f"{dtype}".replace("torch.", ""))
        ax.loglog(steps, [u / eps for eps in steps], ":", color=color, lw=1)
        ax.axvline(u ** (1 / 3), color=color, lw=0.8, ls="--")
    ax.axvline(EPS, color="black", lw=1.2, label=text["eps"].format(EPS))
    ax.axhline(1e-5, color="0.4", lw=1, ls="-.", label=text["atol"])
    ax.set_ylim(1e-12, 10)
    ax.set_xlabel(text["step"])
    ax.set_ylabel(text["error"])
    ax.set_title(text["title"])
    ax.legend(loc="lower left", fontsize=9)
    ax.grid(which="both", alpha=0.25)
plt.show()

# %%
# Reading the plot
# ----------------
# Each dashed vertical line marks ``u ** (1/3)`` for its dtype, where the two errors balance.
# The printout gives the numbers behind the picture.

at_default = steps.index(min(steps, key=lambda s: abs(math.log(s / EPS))))
for dtype in (torch.float32, torch.float64):
    u = torch.finfo(dtype).eps
    best = min(range(len(steps)), key=lambda i: errors[dtype][i])
    print(
        f"{str(dtype):14} u = {u:.2e}   best eps = {steps[best]:.1e} (u^(1/3) = {u ** (1 / 3):.1e}), "
        f"error there {errors[dtype][best]:.1e};  at eps = {steps[at_default]:.0e}: error {errors[dtype][at_default]:.1e}"
    )

# %%
# In double precision, gradcheck's step sits near the bottom of the V, and the error is far
# below its tolerance.
# In single precision the same step lies on the rounding side, where the error is many times
# ``atol``: that is why a correct Function fails ``gradcheck`` in float32, and why every check in
# this project runs in float64.
#
# A larger step helps float32, at a price: the truncation error it buys depends on the function's
# curvature, so the tolerance it needs would also hide real bugs of that size.
# Here is gradcheck itself, in float32, with the default step and with float32's best step.

import warnings

x32 = x64.float().requires_grad_()
best32 = steps[min(range(len(steps)), key=lambda i: errors[torch.float32][i])]
for eps in (EPS, best32):
    with warnings.catch_warnings():  # gradcheck warns that float32 is not double: we know
        warnings.simplefilter("ignore", UserWarning)
        passed = torch.autograd.gradcheck(layer_norm, (x32,), eps=eps, raise_exception=False)
    print(f"float32 gradcheck with eps = {eps:.1e}: {'passes' if passed else 'fails'}")
