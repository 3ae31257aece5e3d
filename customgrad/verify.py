"""Check a custom ``torch.autograd.Function`` end to end, and say which check fails and why.

PyTorch ships the parts (:func:`torch.autograd.gradcheck`, :mod:`torch.func`, :func:`torch.compile`,
saved-tensor hooks); :func:`verify` runs them all on one Function and adds the checks nothing in
PyTorch makes for a hand-written backward: one gradient per input, in-place and aliasing rules,
``grad_output`` left untouched, what the Function keeps alive for backward, and tensors hidden on
``ctx``.  Each check ends ``passed``, ``failed`` (with the reason) or ``n/a`` (with why not).

Example:
    >>> import torch
    >>> from customgrad.functions import ReLUFunction
    >>> x = torch.randn(4, 5, dtype=torch.float64, requires_grad=True)
    >>> report = verify(ReLUFunction.apply, x, False, reference=lambda x, _: torch.relu(x),
    ...                 compile_backend=None)
    >>> report.ok
    True
    >>> report["saved"].detail
    '1 tensor, 160 B (reference: 1 tensor, 160 B)'
    >>> report["compile"].status
    'n/a'
"""

from __future__ import annotations

import html
import inspect
import math
import re
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import torch
from torch.autograd import forward_ad as fwAD
from torch.autograd.gradcheck import GradcheckError

__all__ = [
    "CHECKS", "Check", "VerifyReport", "VerifyMatrix", "VerificationError",
    "verify", "verify_twin", "verify_all", "saved_for_backward",
]

PASSED, FAILED, NA = "passed", "failed", "n/a"

#: Every check, in report order, with what it asks.
CHECKS: dict[str, str] = {
    "forward": "output equals the reference's on the given inputs",
    "gradients": "backward returns one gradient per forward input (None for non-tensors)",
    "backward": "gradients equal the reference's on the given inputs",
    "gradcheck": "backward agrees with finite differences (float64 copies)",
    "gradgradcheck": "double backward works and agrees with finite differences (float64 copies)",
    "forward AD": "the jvp agrees with finite differences (float64) and with the reference's",
    "vmap": "torch.func.vmap over a batch equals a loop over its samples",
    "func.grad": "torch.func.grad equals torch.autograd.grad (and the reference's)",
    "compile": "torch.compile runs and matches eager; graph breaks are reported",
    "edge values": "0, kinks, ±tiny, ±huge, ±inf, nan (float32 and float64) as the reference",
    "shapes": "empty, 0-dim, 4-d and non-contiguous inputs as the reference",
    "in-place": "an input changed in place is returned and marked dirty; no other input changes",
    "grad_output": "backward leaves grad_output untouched",
    "saved": "tensors and bytes saved for backward, no more than the reference saves",
    "ctx tensors": "no tensor kept on ctx outside save_for_backward",
}

_SYMBOL = {PASSED: "✓", FAILED: "✗", NA: "–"}
_COLOUR = {PASSED: "#d8f0d8", FAILED: "#f8d0d0", NA: "#eeeeee"}

# Attributes torch itself puts on ctx (the backward node); anything else holding a tensor is ours to flag.
_CTX_INTERNAL = {
    "to_save", "saved_for_forward", "dirty_tensors", "non_differentiable", "materialize_grads",
    "_nested_input", "_nested_output", "_to_save_nested", "_materialize_non_diff_grads",
}

# torch error messages, and the mistake each one means, for a reason a reader can act on.
_KNOWN_ERRORS = [
    (r"incorrect number of gradients", "wrong number of gradients"),
    (r"must implement the jvp function", "no forward-mode AD: the Function defines no jvp()"),
    (r"must override the setup_context", "torch.func needs forward() without ctx plus setup_context()"),
    (r"does not have vmap support", "no vmap rule: set generate_vmap_rule = True or define vmap()"),
    (r"once_differentiable", "no double backward: backward is @once_differentiable"),
    (r"returned as-is as output is being saved",
     "an input is returned as-is and saved: mark it dirty (in-place) or return input.view_as(input)"),
    (r"modified by an inplace operation", "a tensor saved for backward was modified in place"),
    (r"returning a view \(or an input as-is\)", "forward returns an input (or a view of one) without mark_dirty"),
]


class VerificationError(AssertionError):
    """Raised by ``verify(..., strict=True)`` and :meth:`VerifyReport.raise_if_failed`."""


@dataclass(frozen=True)
class Check:
    """The result of one check: ``status`` is ``'passed'``, ``'failed'`` or ``'n/a'``."""

    name: str
    status: str
    detail: str = ""

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    @property
    def failed(self) -> bool:
        return self.status == FAILED

    def __str__(self) -> str:
        return f"{self.name}: {self.status}" + (f" ({self.detail})" if self.detail else "")


