"""
Dying ReLU: dead units, and what LeakyReLU and PReLU change
===========================================================

A ReLU unit whose input is negative for every sample outputs zero, and its weights get a zero
gradient, so the optimiser never moves them again: the unit is dead.
This script trains the same small network with ReLU, LeakyReLU and PReLU from
:mod:`customgrad.nn`, in a setting that kills units from the start, and counts the dead units at
every step.
Then it measures why ReLU is used at all: the zeros it puts in the activations, and the gradients
it lets through a deep network, compared with sigmoid and tanh.
"""

# %%
# The data, the network and a setting that kills units
# ----------------------------------------------------
# The task is a smooth function of two inputs, fitted by a network with two hidden layers.
# Every hidden bias starts negative instead of near zero: for a unit whose weights are small, the
# pre-activation is then negative on every sample, and with ReLU that unit is dead before the
# first step.
# A unit counts as dead when its pre-activation is not positive on any sample of the data set,
# whatever the activation: for ReLU its gradient is then exactly zero, while LeakyReLU and PReLU
# still pass a fraction of it.

import matplotlib.pyplot as plt
import torch
from torch import nn

import customgrad.nn as CN
from customgrad.plotting import Bilingual, use_cjk_font

threads = torch.get_num_threads()
torch.set_num_threads(1)  # tensors this small run faster on one thread, and the build machine is shared

torch.manual_seed(0)
N, WIDTH, STEPS, LR, BIAS = 256, 32, 150, 0.02, -0.5
inputs = torch.randn(N, 2)
targets = torch.sin(2 * inputs[:, :1]) * torch.cos(1.5 * inputs[:, 1:])

ACTIVATIONS = {
    "ReLU": CN.ReLU,
    "LeakyReLU(0.1)": lambda: CN.LeakyReLU(0.1),
    "PReLU": lambda: CN.PReLU(WIDTH),  # one learned slope per unit, starting at 0.25
}


def network(activation):
    """2 -> WIDTH -> WIDTH -> 1, the same initial weights for every activation, hidden biases at BIAS."""
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(2, WIDTH), activation(), nn.Linear(WIDTH, WIDTH), activation(),
                          nn.Linear(WIDTH, 1))
    with torch.no_grad():
        model[0].bias.fill_(BIAS)
        model[2].bias.fill_(BIAS)
    return model


def train(activation):
    """Adam, full batch; per step the loss and which hidden units are dead (a boolean per unit)."""
    model = network(activation)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    losses, dead = [], []
    for _ in range(STEPS + 1):
        h1 = model[0](inputs)
        h2 = model[2](model[1](h1))
        loss = nn.functional.mse_loss(model[4](model[3](h2)), targets)
        losses.append(loss.item())
        dead.append(torch.cat([(h1 <= 0).all(0), (h2 <= 0).all(0)]))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return torch.tensor(losses[:-1]), torch.stack(dead[:-1])


runs = {name: train(activation) for name, activation in ACTIVATIONS.items()}
units = 2 * WIDTH
print(f"{'activation':16} {'dead at start':>14} {'dead at the end':>16} {'came back':>10} {'final loss':>11}")
for name, (losses, dead) in runs.items():
    came_back = int((dead[0] & ~dead[-1]).sum())
    print(f"{name:16} {int(dead[0].sum()):>10} / {units} {int(dead[-1].sum()):>12} / {units} {came_back:>10} "
          f"{losses[-1].item():11.2e}")

# %%
# Dead units and learning curves
# ------------------------------
# Left, the fraction of hidden units that are dead at each step; right, the training loss.
# All three networks start from the same weights, so the first layer starts with the same dead units
# in all three (the cell checks it); the second layer's depend on what the first one passes on,
# which differs by activation.

first_layer = [dead[0, :WIDTH] for _, dead in runs.values()]
assert all(torch.equal(first_layer[0], d) for d in first_layer)
COLOURS = {"ReLU": "C0", "LeakyReLU(0.1)": "C1", "PReLU": "C2", "sigmoid": "C3", "tanh": "C4"}

use_cjk_font()  # each figure is drawn in English and in Chinese: the site shows one per language
TEXTS = {
    "en": dict(dead="fraction of dead hidden units", loss="training loss (mean squared error)", step="step",
               title=f"Hidden biases initialised at {BIAS}, Adam (lr = {LR})"),
    "zh_CN": dict(dead="死亡隐藏单元的比例", loss="训练损失（均方误差）", step="步数",
                  title=f"隐藏层偏置初始化为 {BIAS}，Adam（学习率 = {LR}）"),
}
for lang, text in TEXTS.items():
    fig, (ax_dead, ax_loss) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    fig.set_label(lang)
    for name, (losses, dead) in runs.items():
        ax_dead.plot(dead.float().mean(1).numpy(), color=COLOURS[name], lw=2, label=name)
        ax_loss.plot(losses.numpy(), color=COLOURS[name], lw=2, label=name)
    ax_dead.set_ylim(0, 1)
    ax_loss.set_yscale("log")
    for ax, label in ((ax_dead, text["dead"]), (ax_loss, text["loss"])):
        ax.set_xlabel(text["step"])
        ax.set_title(label)
        ax.grid(alpha=0.3)
    ax_dead.legend()
    fig.suptitle(text["title"])
