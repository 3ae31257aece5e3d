"""
Custom Functions against built-ins: what a hand-written backward costs
======================================================================

Every elementwise Function in customgrad, timed against its PyTorch twin with ``torch.utils.benchmark`` by ``customgrad.bench``, on sizes small enough to run while the site builds.
The full sweep, to larger sizes, is ``make bench``.
Every number on this page is measured when the page is built, on the machine that builds it.
"""

# %%
# Timing one forward and backward pass
# ------------------------------------
# Each operation runs forward and then backward (one ``torch.autograd.grad`` call) on a float32 tensor, once with customgrad's functional twin and once with PyTorch's.
# A plain copy of the same number of elements is timed too: an elementwise operation reads and writes its data at least once, so the copy is the floor set by memory bandwidth.

import statistics

import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter

from customgrad import bench
from customgrad.plotting import Bilingual, use_cjk_font

# Each measurement keeps the smallest of three medians, each over at least 0.04 s of calls: enough for
# ratios that hold from one build to the next, and the whole page in about half a minute on 2 cores.
result = bench.run(sizes=[1e3, 1e4, 1e5, 1e6], phases=["forward+backward"], min_run_time=0.04, repeats=3,
                   explain_misses=False)
phase = "forward+backward"
sizes, ops = result.sizes, result.ops
print(f"{len(ops)} operations, {result.meta['device']}, {result.meta['threads']} thread(s), "
      f"torch {result.meta['torch']}")

# %%
# Ratio to the built-in, by size
# ------------------------------
# Above the dashed line at 1 the custom Function is slower than PyTorch's.
# The dotted line is the target the benchmark sets for large tensors.

# One style per operation, the same in both panels: 20 colours, and a marker and a line style each.
colours = plt.get_cmap("tab20").colors
markers = "osv^DPX*h<>pd8H"
linestyles = ["-", "--", "-.", ":"]
assert len(ops) <= min(len(colours), len(markers)), "more operations than distinct styles"
style = {op: dict(color=colours[i], marker=markers[i], ls=linestyles[i % len(linestyles)], ms=5)
         for i, op in enumerate(ops)}
assert len({(st["color"], st["marker"]) for st in style.values()}) == len(ops)

use_cjk_font()  # each figure is drawn in English and in Chinese: the site shows one per language
TEXTS = {
    "en": dict(builtin="built-in (median)", target="target", elements="elements",
               ratio="custom time / built-in time", ratio_title="custom vs built-in, forward + backward",
               copies="time / time of one copy", copies_title="in multiples of a plain copy",
               per_call="microseconds per call", at="forward + backward at {:.0e} elements", ours="customgrad"),
    "zh_CN": dict(builtin="内置实现（中位数）", target="目标", elements="元素个数",
                  ratio="自定义耗时 / 内置耗时", ratio_title="自定义与内置实现对比，前向 + 反向传播",
                  copies="耗时 / 一次复制的耗时", copies_title="以一次普通复制为单位",
                  per_call="每次调用的微秒数", at="{:.0e} 个元素时的前向 + 反向传播", ours="customgrad"),
}
for lang, text in TEXTS.items():
    fig, (ax_ratio, ax_copy) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
    fig.set_label(lang)
    for op in ops:
        ax_ratio.plot(sizes, [result.ratio(op, phase, s) for s in sizes], label=op, **style[op])
        ax_copy.plot(sizes, [result.copies(op, bench.OURS, phase, s) for s in sizes], label=op, **style[op])
    ax_copy.plot(sizes, [statistics.median(result.copies(op, bench.BUILTIN, phase, s) for op in ops) for s in sizes],
                 color="black", ls="--", lw=1.5, label=text["builtin"])
    ax_ratio.axhline(1.0, color="black", ls="--", lw=1)
    ax_ratio.axhline(bench.TARGETS["default"], color="black", ls=":", lw=1,
                     label=f"{text['target']} ({bench.TARGETS['default']}x)")
    ax_ratio.set(xscale="log", yscale="log", xlabel=text["elements"], ylabel=text["ratio"], title=text["ratio_title"])
    ax_copy.set(xscale="log", yscale="log", xlabel=text["elements"], ylabel=text["copies"], title=text["copies_title"])
    for ax in (ax_ratio, ax_copy):
        ax.grid(alpha=0.3, which="both")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
    ax_ratio.legend(fontsize=7, ncol=2)
    ax_copy.legend(fontsize=7, ncol=2)
plt.show()

# %%
# The fixed cost of a call
# ------------------------
# At the smallest size the arithmetic is negligible, so the time of one call is its overhead: Python code in the functional twin and in ``Function.apply``, building the graph node, and running ``backward`` from Python.

overhead = {op: result.overhead_us(op) for op in ops}
for lang, text in TEXTS.items():
    fig, ax = plt.subplots(figsize=(11, 3.8), layout="constrained")
    fig.set_label(lang)
    xs = range(len(ops))
    ax.bar([x - 0.2 for x in xs], [overhead[op]["ours"] for op in ops], width=0.4, label=text["ours"])
    ax.bar([x + 0.2 for x in xs], [overhead[op]["built-in"] for op in ops], width=0.4, label="PyTorch")
    ax.set_xticks(list(xs), ops, rotation=30, ha="right")
    ax.set(ylabel=text["per_call"], title=text["at"].format(min(sizes)))
    ax.legend()
plt.show()

# %%
# What the numbers say
# --------------------
# The sentences below are written from the measurements above, so they change when the numbers do.

