"""Check a custom ``torch.autograd.Function`` end to end, and say which check fails and why.

PyTorch ships the parts (:func:`torch.autograd.gradcheck`, :mod:`torch.func`, :func:`torch.compile`,
saved-tensor hooks); :func:`verify` runs them all on one Function and adds the checks nothing in
PyTorch makes for a hand-written backward: one gradient per input, in-place and aliasing rules,
``grad_output`` left untouched, what the Function keeps alive for backward, and tensors hidden on
``ctx``.  Each check is defined once below with :func:`check`, which puts it in
:data:`~customgrad.report.REGISTRY`.  Each ends ``failed`` (the Function is wrong), ``unsupported``
(a capability it does not offer, with how to add it), ``warning`` (legal but costly), ``passed``, or
``n/a`` (with why not); the results are :class:`~customgrad.report.VerifyReport` objects.

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

import inspect
import itertools
import math
import re
import warnings
from typing import Any, Callable, Iterable, Sequence

import torch
from torch.autograd import forward_ad as fwAD
from torch.autograd.gradcheck import GradcheckError

from .report import (
    CHECKS,
    FAILED,
    NA,
    PASSED,
    REGISTRY,
    UNSUPPORTED,
    WARNING,
    Check,
    CheckSpec,
    VerificationError,
    VerifyMatrix,
    VerifyReport,
    _required_checks,
)

__all__ = [
    "CHECKS", "Check", "VerifyReport", "VerifyMatrix", "VerificationError",
    "check", "verify", "saved_for_backward", "edge_points",
]

# Attributes torch itself puts on ctx (the backward node); anything else holding a tensor is ours to flag.
_CTX_INTERNAL = {
    "to_save", "saved_for_forward", "dirty_tensors", "non_differentiable", "materialize_grads",
    "_nested_input", "_nested_output", "_to_save_nested", "_materialize_non_diff_grads",
}

# torch error messages, what each one means, and whether it is a mistake (failed) or a capability
# the Function does not offer (unsupported, with how to add it).
_KNOWN_ERRORS = [
    (r"incorrect number of gradients", FAILED, "wrong number of gradients"),
    (r"must implement the jvp function", UNSUPPORTED,
     "no forward-mode AD: the Function defines no jvp(); to add it, define a jvp staticmethod and "
     "save what it needs with ctx.save_for_forward in setup_context"),
    (r"must override the setup_context", UNSUPPORTED,
     "torch.func needs forward() without ctx plus setup_context(); to add it, move the ctx work from "
     "forward into setup_context(ctx, inputs, output)"),
    (r"does not have vmap support", UNSUPPORTED,
     "no vmap rule: to add it, set generate_vmap_rule = True (with forward() without ctx and "
     "setup_context), or define a vmap staticmethod"),
    (r"once_differentiable", UNSUPPORTED,
     "no double backward: backward is @once_differentiable; to add it, drop the decorator and write "
     "backward with differentiable torch operations"),
    (r"returned as-is as output is being saved", FAILED,
     "an input is returned as-is and saved: mark it dirty (in-place) or return input.view_as(input)"),
    (r"modified by an inplace operation", FAILED, "a tensor saved for backward was modified in place"),
    (r"returning a view \(or an input as-is\)", FAILED,
     "forward returns an input (or a view of one) without mark_dirty"),
]


def __getattr__(name):
    # The runners over the library's own Functions live beside the twin registry.
    if name in ("verify_twin", "verify_all"):
        from . import twins

        return getattr(twins, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --- inputs -----------------------------------------------------------------------


def _is_float(t) -> bool:
    return isinstance(t, torch.Tensor) and (t.is_floating_point() or t.is_complex())


def _flat(out) -> tuple[torch.Tensor, ...]:
    if isinstance(out, torch.Tensor):
        return (out,)
    if isinstance(out, (tuple, list)):
        return tuple(o for o in out if isinstance(o, torch.Tensor))
    raise TypeError(f"expected the Function to return tensors, got {type(out).__name__}")


_COMPLEX = {torch.float16: torch.complex32, torch.bfloat16: torch.complex64, torch.float32: torch.complex64,
            torch.float64: torch.complex128}


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

    def leaves(self, dtype: torch.dtype | None = None, diff: Sequence[int] | None = None) -> list:
        """Fresh copies of the inputs; the differentiable ones (or those in ``diff``) are leaves.

        Floating-point tensors are cast to ``dtype``, complex ones to the complex dtype of its
        precision (so a complex input stays complex).
        """
        diff = self.diff if diff is None else diff
        out = []
        for i, a in enumerate(self.inputs):
            if isinstance(a, torch.Tensor):
                b = a.detach().clone()
                if dtype is not None and _is_float(b):
                    b = b.to(_COMPLEX[dtype] if b.is_complex() else dtype)
                out.append(b.requires_grad_(i in diff))
            else:
                out.append(a)
        return out

    def function(self, fn: Callable, args: Sequence, transform: Callable | None = None,
                 diff: Sequence[int] | None = None):
        """``fn`` as a function of the differentiable inputs only, the rest fixed.

        Each differentiable leaf is cloned before the call, so a Function that works in place
        is fed a non-leaf (as a caller of ``inplace=True`` must) and the leaves stay untouched.
        ``transform`` reshapes the first input after that clone (non-contiguous views and so on).
        """

        diff = self.diff if diff is None else diff

        def f(*tensors):
            full = list(args)
            for i, t in zip(diff, tensors):
                full[i] = t.clone()
            if transform is not None:
                full[self.first] = transform(full[self.first])
            return fn(*full, **self.kwargs)

        return f, tuple(args[i] for i in diff)


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


def _digits(v, dtype: torch.dtype) -> str:
    """``v`` with enough significant digits to tell apart any two values of ``dtype``."""
    if isinstance(v, complex):
        return repr(v)
    if dtype in (torch.float64, torch.complex128):
        return repr(float(v))
    return f"{v:.9g}"


def _ulps(a: float, b: float, dtype: torch.dtype) -> str:
    """How far ``a`` is from ``b`` in units of the last place of ``dtype`` at ``b``."""
    if isinstance(a, complex) or isinstance(b, complex) or not (math.isfinite(a) and math.isfinite(b)):
        return ""
    if not dtype.is_floating_point:
        dtype = torch.float64
    t = torch.tensor(abs(b), dtype=dtype)
    spacing = float(torch.nextafter(t, torch.tensor(math.inf, dtype=dtype)) - t)
    return f", {abs(a - b) / spacing:.3g} ulp of {str(dtype).replace('torch.', '')}"


def _value_pair(a, b, dtype: torch.dtype) -> str:
    """``ours vs reference``, both with enough digits to see the difference, and the gap in ulps."""
    return f"{_digits(a, dtype)} vs reference {_digits(b, dtype)}{_ulps(a, b, dtype)}"


def _difference(ours, theirs, tol: dict, what: str, x: torch.Tensor | None = None) -> str | None:
    """``None`` when equal (nan equals nan), else one line on how they differ.

    The line names the worst element: its index, the input there (``x``, when it has the same
    shape), both values, and their distance in ulps.
    """
    if ours is None or theirs is None:
        if ours is None and theirs is None:
            return None
        return f"{what}: {'None' if ours is None else 'a tensor'} where the reference gives " \
               f"{'None' if theirs is None else 'a tensor'}"
    if ours.shape != theirs.shape:
        return f"{what}: shape {list(ours.shape)}, reference {list(theirs.shape)}"
    a, b = ours.detach(), theirs.detach().to(ours.dtype)
    if a.dtype == torch.bool or not (a.is_floating_point() or a.is_complex()):
        return None if torch.equal(a, b) else f"{what}: differs from the reference"
    close = torch.isclose(a, b, equal_nan=True, **tol)
    if bool(close.all()):
        return None
    gap = torch.where(close, 0, (a - b).abs().nan_to_num(nan=math.inf))
    flat = int(gap.reshape(-1).argmax())
    index = tuple(int(i) for i in torch.unravel_index(torch.tensor(flat), a.shape)) if a.dim() else ()
    at = f" at index {list(index)}" if index else ""
    if x is not None and x.shape == a.shape:
        at += f" (input {_digits(x.detach()[index].item(), x.dtype)})"
    bad = int((~close).sum())
    return (f"{what}: {bad} of {a.numel()} element(s) differ; worst{at}: "
            f"{_value_pair(a[index].item(), b[index].item(), a.dtype)}")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _join(problems: Sequence[str], limit: int = 3) -> str:
    return "; ".join(problems[:limit]) + (f"; … ({len(problems) - limit} more)" if len(problems) > limit else "")


def _differences(ours: Sequence, theirs: Sequence, tol: dict, what: str, x: torch.Tensor | None = None
                 ) -> list[str]:
    if len(ours) != len(theirs):
        return [f"{len(ours)} {what}s, reference {len(theirs)}"]
    found = [_difference(a, b, tol, f"{what} {i}" if len(ours) > 1 else what, x)
             for i, (a, b) in enumerate(zip(ours, theirs))]
    return [d for d in found if d]


def _first_line(exc: BaseException, limit: int = 240) -> str:
    text = str(exc).strip().splitlines()
    line = text[0].rstrip(",:") if text else type(exc).__name__
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _classify(exc: BaseException) -> tuple[str, str]:
    """``(status, reason)`` for an error a check met: a known mistake or missing capability, else failed."""
    message = str(exc)
    for pattern, status, meaning in _KNOWN_ERRORS:
        if re.search(pattern, message):
            return status, f"{meaning} ({type(exc).__name__}: {_first_line(exc)})"
    return FAILED, f"{type(exc).__name__}: {_first_line(exc)}"


def _explain(exc: BaseException) -> str:
    """Name the mistake behind a torch error where we know it, and keep torch's first line."""
    return _classify(exc)[1]


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
                        what: str, ref_out: torch.Tensor | None = None) -> tuple[list[str], list[str]]:
    """Name the edge points where ``ours`` differs from ``theirs``: ``(mistakes, warnings)``.

    A difference where the reference itself (``theirs``, or its output ``ref_out``) is nan or inf is a
    warning; any other (overflow, nan/inf where the reference is finite, a finite mismatch) is a mistake.
    """
    close = torch.isclose(ours, theirs, equal_nan=True, **tol)
    if bool(close.all()):
        return [], []
    kinds: dict[str, list[str]] = {}
    for i in (~close).nonzero().flatten().tolist():
        a, b, v = ours[i].item(), theirs[i].item(), x[i].item()
        finite_ours, finite_ref = math.isfinite(a), math.isfinite(b)
        if not finite_ref or (ref_out is not None and not math.isfinite(ref_out[i].item())):
            kind = "differs where the reference is nan/inf"
        elif not finite_ours and abs(v) > 1:
            kind = "overflow (inf/nan where the reference is finite)"
        elif not finite_ours:
            kind = "inf/nan where the reference is finite"
        else:
            kind = "mismatch"
        kinds.setdefault(kind, {}).setdefault(repr(v), f"x={_digits(v, x.dtype)} ({_value_pair(a, b, ours.dtype)})")
    lines = {kind: f"{what}: {kind} at {', '.join(list(pts.values())[:3])}" + (" …" if len(pts) > 3 else "")
             for kind, pts in kinds.items()}
    warning = "differs where the reference is nan/inf"
    return [line for kind, line in lines.items() if kind != warning], [lines[warning]] if warning in lines else []


