"""Time custom Functions against their built-in twins, with :mod:`torch.utils.benchmark`.

For each operation of :data:`customgrad.twins.TWINS` that is elementwise and has a torch twin,
and for each size, up to five implementations are timed: ``ours`` (customgrad's functional twin),
``built-in`` (torch's), ``textbook`` (the first version a reader writes, from
:mod:`customgrad.textbook`), ``compiled`` (``torch.compile`` of our functional twin, inductor,
``fullgraph=True``) and ``compiled built-in`` (the same for torch's twin, so that a reader of the
compiled column sees what the compiler makes of torch's own op).  Three phases can be timed: ``forward`` (with autograd recording, as in
training), ``backward`` (one ``torch.autograd.grad`` call on a kept graph) and
``forward+backward``.  A plain copy of the same number of elements (``dst.copy_(src)``: read
once, write once) is timed too, as the memory-bandwidth reference, and so is an empty custom
Function (:class:`EmptyFunction`) at the smallest size: the floor of any ``Function.apply`` plus
backward on this machine.

Each timing is taken ``repeats`` times with :meth:`torch.utils.benchmark.Timer.blocked_autorange`,
the implementations interleaved (so a change of load hits them alike); the reported time is the
median of those medians and the spread their ``(max - min) / median``.

Run the full sweep (sizes 1e3 to 1e7, float32, CUDA when available) with
``python -m customgrad.bench`` (``make bench``); it shows a progress bar and writes
``_build/bench/bench.txt`` and ``bench.json``, with each target as PASS or MISS:

* forward+backward of ours within :data:`TARGETS` (1.25x) of the built-in, at 1e6 elements and above;
* the compiled twin at most :data:`COMPILED_TARGET` (1.0x) of the eager built-in, there too;
* the bytes saved for backward never above the built-in's.

On CPU the timings use one thread by default (as :class:`torch.utils.benchmark.Timer` does):
a shared machine disturbs one thread less than all of them, and the ratios stay comparable.

Example:
    >>> result = run(ops=["relu"], sizes=[1000], phases=["forward+backward"], min_run_time=0.01, repeats=1)
    >>> result.ratio("relu", "forward+backward", 1000) > 0
    True
    >>> result.saved["relu"]
    {'ours': 4000, 'built-in': 4000, 'textbook': 4000}
    >>> [t["passed"] for t in result.targets()]  # no size >= 1e6 here: only the bytes target
    [True]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

import torch
from torch.utils import benchmark

from .textbook import TEXTBOOK
from .twins import TWINS, Twin
from .verify import saved_for_backward

__all__ = ["SIZES", "PHASES", "TARGETS", "COMPILED_TARGET", "TARGET_MIN_SIZE", "OURS", "BUILTIN", "TEXTBOOK_IMPL",
           "COMPILED", "COMPILED_BUILTIN", "Timing", "BenchResult", "EmptyFunction", "measure", "compare", "copy_time", "floor_time",
           "fresh_buffers", "page_faults", "hotspots", "benchmarkable", "run", "main"]

#: Number of elements per input, 1e3 to 1e7.
SIZES: tuple[int, ...] = (10**3, 10**4, 10**5, 10**6, 10**7)
PHASES: tuple[str, ...] = ("forward", "backward", "forward+backward")
OURS, BUILTIN, TEXTBOOK_IMPL, COMPILED = "ours", "built-in", "textbook", "compiled"
#: torch.compile of the built-in itself: what the compiler makes of torch's own op, for the compiled column's reader.
COMPILED_BUILTIN = "compiled built-in"
IMPLS: tuple[str, ...] = (OURS, BUILTIN, TEXTBOOK_IMPL, COMPILED, COMPILED_BUILTIN)
#: The implementations shown as ratios beside ours.
_EXTRA = (TEXTBOOK_IMPL, COMPILED, COMPILED_BUILTIN)

#: The speed targets of ours: float32, forward+backward time over the built-in's, at TARGET_MIN_SIZE and above.
TARGETS = {"default": 1.25}
#: The target of the compiled twin: match or beat the eager built-in, at TARGET_MIN_SIZE and above.
COMPILED_TARGET = 1.0
TARGET_MIN_SIZE = 10**6
FB = "forward+backward"


@dataclass(frozen=True)
class Timing:
    """One time in seconds: the median over repeats, and their relative spread ``(max - min) / median``."""

    op: str
    impl: str
    phase: str
    size: int
    seconds: float
    spread: float = 0.0
    repeats: int = 1


class EmptyFunction(torch.autograd.Function):
    """The cheapest custom Function: a view forward, the gradient passed through in backward.

    Its ``apply`` plus backward is the floor of the per-call overhead of any custom Function.

    Example:
        >>> x = torch.randn(3, requires_grad=True)
        >>> torch.autograd.grad(EmptyFunction.apply(x), x, torch.ones(3))[0]
        tensor([1., 1., 1.])
    """

    @staticmethod
    def forward(ctx, x):
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        return grad


def _default_threads(device: str) -> int:
    return 1 if device == "cpu" else torch.get_num_threads()


def _timers(fn: Callable, inputs: tuple, kwargs: dict, phases: Sequence[str], threads: int) -> dict:
    """One :class:`torch.utils.benchmark.Timer` per phase of ``fn(*inputs, **kwargs)``."""
    wrt = [a for a in inputs if isinstance(a, torch.Tensor) and a.requires_grad]
    with torch.no_grad():
        out = fn(*inputs, **kwargs)
    grad = torch.randn_like(out)
    env = dict(fn=fn, inputs=inputs, kwargs=kwargs, wrt=wrt, grad=grad, autograd=torch.autograd)
    if "backward" in phases:
        env["graph"] = fn(*inputs, **kwargs)
    stmts = {
        "forward": "fn(*inputs, **kwargs)",
        "backward": "autograd.grad(graph, wrt, grad, retain_graph=True)",
        FB: "autograd.grad(fn(*inputs, **kwargs), wrt, grad)",
    }
    return {p: benchmark.Timer(stmt=stmts[p], globals=env, num_threads=threads) for p in phases}


def _summary(medians: list[float]) -> tuple[float, float]:
    """(median, (max - min) / median) of the repeats' medians."""
    mid = statistics.median(medians)
    return mid, (max(medians) - min(medians)) / mid


