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

fig, (ax_ratio, ax_copy) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
for op in ops:
    ax_ratio.plot(sizes, [result.ratio(op, phase, s) for s in sizes], label=op, **style[op])
    ax_copy.plot(sizes, [result.copies(op, bench.OURS, phase, s) for s in sizes], label=op, **style[op])
ax_copy.plot(sizes, [statistics.median(result.copies(op, bench.BUILTIN, phase, s) for op in ops) for s in sizes],
             color="black", ls="--", lw=1.5, label="built-in (median)")
ax_ratio.axhline(1.0, color="black", ls="--", lw=1)
ax_ratio.axhline(bench.TARGETS["default"], color="black", ls=":", lw=1, label=f"target ({bench.TARGETS['default']}x)")
ax_ratio.set(xscale="log", yscale="log", xlabel="elements", ylabel="custom time / built-in time",
             title="custom vs built-in, forward + backward")
ax_copy.set(xscale="log", yscale="log", xlabel="elements", ylabel="time / time of one copy",
            title="in multiples of a plain copy")
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
fig, ax = plt.subplots(figsize=(11, 3.8), layout="constrained")
xs = range(len(ops))
ax.bar([x - 0.2 for x in xs], [overhead[op]["ours"] for op in ops], width=0.4, label="customgrad")
ax.bar([x + 0.2 for x in xs], [overhead[op]["built-in"] for op in ops], width=0.4, label="PyTorch")
ax.set_xticks(list(xs), ops, rotation=30, ha="right")
ax.set(ylabel="microseconds per call", title=f"forward + backward at {min(sizes):.0e} elements")
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


more = "more" if extra >= 0 else "less"
print(f"Per call, a custom Function costs about {abs(extra):.0f} microseconds {more} than its built-in twin "
      f"(median over {len(ops)} operations), against {builtin_call:.0f} microseconds for the built-in call.")
print(f"At {small:.0e} elements, where that fixed cost dominates, the custom version takes "
      f"{ratio_small:.1f} times as long as the built-in (median).")
print(f"At {large:.0e} elements the arithmetic dominates; the ratios range from {ratios[best]:.2f} ({best}) "
      f"to {ratios[worst]:.2f} ({worst}), median {ratio_large:.2f}.")
print(f"{len(within)} of {len(ops)} operations are within their target at {large:.0e} elements.")
if close:
    print(f"Within {close_enough}x of PyTorch at {large:.0e} elements ({len(close)} of {len(ops)}): {listed(close)}.")
if slower:
    print(f"Slower than {close_enough}x ({len(slower)} of {len(ops)}): {listed(slower)}.")
if not slower:
    print("Every custom backward here, written with a few torch operations, comes close to PyTorch's fused "
          "kernel for large tensors: write one when you need a different gradient, and expect to pay little for it.")
elif not close:
    print(f"Every custom backward here is clearly slower for large tensors, most of all {worst}'s: PyTorch's "
          "backward is one specialised kernel, while a custom one is built from general torch operations, "
          "each a separate pass over the whole tensor. Write one for a gradient PyTorch does not give you, not for speed.")
else:
    print(f"So a custom backward can come close to PyTorch's fused kernel, but it does not have to: here {worst} "
          f"takes {ratios[worst]:.1f} times as long. PyTorch's backward is one specialised kernel, while a custom "
          "one is built from general torch operations, each a separate pass over the whole tensor. "
          "Measure your own before relying on it for speed.")
print(f"For small tensors the fixed cost is what counts: a model that calls a custom Function "
      f"{calls_per_step} times per step on tensors of {small:.0e} elements spends about "
      f"{calls_per_step * max(extra, 0) / 1000:.1f} ms more per step than with the built-in.")