_SHAPES: list[tuple[str, Callable[[torch.dtype], torch.Tensor], Callable | None]] = [
    ("empty", lambda d: torch.empty(0, dtype=d), None),
    ("empty 3-d", lambda d: torch.empty(3, 0, 2, dtype=d), None),
    ("0-dim", lambda d: torch.tensor(-0.7, dtype=d), None),
    ("4-d", lambda d: torch.randn(2, 3, 4, 5, dtype=d) * 3, None),
    ("transposed", lambda d: torch.randn(6, 4, dtype=d) * 3, lambda t: t.t()),
    ("strided", lambda d: torch.randn(8, 6, dtype=d) * 3, lambda t: t[::2, 1::2]),
]


# --- the state every check reads ----------------------------------------------------


class _State:
    """The Function under test, its options, and what one probing forward and backward found."""

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

    def probe(self):
        """One forward under saved-tensor hooks and one backward with a watched grad_output."""
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
        diff_outs = [o for o in self.outs if o.requires_grad]
        leaves = [args[i] for i in case.diff]
        if diff_outs and leaves:
            try:
                self.probe_grads = torch.autograd.grad(diff_outs, leaves, self.grad_outputs, allow_unused=True)
            except Exception as e:  # noqa: BLE001
                self.backward_error = e