def _repeat(timers: dict, min_run_time: float, repeats: int) -> dict:
    """Each timer's ``blocked_autorange`` median, ``repeats`` times, interleaved; key -> (median, spread)."""
    runs: dict = {key: [] for key in timers}
    for _ in range(repeats):
        for key, timer in timers.items():
            runs[key].append(timer.blocked_autorange(min_run_time=min_run_time).median)
    return {key: _summary(values) for key, values in runs.items()}


def measure(fn: Callable, *inputs, kwargs: dict | None = None, phases: Sequence[str] = PHASES,
            min_run_time: float = 0.2, repeats: int = 1, threads: int | None = None) -> dict[str, float]:
    """Median seconds per call of each phase of ``fn(*inputs, **kwargs)``, over ``repeats`` timings.

    The differentiable inputs are the tensors that require grad; the gradient flowing in is a
    fixed random tensor.  ``threads`` defaults to one on CPU.
    """
    threads = threads or _default_threads(inputs[0].device.type)
    timers = _timers(fn, inputs, kwargs or {}, phases, threads)
    return {p: median for p, (median, _) in _repeat(timers, min_run_time, repeats).items()}


def compare(fns: dict[str, Callable], *inputs, kwargs: dict | None = None, phase: str = FB,
            min_run_time: float = 0.2, repeats: int = 3, threads: int | None = None) -> dict[str, float]:
    """Median seconds per call of one phase of each ``fns[name](*inputs, **kwargs)``, timed interleaved.

    The implementations take turns, ``repeats`` rounds of one ``blocked_autorange`` each, so a
    change of load on a shared machine hits them alike; each keeps the median of its rounds.
    This is how the site's pages compare several ways of writing one operation.

    Example:
        >>> x = torch.randn(100, requires_grad=True)
        >>> times = compare({"tanh": torch.tanh, "sigmoid": torch.sigmoid}, x, min_run_time=0.001, repeats=1)
        >>> sorted(times), all(t > 0 for t in times.values())
        (['sigmoid', 'tanh'], True)
    """
    threads = threads or _default_threads(inputs[0].device.type)
    timers = {name: _timers(fn, inputs, kwargs or {}, [phase], threads)[phase] for name, fn in fns.items()}
    return {name: median for name, (median, _) in _repeat(timers, min_run_time, repeats).items()}


def copy_time(size: int, device: str = "cpu", dtype: torch.dtype = torch.float32, min_run_time: float = 0.2,
              repeats: int = 1, threads: int | None = None) -> float:
    """Median seconds of ``dst.copy_(src)`` for ``size`` elements: the memory-bandwidth reference."""
    src = torch.randn(size, device=device, dtype=dtype)
    timer = benchmark.Timer("dst.copy_(src)", globals=dict(src=src, dst=torch.empty_like(src)),
                            num_threads=threads or _default_threads(src.device.type))
    return _repeat({0: timer}, min_run_time, repeats)[0][0]


def floor_time(size: int = 1000, device: str = "cpu", dtype: torch.dtype = torch.float32, min_run_time: float = 0.2,
               repeats: int = 1, threads: int | None = None) -> float:
    """Median seconds of :class:`EmptyFunction`'s apply and backward: the floor of a custom Function's call."""
    x = torch.randn(size, device=device, dtype=dtype, requires_grad=True)
    return measure(EmptyFunction.apply, x, phases=[FB], min_run_time=min_run_time, repeats=repeats,
                   threads=threads)[FB]