@dataclass
class VerifyReport:
    """All checks of one :func:`verify` call: index it by check name, print it, or show it in a notebook.

    Attributes:
        name: what was verified.
        checks: check name -> :class:`Check`, in :data:`CHECKS` order.
        saved_tensors, saved_bytes: what one forward kept for backward (``None`` if it did not run).
        reference_saved_bytes: the same for the reference, when one was given.
        graph_breaks: distinct reasons torch.compile gave for breaking the graph.
    """

    name: str
    checks: dict[str, Check] = field(default_factory=dict)
    saved_tensors: int | None = None
    saved_bytes: int | None = None
    reference_saved_bytes: int | None = None
    graph_breaks: list[str] = field(default_factory=list)

    def __getitem__(self, name: str) -> Check:
        return self.checks[name]

    def __iter__(self):
        return iter(self.checks.values())

    @property
    def ok(self) -> bool:
        """``True`` when no check failed."""
        return not self.failures

    @property
    def failures(self) -> list[Check]:
        return [c for c in self if c.failed]

    def summary(self) -> str:
        counts = {s: sum(c.status == s for c in self) for s in (PASSED, FAILED, NA)}
        return (f"verify({self.name}): {counts[PASSED]} passed, {counts[FAILED]} failed, "
                f"{counts[NA]} not applicable")

    def raise_if_failed(self) -> "VerifyReport":
        if not self.ok:
            lines = "\n".join(f"  {c.name}: {c.detail}" for c in self.failures)
            raise VerificationError(f"{self.summary()}\n{lines}")
        return self

    def __str__(self) -> str:
        width = max(len(n) for n in self.checks) if self.checks else 5
        rows = [self.summary(), f"{'check':<{width}}  {'result':<6}  detail"]
        rows += [f"{c.name:<{width}}  {c.status:<6}  {c.detail}" for c in self]
        return "\n".join(rows)

    def _repr_html_(self) -> str:
        body = "".join(
            f"<tr><td>{html.escape(c.name)}</td>"
            f"<td style='background:{_COLOUR[c.status]}'>{_SYMBOL[c.status]} {c.status}</td>"
            f"<td style='text-align:left'>{html.escape(c.detail)}</td></tr>"
            for c in self
        )
        return (f"<table class='customgrad-verify'><caption>{html.escape(self.summary())}</caption>"
                f"<thead><tr><th>check</th><th>result</th><th>detail</th></tr></thead>"
                f"<tbody>{body}</tbody></table>")


@dataclass
class VerifyMatrix:
    """Many reports side by side: rows the Functions, columns the checks."""

    reports: list[VerifyReport]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.reports)

    @property
    def failures(self) -> list[tuple[str, Check]]:
        return [(r.name, c) for r in self.reports for c in r.failures]

    def counts(self) -> dict[str, int]:
        return {s: sum(c.status == s for r in self.reports for c in r) for s in (PASSED, FAILED, NA)}

    def raise_if_failed(self) -> "VerifyMatrix":
        if not self.ok:
            lines = "\n".join(f"  {name} / {c.name}: {c.detail}" for name, c in self.failures)
            raise VerificationError(f"{len(self.failures)} failing cell(s):\n{lines}")
        return self

    @staticmethod
    def _cell_text(check: Check) -> str:
        if check.name == "saved" and check.status != NA:
            return check.detail.split(" (")[0]
        return _SYMBOL[check.status]

    def __str__(self) -> str:
        names = list(CHECKS)
        first = max([len(r.name) for r in self.reports] + [8])
        widths = [max(len(n), 3) for n in names]
        widths[names.index("saved")] = max(widths[names.index("saved")], 18)
        head = " ".join([f"{'Function':<{first}}"] + [f"{n:<{w}}" for n, w in zip(names, widths)])
        rows = [head]
        for r in self.reports:
            cells = [f"{self._cell_text(r[n]):<{w}}" for n, w in zip(names, widths)]
            rows.append(" ".join([f"{r.name:<{first}}"] + cells))
        rows += [f"FAILED {name} / {c.name}: {c.detail}" for name, c in self.failures]
        return "\n".join(rows)

    def _repr_html_(self) -> str:
        head = "".join(f"<th title='{html.escape(CHECKS[n])}'>{html.escape(n)}</th>" for n in CHECKS)
        rows = []
        for r in self.reports:
            cells = "".join(
                f"<td style='background:{_COLOUR[c.status]};text-align:center' "
                f"title='{html.escape(c.detail, quote=True)}'>{html.escape(self._cell_text(c))}</td>"
                for c in r
            )
            rows.append(f"<tr><th style='text-align:left'>{html.escape(r.name)}</th>{cells}</tr>")
        failures = "".join(
            f"<li><b>{html.escape(name)}</b> / {html.escape(c.name)}: {html.escape(c.detail)}</li>"
            for name, c in self.failures
        )
        counts = self.counts()
        caption = (f"{len(self.reports)} Functions × {len(CHECKS)} checks: {counts[PASSED]} passed, "
                   f"{counts[FAILED]} failed, {counts[NA]} not applicable")
        return (f"<table class='customgrad-verify-matrix'><caption>{caption}</caption>"
                f"<thead><tr><th>Function</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
                + (f"<ul>{failures}</ul>" if failures else ""))


# --- inputs -----------------------------------------------------------------------


def _is_float(t) -> bool:
    return isinstance(t, torch.Tensor) and (t.is_floating_point() or t.is_complex())


def _flat(out) -> tuple[torch.Tensor, ...]:
    if isinstance(out, torch.Tensor):
        return (out,)
    if isinstance(out, (tuple, list)):
        return tuple(o for o in out if isinstance(o, torch.Tensor))
    raise TypeError(f"expected the Function to return tensors, got {type(out).__name__}")


class _Case:
    """The callable under test with its example inputs, and which inputs are differentiable."""

    def __init__(self, fn: Callable, inputs: Sequence, kwargs: dict):
        self.fn, self.inputs, self.kwargs = fn, tuple(inputs), dict(kwargs)
        tensors = [i for i, a in enumerate(self.inputs) if isinstance(a, torch.Tensor)]
        flagged = [i for i in tensors if self.inputs[i].requires_grad]
        self.diff = flagged or [i for i in tensors if _is_float(self.inputs[i])]
        self.first = tensors[0] if tensors else None
        self.dtype = self.inputs[self.first].dtype if self.first is not None else torch.float64
        self.device = self.inputs[self.first].device if self.first is not None else torch.device("cpu")

    def leaves(self, dtype: torch.dtype | None = None) -> list:
        """Fresh copies of the inputs (floating ones cast to ``dtype``); differentiable ones are leaves."""
        out = []
        for i, a in enumerate(self.inputs):
            if isinstance(a, torch.Tensor):
                b = a.detach().clone()
                if dtype is not None and _is_float(b):
                    b = b.to(dtype)
                out.append(b.requires_grad_(i in self.diff))
            else:
                out.append(a)
        return out

    def function(self, fn: Callable, args: Sequence, transform: Callable | None = None):
        """``fn`` as a function of the differentiable inputs only, the rest fixed.

        Each differentiable leaf is cloned before the call, so a Function that works in place
        is fed a non-leaf (as a caller of ``inplace=True`` must) and the leaves stay untouched.
        ``transform`` reshapes the first input after that clone (non-contiguous views and so on).
        """

        def f(*tensors):
            full = list(args)
            for i, t in zip(self.diff, tensors):
                full[i] = t.clone()
            if transform is not None:
                full[self.first] = transform(full[self.first])
            return fn(*full, **self.kwargs)

        return f, tuple(args[i] for i in self.diff)