plt.show()

# %%
# What the run shows, in its own numbers.
# A dead unit of the first layer cannot come back with ReLU: its inputs are the data, which do not
# change, and its own weights get no gradient (the cell checks it).
# A unit of the second layer can, when the first layer's outputs change under it.

relu_dead = runs["ReLU"][1]
assert bool(relu_dead[-1, :WIDTH][relu_dead[0, :WIDTH]].all()), "a dead first-layer ReLU unit came back"
start = {name: int(dead[0].sum()) for name, (_, dead) in runs.items()}
end = {name: int(dead[-1].sum()) for name, (_, dead) in runs.items()}
back = {name: int((dead[0] & ~dead[-1]).sum()) for name, (_, dead) in runs.items()}
died = {name: int((~dead[0] & dead[-1]).sum()) for name, (_, dead) in runs.items()}
en = [f"With ReLU, {start['ReLU']} of the {units} hidden units are dead before the first step and "
      f"{end['ReLU']} at the end: {back['ReLU']} came back and {died['ReLU']} died during training."]
zh = [f"使用 ReLU 时，{units} 个隐藏单元中有 {start['ReLU']} 个在第一步之前就已死亡，训练结束时有 {end['ReLU']} 个："
      f"{back['ReLU']} 个恢复了，{died['ReLU']} 个在训练中死亡。"]
for name in ("LeakyReLU(0.1)", "PReLU"):
    en.append(f"With {name}, {start[name]} units start with no positive input and {end[name]} end that way; "
              f"{back[name]} came back, since a negative input still gets a gradient.")
    zh.append(f"使用 {name} 时，{start[name]} 个单元一开始没有正的输入，结束时还有 {end[name]} 个；"
              f"{back[name]} 个恢复了，因为负输入仍然有梯度。")
final = {name: losses[-1].item() for name, (losses, _) in runs.items()}
best = min(final, key=final.get)
if best != "ReLU":
    ratio = final["ReLU"] / final[best]
    en.append(f"The lowest final loss is {best}'s, {final[best]:.2e}; ReLU's is {ratio:.1f} times as high, "
              f"learned with the units it had left.")
    zh.append(f"最终损失最低的是 {best}，为 {final[best]:.2e}；ReLU 的损失是它的 {ratio:.1f} 倍，"
              f"靠剩下的单元学得。")
else:
    en.append(f"ReLU still reaches the lowest final loss, {final[best]:.2e}, with the units it had left.")
    zh.append(f"ReLU 仍然达到了最低的最终损失 {final[best]:.2e}，靠的是剩下的单元。")
Bilingual(en, zh)

# %%
# Why ReLU in the first place: zeros
# ----------------------------------
# ReLU outputs exact zeros for every negative input, so a layer's activations are sparse: later
# layers see fewer active inputs, and the zeros cost nothing to multiply by on hardware that skips
# them.
# The next cell counts exact zeros in the hidden activations of freshly initialised networks
# (PyTorch's default initialisation, biases included), on the same inputs.

COMPARED = {"ReLU": CN.ReLU, "LeakyReLU(0.1)": lambda: CN.LeakyReLU(0.1), "sigmoid": CN.Sigmoid, "tanh": CN.Tanh}
torch.manual_seed(2)
sparsity = {}
for name, activation in COMPARED.items():
    torch.manual_seed(2)
    model = nn.Sequential(nn.Linear(2, WIDTH), activation(), nn.Linear(WIDTH, WIDTH), activation())
    with torch.no_grad():
        hidden = torch.cat([model[1](model[0](inputs)), model(inputs)], dim=1)
    sparsity[name] = (hidden == 0).float().mean().item()
    print(f"{name:16} exact zeros in the hidden activations: {sparsity[name]:.0%}")
assert sparsity["ReLU"] > 0 and sparsity["sigmoid"] == sparsity["tanh"] == sparsity["LeakyReLU(0.1)"] == 0

# %%
# Why ReLU in the first place: gradients through depth
# ----------------------------------------------------
# A deep stack of layers multiplies the gradient by one derivative of the activation per layer on
# its way back.
# The sigmoid's derivative is at most a quarter, so the product shrinks layer after layer.
# Tanh's is at most one, and near one only while its input stays near zero: it fades as the input
# grows and tanh saturates.
# ReLU's is exactly one wherever the unit is active, however large the input.
# Each network below has the same depth and width, with each activation's recommended
# initialisation (Xavier normal with :func:`torch.nn.init.calculate_gain`), and the plot shows
# the norm of the loss's gradient with respect to each layer's weights, from the input side.

