"""Time custom Functions against their built-in twins, with :mod:`torch.utils.benchmark`.

For each operation of :data:`customgrad.twins.TWINS` that is elementwise and has a torch twin,
and for each size, three phases are timed for our functional twin and for torch's:
``forward`` (with autograd recording, as in training), ``backward`` (one
``torch.autograd.grad`` call on a kept graph) and ``forward+backward``.
A plain copy of the same number of elements (``dst.copy_(src)``: read once, write once) is
timed too, as the memory-bandwidth reference: an elementwise op cannot beat it by much.
Every timing is the median of :meth:`torch.utils.benchmark.Timer.blocked_autorange`.

Run the full sweep (sizes 1e3 to 1e7, float32, CUDA when available) with
``python -m customgrad.bench`` (``make bench``); it writes ``_build/bench/bench.txt`` and
``bench.json`` and reports each speed and memory target as PASS or MISS.

On CPU the timings use one thread by default (as :class:`torch.utils.benchmark.Timer` does):
a shared machine disturbs one thread less than all of them, and the ratios stay comparable.

Example:
    >>> result = run(ops=["relu"], sizes=[1000], phases=["forward+backward"], min_run_time=0.01)
    >>> result.ratio("relu", "forward+backward", 1000) > 0
    True
    >>> result.saved["relu"]
    {'ours': 4000, 'built-in': 4000}
    >>> [t["passed"] for t in result.targets()]  # no size >= 1e6 here: only the bytes target
    [True]
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

import torch
from torch.utils import benchmark

from .twins import TWINS, Twin
from .verify import saved_for_backward

__all__ = ["SIZES", "PHASES", "TARGETS", "Timing", "BenchResult", "measure", "copy_time", "hotspots", "run", "main"]

#: Number of elements per input, 1e3 to 1e7.
SIZES: tuple[int, ...] = (10**3, 10**4, 10**5, 10**6, 10**7)
PHASES: tuple[str, ...] = ("forward", "backward", "forward+backward")
OURS, BUILTIN, COMPILED = "ours", "built-in", "compiled"

#: The speed targets: float32, forward+backward, at TARGET_MIN_SIZE elements and above.
TARGETS = {"relu": 1.25, "default": 1.5}
TARGET_MIN_SIZE = 10**6


@dataclass(frozen=True)
class Timing:
    """One median time, in seconds."""

    op: str
    impl: str
    phase: str
    size: int
    seconds: float


def _timer(stmt: str, env: dict, threads: int) -> benchmark.Timer:
    return benchmark.Timer(stmt=stmt, globals=env, num_threads=threads)


def _default_threads(device: str) -> int:
    return 1 if device == "cpu" else torch.get_num_threads()


def _median(stmt: str, env: dict, threads: int, min_run_time: float, repeats: int) -> float:
    """The smallest of ``repeats`` medians: interference from other processes only ever adds time."""
    return min(_timer(stmt, env, threads).blocked_autorange(min_run_time=min_run_time).median
               for _ in range(repeats))


def measure(fn: Callable, *inputs, kwargs: dict | None = None, phases: Sequence[str] = PHASES,
            min_run_time: float = 0.2, repeats: int = 1, threads: int | None = None) -> dict[str, float]:
    """Median seconds per call of each phase of ``fn(*inputs, **kwargs)``.

    The differentiable inputs are the tensors that require grad; the gradient flowing in is a
    fixed random tensor.  ``threads`` defaults to one on CPU.
    """
    kwargs = kwargs or {}
    threads = threads or _default_threads(inputs[0].device.type)
    wrt = [a for a in inputs if isinstance(a, torch.Tensor) and a.requires_grad]
    with torch.no_grad():
        out = fn(*inputs, **kwargs)
    grad = torch.randn_like(out)
    graph = fn(*inputs, **kwargs)
    env = dict(fn=fn, inputs=inputs, kwargs=kwargs, wrt=wrt, grad=grad, graph=graph, autograd=torch.autograd)
    stmts = {
        "forward": "fn(*inputs, **kwargs)",
        "backward": "autograd.grad(graph, wrt, grad, retain_graph=True)",
        "forward+backward": "autograd.grad(fn(*inputs, **kwargs), wrt, grad)",
    }
    return {p: _median(stmts[p], env, threads, min_run_time, repeats) for p in phases}


def copy_time(size: int, device: str = "cpu", dtype: torch.dtype = torch.float32, min_run_time: float = 0.2,
              repeats: int = 1, threads: int | None = None) -> float:
    """Median seconds of ``dst.copy_(src)`` for ``size`` elements: the memory-bandwidth reference."""
    src = torch.randn(size, device=device, dtype=dtype)
    env = dict(src=src, dst=torch.empty_like(src))
    return _median("dst.copy_(src)", env, threads or _default_threads(src.device.type), min_run_time, repeats)


def hotspots(fn: Callable, *inputs, kwargs: dict | None = None, top: int = 3, iterations: int = 5,
             threads: int | None = None) -> list[tuple[str, float]]:
    """The ``top`` operators by own time in one forward+backward call, ``(name, milliseconds)``.

    Measured with :mod:`torch.profiler` over ``iterations`` calls after two warm-up calls:
    this is how a target that is missed gets its "why".
    """
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
    why: dict[str, dict] = field(default_factory=dict)

    @property
    def ops(self) -> list[str]:
        return list(dict.fromkeys(t.op for t in self.timings))

    def seconds(self, op: str, impl: str, phase: str, size: int) -> float | None:
        for t in self.timings:
            if (t.op, t.impl, t.phase, t.size) == (op, impl, phase, size):
                return t.seconds
        return None

    def ratio(self, op: str, phase: str, size: int, impl: str = OURS) -> float:
        """Time of ``impl`` (ours by default) over the built-in's: below 1 is faster."""
        return self.seconds(op, impl, phase, size) / self.seconds(op, BUILTIN, phase, size)

    def copies(self, op: str, impl: str, phase: str, size: int) -> float:
        """Time as a multiple of one plain copy of the same size."""
        return self.seconds(op, impl, phase, size) / self.copy[size]

    def overhead_us(self, op: str, phase: str = "forward+backward") -> dict[str, float]:
        """Microseconds per call at the smallest size, where the work is negligible: the fixed cost."""
        size = min(self.sizes)
        ours, builtin = self.seconds(op, OURS, phase, size), self.seconds(op, BUILTIN, phase, size)
        return {"size": size, "ours": ours * 1e6, "built-in": builtin * 1e6, "extra": (ours - builtin) * 1e6}

    def targets(self) -> list[dict]:
        """Each speed and memory target, PASS or MISS, with the measured value."""
        rows = []
        big = [s for s in self.sizes if s >= TARGET_MIN_SIZE]
        for op in self.ops:
            limit = TARGETS.get(op, TARGETS["default"])
            if big and "forward+backward" in self.phases:
                worst = max(big, key=lambda s: self.ratio(op, "forward+backward", s))
                value = self.ratio(op, "forward+backward", worst)
                rows.append(dict(op=op, target=f"fwd+bwd time <= {limit}x built-in", limit=limit, value=value,
                                 measured=f"{value:.2f}x (worst, at {worst:.0e})", passed=value <= limit,
                                 why=self.why.get(op)))
            if op in self.saved:
                ours, builtin = self.saved[op]["ours"], self.saved[op]["built-in"]
                rows.append(dict(op=op, target="bytes saved <= built-in", limit=builtin, value=ours,
                                 measured=f"{_mb(ours)} vs {_mb(builtin)}", passed=ours <= builtin))
        return rows

    def to_json(self) -> dict:
        return dict(meta=self.meta, sizes=self.sizes, phases=self.phases,
                    copy={str(k): v for k, v in self.copy.items()},
                    timings=[asdict(t) for t in self.timings], saved=self.saved, why=self.why,
                    overhead_us={op: self.overhead_us(op) for op in self.ops if "forward+backward" in self.phases},
                    targets=self.targets())

    def __str__(self) -> str:
        m = self.meta
        lines = [f"customgrad bench: {m['device']} ({m['device_name']}), {m['dtype']}, torch {m['torch']}, "
                 f"{m['threads']} thread(s), blocked_autorange(min_run_time={m['min_run_time']}), "
                 f"best of {m['repeats']} median(s)",
                 "times in microseconds per call; ratio = ours / built-in; xcopy = time / time of dst.copy_(src)",
                 "", _table(["size", "copy us"], [[f"{s:.0e}", f"{self.copy[s] * 1e6:.1f}"] for s in self.sizes])]
        impls = [i for i in (OURS, BUILTIN, COMPILED) if any(t.impl == i for t in self.timings)]
        for phase in self.phases:
            head = ["op", "size"] + [f"{i} us" for i in impls] + ["ratio"] + \
                   (["compiled/built-in"] if COMPILED in impls else []) + [f"{i} xcopy" for i in impls[:2]]
            rows = []
            for op in self.ops:
                for s in self.sizes:
                    row = [op, f"{s:.0e}"] + [f"{self.seconds(op, i, phase, s) * 1e6:.1f}" for i in impls]
                    row.append(f"{self.ratio(op, phase, s):.2f}")
                    if COMPILED in impls:
                        row.append(f"{self.ratio(op, phase, s, COMPILED):.2f}")
                    row += [f"{self.copies(op, i, phase, s):.1f}" for i in impls[:2]]
                    rows.append(row)
            lines += ["", f"[{phase}]", _table(head, rows)]
        if "forward+backward" in self.phases:
            rows = [[op, f"{o['ours']:.1f}", f"{o['built-in']:.1f}", f"{o['extra']:+.1f}"]
                    for op in self.ops for o in [self.overhead_us(op)]]
            lines += ["", f"[per-call overhead: forward+backward at {min(self.sizes):.0e} elements]",
                      _table(["op", "ours us", "built-in us", "extra us"], rows)]
        if self.saved:
            rows = [[op, _mb(v["ours"]), _mb(v["built-in"])] for op, v in self.saved.items()]
            lines += ["", f"[bytes saved for backward at {self.meta['saved_size']:.0e} elements]",
                      _table(["op", "ours", "built-in"], rows)]
        targets = self.targets()
        if targets:
            rows = [[t["op"], t["target"], t["measured"], "PASS" if t["passed"] else "MISS"] for t in targets]
            missed = sum(not t["passed"] for t in targets)
            lines += ["", f"[targets: {m['dtype']}, {m['device']}, at >= {TARGET_MIN_SIZE:.0e} elements; "
                          f"{len(targets) - missed} PASS, {missed} MISS]",
                      _table(["op", "target", "measured", "status"], rows)]
        if self.why:
            lines += ["", "[why: the operators with the most own time in one forward+backward call, "
                          "ms per call (torch.profiler), for each op that misses its time target]"]
            for op, w in self.why.items():
                for impl in (OURS, BUILTIN):
                    spots = ", ".join(f"{name} {ms:.3f}" for name, ms in w[impl])
                    lines.append(f"{op} at {w['size']:.0e}, {impl}: {spots}")
        return "\n".join(lines)