def fresh_buffers(fn: Callable, *inputs, kwargs: dict | None = None, phase: str = "backward",
                  min_numel: int = 2) -> list[tuple[str, int]]:
    """``(operator, bytes)`` of each new buffer one ``phase`` of ``fn(*inputs, **kwargs)`` allocates.

    Every operator PyTorch runs is seen through a :class:`~torch.utils._python_dispatch.TorchDispatchMode`;
    an output whose storage is none of the operator's inputs' is a fresh buffer (an in-place
    operator or one writing to ``out=`` allocates none).  ``phase`` is ``"forward"`` or
    ``"backward"`` (one ``torch.autograd.grad`` call, with a fixed gradient of ones flowing in).
    Buffers of fewer than ``min_numel`` elements (scalars made on the way) are left out.  The
    count is exact and the same on every run, unlike a time: it is what a backward asks of the
    memory allocator.  Temporaries an operator makes inside its own kernel are not seen.

    Example:
        >>> x = torch.randn(1000, requires_grad=True)
        >>> fresh_buffers(torch.relu, x)
        [('threshold_backward', 4000)]
        >>> fresh_buffers(lambda t: t * 2, x, phase="forward")
        [('mul', 4000)]
    """
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils._pytree import tree_leaves

    class Recorder(TorchDispatchMode):
        def __init__(self):
            super().__init__()
            self.buffers: list[tuple[str, int]] = []

        def __torch_dispatch__(self, func, types, args=(), kw=None):
            kw = kw or {}
            out = func(*args, **kw)
            owned = {t.untyped_storage().data_ptr() for t in tree_leaves((args, kw)) if isinstance(t, torch.Tensor)}
            for t in tree_leaves(out):
                if (isinstance(t, torch.Tensor) and t.numel() >= min_numel
                        and t.untyped_storage().data_ptr() not in owned):
                    self.buffers.append((func.overloadpacket.__name__, t.untyped_storage().nbytes()))
            return out

    kwargs = kwargs or {}
    recorder = Recorder()
    if phase == "forward":
        with recorder:
            fn(*inputs, **kwargs)
        return recorder.buffers
    wrt = [a for a in inputs if isinstance(a, torch.Tensor) and a.requires_grad]
    out = fn(*inputs, **kwargs)
    grad = torch.ones_like(out)
    with recorder:
        torch.autograd.grad(out, wrt, grad)
    return recorder.buffers


def page_faults(call: Callable[[], object], calls: int = 10, warmup: int = 2) -> float | None:
    """Minor page faults per ``call()``, the mean over ``calls`` calls after ``warmup`` calls.

    A minor page fault is the kernel handing the process a page of memory on its first touch:
    a buffer that the allocator gets fresh from the operating system costs one per page
    (4 KiB) when it is first written.  Counted by :func:`resource.getrusage` for the whole
    process (``ru_minflt``); None where :mod:`resource` does not exist (Windows).

    Example:
        >>> x, buffer = torch.randn(1000), torch.empty(1000)
        >>> faults = page_faults(lambda: torch.mul(x, 2, out=buffer))
        >>> faults is None or faults >= 0
        True
    """
    try:
        import resource
    except ImportError:  # pragma: no cover - not on every platform
        return None
    for _ in range(warmup):
        call()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(calls):
        call()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / calls


def _quiet_profiler() -> None:
    """Silence Kineto's own log lines (``USDT: ... profiler_start``/``profiler_stop``, ``STAGE: ...``).

    :mod:`torch.profiler` runs on Kineto, which prints two ``USDT`` lines to stderr per profiling
    session whatever its log level, unless ``KINETO_LOG_LEVEL`` is above its highest level (5,
    USDT).  Kineto reads the variable once, when the profiler first starts in the process, so it
    is set here, before that; a value the user set is kept.
    """
    os.environ.setdefault("KINETO_LOG_LEVEL", "6")


def hotspots(fn: Callable, *inputs, kwargs: dict | None = None, top: int = 3, iterations: int = 5,
             threads: int | None = None) -> list[tuple[str, float]]:
    """The ``top`` operators by own time in one forward+backward call, ``(name, milliseconds)``.

    Measured with :mod:`torch.profiler` over ``iterations`` calls after two warm-up calls:
    this is how a target that is missed gets its "why".  Kineto's log lines are silenced.
    """
    _quiet_profiler()
    from torch.profiler import ProfilerActivity, profile

    kwargs = kwargs or {}
    wrt = [a for a in inputs if isinstance(a, torch.Tensor) and a.requires_grad]
    cuda = any(a.is_cuda for a in wrt)
    before = torch.get_num_threads()
    torch.set_num_threads(threads or _default_threads("cuda" if cuda else "cpu"))
    try:
        grad = torch.randn_like(fn(*inputs, **kwargs))
        for _ in range(2):
            torch.autograd.grad(fn(*inputs, **kwargs), wrt, grad)
        activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
        with profile(activities=activities) as prof:
            for _ in range(iterations):
                torch.autograd.grad(fn(*inputs, **kwargs), wrt, grad)
    finally:
        torch.set_num_threads(before)
    attr = "self_device_time_total" if cuda else "self_cpu_time_total"
    events = sorted(prof.key_averages(), key=lambda e: getattr(e, attr), reverse=True)[:top]
    return [(e.key, getattr(e, attr) / iterations / 1000) for e in events]