def _grad_outputs(outs, seed: int = 1, requires_grad: bool = False) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn(o.shape, dtype=o.dtype, generator=gen).to(o.device).requires_grad_(requires_grad)
            for o in outs if o.requires_grad]


def _forward_backward(f, tensors, seed: int = 1):
    """Outputs and the gradient of every tensor for a fixed random grad_output."""
    outs = _flat(f(*tensors))
    diff = [o for o in outs if o.requires_grad]
    grads: tuple = (None,) * len(tensors)
    if diff and tensors:
        grads = torch.autograd.grad(diff, tensors, _grad_outputs(outs, seed), allow_unused=True)
    return [o.detach() for o in outs], list(grads)


# --- comparing --------------------------------------------------------------------


def _tolerance(dtype, rtol, atol) -> dict:
    if rtol is not None and atol is not None:
        return dict(rtol=rtol, atol=atol)
    default = dict(rtol=1e-5, atol=1e-6) if dtype in (torch.float32, torch.complex64) else \
        dict(rtol=1e-7, atol=1e-10)
    if dtype in (torch.float16, torch.bfloat16):
        default = dict(rtol=1e-2, atol=1e-3)
    return dict(rtol=default["rtol"] if rtol is None else rtol, atol=default["atol"] if atol is None else atol)


def _difference(ours, theirs, tol: dict, what: str) -> str | None:
    """``None`` when equal (nan equals nan), else one line on how they differ."""
    if ours is None or theirs is None:
        if ours is None and theirs is None:
            return None
        return f"{what}: {'None' if ours is None else 'a tensor'} where the reference gives " \
               f"{'None' if theirs is None else 'a tensor'}"
    if ours.shape != theirs.shape:
        return f"{what}: shape {list(ours.shape)}, reference {list(theirs.shape)}"
    try:
        torch.testing.assert_close(ours, theirs, equal_nan=True, check_dtype=False, **tol)
    except AssertionError as e:
        lines = [ln.strip() for ln in str(e).splitlines()[1:] if ln.strip()]
        text = "; ".join(re.sub(r" \(up to .* allowed\)", "", ln) for ln in lines[:2])
        return f"{what}: " + _round_numbers(text)
    return None


def _round_numbers(text: str) -> str:
    return re.sub(r"-?\d+\.\d{4,}(e[-+]?\d+)?", lambda m: f"{float(m.group()):.3g}", text)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _join(problems: Sequence[str], limit: int = 3) -> str:
    return "; ".join(problems[:limit]) + (f"; … ({len(problems) - limit} more)" if len(problems) > limit else "")


def _differences(ours: Sequence, theirs: Sequence, tol: dict, what: str) -> list[str]:
    if len(ours) != len(theirs):
        return [f"{len(ours)} {what}s, reference {len(theirs)}"]
    found = [_difference(a, b, tol, f"{what} {i}" if len(ours) > 1 else what)
             for i, (a, b) in enumerate(zip(ours, theirs))]
    return [d for d in found if d]


def _first_line(exc: BaseException, limit: int = 240) -> str:
    text = str(exc).strip().splitlines()
    line = text[0].rstrip(",:") if text else type(exc).__name__
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _explain(exc: BaseException) -> str:
    """Name the mistake behind a torch error where we know it, and keep torch's first line."""
    message = str(exc)
    for pattern, mistake in _KNOWN_ERRORS:
        if re.search(pattern, message):
            return f"{mistake} ({type(exc).__name__}: {_first_line(exc)})"
    return f"{type(exc).__name__}: {_first_line(exc)}"


def _nbytes(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def _describe(t: torch.Tensor) -> str:
    return f"{str(t.dtype).replace('torch.', '')} {list(t.shape)}"


# --- what the autograd graph holds ------------------------------------------------


def _custom_nodes(outs: Iterable[torch.Tensor]) -> list:
    """The backward nodes of custom Functions reachable from ``outs`` (each node IS the ctx)."""
    seen, found, stack = set(), [], [o.grad_fn for o in outs if o.grad_fn is not None]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, torch.autograd.function.BackwardCFunction):
            found.append(node)
        stack.extend(n for n, _ in node.next_functions)
    return found


def _ctx_tensors(node) -> list[tuple[str, torch.Tensor]]:
    """Tensors held by ``ctx`` attributes (also inside lists, tuples and dicts), by attribute path."""
    found = []

    def visit(path, value, depth):
        if isinstance(value, torch.Tensor):
            found.append((path, value))
        elif depth < 3 and isinstance(value, (list, tuple)):
            for i, v in enumerate(value):
                visit(f"{path}[{i}]", v, depth + 1)
        elif depth < 3 and isinstance(value, dict):
            for k, v in value.items():
                visit(f"{path}[{k!r}]", v, depth + 1)

    for name, value in vars(node).items():
        if name not in _CTX_INTERNAL:
            visit(f"ctx.{name}", value, 0)
    return found


def _forward_names(node) -> list[str]:
    """The forward's argument names of the Function behind a backward node."""
    cls = getattr(type(node), "_forward_cls", None)
    try:
        params = list(inspect.signature(cls.forward).parameters)
    except (TypeError, ValueError, AttributeError):
        return []
    needs = len(node.needs_input_grad)
    return params[-needs:] if len(params) >= needs else params