DEPTH, DEEP_WIDTH = 12, 64
GAINS = {"sigmoid": "sigmoid", "tanh": "tanh", "ReLU": "relu"}
DEEP = {"sigmoid": CN.Sigmoid, "tanh": CN.Tanh, "ReLU": CN.ReLU}
torch.manual_seed(3)
batch = torch.randn(N, DEEP_WIDTH)
goal = torch.randn(N, 1)
norms = {}
for name, activation in DEEP.items():
    torch.manual_seed(4)
    layers = []
    for _ in range(DEPTH):
        linear = nn.Linear(DEEP_WIDTH, DEEP_WIDTH)
        nn.init.xavier_normal_(linear.weight, gain=nn.init.calculate_gain(GAINS[name]))
        nn.init.zeros_(linear.bias)
        layers += [linear, activation()]
    model = nn.Sequential(*layers, nn.Linear(DEEP_WIDTH, 1))
    nn.functional.mse_loss(model(batch), goal).backward()
    norms[name] = torch.tensor([m.weight.grad.norm().item() for m in model if isinstance(m, nn.Linear)][:DEPTH])

TEXTS = {
    "en": dict(layer="layer (1 = next to the input)", title="At initialisation",
               norm=f"gradient norm of each layer's weights ({DEPTH} layers of {DEEP_WIDTH})",
               sparse="exact zeros in the hidden activations"),
    "zh_CN": dict(layer="层（1 = 紧挨输入）", title="初始化时",
                  norm=f"各层权重的梯度范数（{DEPTH} 层，每层 {DEEP_WIDTH} 个单元）",
                  sparse="隐藏层激活值中恰为零的比例"),
}
for lang, text in TEXTS.items():
    fig, (ax_norm, ax_sparse) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained",
                                             gridspec_kw={"width_ratios": [2, 1]})
    fig.set_label(lang)
    for name, values in norms.items():
        ax_norm.semilogy(range(1, DEPTH + 1), values.numpy(), marker="o", color=COLOURS[name], lw=2, label=name)
    ax_norm.set_xlabel(text["layer"])
    ax_norm.set_title(text["norm"], fontsize=10)
    ax_norm.grid(alpha=0.3, which="both")
    ax_norm.legend()
    bars = ax_sparse.bar(list(sparsity), [v * 100 for v in sparsity.values()], color=[COLOURS[n] for n in sparsity])
    ax_sparse.bar_label(bars, fmt="%.0f%%", fontsize=8)
    ax_sparse.set_ylabel("%")
    ax_sparse.set_title(text["sparse"], fontsize=10)
    ax_sparse.tick_params(axis="x", labelrotation=20)
    fig.suptitle(text["title"])
plt.show()

# %%
# The gradient at the first layer against the gradient at the last, measured.

first_over_last = {name: (values[0] / values[-1]).item() for name, values in norms.items()}
for name, r in first_over_last.items():
    print(f"{name:8} gradient norm, layer 1 / layer {DEPTH}: {r:.3g}")
steadiest = min(first_over_last, key=lambda name: abs(torch.tensor(first_over_last[name]).log().item()))
smallest = min(first_over_last, key=first_over_last.get)
r = first_over_last
en = [f"At initialisation the gradient norm of layer 1 is {r['sigmoid']:.2g} times that of layer {DEPTH} with the "
      f"sigmoid, {r['tanh']:.2g} times with tanh and {r['ReLU']:.2g} times with ReLU.",
      f"It fades most with {smallest}, and stays closest to constant with {steadiest}."]
zh = [f"初始化时，第 1 层的梯度范数是第 {DEPTH} 层的：sigmoid 为 {r['sigmoid']:.2g} 倍，tanh 为 {r['tanh']:.2g} 倍，"
      f"ReLU 为 {r['ReLU']:.2g} 倍。",
      f"梯度在 {smallest} 下衰减得最厉害，在 {steadiest} 下最接近恒定。"]
en.append(f"And {sparsity['ReLU']:.0%} of ReLU's activations are exact zeros at initialisation, against none for "
          f"LeakyReLU, sigmoid and tanh: the zeros that make it sparse are the ones that, when a unit's input is "
          f"negative on every sample, make it a dead unit.")
zh.append(f"此外，初始化时 ReLU 的激活值有 {sparsity['ReLU']:.0%} 恰为零，LeakyReLU、sigmoid 和 tanh 则一个也没有："
          f"让它稀疏的正是这些零；当某个单元的输入对所有样本都为负时，它们也让这个单元成为死亡单元。")
torch.set_num_threads(threads)
Bilingual(en, zh)