# --- when a check applies: each returns None, or why it does not ------------------------


def _has_reference(s: _State) -> str | None:
    return None if s.reference is not None else "no reference given"


def _has_diff(s: _State) -> str | None:
    return None if s.case.diff else "no differentiable input"


def _has_tensor(s: _State) -> str | None:
    return None if s.case.first is not None else "no tensor input"


def _has_node(s: _State) -> str | None:
    return None if s.nodes else "no custom autograd.Function in the graph"


def _is_elementwise(s: _State) -> str | None:
    if s.reference is None:
        return "no reference given"
    if s.case.first is None or not s.case.inputs[s.case.first].is_floating_point():
        return "first input is not a real floating-point tensor"
    if s.elementwise is None:
        s.elementwise = _looks_elementwise(s)
    return None if s.elementwise else "not elementwise in its first input (pass elementwise=True to force)"


def _looks_elementwise(s: _State) -> bool:
    """Whether ``fn`` acts elementwise on its first input, from its behaviour on the given inputs.

    It is when its one output has the input's shape, every other tensor input is a scalar, and
    shuffling the flattened input shuffles the output the same way.  A Function that reduces or
    mixes along a dimension (softmax, layer norm, cumsum) changes values, and one that needs a
    dimension (``dim=1``) raises on the 1-d input: neither is fed the 0-d and 1-d edge cases.
    """
    case = s.case
    x = case.inputs[case.first]
    others = [a for i, a in enumerate(case.inputs) if isinstance(a, torch.Tensor) and i != case.first]
    if s.probe_error is not None or len(s.outs) != 1 or s.outs[0].shape != x.shape or x.numel() < 2:
        return False
    if any(a.numel() > 1 for a in others):
        return False
    order = torch.randperm(x.numel(), generator=torch.Generator().manual_seed(0)).to(x.device)
    args = [a.detach().clone() if isinstance(a, torch.Tensor) else a for a in case.inputs]
    args[case.first] = x.detach().reshape(-1)[order].clone()
    try:
        with torch.no_grad():
            (shuffled,) = _flat(case.fn(*args, **case.kwargs))
        want = s.outs[0].detach().reshape(-1)[order]
        return shuffled.shape == want.shape and bool(torch.isclose(shuffled, want, equal_nan=True, **s.tol).all())
    except Exception:  # noqa: BLE001 - a Function that cannot take a 1-d input is not elementwise
        return False


def _all(*conditions: Callable[[_State], str | None]) -> Callable[[_State], str | None]:
    """A condition that holds when every one of ``conditions`` does (the first reason otherwise)."""

    def applies(s: _State) -> str | None:
        return next((why for why in (c(s) for c in conditions) if why), None)

    return applies