def _mb(n: int) -> str:
    return f"{n / 1e6:.2f} MB" if n >= 1e5 else f"{n} B"


def _table(head: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    fmt = lambda r: "  ".join(str(c).rjust(w) if k else str(c).ljust(w) for k, (c, w) in enumerate(zip(r, widths)))
    return "\n".join([fmt(head), fmt(["-" * w for w in widths])] + [fmt(r) for r in rows])


def run(ops: Iterable[str] | None = None, sizes: Sequence[float] = SIZES, phases: Sequence[str] = PHASES,
        min_run_time: float = 0.1, repeats: int = 2, device: str | None = None,
        dtype: torch.dtype = torch.float32, compile: bool = False, threads: int | None = None,
        explain_misses: bool = True, progress: Callable[[str], None] | None = None) -> BenchResult:
    """Time every benchmarkable operation (or ``ops``) at every size; see the module docstring.

    Args:
        ops: names from :data:`~customgrad.twins.TWINS` (default: every elementwise one with a torch twin).
        sizes: numbers of elements.
        phases: a subset of :data:`PHASES`.
        min_run_time: seconds :meth:`~torch.utils.benchmark.Timer.blocked_autorange` spends per timing.
        repeats: timings per measurement; the smallest median is kept.
        device: ``"cuda"`` when available, else ``"cpu"``.
        compile: also time ``torch.compile`` (inductor) of our twin; slow to warm up, so off by default.
        threads: intra-op threads for the timings (default: one on CPU, torch's setting on CUDA).
        explain_misses: profile each op that misses its time target (:func:`hotspots`) to say why.
        progress: called with a line per operation (for example ``print``).
    """
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    threads = threads or _default_threads(device)
    sizes = [int(s) for s in sizes]
    twins = benchmarkable(ops)
    meta = dict(device=device, device_name=(torch.cuda.get_device_name() if device == "cuda" else
                                            platform.processor() or platform.machine()),
                dtype=str(dtype).replace("torch.", ""), torch=torch.__version__, threads=threads,
                min_run_time=min_run_time, repeats=repeats, python=platform.python_version(),
                saved_size=min(TARGET_MIN_SIZE, max(sizes)), date=time.strftime("%Y-%m-%d %H:%M:%S"))
    result = BenchResult(meta=meta, sizes=sizes, phases=list(phases))
    timing = dict(min_run_time=min_run_time, repeats=repeats, threads=threads)
    for s in sizes:
        result.copy[s] = copy_time(s, device, dtype, **timing)
    for twin in twins:
        started = time.perf_counter()
        impls = {OURS: twin.ours, BUILTIN: twin.reference}
        if compile:
            impls[COMPILED] = torch.compile(twin.ours)
        for s in sizes:
            args, kwargs = _inputs(twin, s, device, dtype)
            for impl, fn in impls.items():
                for phase, seconds in measure(fn, *args, kwargs=kwargs, phases=phases, **timing).items():
                    result.timings.append(Timing(twin.name, impl, phase, s, seconds))
        if explain_misses and "forward+backward" in phases:
            limit = TARGETS.get(twin.name, TARGETS["default"])
            missed = [s for s in sizes if s >= TARGET_MIN_SIZE and result.ratio(twin.name, "forward+backward", s) > limit]
            if missed:
                size = max(missed, key=lambda s: result.ratio(twin.name, "forward+backward", s))
                args, kwargs = _inputs(twin, size, device, dtype)
                result.why[twin.name] = {"size": size, **{
                    impl: hotspots(fn, *args, kwargs=kwargs, threads=threads)
                    for impl, fn in ((OURS, twin.ours), (BUILTIN, twin.reference))}}
        args, kwargs = _inputs(twin, meta["saved_size"], device, dtype)
        result.saved[twin.name] = {impl: saved_for_backward(fn, *args, **kwargs)[1]
                                   for impl, fn in ((OURS, twin.ours), (BUILTIN, twin.reference))}
        if progress:
            progress(f"{twin.name}: {time.perf_counter() - started:.1f} s")
    return result


def main(argv: Sequence[str] | None = None) -> BenchResult:
    """``python -m customgrad.bench``: the full sweep, written to ``<out>/bench.txt`` and ``bench.json``."""
    parser = argparse.ArgumentParser(prog="python -m customgrad.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--ops", nargs="*", help="operation names (default: every elementwise one with a twin)")
    parser.add_argument("--sizes", nargs="*", type=float, default=list(SIZES), help="numbers of elements")
    parser.add_argument("--phases", nargs="*", default=list(PHASES), choices=PHASES)
    parser.add_argument("--min-run-time", type=float, default=0.1, help="seconds per timing (default 0.1)")
    parser.add_argument("--repeats", type=int, default=2, help="timings per measurement, best kept (default 2)")
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    parser.add_argument("--threads", type=int, default=None, help="intra-op threads (default: 1 on CPU)")
    parser.add_argument("--compile", action="store_true", help="also time torch.compile of our twin (slow)")
    parser.add_argument("--out", default="_build/bench", help="output folder (default _build/bench)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    result = run(ops=args.ops, sizes=args.sizes, phases=args.phases, min_run_time=args.min_run_time,
                 repeats=args.repeats, device=args.device, compile=args.compile, threads=args.threads,
                 progress=lambda line: print(line, file=sys.stderr, flush=True))
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