class _SavedCounter:
    """Counts the tensors autograd saves for backward, through saved-tensor hooks."""

    def __init__(self):
        self.tensors, self._seen = 0, {}

    def pack(self, t: torch.Tensor):
        self.tensors += 1
        key = (t.data_ptr(), t.storage_offset(), tuple(t.shape), tuple(t.stride()), t.dtype)
        self._seen[key] = t.numel() * t.element_size()
        return t

    @staticmethod
    def unpack(t):
        return t

    @property
    def bytes(self) -> int:
        return sum(self._seen.values())

    def hooks(self):
        return torch.autograd.graph.saved_tensors_hooks(self.pack, self.unpack)


def saved_for_backward(fn: Callable, *args, **kwargs) -> tuple[int, int]:
    """``(tensors, bytes)`` that one call of ``fn(*args, **kwargs)`` keeps alive for backward.

    Counted with :func:`torch.autograd.graph.saved_tensors_hooks`; a tensor saved twice counts
    once in the bytes.

    Example:
        >>> x = torch.randn(1000, requires_grad=True)
        >>> saved_for_backward(torch.relu, x)
        (1, 4000)
    """
    counter = _SavedCounter()
    with counter.hooks():
        fn(*args, **kwargs)
    return counter.tensors, counter.bytes


# --- the checks -------------------------------------------------------------------


def edge_points(dtype: torch.dtype, kinks: Sequence[float] = (), copies: int = 64) -> torch.Tensor:
    """The special inputs every elementwise Function is checked on, ``copies`` times over.

    0, -0, +-1e-10, +-the smallest normal, +-1, +-100, +-1e10, +-the largest finite value,
    +-inf, nan, and each kink with its neighbours at +-1e-6.  The repetition puts every value
    inside the vectorised loop of torch's CPU kernels, as in real tensors: torch's own elu and
    hardswish backward give nan at nan there, but a finite number in the short scalar tail.

    Example:
        >>> edge_points(torch.float32, kinks=(3.0,), copies=1).shape
        torch.Size([20])
    """
    info = torch.finfo(dtype)
    points = [0.0, -0.0, 1e-10, -1e-10, info.tiny, -info.tiny, 1.0, -1.0, 100.0, -100.0, 1e10, -1e10,
              info.max, -info.max, math.inf, -math.inf, math.nan]
    for k in kinks:
        points += [k, k + 1e-6, k - 1e-6]
    return torch.tensor(points, dtype=dtype).repeat(copies)


def _pointwise_problems(x: torch.Tensor, ours: torch.Tensor, theirs: torch.Tensor, tol: dict,
                        what: str) -> list[str]:
    """Name the edge points where ``ours`` differs from ``theirs``: overflow, nan/inf, or a mismatch."""
    close = torch.isclose(ours, theirs, equal_nan=True, **tol)
    if bool(close.all()):
        return []
    kinds: dict[str, list[str]] = {}
    for i in (~close).nonzero().flatten().tolist():
        a, b, v = ours[i].item(), theirs[i].item(), x[i].item()
        finite_ours, finite_ref = math.isfinite(a), math.isfinite(b)
        if not finite_ours and finite_ref and abs(v) > 1:
            kind = "overflow (inf/nan where the reference is finite)"
        elif not finite_ours and finite_ref:
            kind = "inf/nan where the reference is finite"
        else:
            kind = "mismatch"
        kinds.setdefault(kind, []).append(f"x={v:.3g} ({a:.3g} vs {b:.3g})")
    return [f"{what}: {kind} at {', '.join(pts[:4])}" + (" …" if len(pts) > 4 else "")
            for kind, pts in kinds.items()]


_SHAPES: list[tuple[str, Callable[[torch.dtype], torch.Tensor], Callable | None]] = [
    ("empty", lambda d: torch.empty(0, dtype=d), None),
    ("empty 3-d", lambda d: torch.empty(3, 0, 2, dtype=d), None),
    ("0-dim", lambda d: torch.tensor(-0.7, dtype=d), None),
    ("4-d", lambda d: torch.randn(2, 3, 4, 5, dtype=d) * 3, None),
    ("transposed", lambda d: torch.randn(6, 4, dtype=d) * 3, lambda t: t.t()),
    ("strided", lambda d: torch.randn(8, 6, dtype=d) * 3, lambda t: t[::2, 1::2]),
]


_NEED_BACKWARD = {"backward", "gradcheck", "gradgradcheck", "func.grad", "compile", "edge values", "shapes",
                  "grad_output"}