def check(name: str, *, question: str, applies: Callable | None = None, needs_backward: bool = False,
          capability: str | None = None):
    """Define a check: decorate ``run(state) -> (status, detail)``; it joins the report in definition order.

    Args:
        name: the check's name in reports and the matrix.
        question: what it asks, in one line (the matrix's column tooltip and the docs' table).
        applies: ``applies(state) -> reason``, ``None`` when the check applies; the reason becomes the
            ``n/a`` detail otherwise.
        needs_backward: the check cannot run when the Function's backward raises.
        capability: the name ``require=`` knows an optional capability by; its check ends
            ``unsupported`` (not ``failed``) when the Function does not offer it.

    Returns:
        The decorator, which returns the function unchanged.
    """

    def register(run: Callable) -> Callable:
        REGISTRY[name] = CheckSpec(name, question, run, applies, needs_backward, capability)
        return run

    return register


# --- the checks, in report order ---------------------------------------------------------


@check("autograd.Function", question="the call runs a custom autograd.Function on a tensor input")
def _function_in_graph(s: _State):
    if s.case.first is None:
        return FAILED, "no tensor input: nothing was verified; pass example tensors as the inputs"
    if not s.nodes:
        hint = ("pass MyFunction.apply, not MyFunction.forward" if getattr(s.fn, "__name__", "") == "forward"
                else "pass MyFunction.apply, or a function that calls it")
        if not s.case.diff or not any(s.fed[i].requires_grad for i in s.case.diff):
            hint = "no input requires grad (autograd records nothing); give a floating-point tensor input"
        return FAILED, f"no custom autograd.Function in the graph: nothing was verified; {hint}"
    names = sorted({type(n)._forward_cls.__name__ for n in s.nodes})
    return PASSED, ", ".join(names)


def _against_reference(s: _State, outputs: bool):
    results = []
    for fn in (s.fn, s.reference):
        f, tensors = s.case.function(fn, s.case.leaves())
        if outputs:
            with torch.no_grad():
                results.append([o.detach() for o in _flat(f(*tensors))])
        else:
            results.append(_forward_backward(f, tensors)[1])
    if outputs:
        problems = _differences(*results, s.tol, "output", s.case.inputs[s.case.first])
    else:  # each gradient next to its own input
        ours, theirs = results
        names = [f"gradient of input {i}" if len(ours) > 1 else "gradient" for i in s.case.diff]
        problems = [p for a, b, i, what in zip(ours, theirs, s.case.diff, names)
                    if (p := _difference(a, b, s.tol, what, s.case.inputs[i]))]
    dtype = str(s.case.dtype).replace("torch.", "")
    if problems:
        return FAILED, _join(problems)
    return PASSED, f"{'outputs' if outputs else 'gradients'} equal the reference's ({dtype})"


@check("forward", question="output equals the reference's on the given inputs", applies=_has_reference)
def _forward(s: _State):
    return _against_reference(s, outputs=True)


@check("gradients", question="backward returns one gradient per forward input (None for non-tensors)",
       applies=_all(_has_diff, _has_node))
def _gradients(s: _State):
    if s.backward_error is not None:
        return FAILED, _gradient_count_reason(s, s.backward_error)
    counts = ", ".join(f"{type(n).__name__}: {_plural(len(n.needs_input_grad), 'input')}" for n in s.nodes)
    return PASSED, f"one gradient per forward input ({counts})"


def _gradient_count_reason(s: _State, exc: BaseException) -> str:
    m = re.search(r"function (\w+) returned an incorrect number of gradients \(expected (\d+), got (\d+)\)",
                  str(exc))
    if not m:
        return _explain(exc)
    node_name, expected, got = m.group(1), int(m.group(2)), int(m.group(3))
    node = next((n for n in s.nodes if type(n).__name__ == node_name), None)
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


@check("finite gradients", question="gradients are finite wherever the inputs and outputs are (given inputs)",
       applies=_all(_has_diff, _has_node), needs_backward=True)
def _finite_gradients(s: _State):
    case, problems = s.case, []
    outs = [o.detach() for o in s.outs]
    tensors = [case.inputs[i].detach() for i in case.diff]
    all_finite = all(bool(t.isfinite().all()) for t in outs + tensors)
    ref_grads = [None] * len(case.diff)
    if s.reference is not None:
        ref_grads = _forward_backward(*case.function(s.reference, case.leaves()))[1]
    grads = getattr(s, "probe_grads", None)
    if grads is None:
        return NA, "no differentiable output"
    for i, x, g, ref in zip(case.diff, tensors, grads, ref_grads):
        if g is None:
            continue
        if len(outs) == 1 and outs[0].shape == x.shape:  # judged element by element
            where = x.isfinite() & outs[0].isfinite()
        elif all_finite:
            where = torch.ones_like(g, dtype=torch.bool)
        else:
            continue
        bad = where & ~g.isfinite()
        if ref is not None:
            bad = bad & ref.isfinite()  # where the reference's gradient is nan/inf too, so may ours be
        if bool(bad.any()):
            index = tuple(int(j) for j in bad.nonzero()[0])
            problems.append(f"gradient of input {i} is {g[index].item()} at index {list(index)} "
                            f"(input {_digits(x[index].item(), x.dtype)}), where the output is finite; "
                            f"{int(bad.sum())} element(s)")
    if problems:
        return FAILED, _join(problems) + "; write the derivative so it cannot overflow (e.g. from the output)"
    return PASSED, f"finite where the outputs are ({str(case.dtype).replace('torch.', '')})"


@check("backward", question="gradients equal the reference's on the given inputs",
       applies=_all(_has_reference, _has_diff), needs_backward=True)