small, large = min(sizes), max(sizes)
calls_per_step = 100  # a scenario, not a measurement: a model that calls the Function this often per step
close_enough = 1.25  # "close to PyTorch": at most 25 % slower
extra = statistics.median(o["extra"] for o in overhead.values())
builtin_call = statistics.median(o["built-in"] for o in overhead.values())
ratio_small = statistics.median(result.ratio(op, phase, small) for op in ops)
ratios = {op: result.ratio(op, phase, large) for op in ops}
ratio_large = statistics.median(ratios.values())
by_ratio = sorted(ops, key=ratios.get)  # fastest first
best, worst = by_ratio[0], by_ratio[-1]
close = [op for op in by_ratio if ratios[op] <= close_enough]
slower = [op for op in by_ratio if ratios[op] > close_enough]
within = [op for op in ops if ratios[op] <= bench.TARGETS.get(op, bench.TARGETS["default"])]


def listed(names):
    return ", ".join(f"{op} ({ratios[op]:.2f})" for op in names)


more, more_zh = ("more", "多") if extra >= 0 else ("less", "少")
en = [f"Per call, a custom Function costs about {abs(extra):.0f} microseconds {more} than its built-in twin "
      f"(median over {len(ops)} operations), against {builtin_call:.0f} microseconds for the built-in call.",
      f"At {small:.0e} elements, where that fixed cost dominates, the custom version takes "
      f"{ratio_small:.1f} times as long as the built-in (median).",
      f"At {large:.0e} elements the arithmetic dominates; the ratios range from {ratios[best]:.2f} ({best}) "
      f"to {ratios[worst]:.2f} ({worst}), median {ratio_large:.2f}.",
      f"{len(within)} of {len(ops)} operations are within their target at {large:.0e} elements."]
zh = [f"每次调用，自定义 autograd 函数比对应的内置实现约{more_zh} {abs(extra):.0f} 微秒"
      f"（{len(ops)} 个运算的中位数），而内置实现一次调用约需 {builtin_call:.0f} 微秒。",
      f"在 {small:.0e} 个元素时，固定开销占主导，自定义版本的耗时是内置实现的 {ratio_small:.1f} 倍（中位数）。",
      f"在 {large:.0e} 个元素时，计算本身占主导；耗时比从 {ratios[best]:.2f}（{best}）"
      f"到 {ratios[worst]:.2f}（{worst}），中位数为 {ratio_large:.2f}。",
      f"在 {large:.0e} 个元素时，{len(ops)} 个运算中有 {len(within)} 个达到目标。"]
if close:
    en.append(f"Within {close_enough}x of PyTorch at {large:.0e} elements ({len(close)} of {len(ops)}): {listed(close)}.")
    zh.append(f"在 {large:.0e} 个元素时与 PyTorch 相差不超过 {close_enough} 倍的（{len(ops)} 个中的 {len(close)} 个）："
              f"{listed(close)}。")
if slower:
    en.append(f"Slower than {close_enough}x ({len(slower)} of {len(ops)}): {listed(slower)}.")
    zh.append(f"慢于 {close_enough} 倍的（{len(ops)} 个中的 {len(slower)} 个）：{listed(slower)}。")
if not slower:
    en.append("Every custom backward here, written with a few torch operations, comes close to PyTorch's fused "
              "kernel for large tensors: write one when you need a different gradient, and expect to pay little for it.")
    zh.append("这里每个由几次 torch 运算写成的自定义反向传播，在大张量上都接近 PyTorch 的融合内核："
              "需要不同的梯度时就写一个，代价很小。")
elif not close:
    en.append(f"Every custom backward here is clearly slower for large tensors, most of all {worst}'s: PyTorch's "
              "backward is one specialised kernel, while a custom one is built from general torch operations, "
              "each a separate pass over the whole tensor. Write one for a gradient PyTorch does not give you, not for speed.")
    zh.append(f"这里每个自定义反向传播在大张量上都明显更慢，{worst} 最甚：PyTorch 的反向传播是一个专门的内核，"
              "而自定义的由通用 torch 运算拼成，每个运算都要把整个张量过一遍。为了 PyTorch 给不了的梯度去写它，而不是为了速度。")
else:
    en.append(f"So a custom backward can come close to PyTorch's fused kernel, but it does not have to: here {worst} "
              f"takes {ratios[worst]:.1f} times as long. PyTorch's backward is one specialised kernel, while a custom "
              "one is built from general torch operations, each a separate pass over the whole tensor. "
              "Measure your own before relying on it for speed.")
    zh.append(f"所以自定义反向传播可以接近 PyTorch 的融合内核，但不一定：这里 {worst} 的耗时是 {ratios[worst]:.1f} 倍。"
              "PyTorch 的反向传播是一个专门的内核，而自定义的由通用 torch 运算拼成，每个运算都要把整个张量过一遍。"
              "要依赖它的速度，先测一测你自己的。")
en.append(f"For small tensors the fixed cost is what counts: a model that calls a custom Function "
          f"{calls_per_step} times per step on tensors of {small:.0e} elements spends about "
          f"{calls_per_step * max(extra, 0) / 1000:.1f} ms more per step than with the built-in.")
zh.append(f"对小张量而言，要紧的是固定开销：一个模型若每步在 {small:.0e} 个元素的张量上调用自定义 autograd 函数 "
          f"{calls_per_step} 次，每步要比用内置实现多花约 {calls_per_step * max(extra, 0) / 1000:.1f} 毫秒。")
assert len(en) == len(zh)
Bilingual(en, zh)