def _inputs(twin: Twin, size: int, device: str, dtype: torch.dtype) -> tuple[tuple, dict]:
    """The twin's sample inputs with the first one grown to about ``size`` elements (trailing dims kept)."""
    args, kwargs = twin.sample(dtype)
    trailing = tuple(args[0].shape[1:])
    rows = max(1, size // max(1, math.prod(trailing)))
    x = (torch.randn(rows, *trailing, dtype=dtype, device=device) * 3).requires_grad_()
    rest = tuple(a.detach().to(device).requires_grad_(a.requires_grad) if isinstance(a, torch.Tensor) else a
                 for a in args[1:])
    return (x, *rest), kwargs


def benchmarkable(ops: Iterable[str] | None = None) -> list[Twin]:
    """The registered operations the sweep can compare: elementwise, with a torch twin."""
    names = sorted(TWINS) if ops is None else list(ops)
    return [TWINS[n] for n in names if TWINS[n].elementwise and TWINS[n].reference is not None]


@dataclass
class BenchResult:
    """Every timing of one sweep, and what it means: ratios, multiples of a copy, overhead, targets."""

    meta: dict
    sizes: list[int]
    phases: list[str]
    copy: dict[int, float] = field(default_factory=dict)
    timings: list[Timing] = field(default_factory=list)
    saved: dict[str, dict[str, int]] = field(default_factory=dict)
    saved_by_size: dict[str, dict[int, dict[str, int]]] = field(default_factory=dict)
    why: dict[str, dict] = field(default_factory=dict)
    floor: float | None = None

    @property
    def ops(self) -> list[str]:
        return list(dict.fromkeys(t.op for t in self.timings))

    @property
    def impls(self) -> list[str]:
        return [i for i in IMPLS if any(t.impl == i for t in self.timings)]

    def timing(self, op: str, impl: str, phase: str, size: int) -> Timing | None:
        for t in self.timings:
            if (t.op, t.impl, t.phase, t.size) == (op, impl, phase, size):
                return t
        return None

    def seconds(self, op: str, impl: str, phase: str, size: int) -> float | None:
        t = self.timing(op, impl, phase, size)
        return None if t is None else t.seconds

    def ratio(self, op: str, phase: str, size: int, impl: str = OURS) -> float:
        """Time of ``impl`` (ours by default) over the built-in's: below 1 is faster."""
        return self.seconds(op, impl, phase, size) / self.seconds(op, BUILTIN, phase, size)

    def _cell(self, op: str, phase: str, size: int, impl: str) -> str:
        return "n/a" if self.seconds(op, impl, phase, size) is None else f"{self.ratio(op, phase, size, impl):.2f}"

    def copies(self, op: str, impl: str, phase: str, size: int) -> float:
        """Time as a multiple of one plain copy of the same size."""
        return self.seconds(op, impl, phase, size) / self.copy[size]

    def overhead_us(self, op: str, phase: str = FB) -> dict[str, float]:
        """Microseconds per call at the smallest size, where the work is negligible: the fixed cost.

        ``extra`` is ours minus the built-in; ``floor`` is :class:`EmptyFunction`'s apply and
        backward (when measured) and ``above_floor`` ours minus that floor.
        """
        size = min(self.sizes)
        ours, builtin = self.seconds(op, OURS, phase, size), self.seconds(op, BUILTIN, phase, size)
        row = {"size": size, "ours": ours * 1e6, "built-in": builtin * 1e6, "extra": (ours - builtin) * 1e6}
        for impl in _EXTRA:
            if self.seconds(op, impl, phase, size) is not None:
                row[impl] = self.seconds(op, impl, phase, size) * 1e6
        if self.floor is not None:
            row["floor"] = self.floor * 1e6
            row["above_floor"] = (ours - self.floor) * 1e6
        return row

    def _reason(self, op: str, size: int, impl: str) -> str:
        ours, builtin = self.timing(op, impl, FB, size), self.timing(op, BUILTIN, FB, size)
        noise = max(ours.spread, builtin.spread)
        text = f"{ours.seconds * 1e3:.2f} ms vs {builtin.seconds * 1e3:.2f} ms, spread {noise:.0%}"
        w = self.why.get(op)
        if impl == OURS and w and w["size"] == size:
            spots = lambda k: ", ".join(f"{name} {ms:.2f}" for name, ms in w[k])
            text += f"; own time (ms) ours: {spots(OURS)}; built-in: {spots(BUILTIN)}"
        if impl == COMPILED and self.seconds(op, COMPILED_BUILTIN, FB, size) is not None:
            text += (f"; torch.compile of the built-in: {self.ratio(op, FB, size, COMPILED_BUILTIN):.2f}x; "
                     f"a compiled call's fixed cost at {min(self.sizes):.0e}: "
                     f"{(self.seconds(op, COMPILED, FB, min(self.sizes)) - self.seconds(op, BUILTIN, FB, min(self.sizes))) * 1e6:+.0f} us")
        return text

    def targets(self) -> list[dict]:
        """Each speed and memory target, PASS or MISS, with the measured value (and a reason on a MISS)."""
        rows = []
        big = [s for s in self.sizes if s >= TARGET_MIN_SIZE] if FB in self.phases else []
        for op in self.ops:
            limit = TARGETS.get(op, TARGETS["default"])
            for impl, lim, what in ((OURS, limit, "fwd+bwd time"), (COMPILED, COMPILED_TARGET, "compiled fwd+bwd")):
                for s in big:
                    failed = self.meta.get("compile_errors", {}).get(op) if impl == COMPILED else None
                    if failed:
                        rows.append(dict(op=op, size=s, impl=impl, target=f"{what} <= {lim}x built-in", limit=lim,
                                         value=None, measured=f"no compile at {s:.0e}", passed=False, spread=None,
                                         why=f"torch.compile failed: {failed}"))
                    if self.seconds(op, impl, FB, s) is None:
                        continue
                    value = self.ratio(op, FB, s, impl)
                    passed = value <= lim
                    rows.append(dict(op=op, size=s, impl=impl, target=f"{what} <= {lim}x built-in", limit=lim,
                                     value=value, measured=f"{value:.2f}x at {s:.0e}", passed=passed,
                                     spread=self.timing(op, impl, FB, s).spread,
                                     why=None if passed else self._reason(op, s, impl)))
            if op in self.saved:
                ours, builtin = self.saved[op]["ours"], self.saved[op]["built-in"]
                rows.append(dict(op=op, size=self.meta.get("saved_size"), impl=OURS, target="bytes saved <= built-in",
                                 limit=builtin, value=ours, measured=f"{_mb(ours)} vs {_mb(builtin)}",
                                 passed=ours <= builtin,
                                 why=None if ours <= builtin else f"{ours - builtin} bytes more than the built-in"))
        return rows

    def status(self, op: str, size: int) -> str:
        """PASS, MISS with the missed targets, or ``-`` below :data:`TARGET_MIN_SIZE`, for one row of the table."""
        rows = [t for t in self.targets() if t["op"] == op and t["size"] == size and size >= TARGET_MIN_SIZE]
        saved = self.saved_by_size.get(op, {}).get(size)
        if saved and saved["ours"] > saved["built-in"]:
            rows.append(dict(passed=False, impl=OURS, target="bytes", measured=""))
        if not rows:
            return "-"
        missed = ["compile failed" if t.get("value", 0) is None else
                  f"{'compiled' if t['impl'] == COMPILED else 'bytes' if t['target'].startswith('bytes') else 'time'}"
                  f" {t['measured'].split(' at ')[0]}".strip() for t in rows if not t["passed"]]
        return "PASS" if not missed else "MISS: " + ", ".join(missed)

    def to_json(self) -> dict:
        return dict(meta=self.meta, sizes=self.sizes, phases=self.phases,
                    copy={str(k): v for k, v in self.copy.items()}, floor=self.floor,
                    timings=[asdict(t) for t in self.timings], saved=self.saved,
                    saved_by_size={op: {str(s): v for s, v in d.items()} for op, d in self.saved_by_size.items()},
                    why=self.why, targets_limits=dict(TARGETS, compiled=COMPILED_TARGET, min_size=TARGET_MIN_SIZE),
                    overhead_us={op: self.overhead_us(op) for op in self.ops if FB in self.phases},
                    targets=self.targets())

    def _main_table(self) -> str:
        impls = self.impls
        head = ["op", "size", "ours us", "spread", "built-in us", "spread", "ratio"]
        head += [f"{i} ratio" for i in impls if i in _EXTRA]
        head += ["saved ours/built-in", "status"]
        rows = []
        for op in self.ops:
            for s in self.sizes:
                ours, builtin = self.timing(op, OURS, FB, s), self.timing(op, BUILTIN, FB, s)
                row = [op, f"{s:.0e}", f"{ours.seconds * 1e6:.1f}", f"{ours.spread:.0%}",
                       f"{builtin.seconds * 1e6:.1f}", f"{builtin.spread:.0%}", f"{self.ratio(op, FB, s):.2f}"]
                row += [self._cell(op, FB, s, i) for i in impls if i in _EXTRA]
                saved = self.saved_by_size.get(op, {}).get(s)
                row.append(f"{_mb(saved['ours'])}/{_mb(saved['built-in'])}" if saved else "")
                row.append(self.status(op, s))
                rows.append(row)
        return _table(head, rows)

    def __str__(self) -> str:
        m = self.meta
        lines = [f"customgrad bench: {m.get('device')} ({m.get('device_name')}), {m.get('dtype')}, "
                 f"torch {m.get('torch')}, {m.get('threads')} thread(s), "
                 f"blocked_autorange(min_run_time={m.get('min_run_time')}), median of {m.get('repeats')} "
                 f"interleaved repeat(s); spread = (max - min) / median of the repeats",
                 f"load average before: {m.get('load_before', '?')}, after: {m.get('load_after', '?')}",
                 "ratio = time / built-in's time, forward+backward; textbook = the tutorial version "
                 "(customgrad.textbook); compiled = torch.compile(ours, fullgraph=True) vs the eager built-in; "
                 "compiled built-in = torch.compile(built-in) vs the eager built-in",
                 f"targets at >= {TARGET_MIN_SIZE:.0e}: ours <= {TARGETS['default']}x, compiled <= "
                 f"{COMPILED_TARGET}x, bytes saved <= built-in's"]
        if FB in self.phases:
            lines += ["", "[forward+backward, microseconds per call]", self._main_table()]
        lines += ["", _table(["size", "copy us"], [[f"{s:.0e}", f"{self.copy[s] * 1e6:.1f}"] for s in self.sizes])]
        impls = self.impls
        for phase in [p for p in self.phases if p != FB]:
            head = ["op", "size"] + [f"{i} us" for i in impls] + [f"{i} ratio" for i in impls if i != BUILTIN] + \
                   [f"{i} xcopy" for i in impls[:2]]
            rows = []
            for op in self.ops:
                for s in self.sizes:
                    row = [op, f"{s:.0e}"] + [f"{(self.seconds(op, i, phase, s) or math.nan) * 1e6:.1f}"
                                              for i in impls]
                    row += [self._cell(op, phase, s, i) for i in impls if i != BUILTIN]
                    row += [f"{self.copies(op, i, phase, s):.1f}" for i in impls[:2]]
                    rows.append(row)
            lines += ["", f"[{phase}]", _table(head, rows)]
        if FB in self.phases:
            extra = [i for i in _EXTRA if i in impls]
            rows = [[op, f"{o['ours']:.1f}", f"{o['built-in']:.1f}"] + [f"{o.get(i, math.nan):.1f}" for i in extra] +
                    [f"{o['extra']:+.1f}"] + ([f"{o['above_floor']:+.1f}"] if "floor" in o else [])
                    for op in self.ops for o in [self.overhead_us(op)]]
            floor = f"; floor (EmptyFunction apply + backward): {self.floor * 1e6:.1f} us" if self.floor else ""
            lines += ["", f"[per-call overhead: forward+backward at {min(self.sizes):.0e} elements{floor}]",
                      _table(["op", "ours us", "built-in us"] + [f"{i} us" for i in extra] + ["ours - built-in"] +
                             (["ours - floor"] if self.floor else []), rows)]
        if m.get("compile_seconds") or m.get("compile_errors"):
            lines += ["", f"[compile: one torch.compile({m.get('compile_backend')}, fullgraph=True) per op, the input's "
                          f"first dim marked dynamic so one graph serves every size; seconds of the first "
                          f"forward+backward call; total {sum(m['compile_seconds'].values()):.1f} s]",
                      ", ".join(f"{op} {s:.1f} s" for op, s in m["compile_seconds"].items())]
            lines += [f"{op}: COMPILE FAILED: {e}" for op, e in m.get("compile_errors", {}).items()]
            lines += [f"{op}: compile of the built-in failed: {e}" for op, e in m.get("compile_errors_builtin", {}).items()]
        if self.saved:
            head = ["op", "ours", "built-in"] + (["textbook"] if any("textbook" in v for v in self.saved.values()) else [])
            rows = [[op] + [_mb(v[k]) for k in ("ours", "built-in", "textbook") if k in v] for op, v in self.saved.items()]
            lines += ["", f"[bytes saved for backward at {m.get('saved_size', 0):.0e} elements]", _table(head, rows)]
        targets = self.targets()
        if targets:
            rows = [[t["op"], t["target"], t["measured"], "PASS" if t["passed"] else "MISS"] for t in targets]
            missed = [t for t in targets if not t["passed"]]
            lines += ["", f"[targets: {m.get('dtype')}, {m.get('device')}, at >= {TARGET_MIN_SIZE:.0e} elements; "
                          f"{len(targets) - len(missed)} PASS, {len(missed)} MISS]",
                      _table(["op", "target", "measured", "status"], rows)]
            if missed:
                lines += ["", "[why each MISS: times (ours or compiled vs built-in), the larger spread of the two, "
                              "and for ours the operators with the most own time per call (torch.profiler)]"]
                lines += [f"{t['op']} {t['measured']}, {t['target']}: {t['why']}" for t in missed]
        return "\n".join(lines)


def _mb(n: int) -> str:
    return f"{n / 1e6:.2f} MB" if n >= 1e5 else f"{n} B"


def _table(head: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    fmt = lambda r: "  ".join(str(c).rjust(w) if k else str(c).ljust(w) for k, (c, w) in enumerate(zip(r, widths)))
    return "\n".join([fmt(head), fmt(["-" * w for w in widths])] + [fmt(r).rstrip() for r in rows])


def _load() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:  # pragma: no cover - not on every platform
        return "?"


def _bar(total: int, progress):
    """A tqdm bar on stderr when ``progress`` is True, else a stand-in whose ``update`` does nothing."""
    if progress is True:
        from tqdm import tqdm

        return tqdm(total=total, unit="step", desc="bench", file=sys.stderr, dynamic_ncols=True,
                    bar_format="{desc} {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} op x size "
                               "[{elapsed} elapsed, {remaining} left]{postfix}")

    class _Silent:
        def update(self, n=1):
            pass

        def set_postfix_str(self, text):
            if callable(progress):
                progress(text)

        def close(self):
            pass

    return _Silent()


def _compiled(fn: Callable, backend: str):
    """``torch.compile`` of a twin (ours or the built-in) as one graph (``fullgraph=True``).

    Only the input's first dimension is made dynamic (:func:`torch._dynamo.maybe_mark_dynamic`, in
    :func:`run`), so one compile serves every size; ``dynamic=True`` would also make the float
    arguments (``beta``, ``alpha``...) symbolic, which is not how a model calls them, and
    ``dynamic=False`` would compile once per size (8 to 17 s each here).
    """
    return torch.compile(fn, backend=backend, fullgraph=True)


@contextlib.contextmanager
def _num_threads(threads: int):
    """Run with ``threads`` intra-op threads, as the timers do (a compiled graph guards on the number)."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _warm_up(fn, args, kwargs, wrt, first: bool, seconds: dict, name: str) -> None:
    """Two forward+backward calls of a compiled ``fn``; the first call's time at the first size is its compile time."""
    for call in range(2):
        started = time.perf_counter()
        out = fn(*args, **kwargs)
        torch.autograd.grad(out, wrt, torch.ones_like(out))
        if first and call == 0:
            seconds[name] = round(time.perf_counter() - started, 2)


def run(ops: Iterable[str] | None = None, sizes: Sequence[float] = SIZES, phases: Sequence[str] = PHASES,
        min_run_time: float = 0.2, repeats: int = 5, device: str | None = None,
        dtype: torch.dtype = torch.float32, compile: bool | str | Callable = False, textbook: bool = True,
        threads: int | None = None, explain_misses: bool = True,
        progress: bool | Callable[[str], None] = False) -> BenchResult:
    """Time every benchmarkable operation (or ``ops``) at every size; see the module docstring.

    Args:
        ops: names from :data:`~customgrad.twins.TWINS` (default: every elementwise one with a torch twin).
        sizes: numbers of elements.
        phases: a subset of :data:`PHASES`.
        min_run_time: seconds :meth:`~torch.utils.benchmark.Timer.blocked_autorange` spends per timing.
        repeats: timings per measurement, interleaved across implementations; the median is kept.
        device: ``"cuda"`` when available, else ``"cpu"``.
        dtype: the inputs' dtype.
        compile: also time ``torch.compile`` of our twin (inductor; a backend, such as ``"eager"`` for a
            quick check, picks another); compiled once per operation, outside the timings.  A compile
            that fails is reported (``meta["compile_errors"]``, a MISS) and the sweep goes on.
        textbook: also time the textbook Functions of :mod:`customgrad.textbook`.
        threads: intra-op threads for the timings (default: one on CPU, torch's setting on CUDA).
        explain_misses: profile each op that misses its time target (:func:`hotspots`) to say why.
        progress: True for a progress bar on stderr (operations x sizes, with the time left); a
            callable is called with a line per step instead.
    """
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    threads = threads or _default_threads(device)
    sizes = [int(s) for s in sizes]
    twins = benchmarkable(ops)
    backend = "inductor" if compile is True else compile
    meta = dict(device=device, device_name=(torch.cuda.get_device_name() if device == "cuda" else
                                            platform.processor() or platform.machine()),
                dtype=str(dtype).replace("torch.", ""), torch=torch.__version__, threads=threads,
                min_run_time=min_run_time, repeats=repeats, python=platform.python_version(),
                saved_size=min(TARGET_MIN_SIZE, max(sizes)), date=time.strftime("%Y-%m-%d %H:%M:%S"),
                load_before=_load(), compile_backend=(backend if isinstance(backend, str) else getattr(backend, "__name__", str(backend))) if compile else None, compile_seconds={},
                compile_errors={}, compile_errors_builtin={})
    result = BenchResult(meta=meta, sizes=sizes, phases=list(phases))
    timing = dict(min_run_time=min_run_time, repeats=repeats, threads=threads)
    bar = _bar(len(twins) * len(sizes) + 1, progress)
    try:
        bar.set_postfix_str("copy and floor")
        for s in sizes:
            result.copy[s] = copy_time(s, device, dtype, **timing)
        if FB in phases:
            result.floor = floor_time(min(sizes), device, dtype, **timing)
        bar.update()
        for twin in twins:
            impls = {OURS: twin.ours, BUILTIN: twin.reference}
            if textbook and twin.name in TEXTBOOK:
                impls[TEXTBOOK_IMPL] = TEXTBOOK[twin.name]
            if compile:
                # Dynamo caches compiled code per Python code object, with a limit of 8 graphs each;
                # torch.compile of a built-in shares one wrapper's code across ops: a fresh start per op.
                torch._dynamo.reset()
                impls[COMPILED] = _compiled(twin.ours, backend)
                impls[COMPILED_BUILTIN] = _compiled(twin.reference, backend)
            for s in sizes:
                bar.set_postfix_str(f"{twin.name} {s:.0e}")
                args, kwargs = _inputs(twin, s, device, dtype)
                wrt = [a for a in args if isinstance(a, torch.Tensor) and a.requires_grad]
                for impl in [i for i in (COMPILED, COMPILED_BUILTIN) if i in impls]:
                    # compile (first call) and warm up outside the timings, on the timed threads
                    torch._dynamo.maybe_mark_dynamic(args[0], 0)
                    try:
                        with _num_threads(threads):
                            _warm_up(impls[impl], args, kwargs, wrt, first=s == sizes[0] and impl == COMPILED,
                                     seconds=meta["compile_seconds"], name=twin.name)
                    except Exception as error:  # reported as a MISS with the reason; the sweep goes on
                        lines = [line.strip() for line in str(error).splitlines() if line.strip()][:2]
                        errors = meta["compile_errors"] if impl == COMPILED else meta["compile_errors_builtin"]
                        errors[twin.name] = f"{type(error).__name__}: {' '.join(lines)}"[:300]
                        del impls[impl]
                timers = {(impl, phase): timer for impl, fn in impls.items()
                          for phase, timer in _timers(fn, args, kwargs, phases, threads).items()}
                for (impl, phase), (seconds, spread) in _repeat(timers, min_run_time, repeats).items():
                    result.timings.append(Timing(twin.name, impl, phase, s, seconds, spread, repeats))
                result.saved_by_size.setdefault(twin.name, {})[s] = {
                    impl: saved_for_backward(impls[impl], *args, **kwargs)[1] for impl in (OURS, BUILTIN)}
                bar.update()
            if explain_misses and FB in phases:
                limit = TARGETS.get(twin.name, TARGETS["default"])
                missed = [s for s in sizes if s >= TARGET_MIN_SIZE and result.ratio(twin.name, FB, s) > limit]
                if missed:
                    size = max(missed, key=lambda s: result.ratio(twin.name, FB, s))
                    bar.set_postfix_str(f"{twin.name}: profiling the miss at {size:.0e}")
                    args, kwargs = _inputs(twin, size, device, dtype)
                    result.why[twin.name] = {"size": size, **{
                        impl: hotspots(fn, *args, kwargs=kwargs, threads=threads)
                        for impl, fn in ((OURS, twin.ours), (BUILTIN, twin.reference))}}
            args, kwargs = _inputs(twin, meta["saved_size"], device, dtype)
            result.saved[twin.name] = {impl: saved_for_backward(fn, *args, **kwargs)[1]
                                       for impl, fn in impls.items() if impl not in (COMPILED, COMPILED_BUILTIN)}
    finally:
        bar.close()
    meta["load_after"] = _load()
    return result


def main(argv: Sequence[str] | None = None) -> BenchResult:
    """``python -m customgrad.bench``: the full sweep, written to ``<out>/bench.txt`` and ``bench.json``."""
    parser = argparse.ArgumentParser(prog="python -m customgrad.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--ops", nargs="*", help="operation names (default: every elementwise one with a twin)")
    parser.add_argument("--sizes", nargs="*", type=float, default=list(SIZES), help="numbers of elements")
    parser.add_argument("--phases", nargs="*", default=[FB], choices=PHASES,
                        help="phases to time (default: forward+backward)")
    parser.add_argument("--min-run-time", type=float, default=0.2, help="seconds per timing (default 0.2)")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved timings per measurement, median kept "
                                                              "(default 5)")
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    parser.add_argument("--threads", type=int, default=None, help="intra-op threads (default: 1 on CPU)")
    parser.add_argument("--compile", default=True, action=argparse.BooleanOptionalAction,
                        help="also time torch.compile (inductor) of our twin (default: on)")
    parser.add_argument("--compile-backend", default="inductor", help="torch.compile backend (default inductor)")
    parser.add_argument("--textbook", default=True, action=argparse.BooleanOptionalAction,
                        help="also time the textbook Functions (default: on)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--out", default="_build/bench", help="output folder (default _build/bench)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    compile = (args.compile_backend if args.compile_backend != "inductor" else True) if args.compile else False
    result = run(ops=args.ops, sizes=args.sizes, phases=args.phases, min_run_time=args.min_run_time,
                 repeats=args.repeats, device=args.device, compile=compile, textbook=args.textbook,
                 threads=args.threads, progress=not args.quiet)
    result.meta["wall_seconds"] = round(time.perf_counter() - started, 1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    text = str(result) + f"\n\nsweep took {result.meta['wall_seconds']} s\n"
    (out / "bench.txt").write_text(text)
    (out / "bench.json").write_text(json.dumps(result.to_json(), indent=1))
    print(text)
    print(f"wrote {out / 'bench.txt'} and {out / 'bench.json'}")
    return result


if __name__ == "__main__":
    main()