def _backward(s: _State):
    return _against_reference(s, outputs=False)


def _gradcheck(s: _State, what: str, runner=torch.autograd.gradcheck, classify=None,
               diff: Sequence[int] | None = None, **flags):
    """The one runner behind every finite-difference check: float64 (complex128) copies, ``runner(f, ...)``.

    Returns ``None`` when it agrees, else ``(status, reason)``: a disagreement fails, an error is
    classified (a missing capability is ``unsupported``).
    """
    f, tensors = s.case.function(s.fn, s.case.leaves(torch.float64, diff), diff=diff)
    try:
        runner(f, tensors, raise_exception=True, **flags)
    except GradcheckError as e:
        return FAILED, f"{what} disagrees with finite differences: {_first_line(e)}"
    except Exception as e:  # noqa: BLE001
        return (classify or _classify)(e)
    return None


def _subsets(diff: Sequence[int]) -> list[tuple[int, ...]]:
    """The sets of inputs that may require grad: all of them, then each smaller one (bounded for many)."""
    n = len(diff)
    if n <= 4:
        sizes = range(n, 0, -1)
        return [c for k in sizes for c in itertools.combinations(diff, k)]
    alone = [(i,) for i in diff]
    all_but = [tuple(j for j in diff if j != i) for i in diff]
    return [tuple(diff)] + all_but + alone


def _dtype_note(s: _State) -> str:
    return "complex128" if any(s.case.inputs[i].is_complex() for i in s.case.diff) else "float64"


@check("gradcheck", question="backward agrees with finite differences (float64 or complex128 copies), "
                             "for every subset of the inputs that require grad",
       applies=_has_diff, needs_backward=True)
def _gradcheck_check(s: _State):
    subsets = _subsets(s.case.diff)
    for subset in subsets:
        failed = _gradcheck(s, "backward", diff=subset)
        if failed:
            if len(subset) < len(s.case.diff):
                only = ", ".join(str(i) for i in subset)
                return failed[0], (f"with only input(s) {only} requiring grad, {failed[1]}; check the "
                                   f"ctx.needs_input_grad indices in backward")
            return failed
    sets = f", {len(subsets)} subsets of the inputs requiring grad" if len(subsets) > 1 else ""
    return PASSED, f"{_dtype_note(s)}, backward = finite differences{sets}"


def _double_backward_reason(exc: BaseException) -> tuple[str, str]:
    # Every input is cloned before the call, so the only leaves backward can meet are the grad_outputs.
    if re.search(r"leaf Variable that requires grad is being used in an in-place", str(exc)):
        return FAILED, f"backward modifies grad_output in place ({type(exc).__name__}: {_first_line(exc)})"
    return _classify(exc)


@check("gradgradcheck", question="double backward works and agrees with finite differences (float64 copies)",
       applies=_has_diff, needs_backward=True, capability="double_backward")
def _gradgradcheck(s: _State):
    f, tensors = s.case.function(s.fn, s.case.leaves(torch.float64))
    try:
        outs = _flat(f(*tensors))
        gs = _grad_outputs(outs, requires_grad=True)
        diff_outs = [o for o in outs if o.requires_grad]
        grads = torch.autograd.grad(diff_outs, tensors, gs, create_graph=True, allow_unused=True)
        live = [g for g in grads if g is not None and g.requires_grad]
        if not live:
            return FAILED, ("no double backward: the gradients backward returns are not differentiable "
                            "(detached, or computed outside torch ops)")
        sum((g.real if g.is_complex() else g).sum() for g in live).backward()
    except Exception as e:  # noqa: BLE001
        return _double_backward_reason(e)
    return (_gradcheck(s, "double backward", torch.autograd.gradgradcheck, _double_backward_reason)
            or (PASSED, f"{_dtype_note(s)}, double backward = finite differences"))


def _jvp(s: _State, fn, args, tangents):
    f, primals = s.case.function(fn, args)
    with fwAD.dual_level():
        outs = _flat(f(*(fwAD.make_dual(p, t) for p, t in zip(primals, tangents))))
        return [fwAD.unpack_dual(o).tangent for o in outs]


@check("forward AD", question="the jvp agrees with finite differences (float64) and with the reference's",
       applies=_has_diff, capability="forward_ad")
def _forward_ad(s: _State):
    failed = _gradcheck(s, "jvp", check_forward_ad=True, check_backward_ad=False, check_undefined_grad=False)
    if failed:
        return failed
    if s.reference is None:
        return PASSED, "float64, jvp = finite differences"
    gen = torch.Generator().manual_seed(2)
    args = [a.detach() if isinstance(a, torch.Tensor) else a for a in s.case.leaves()]
    tangents = [torch.randn(args[i].shape, dtype=args[i].dtype, generator=gen).to(args[i].device)
                for i in s.case.diff]
    problems = _differences(_jvp(s, s.fn, args, tangents), _jvp(s, s.reference, args, tangents), s.tol, "tangent")
    if problems:
        return FAILED, _join(problems)
    return PASSED, "float64, jvp = finite differences and the reference's"


@check("vmap", question="torch.func.vmap over a batch equals a loop over its samples", applies=_has_tensor,
       capability="vmap")