class _Verifier:
    def __init__(self, fn, inputs, kwargs, reference, kinks, elementwise, compile_backend, fullgraph,
                 rtol, atol):
        self.case = _Case(fn, inputs, kwargs)
        self.fn, self.reference, self.kinks = fn, reference, tuple(kinks)
        self.compile_backend, self.fullgraph = compile_backend, fullgraph
        self.rtol, self.atol = rtol, atol
        self.elementwise = elementwise
        self.tol = _tolerance(self.case.dtype, rtol, atol)
        self.nodes: list = []
        self.probe_error: BaseException | None = None
        self.backward_error: BaseException | None = None
        self.report = VerifyReport(name="")

    # The probe: one forward under saved-tensor hooks and one backward with a watched grad_output.
    def probe(self):
        case = self.case
        args = case.leaves()
        fed = list(args)
        for i in case.diff:
            fed[i] = args[i].clone()
        self.fed = fed
        self.before = {i: (t.detach().clone(), t._version) for i, t in enumerate(fed)
                       if isinstance(t, torch.Tensor)}
        counter = _SavedCounter()
        try:
            with counter.hooks():
                out = self.fn(*fed, **case.kwargs)
            self.outs = _flat(out)
        except Exception as e:  # noqa: BLE001 - the report says what went wrong
            self.probe_error = e
            return
        self.after = {i: (t.detach().clone(), t._version) for i, t in enumerate(fed)
                      if isinstance(t, torch.Tensor)}
        self.report.saved_tensors, self.report.saved_bytes = counter.tensors, counter.bytes
        self.nodes = _custom_nodes(self.outs)
        self.ctx_found = [(type(n).__name__, path, t) for n in self.nodes for path, t in _ctx_tensors(n)]
        self.grad_outputs = _grad_outputs(self.outs)
        self.grad_outputs_before = [(g.clone(), g._version) for g in self.grad_outputs]
        self.backward_error = None
        diff_outs = [o for o in self.outs if o.requires_grad]
        leaves = [args[i] for i in case.diff]
        if diff_outs and leaves:
            try:
                self.probe_grads = torch.autograd.grad(diff_outs, leaves, self.grad_outputs, allow_unused=True)
            except Exception as e:  # noqa: BLE001
                self.backward_error = e

    # Each check returns (status, detail).
    def check_forward(self):
        return self._against_reference(outputs=True)

    def check_backward(self):
        return self._against_reference(outputs=False)

    def _against_reference(self, outputs: bool):
        if self.reference is None:
            return NA, "no reference given"
        if not outputs and not self.case.diff:
            return NA, "no differentiable input"
        results = []
        for fn in (self.fn, self.reference):
            f, tensors = self.case.function(fn, self.case.leaves())
            if outputs:
                with torch.no_grad():
                    results.append([o.detach() for o in _flat(f(*tensors))])
            else:
                results.append(_forward_backward(f, tensors)[1])
        problems = _differences(*results, self.tol, "output" if outputs else "gradient")
        dtype = str(self.case.dtype).replace("torch.", "")
        if problems:
            return FAILED, _join(problems)
        return PASSED, f"{'outputs' if outputs else 'gradients'} equal the reference's ({dtype})"

    def check_gradients(self):
        if not self.case.diff:
            return NA, "no differentiable input"
        if not self.nodes:
            return NA, "no custom autograd.Function in the graph"
        if self.backward_error is not None:
            return FAILED, self._gradient_count_reason(self.backward_error)
        counts = ", ".join(f"{type(n).__name__}: {_plural(len(n.needs_input_grad), 'input')}" for n in self.nodes)
        return PASSED, f"one gradient per forward input ({counts})"

    def _gradient_count_reason(self, exc: BaseException) -> str:
        m = re.search(r"function (\w+) returned an incorrect number of gradients \(expected (\d+), got (\d+)\)",
                      str(exc))
        if not m:
            return _explain(exc)
        node_name, expected, got = m.group(1), int(m.group(2)), int(m.group(3))
        node = next((n for n in self.nodes if type(n).__name__ == node_name), None)
        names = _forward_names(node) if node is not None else []
        returned = f"{node_name} returned {_plural(got, 'gradient')} for {_plural(expected, 'forward input')}"
        if got > expected:
            return f"wrong number of gradients: {returned}"
        missing = list(range(got, expected))
        label = [f"'{names[i]}'" if i < len(names) else f"#{i}" for i in missing]
        needs = node.needs_input_grad if node is not None else (True,) * expected
        if not any(needs[i] for i in missing):
            return (f"missing None for input(s) {', '.join(label)}: {returned}; "
                    f"return None for every non-tensor (or no-grad) input")
        return f"wrong number of gradients: {returned}; no gradient for {', '.join(label)}, which requires one"

    def check_gradcheck(self):
        if not self.case.diff:
            return NA, "no differentiable input"
        f, tensors = self.case.function(self.fn, self.case.leaves(torch.float64))
        try:
            torch.autograd.gradcheck(f, tensors, raise_exception=True)
        except GradcheckError as e:
            return FAILED, f"backward disagrees with finite differences: {_first_line(e)}"
        except Exception as e:  # noqa: BLE001
            return FAILED, _explain(e)
        return PASSED, "float64, backward = finite differences"

    def check_gradgradcheck(self):
        if not self.case.diff:
            return NA, "no differentiable input"
        f, tensors = self.case.function(self.fn, self.case.leaves(torch.float64))
        try:
            outs = _flat(f(*tensors))
            gs = _grad_outputs(outs, requires_grad=True)
            diff_outs = [o for o in outs if o.requires_grad]
            grads = torch.autograd.grad(diff_outs, tensors, gs, create_graph=True, allow_unused=True)
            live = [g for g in grads if g is not None and g.requires_grad]
            if not live:
                return FAILED, ("no double backward: the gradients backward returns are not differentiable "
                                "(detached, or computed outside torch ops)")
            sum(g.sum() for g in live).backward()
        except Exception as e:  # noqa: BLE001
            return FAILED, self._double_backward_reason(e)
        f, tensors = self.case.function(self.fn, self.case.leaves(torch.float64))
        try:
            torch.autograd.gradgradcheck(f, tensors, raise_exception=True)
        except GradcheckError as e:
            return FAILED, f"double backward disagrees with finite differences: {_first_line(e)}"
        except Exception as e:  # noqa: BLE001
            return FAILED, self._double_backward_reason(e)
        return PASSED, "float64, double backward = finite differences"

    @staticmethod
    def _double_backward_reason(exc: BaseException) -> str:
        # Every input is cloned before the call, so the only leaves backward can meet are the grad_outputs.
        if re.search(r"leaf Variable that requires grad is being used in an in-place", str(exc)):
            return f"backward modifies grad_output in place ({type(exc).__name__}: {_first_line(exc)})"
        return _explain(exc)

    def check_forward_ad(self):
        if not self.case.diff:
            return NA, "no differentiable input"
        f, tensors = self.case.function(self.fn, self.case.leaves(torch.float64))
        try:
            torch.autograd.gradcheck(f, tensors, raise_exception=True, check_forward_ad=True,
                                     check_backward_ad=False, check_undefined_grad=False)
        except GradcheckError as e:
            return FAILED, f"jvp disagrees with finite differences: {_first_line(e)}"
        except Exception as e:  # noqa: BLE001
            return FAILED, _explain(e)
        if self.reference is None:
            return PASSED, "float64, jvp = finite differences"
        gen = torch.Generator().manual_seed(2)
        args = [a.detach() if isinstance(a, torch.Tensor) else a for a in self.case.leaves()]
        tangents = [torch.randn(args[i].shape, dtype=args[i].dtype, generator=gen).to(args[i].device)
                    for i in self.case.diff]
        ours, theirs = self._jvp(self.fn, args, tangents), self._jvp(self.reference, args, tangents)
        problems = _differences(ours, theirs, self.tol, "tangent")
        if problems:
            return FAILED, _join(problems)
        return PASSED, "float64, jvp = finite differences and the reference's"

    def _jvp(self, fn, args, tangents):
        f, primals = self.case.function(fn, args)
        with fwAD.dual_level():
            outs = _flat(f(*(fwAD.make_dual(p, t) for p, t in zip(primals, tangents))))
            return [fwAD.unpack_dual(o).tangent for o in outs]

    def check_vmap(self):
        case = self.case
        if case.first is None:
            return NA, "no tensor input"
        args = [a.detach() if isinstance(a, torch.Tensor) else a for a in case.leaves()]
        x = args[case.first]
        batch = torch.stack([x, x * -0.5, x * 2]) if _is_float(x) else torch.stack([x, x, x])

        def one(sample):
            full = list(args)
            full[case.first] = sample.clone()
            return _flat(case.fn(*full, **case.kwargs))

        try:
            got = torch.func.vmap(one)(batch)
        except Exception as e:  # noqa: BLE001
            return FAILED, _explain(e)
        want = [torch.stack(o) for o in zip(*(one(b) for b in batch))]
        problems = _differences(list(got), want, self.tol, "output")
        if problems:
            return FAILED, "vmap differs from a loop: " + _join(problems)
        return PASSED, f"batch of 3 over input {case.first} = loop"

    def check_func_grad(self):
        case = self.case
        if not case.diff:
            return NA, "no differentiable input"
        args = case.leaves()
        f, tensors = case.function(self.fn, args)
        detached = tuple(t.detach() for t in tensors)

        def total(fn):
            return lambda *t: sum(o.sum() for o in _flat(fn(*t)) if _is_float(o))

        argnums = tuple(range(len(tensors)))
        try:
            got = torch.func.grad(total(f), argnums=argnums)(*detached)
        except Exception as e:  # noqa: BLE001
            return FAILED, _explain(e)
        want = torch.autograd.grad(total(f)(*tensors), tensors, allow_unused=True)
        problems = _differences(list(got), list(want), self.tol, "gradient")
        if problems:
            return FAILED, "func.grad differs from autograd.grad: " + _join(problems)
        if self.reference is not None:
            g, _ = case.function(self.reference, case.leaves())
            theirs = torch.func.grad(total(g), argnums=argnums)(*detached)
            problems = _differences(list(got), list(theirs), self.tol, "gradient")
            if problems:
                return FAILED, "func.grad differs from the reference's: " + _join(problems)
            return PASSED, "= autograd.grad = the reference's func.grad"
        return PASSED, "= autograd.grad"

    def check_compile(self):
        if not self.compile_backend:
            return NA, "skipped (compile_backend=None)"
        import torch._dynamo
        from torch._dynamo.backends.registry import lookup_backend
        from torch._dynamo.utils import counters

        case = self.case
        graphs = []
        inner = lookup_backend(self.compile_backend)

        def counting(gm, example_inputs):
            graphs.append(gm)
            return inner(gm, example_inputs)

        # Compiled code is cached per code object, guarded on the function: start clean each time.
        torch.compiler.reset()
        counters.clear()
        eager_f, tensors = case.function(self.fn, case.leaves())
        want = _forward_backward(eager_f, tensors)
        args = case.leaves()
        f, tensors = case.function(self.fn, args)
        compiled = torch.compile(f, backend=counting, fullgraph=self.fullgraph, dynamic=False)
        try:
            with warnings.catch_warnings():  # the compiler's own advice on tracing torch internals
                warnings.simplefilter("ignore", UserWarning)
                got = _forward_backward(compiled, tensors)
        except torch._dynamo.exc.Unsupported as e:
            self.report.graph_breaks = [_first_line(e)]
            return FAILED, f"1 graph break under fullgraph=True: {_first_line(e)}"
        except Exception as e:  # noqa: BLE001
            return FAILED, f"torch.compile({self.compile_backend}) raised " + _explain(e)
        finally:
            reasons = sorted({str(r).strip().splitlines()[0] for r in counters["graph_break"]})
            torch.compiler.reset()
        self.report.graph_breaks = reasons or self.report.graph_breaks
        problems = _differences(got[0], want[0], self.tol, "output") + \
            _differences(got[1], want[1], self.tol, "gradient")
        if problems:
            return FAILED, f"compiled ({self.compile_backend}) differs from eager: " + _join(problems)
        breaks = f"{len(reasons)} graph break(s): {'; '.join(reasons)}" if reasons else "no graph break"
        if reasons and self.fullgraph:
            return FAILED, breaks
        return PASSED, f"{self.compile_backend}: runs, matches eager, {len(graphs)} graph(s), {breaks}"

    def _elementwise(self) -> tuple[bool, str]:
        if self.reference is None:
            return False, "no reference given"
        if self.case.first is None or not _is_float(self.case.inputs[self.case.first]):
            return False, "first input is not a floating-point tensor"
        if self.elementwise is not None:
            return self.elementwise, "" if self.elementwise else "not elementwise"
        # Unknown: elementwise in its first input if the output has its shape and other tensors are scalars.
        if self.probe_error is not None or len(self.outs) != 1:
            return False, "not elementwise"
        others = [a for i, a in enumerate(self.case.inputs) if isinstance(a, torch.Tensor) and i != self.case.first]
        same = self.outs[0].shape == self.case.inputs[self.case.first].shape
        ok = same and all(a.numel() <= 1 for a in others)
        return ok, "" if ok else "not elementwise in its first input"

    def check_edge_values(self):
        ok, why = self._elementwise()
        if not ok:
            return NA, why
        problems = []
        for dtype in (torch.float32, torch.float64):
            tol = _tolerance(dtype, self.rtol, self.atol)
            x = edge_points(dtype, self.kinks).to(self.case.device)
            results = []
            for fn in (self.fn, self.reference):
                args = self.case.leaves(dtype)
                args[self.case.first] = x.clone().requires_grad_(self.case.first in self.case.diff)
                f, tensors = self.case.function(fn, args)
                results.append(_forward_backward(f, tensors))
            (out, grads), (ref_out, ref_grads) = results
            name = str(dtype).replace("torch.", "")
            problems += _pointwise_problems(x, out[0], ref_out[0], tol, f"{name} output")
            if self.case.first in self.case.diff:
                k = self.case.diff.index(self.case.first)
                if grads[k] is not None and ref_grads[k] is not None:
                    problems += _pointwise_problems(x, grads[k], ref_grads[k], tol, f"{name} gradient")
                others = [(a, b) for j, (a, b) in enumerate(zip(grads, ref_grads)) if j != k]
                problems += _differences([a for a, _ in others], [b for _, b in others], tol,
                                         f"{name} gradient of another input")
        if problems:
            return FAILED, _join(problems)
        kinks = f" incl. kinks {', '.join(f'{k:g}' for k in self.kinks)}" if self.kinks else ""
        return PASSED, f"{len(edge_points(torch.float32, self.kinks))} points{kinks}, float32 and float64"

    def check_shapes(self):
        ok, why = self._elementwise()
        if not ok:
            return NA, why
        problems = []
        for label, make, transform in _SHAPES:
            gen_state = torch.random.get_rng_state()
            torch.manual_seed(0)
            base = make(self.case.dtype).to(self.case.device)
            torch.random.set_rng_state(gen_state)
            results = []
            try:
                for fn in (self.fn, self.reference):
                    args = self.case.leaves()
                    args[self.case.first] = base.clone().requires_grad_(self.case.first in self.case.diff)
                    f, tensors = self.case.function(fn, args, transform)
                    results.append(_forward_backward(f, tensors))
            except Exception as e:  # noqa: BLE001
                problems.append(f"{label}: {_explain(e)}")
                continue
            (out, grads), (ref_out, ref_grads) = results
            problems += [f"{label} {p}" for p in _differences(out, ref_out, self.tol, "output")]
            problems += [f"{label} {p}" for p in _differences(grads, ref_grads, self.tol, "gradient")]
        if problems:
            return FAILED, _join(problems)
        return PASSED, ", ".join(label for label, _, _ in _SHAPES)

    def check_inplace(self):
        problems, notes = [], []
        for i, (before, version) in self.before.items():
            after, version_after = self.after[i]
            changed = version_after != version or not torch.equal(
                torch.nan_to_num(before), torch.nan_to_num(after)) if before.shape == after.shape else True
            returned = any(o is self.fed[i] for o in self.outs)
            if changed and not returned:
                problems.append(f"input {i} modified in place without ctx.mark_dirty (version "
                                f"{version} -> {version_after}); mark it dirty and return it, or work on a copy")
            elif changed:
                notes.append(f"input {i} modified in place, marked dirty and returned")
            else:
                shared = [j for j, o in enumerate(self.outs) if o.data_ptr() == self.fed[i].data_ptr()
                          and o.numel() > 0]
                if shared:
                    notes.append(f"output {shared[0]} is a view of input {i}")
        if problems:
            return FAILED, _join(problems)
        return PASSED, "; ".join(notes) if notes else "inputs untouched"

    def check_grad_output(self):
        if not self.grad_outputs:
            return NA, "no differentiable output"
        if self.backward_error is not None:
            return NA, "backward raised (see gradients)"
        changed = [k for k, (g, (before, version)) in enumerate(zip(self.grad_outputs, self.grad_outputs_before))
                   if g._version != version or not torch.equal(g, before)]
        if changed:
            return FAILED, (f"backward modified grad_output {changed[0]} in place; clone it before "
                            f"writing, or build a new tensor")
        return PASSED, "untouched"

    def check_saved(self):
        r = self.report
        text = f"{r.saved_tensors} tensor{'s' if r.saved_tensors != 1 else ''}, {_nbytes(r.saved_bytes)}"
        if self.reference is None:
            return PASSED, text
        f, tensors = self.case.function(self.reference, self.case.leaves())
        counter = _SavedCounter()
        with counter.hooks():
            f(*tensors)
        r.reference_saved_bytes = counter.bytes
        text += (f" (reference: {counter.tensors} tensor{'s' if counter.tensors != 1 else ''}, "
                 f"{_nbytes(counter.bytes)})")
        if r.saved_bytes > counter.bytes:
            return FAILED, "saves more than the reference: " + text
        return PASSED, text

    def check_ctx_tensors(self):
        if not self.nodes:
            return NA, "no custom autograd.Function in the graph"
        if self.ctx_found:
            names = ", ".join(f"{path} ({_describe(t)}) in {node}" for node, path, t in self.ctx_found)
            return FAILED, (f"tensor stored on ctx outside save_for_backward: {names}; "
                            "use ctx.save_for_backward so autograd can check it and free it")
        return PASSED, "none"

    def run(self, checks: Iterable[str]) -> VerifyReport:
        self.probe()
        methods = {
            "forward": self.check_forward, "gradients": self.check_gradients, "backward": self.check_backward,
            "gradcheck": self.check_gradcheck, "gradgradcheck": self.check_gradgradcheck,
            "forward AD": self.check_forward_ad, "vmap": self.check_vmap, "func.grad": self.check_func_grad,
            "compile": self.check_compile, "edge values": self.check_edge_values, "shapes": self.check_shapes,
            "in-place": self.check_inplace, "grad_output": self.check_grad_output, "saved": self.check_saved,
            "ctx tensors": self.check_ctx_tensors,
        }
        selected = set(checks)
        broken_backward = self.probe_error is None and self.backward_error is not None and self.nodes
        for name, method in methods.items():
            if name not in selected:
                status, detail = NA, "not run"
            elif self.probe_error is not None:
                status, detail = FAILED, "forward raised " + _explain(self.probe_error)
            elif broken_backward and name in _NEED_BACKWARD:
                status, detail = FAILED, "backward raises (see gradients)"
            else:
                try:
                    status, detail = method()
                except Exception as e:  # noqa: BLE001 - a crash in one check is that check's failure
                    status, detail = FAILED, _explain(e)
            self.report.checks[name] = Check(name, status, detail)
        return self.report