def _vmap(s: _State):
    case = s.case
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
        return _classify(e)
    want = [torch.stack(o) for o in zip(*(one(b) for b in batch))]
    problems = _differences(list(got), want, s.tol, "output")
    if problems:
        return FAILED, "vmap differs from a loop: " + _join(problems)
    return PASSED, f"batch of 3 over input {case.first} = loop"


@check("func.grad", question="torch.func.grad equals torch.autograd.grad (and the reference's)",
       applies=_has_diff, needs_backward=True, capability="torch_func")
def _func_grad(s: _State):
    case = s.case
    f, tensors = case.function(s.fn, case.leaves())
    detached = tuple(t.detach() for t in tensors)

    def total(fn):
        return lambda *t: sum((o.real if o.is_complex() else o).sum() for o in _flat(fn(*t)) if _is_float(o))

    argnums = tuple(range(len(tensors)))
    try:
        got = torch.func.grad(total(f), argnums=argnums)(*detached)
    except Exception as e:  # noqa: BLE001
        return _classify(e)
    want = torch.autograd.grad(total(f)(*tensors), tensors, allow_unused=True)
    problems = _differences(list(got), list(want), s.tol, "gradient")
    if problems:
        return FAILED, "func.grad differs from autograd.grad: " + _join(problems)
    if s.reference is not None:
        g, _ = case.function(s.reference, case.leaves())
        theirs = torch.func.grad(total(g), argnums=argnums)(*detached)
        problems = _differences(list(got), list(theirs), s.tol, "gradient")
        if problems:
            return FAILED, "func.grad differs from the reference's: " + _join(problems)
        return PASSED, "= autograd.grad = the reference's func.grad"
    return PASSED, "= autograd.grad"


_CUSTOM_JVP = re.compile(r"custom jvp", re.IGNORECASE)


def _compile_applies(s: _State) -> str | None:
    return None if s.compile_backend else "skipped (compile_backend=None)"


@check("compile", question="torch.compile runs and matches eager; graph breaks are reported",
       applies=_compile_applies, needs_backward=True, capability="compile")
def _compile(s: _State):
    import torch._dynamo
    from torch._dynamo.backends.registry import lookup_backend
    from torch._dynamo.utils import counters

    case = s.case
    graphs = []
    inner = lookup_backend(s.compile_backend)

    def counting(gm, example_inputs):
        graphs.append(gm)
        return inner(gm, example_inputs)

    # Compiled code is cached per code object, guarded on the function: start clean each time.
    torch.compiler.reset()
    counters.clear()
    eager_f, tensors = case.function(s.fn, case.leaves())
    want = _forward_backward(eager_f, tensors)
    f, tensors = case.function(s.fn, case.leaves())
    compiled = torch.compile(f, backend=counting, fullgraph=s.fullgraph, dynamic=False)
    try:
        # One compilation of forward and backward at the example's shapes: no recompiles, no retries.
        with warnings.catch_warnings(), torch._dynamo.config.patch(recompile_limit=1, accumulated_recompile_limit=8):
            warnings.simplefilter("ignore", UserWarning)  # the compiler's own advice on tracing torch internals
            got = _forward_backward(compiled, tensors)
    except torch._dynamo.exc.Unsupported as e:
        s.report.graph_breaks = [_first_line(e)]
        if _CUSTOM_JVP.search(str(e)):
            return UNSUPPORTED, (f"torch.compile(fullgraph=True) cannot trace a Function that defines jvp "
                                 f"({_first_line(e)}); to compile in one graph, call a variant without jvp "
                                 f"while torch.compiler.is_compiling(), or compile with fullgraph=False")
        return FAILED, f"1 graph break under fullgraph=True: {_first_line(e)}"
    except Exception as e:  # noqa: BLE001
        return FAILED, f"torch.compile({s.compile_backend}) raised " + _explain(e)
    finally:
        reasons = sorted({str(r).strip().splitlines()[0] for r in counters["graph_break"]})
        torch.compiler.reset()
    s.report.graph_breaks = reasons or s.report.graph_breaks
    problems = _differences(got[0], want[0], s.tol, "output") + _differences(got[1], want[1], s.tol, "gradient")
    if problems:
        return FAILED, f"compiled ({s.compile_backend}) differs from eager: " + _join(problems)
    breaks = f"{len(reasons)} graph break(s): {'; '.join(reasons)}" if reasons else "no graph break"
    if reasons and s.fullgraph:
        return FAILED, breaks
    return PASSED, f"{s.compile_backend}: runs, matches eager, {len(graphs)} graph(s), {breaks}"


@check("edge values", question="0, kinks, ±tiny, ±huge, ±inf, nan (float32 and float64) as the reference",
       applies=_is_elementwise, needs_backward=True)