def _name_of(fn: Callable) -> str:
    owner = getattr(fn, "__self__", None)
    if isinstance(owner, type):
        return owner.__name__
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)


def verify(
    fn: Callable,
    *inputs: Any,
    reference: Callable | None = None,
    kwargs: dict | None = None,
    kinks: Sequence[float] = (),
    elementwise: bool | None = None,
    compile_backend: str | None = "aot_eager",
    fullgraph: bool = False,
    checks: Iterable[str] | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    name: str | None = None,
    strict: bool = False,
) -> VerifyReport:
    """Run every check in :data:`CHECKS` on ``fn(*inputs, **kwargs)`` and return a :class:`VerifyReport`.

    Args:
        fn: a Function's ``apply``, or any callable built on one.
        *inputs: example inputs.  Tensors that require grad are the differentiable ones (if none does,
            every floating-point tensor is).  Each check works on fresh copies; ``inputs`` stay untouched.
        reference: a callable with ``fn``'s signature to compare with (for example torch's twin).
            Without it, the checks that need one are ``n/a``.
        kwargs: keyword arguments passed to ``fn`` and ``reference`` alike.
        kinks: points where the derivative jumps, added to the edge values.
        elementwise: whether ``fn`` is elementwise in its first input (enables the edge-value and shape
            sweeps); ``None`` guesses from one call.
        compile_backend: the :func:`torch.compile` backend (``"aot_eager"`` traces forward and backward
            without generating code, so it is cheap on CPU; ``"inductor"`` also compiles); ``None`` skips.
            The compile check resets torch.compile's caches (:func:`torch.compiler.reset`).
        fullgraph: a graph break fails the compile check (otherwise it is reported in the detail).
        checks: names from :data:`CHECKS` to run (default: all); the rest are ``n/a``.
        rtol, atol: tolerances (default by dtype: float32 1e-5/1e-6, float64 1e-7/1e-10).
        name: the report's title (default: the Function's name).
        strict: raise :class:`VerificationError`, listing the failing checks, if any fails.
    """
    checks = list(CHECKS) if checks is None else list(checks)
    unknown = [c for c in checks if c not in CHECKS]
    if unknown:
        raise ValueError(f"unknown check(s) {unknown}; choose from {list(CHECKS)}")
    v = _Verifier(fn, inputs, kwargs or {}, reference, kinks, elementwise, compile_backend, fullgraph, rtol, atol)
    report = v.run(checks)
    report.name = name or (type(v.nodes[0])._forward_cls.__name__ if v.nodes else _name_of(fn))
    if strict:
        report.raise_if_failed()
    return report