def _edge_values(s: _State):
    case, problems, warned = s.case, [], []
    for dtype in (torch.float32, torch.float64):
        tol = _tolerance(dtype, s.rtol, s.atol)
        x = edge_points(dtype, s.kinks).to(case.device)
        results = []
        for fn in (s.fn, s.reference):
            args = case.leaves(dtype)
            args[case.first] = x.clone().requires_grad_(case.first in case.diff)
            f, tensors = case.function(fn, args)
            results.append(_forward_backward(f, tensors))
        (out, grads), (ref_out, ref_grads) = results
        name = str(dtype).replace("torch.", "")
        pairs = [(out[0], ref_out[0], "output")]
        if case.first in case.diff:
            k = case.diff.index(case.first)
            if grads[k] is not None and ref_grads[k] is not None:
                pairs.append((grads[k], ref_grads[k], "gradient"))
            others = [(a, b) for j, (a, b) in enumerate(zip(grads, ref_grads)) if j != k]
            problems += _differences([a for a, _ in others], [b for _, b in others], tol,
                                     f"{name} gradient of another input")
        for ours, theirs, what in pairs:
            wrong, odd = _pointwise_problems(x, ours, theirs, tol, f"{name} {what}", ref_out[0])
            problems += wrong
            warned += odd
    if problems:
        return FAILED, _join(problems)
    if warned:
        return WARNING, "differs only where the reference is nan/inf: " + _join(warned)
    kinks = f" incl. kinks {', '.join(f'{k:g}' for k in s.kinks)}" if s.kinks else ""
    return PASSED, f"{len(edge_points(torch.float32, s.kinks))} points{kinks}, float32 and float64"


@check("shapes", question="empty, 0-dim, 4-d and non-contiguous inputs as the reference",
       applies=_is_elementwise, needs_backward=True)
def _shapes(s: _State):
    case, problems = s.case, []
    for label, make, transform in _SHAPES:
        gen_state = torch.random.get_rng_state()
        torch.manual_seed(0)
        base = make(case.dtype).to(case.device)
        torch.random.set_rng_state(gen_state)
        results = []
        try:
            for fn in (s.fn, s.reference):
                args = case.leaves()
                args[case.first] = base.clone().requires_grad_(case.first in case.diff)
                f, tensors = case.function(fn, args, transform)
                results.append(_forward_backward(f, tensors))
        except Exception as e:  # noqa: BLE001
            problems.append(f"{label}: {_explain(e)}")
            continue
        (out, grads), (ref_out, ref_grads) = results
        problems += [f"{label} {p}" for p in _differences(out, ref_out, s.tol, "output")]
        problems += [f"{label} {p}" for p in _differences(grads, ref_grads, s.tol, "gradient")]
    if problems:
        return FAILED, _join(problems)
    return PASSED, ", ".join(label for label, _, _ in _SHAPES)


@check("in-place", question="an input changed in place is returned and marked dirty; no other input changes")
def _inplace(s: _State):
    problems, notes = [], []
    for i, (before, version) in s.before.items():
        after, version_after = s.after[i]
        changed = version_after != version or not torch.equal(
            torch.nan_to_num(before), torch.nan_to_num(after)) if before.shape == after.shape else True
        returned = any(o is s.fed[i] for o in s.outs)
        if changed and not returned:
            problems.append(f"input {i} modified in place without ctx.mark_dirty (version "
                            f"{version} -> {version_after}); mark it dirty and return it, or work on a copy")
        elif changed:
            notes.append(f"input {i} modified in place, marked dirty and returned")
        else:
            shared = [j for j, o in enumerate(s.outs) if o.data_ptr() == s.fed[i].data_ptr() and o.numel() > 0]
            if shared:
                notes.append(f"output {shared[0]} is a view of input {i}")
    if problems:
        return FAILED, _join(problems)
    return PASSED, "; ".join(notes) if notes else "inputs untouched"


def _grad_output_applies(s: _State) -> str | None:
    if not s.grad_outputs:
        return "no differentiable output"
    return "backward raised (see gradients)" if s.backward_error is not None else None


@check("grad_output", question="backward leaves grad_output untouched", applies=_grad_output_applies,
       needs_backward=True)
def _grad_output(s: _State):
    changed = [k for k, (g, (before, version)) in enumerate(zip(s.grad_outputs, s.grad_outputs_before))
               if g._version != version or not torch.equal(g, before)]
    if changed:
        return FAILED, (f"backward modified grad_output {changed[0]} in place; clone it before "
                        f"writing, or build a new tensor")
    return PASSED, "untouched"


@check("saved", question="tensors and bytes saved for backward, no more than the reference saves")
def _saved(s: _State):
    r = s.report
    text = f"{r.saved_tensors} tensor{'s' if r.saved_tensors != 1 else ''}, {_nbytes(r.saved_bytes)}"
    if s.reference is None:
        return PASSED, text
    f, tensors = s.case.function(s.reference, s.case.leaves())
    counter = _SavedCounter()
    with counter.hooks():
        f(*tensors)
    r.reference_saved_bytes = counter.bytes
    text += (f" (reference: {counter.tensors} tensor{'s' if counter.tensors != 1 else ''}, "
             f"{_nbytes(counter.bytes)})")
    if r.saved_bytes > counter.bytes:
        return WARNING, "saves more than the reference: " + text
    return PASSED, text


@check("ctx tensors", question="no tensor kept on ctx outside save_for_backward", applies=_has_node)
def _ctx_tensors_check(s: _State):
    if s.ctx_found:
        names = ", ".join(f"{path} ({_describe(t)}) in {node}" for node, path, t in s.ctx_found)
        return FAILED, (f"tensor stored on ctx outside save_for_backward: {names}; "
                        "use ctx.save_for_backward so autograd can check it and free it")
    return PASSED, "none"


# --- running them -----------------------------------------------------------------------