# --- the library's own Functions ----------------------------------------------------

_INPLACE_CHECKS = ("forward", "gradients", "backward", "in-place", "grad_output", "ctx tensors")


def _row_name(twin) -> str:
    """The matrix row: the Function's name, with the twin's name where one Function has several twins."""
    from .twins import TWINS

    shared = [t for t in TWINS.values() if t.function is twin.function]
    return twin.function.__name__ if shared[0] is twin else f"{twin.function.__name__} ({twin.name})"


def verify_twin(twin, dtype: torch.dtype = torch.float64, **options) -> VerifyReport:
    """:func:`verify` one entry of :data:`customgrad.twins.TWINS` (a :class:`~customgrad.twins.Twin` or
    its name) against its torch twin; for an operation with ``inplace=``, the in-place check also
    runs ``inplace=True`` and compares it with torch's in-place call.
    """
    from .twins import TWINS

    twin = TWINS[twin] if isinstance(twin, str) else twin
    strict = options.pop("strict", False)
    args, kwargs = twin.sample(dtype)
    options.setdefault("elementwise", twin.elementwise)
    report = verify(twin.ours, *args, kwargs=kwargs, reference=twin.reference, kinks=twin.kinks,
                    name=_row_name(twin), **options)
    if twin.inplace:
        inplace = verify(twin.ours, *args, kwargs={**kwargs, "inplace": True}, reference=twin.reference,
                         kinks=twin.kinks, name=_row_name(twin), checks=_INPLACE_CHECKS,
                         **{k: v for k, v in options.items() if k != "checks"})
        problems = [f"inplace=True {c.name}: {c.detail}" for c in inplace if c.failed]
        before = report["in-place"]
        if problems:
            report.checks["in-place"] = Check("in-place", FAILED, "; ".join(problems))
        elif before.passed:
            report.checks["in-place"] = Check(
                "in-place", PASSED,
                f"inplace=False: {before.detail}; inplace=True: {inplace['in-place'].detail}, "
                f"gradients equal the reference's")
    if strict:
        report.raise_if_failed()
    return report


def verify_all(twins: Iterable | None = None, **options) -> VerifyMatrix:
    """:func:`verify_twin` over every registered operation (or the given ones): the verification matrix."""
    from .twins import TWINS

    chosen = list(TWINS.values()) if twins is None else [TWINS[t] if isinstance(t, str) else t for t in twins]
    strict = options.pop("strict", False)
    matrix = VerifyMatrix([verify_twin(t, **options) for t in chosen])
    if strict:
        matrix.raise_if_failed()
    return matrix