def _run_one(s: _State, spec: CheckSpec, selected: set, broken_backward: bool) -> Check:
    if spec.name not in selected:
        return Check(spec.name, NA, "not run")
    if s.case.first is None:  # nothing to verify: that is the first check's failure, and no other applies
        return Check(spec.name, *(_function_in_graph(s) if spec.run is _function_in_graph else (NA, "no tensor input")))
    if s.probe_error is not None:
        return Check(spec.name, FAILED, "forward raised " + _explain(s.probe_error))
    if broken_backward and spec.needs_backward:
        return Check(spec.name, FAILED, "backward raises (see gradients)")
    try:
        why = spec.applies(s) if spec.applies is not None else None
        status, detail = (NA, why) if why else spec.run(s)
    except Exception as e:  # noqa: BLE001 - a crash in one check is that check's failure
        status, detail = _classify(e)
    return Check(spec.name, status, detail)


def _refuse_bad_calls(fn, checks, require) -> list[str]:
    """Raise ``TypeError`` (naming the fix) for a call that cannot verify anything; return the checks."""
    if isinstance(fn, type) and issubclass(fn, torch.autograd.Function):
        raise TypeError(f"verify() takes {fn.__name__}.apply (or a function calling it), not the class "
                        f"{fn.__name__}: call verify({fn.__name__}.apply, ...)")
    if not callable(fn):
        raise TypeError(f"verify() takes a callable such as MyFunction.apply, not {type(fn).__name__}")
    if isinstance(checks, str):
        raise TypeError(f"checks must be a list of check names, e.g. checks=[{checks!r}], not the string {checks!r}")
    checks = list(CHECKS) if checks is None else list(checks)
    unknown = [c for c in checks if c not in CHECKS]
    if unknown:
        raise ValueError(f"unknown check(s) {unknown}; choose from {list(CHECKS)}")
    _required_checks(require)  # refuses a string or an unknown name
    return checks


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
    require: Sequence[str] = (),
) -> VerifyReport:
    """Run every check of :data:`CHECKS` on ``fn(*inputs, **kwargs)``.

    Args:
        fn: a Function's ``apply``, or any callable built on one.
        *inputs: example inputs.  Tensors that require grad are the differentiable ones (if none does,
            every floating-point tensor is).  Each check works on fresh copies; ``inputs`` stay untouched.
        reference: a callable with ``fn``'s signature to compare with (for example torch's twin).
            Without it, the checks that need one are ``n/a``.
        kwargs: keyword arguments passed to ``fn`` and ``reference`` alike.
        kinks: points where the derivative jumps, added to the edge values.
        elementwise: whether ``fn`` is elementwise in its first input (enables the edge-value and shape
            sweeps, which feed it 0-d, 1-d and empty tensors).  ``None`` decides from its behaviour:
            one output of the input's shape, scalar other tensors, and a shuffled flattened input
            gives the shuffled output (so softmax over ``dim=1`` is not elementwise).
        compile_backend: the :func:`torch.compile` backend (``"aot_eager"`` traces forward and backward
            without generating code, so it is cheap on CPU; ``"inductor"`` also compiles); ``None`` skips.
            The compile check resets torch.compile's caches (:func:`torch.compiler.reset`).
        fullgraph: a graph break fails the compile check (otherwise it is reported in the detail); one
            because the Function defines ``jvp``, which the compiler cannot trace, is ``unsupported``.
        checks: names from :data:`CHECKS` to run (default: all); the rest are ``n/a``.
        rtol: relative tolerance (default by dtype: float32 1e-5, float64 1e-7).
        atol: absolute tolerance (default by dtype: float32 1e-6, float64 1e-10).
        name: the report's title (default: the Function's name).
        strict: raise :class:`VerificationError`, listing the failed checks, if any failed.  A capability
            the Function does not offer (``unsupported``) and a ``warning`` do not raise, unless required.
        require: with ``strict``, capabilities that must be there too: ``"forward_ad"``, ``"vmap"``,
            ``"double_backward"``, ``"torch_func"``, ``"compile"`` (or check names).

    Returns:
        The :class:`VerifyReport`, one :class:`Check` per entry of :data:`CHECKS`.  ``report.ok`` is true
        when nothing failed; ``report.unsupported`` lists what the Function does not offer and how to add it.

    Raises:
        TypeError: ``fn`` is a Function class (pass its ``apply``) or not callable, or ``checks`` or
            ``require`` is a string instead of a list of names.
        VerificationError: with ``strict=True``, when a check failed or a required capability is missing.
    """
    checks = _refuse_bad_calls(fn, checks, require)
    devices = [inp.device for inp in inputs if isinstance(inp, torch.Tensor) and inp.device.type == "cuda"]
    # The checks draw random numbers; the caller's generators are left as they were.
    with torch.random.fork_rng(devices=sorted({d.index or 0 for d in devices})):
        torch.random.default_generator.manual_seed(0)
        s = _State(fn, inputs, kwargs or {}, reference, kinks, elementwise, compile_backend, fullgraph, rtol, atol)
        s.probe()
        selected = set(checks)
        broken_backward = s.probe_error is None and s.backward_error is not None and bool(s.nodes)
        for spec in REGISTRY.values():
            s.report.checks[spec.name] = _run_one(s, spec, selected, broken_backward)
    report = s.report
    report.name = name or (type(s.nodes[0])._forward_cls.__name__ if s.nodes else _name_of(fn))
    if strict:
        report.raise_if_failed(require)
    return report
