"""Exercises with a checker: write a Function (or a Module), hand the class to :func:`check`, read what is wrong.

Each exercise is named in :data:`EXERCISES`, with what to write in one line.  :func:`check` runs the
candidate against its PyTorch twin, at the kinks too, and through ``customgrad.verify``'s checks
(``gradcheck`` in float64, one gradient per input, ``grad_output`` left untouched, ``ctx`` rules,
inputs that do or do not require grad), plus the exercise's own rules (a saved mask must be a
``torch.bool`` tensor, a checkpoint must not keep activations, ...).  The answer is an
:class:`ExerciseResult`: ``ok``, and in plain words what is wrong and where, never a traceback.

How a candidate is called, for each exercise: the class itself is passed, never ``MyFunction.apply``;
the checker calls ``MyFunction.apply`` with every argument positional, in the order
:mod:`torch.nn.functional` takes them, as customgrad's own Functions do
(``LeakyReLUFunction.apply(input, negative_slope)``, ``GELUFunction.apply(input, approximate)``).

==========================  ============================================================================
exercise                    the checker calls
==========================  ============================================================================
``hardswish``               ``Candidate.apply(input)``
``leaky_relu``              ``Candidate.apply(input, negative_slope)``
``prelu``                   ``Candidate.apply(input, weight)``, ``weight`` one slope per channel (dim 1)
``elu``                     ``Candidate.apply(input, alpha)``
``gelu``                    ``Candidate.apply(input, approximate)``, ``'none'`` and ``'tanh'``
``relu_inplace``            ``Candidate(inplace=True)(x)`` and ``Candidate(inplace=False)(x)``
``relu_mask``               ``Candidate.apply(input)``
``huber_loss``              ``Candidate.apply(input, target, delta)`` (the mean over the elements)
``checkpoint``              ``Candidate.apply(function, *inputs)``
``straight_through_round``  ``Candidate.apply(input)``
==========================  ============================================================================

Example:
    >>> import torch
    >>> from customgrad import exercises
    >>> class MyReLU(torch.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         mask = x > 0
    ...         ctx.save_for_backward(mask)
    ...         return x * mask
    ...     @staticmethod
    ...     def backward(ctx, grad_output):
    ...         (mask,) = ctx.saved_tensors
    ...         return grad_output * mask
    >>> result = exercises.check("relu_mask", MyReLU)
    >>> result.ok
    True
    >>> class Sloppy(MyReLU):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x >= 0)
    ...         return x.clamp(min=0)
    >>> print(exercises.check("relu_mask", Sloppy))  # doctest: +NORMALIZE_WHITESPACE
    ✗ relu_mask: Sloppy is not right yet.
    - Your backward gives 1 at x = 0.0 where the derivative is 0.
      x = 0 is a kink of relu: the slope jumps from 0 on the left to 1 on the right, and torch
      takes 0 there (the slope on the left), so yours must too.
"""

from __future__ import annotations

import inspect
import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import torch
import torch.nn.functional as TF

__all__ = ["EXERCISES", "ExerciseResult", "check", "names"]

class _Statements(dict):
    """The exercises, each name mapped to what to write, in one line (a ``dict``, in the order of :func:`names`).

    Example:
        >>> EXERCISES["relu_mask"]
        'a ReLU Function class that saves a torch.bool mask for backward, not the input.'
    """


#: The exercises, each name mapped to what to write, in one line.
EXERCISES: dict[str, str] = _Statements({
    "hardswish": "a Function class whose apply(input) equals torch.nn.functional.hardswish, forward and "
                 "backward, with torch's slopes at the kinks -3 and 3.",
    "leaky_relu": "a Function class whose apply(input, negative_slope) equals "
                  "torch.nn.functional.leaky_relu, for any negative_slope, with torch's slope at 0.",
    "prelu": "a Function class whose apply(input, weight) equals torch.nn.functional.prelu, one slope per "
             "channel (dim 1), with a gradient for the weight.",
    "elu": "a Function class whose apply(input, alpha) equals torch.nn.functional.elu, for any alpha, "
           "with torch's slope at 0.",
    "gelu": "a Function class whose apply(input, approximate) equals torch.nn.functional.gelu, for "
            "approximate='none' (erf) and 'tanh'.",
    "relu_inplace": "an nn.Module class taking inplace: inplace=True changes its input and returns that very "
                    "tensor, inplace=False leaves its input alone; both are ReLU.",
    "relu_mask": "a ReLU Function class that saves a torch.bool mask for backward, not the input.",
    "huber_loss": "a Function class whose apply(input, target, delta) equals "
                  "torch.nn.functional.huber_loss(input, target, delta=delta), the mean, with gradients "
                  "for input and target.",
    "checkpoint": "a Function class whose apply(function, *inputs) returns function(*inputs) and the same "
                  "gradients, keeping only the inputs for backward and running function again there.",
    "straight_through_round": "a Function class whose apply(input) rounds like torch.round in forward and "
                              "passes grad_output through unchanged in backward (straight-through estimator).",
})


def names() -> list[str]:
    """The exercises' names, in the order of :data:`EXERCISES`.

    Example:
        >>> names()[:3]
        ['hardswish', 'leaky_relu', 'prelu']
    """
    return list(EXERCISES)


@dataclass(frozen=True)
class ExerciseResult:
    """What :func:`check` found: ``ok``, and what is wrong and where, in plain words.

    ``str(result)`` (and the notebook view) says it in a few lines: what was checked when the
    candidate is right, the problems (the first few) when it is not.

    Attributes:
        name: the exercise.
        candidate: the name of what was checked (the class's name).
        problems: what is wrong, one plain sentence (or two) each; empty when right.
        checked: what was checked, one line each.
    """

    name: str
    candidate: str
    problems: tuple[str, ...] = ()
    checked: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """``True`` when the candidate passed every check of the exercise."""
        return not self.problems

    def __bool__(self) -> bool:
        return self.ok

    def _lines(self) -> tuple[str, list[str]]:
        if self.ok:
            return f"✓ {self.name}: {self.candidate} passes every check:", list(self.checked)
        return f"✗ {self.name}: {self.candidate} is not right yet.", list(self.problems)

    def __str__(self) -> str:
        head, items = self._lines()
        return "\n".join([head] + ["- " + item.replace("\n", "\n  ") for item in items])

    def __repr__(self) -> str:
        return str(self)

    def _repr_markdown_(self) -> str:
        head, items = self._lines()
        body = "\n".join("- " + _markdown(item).replace("\n", "  \n  ") for item in items)
        return f"**{_markdown(head)}**\n\n{body}\n"


def _markdown(text: str) -> str:
    """Plain text as Markdown that shows it as is: `code` spans kept, other markup characters escaped."""
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: escape everything
        return re.sub(r"([\\`*_\[\]<>#|{}$])", r"\\\1", text)
    return "`".join(p if i % 2 else re.sub(r"([\\*_\[\]<>#|{}$])", r"\\\1", p) for i, p in enumerate(parts))


# --- plain words ----------------------------------------------------------------------------


class _Stop(Exception):
    """Raised inside an exercise once a problem makes the later checks meaningless."""


class _Run:
    """The problems and checks of one :func:`check` call."""

    def __init__(self, name: str, label: str):
        self.name, self.label = name, label
        self.problems: list[str] = []
        self.checked: list[str] = []

    def problem(self, text: str, stop: bool = False):
        if text not in self.problems:
            self.problems.append(text)
        if stop:
            raise _Stop

    def stop_if_wrong(self):
        if self.problems:
            raise _Stop


def _num(v: float, other: float | None = None) -> str:
    """``v`` in few digits, more when needed to tell it apart from ``other``; ``3.0`` for whole numbers."""
    if isinstance(v, bool) or v is None:
        return str(v)
    v = float(v)
    if math.isnan(v) or math.isinf(v):
        return str(v)
    for digits in range(4, 18):
        text = f"{v:.{digits}g}"
        if other is None or not math.isfinite(other) or f"{float(other):.{digits}g}" != text:
            break
    if v == int(v) and abs(v) < 1e15 and "e" not in text:
        return f"{int(v)}.0" if other is None else str(int(v))
    return text


def _val(v: float) -> str:
    """A value in few digits, whole numbers without a decimal point: ``1``, ``-0.5``."""
    return _num(v, math.nan)


def _x(v: float) -> str:
    """An input value as the messages name it: ``x = 3.0``."""
    return _num(v)


def _pair(got: float, want: float) -> tuple[str, str]:
    return _num(got, want), _num(want, got)


def _error_words(exc: BaseException) -> str:
    """An exception in one line: its type and first line, never a traceback."""
    lines = str(exc).strip().splitlines()
    first = lines[0].strip() if lines else ""
    if len(first) > 200:
        first = first[:199] + "…"
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _forward_names(cls) -> list[str]:
    """The names of forward's arguments after ``ctx`` (old style) or all of them (setup_context style)."""
    try:
        params = list(inspect.signature(cls.forward).parameters.values())
    except (TypeError, ValueError, AttributeError):
        return []
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    uses_setup = getattr(cls, "setup_context", None) is not getattr(torch.autograd.Function, "setup_context", None)
    return positional if uses_setup else positional[1:]


def _explain_error(exc: BaseException, cls, call: str, arguments: Sequence[str]) -> str:
    """A torch error met while running the candidate, with the usual cause and fix in plain words."""
    text = str(exc)
    words = _error_words(exc)
    m = re.search(r"returned an incorrect number of gradients \(expected (\d+), got (\d+)\)", text)
    if m:
        expected, got = int(m.group(1)), int(m.group(2))
        names = ", ".join(arguments) if arguments else f"{expected} inputs"
        if got < expected:
            return (f"Your backward returns {got} gradient{'s' if got != 1 else ''}, but forward takes {expected} "
                    f"inputs ({names}): return one per input, in order, None for each that is not a tensor "
                    f"needing a gradient (`return grad_input, None` for a setting).")
        return (f"Your backward returns {got} gradients, but forward takes only {expected} inputs ({names}): "
                f"return exactly one per input.")
    m = re.search(r"returned a gradient different than None at position (\d+), but the corresponding forward "
                  r"input was not a Variable", text)
    if m:
        i = int(m.group(1)) - 1
        what = f"'{arguments[i]}'" if 0 <= i < len(arguments) else f"input {i}"
        return (f"Your backward returns a gradient for {what}, which is not a tensor: return None in its place.")
    m = re.search(r"returned an invalid gradient at index (\d+) - got \[([^\]]*)\] but expected shape "
                  r"compatible with \[([^\]]*)\]", text)
    if m:
        i = int(m.group(1))
        what = f"'{arguments[i]}'" if i < len(arguments) else f"input {i}"
        return (f"Your backward returns a gradient of shape [{m.group(2)}] for {what}, whose shape is "
                f"[{m.group(3)}]: each gradient must have the shape of its input (sum over the dimensions that "
                f"were broadcast).")
    if re.search(r"element \d+ of tensors does not require grad", text):
        return (f"{call} raised {words}. Backward runs with gradient recording switched off: wrap the "
                f"recomputation in `with torch.enable_grad():`, on inputs detached and set to require grad.")
    if re.search(r"forward\(\) takes|forward\(\) missing|positional argument", text):
        return (f"{call} raised {words}. This exercise calls {call}: give forward exactly these arguments "
                f"(after ctx, if your forward takes ctx).")
    if re.search(r"must implement either the forward", text) or "is not implemented" in text:
        return f"{call} raised {words}: define forward and backward as @staticmethod."
    if re.search(r"modified by an inplace operation", text):
        return (f"{call} raised {words}: a tensor saved for backward was changed in place afterwards; "
                f"save it before changing it, or change a copy.")
    if re.search(r"a leaf Variable that requires grad is being used in an in-place operation", text):
        return f"{call} raised {words}: do not change grad_output (or a leaf) in place; build a new tensor."
    return f"{call} raised {words}."


def _kind_of(candidate) -> str:
    """What the candidate is, in words, to explain a wrong kind of argument."""
    owner = getattr(candidate, "__self__", None)
    if isinstance(owner, type) and issubclass(owner, torch.autograd.Function):
        return f"{owner.__name__}.apply"
    if isinstance(candidate, torch.autograd.Function):
        return f"an instance of {type(candidate).__name__}"
    if isinstance(candidate, torch.nn.Module):
        return f"an instance of {type(candidate).__name__}"
    if isinstance(candidate, type):
        return f"the class {candidate.__name__}"
    name = getattr(candidate, "__name__", None)
    return f"the function {name}" if callable(candidate) and name else f"a {type(candidate).__name__}"


def _label(candidate) -> str:
    owner = getattr(candidate, "__self__", None)
    if isinstance(owner, type):
        return owner.__name__ + ".apply"
    if isinstance(candidate, type):
        return candidate.__name__
    if isinstance(candidate, (torch.autograd.Function, torch.nn.Module)):
        return type(candidate).__name__ + "()"
    return getattr(candidate, "__name__", type(candidate).__name__)


def _want_function(r: _Run, candidate):
    """The candidate as a Function class, or a problem saying how to pass one."""
    if isinstance(candidate, type) and issubclass(candidate, torch.autograd.Function):
        if candidate is torch.autograd.Function:
            r.problem("You passed torch.autograd.Function itself: pass your subclass of it.", stop=True)
        return candidate
    owner = getattr(candidate, "__self__", None)
    if isinstance(owner, type) and issubclass(owner, torch.autograd.Function):
        r.problem(f"You passed {owner.__name__}.apply; pass the class itself: "
                  f"check({r.name!r}, {owner.__name__}). The checker calls {owner.__name__}.apply for you.", stop=True)
    if isinstance(candidate, torch.autograd.Function):
        cls = type(candidate).__name__
        r.problem(f"You passed an instance of {cls}; pass the class itself: check({r.name!r}, {cls}). "
                  f"A Function is never instantiated: it is used as {cls}.apply(...).", stop=True)
    r.problem(f"This exercise takes a torch.autograd.Function subclass, and you passed {_kind_of(candidate)}: "
              f"write `class My(torch.autograd.Function)` with forward and backward as @staticmethod, and pass "
              f"the class: check({r.name!r}, My).", stop=True)


# --- running a candidate --------------------------------------------------------------------------


def _run_forward(r: _Run, cls, args: Sequence, call: str, hints: dict[str, str] | None = None):
    """``cls.apply(*args)``; an error becomes a problem, with the hint of the first pattern of ``hints`` it matches."""
    arguments = _forward_names(cls)
    try:
        out = cls.apply(*args)
    except Exception as e:  # noqa: BLE001 - the student's error, explained
        hint = next((h for pattern, h in (hints or {}).items() if re.search(pattern, str(e))), "")
        r.problem(_explain_error(e, cls, call, arguments) + (" " + hint if hint else ""), stop=True)
    if isinstance(out, (tuple, list)) and len(out) == 1 and isinstance(out[0], torch.Tensor):
        r.problem(f"{call} returns a tuple of one tensor; return the tensor itself.", stop=True)
    if not isinstance(out, torch.Tensor):
        r.problem(f"{call} returns {type(out).__name__}, not a tensor.", stop=True)
    return out


def _run_backward(r: _Run, cls, out, inputs: Sequence[torch.Tensor], grad_output, call: str):
    arguments = _forward_names(cls)
    if out.grad_fn is None:
        r.problem(f"The output of {call} does not require grad, so autograd has nothing to call backward on: "
                  f"return the result of forward as a tensor computed in forward (not detached), from an input that "
                  f"requires grad.", stop=True)
    try:
        return torch.autograd.grad(out, inputs, grad_output, allow_unused=True)
    except Exception as e:  # noqa: BLE001
        r.problem(_explain_error(e, cls, "backward" if "backward" in str(e) else call, arguments), stop=True)


def _slopes(reference: Callable, x: float, dtype=torch.float64) -> tuple[float, float, float]:
    """The reference's slope just left of ``x``, at ``x``, and just right of ``x``."""
    t = torch.tensor([x - 1e-7, x, x + 1e-7], dtype=dtype, requires_grad=True)
    (g,) = torch.autograd.grad(reference(t).sum(), t)
    return tuple(g.tolist())


def _kink_note(op: str, reference: Callable, x: float) -> str:
    """At a kink of ``reference``: the two slopes and which one torch takes; '' where it is smooth."""
    left, at, right = _slopes(reference, x)
    if abs(left - right) < 1e-3:
        return ""
    side = "left" if abs(at - left) <= abs(at - right) else "right"
    return (f"\nx = {_val(x)} is a kink of {op}: the slope jumps from {_val(round(left, 6))} on the left to "
            f"{_val(round(right, 6))} on the right, and torch takes {_val(round(at, 6))} there (the slope on "
            f"the {side}), so yours must too.")


def _first_mismatch(got: torch.Tensor, want: torch.Tensor, rtol=1e-6, atol=1e-9) -> int | None:
    close = torch.isclose(got.detach().to(want.dtype), want.detach(), rtol=rtol, atol=atol, equal_nan=True)
    bad = (~close).reshape(-1).nonzero()
    return int(bad[0]) if len(bad) else None


def _setting_words(setting: str) -> str:
    """The start of a sentence about the candidate: ``"Y"`` (our ...), or ``"With alpha = 1.3: y"``."""
    return f"With {setting}: y" if setting else "Y"


def _with(setting: str, sentence: str) -> str:
    """``sentence`` preceded by the setting it holds for, if any."""
    return f"With {setting}: {sentence[0].lower()}{sentence[1:]}" if setting else sentence


# --- verify, in plain words ------------------------------------------------------------------------

def _verify_words(check_name: str, detail: str, arguments: Sequence[str]) -> str:
    """One failed check of :func:`customgrad.verify`, in plain words (``arguments``: forward's argument names)."""
    def named(indices: str) -> str:
        found = [int(i) for i in re.findall(r"\d+", indices)]
        words = [repr(arguments[i]) if i < len(arguments) else f"input {i}" for i in found]
        return " and ".join(words)

    if check_name == "gradcheck":
        m = re.match(r"with only input\(s\) ([\d, ]+) requiring grad, (?:backward disagrees with finite "
                     r"differences: )?(.*?); check the ctx.needs_input_grad indices", detail)
        if m:
            return (f"When only {named(m.group(1))} requires grad, your backward gives a wrong gradient "
                    f"(torch.autograd.gradcheck: {m.group(2).rstrip(',')}): check the ctx.needs_input_grad indices in "
                    f"backward; ctx.needs_input_grad[i] is for the i-th input of forward.")
    if check_name == "ctx tensors":
        found = re.findall(r"(ctx\.\S+ \([^)]*\))", detail)
        if found:
            return (f"Your Function keeps a tensor on ctx as an attribute: {', '.join(found)}. Save tensors with "
                    f"ctx.save_for_backward, which autograd checks and frees; ctx attributes are for other values, "
                    f"such as settings.")
    if check_name == "in-place":
        m = re.search(r"input (\d+) modified in place without ctx.mark_dirty \(version (\d+) -> (\d+)\)", detail)
        if m:
            return (f"Your forward changes its input {named(m.group(1))} in place (its version goes from "
                    f"{m.group(2)} to {m.group(3)}) without telling autograd: compute on a new tensor (`x * y`, not "
                    f"`x.mul_(y)`), or call ctx.mark_dirty on it and return it.")
    lead = _VERIFY_WORDS.get(check_name, check_name)
    if check_name == "grad_output":
        return lead + "."
    return f"{lead}: {detail}".rstrip(".") + "."


_VERIFY_WORDS = {
    "autograd.Function": "No custom autograd.Function ran",
    "gradients": "Backward must return one gradient per input of forward",
    "gradcheck": "torch.autograd.gradcheck (float64, finite differences) disagrees with your backward",
    "forward": "Your forward differs from torch's on random inputs",
    "backward": "Your backward differs from torch's on random inputs",
    "finite gradients": "Your backward gives nan or inf where the output is finite",
    "shapes": "On other shapes (empty, 0-dim, 4-d, non-contiguous) your Function differs from torch",
    "in-place": "Your forward changes an input in place",
    "grad_output": "Your backward changes grad_output in place; build a new tensor instead (autograd may pass "
                    "the same grad_output to other nodes)",
    "ctx tensors": "A tensor is kept on ctx as an attribute: use ctx.save_for_backward, which autograd checks and "
                   "frees",
}


def _verify(r: _Run, fn: Callable, inputs: Sequence, *, reference: Callable, checks: Sequence[str],
            setting: str = "", kinks: Sequence[float] = (), elementwise: bool | None = None,
            what: str | None = "", arguments: Sequence[str] | None = None):
    """Run :func:`customgrad.verify` with ``checks``; each failure becomes a plain-words problem.

    Returns the checks that passed; they are recorded as one checked line unless ``what`` is ``None``.
    """
    from .verify import verify

    report = verify(fn, *inputs, reference=reference, kinks=kinks, checks=list(checks), compile_backend=None,
                    elementwise=elementwise, rtol=1e-6, atol=1e-9)
    arguments = arguments if arguments is not None else _forward_names(getattr(fn, "__self__", None))
    for c in report.failures:
        anywhere = c.name in ("ctx tensors", "in-place", "grad_output", "gradients")  # not about the setting
        r.problem(_with("" if anywhere else setting, _verify_words(c.name, c.detail, arguments)))
    ran = [c.name for c in report if c.status in ("passed", "warning")]
    if ran and what is not None:
        r.checked.append(f"{what or 'customgrad.verify'}: {', '.join(ran)} passed")
    return ran


# --- elementwise activations --------------------------------------------------------------------------

_GRID = [-20.0, -5.0, -3.5, -3.0, -2.5, -2.0, -1.5, -1.0, -0.5, -1e-3, -0.0, 0.0, 1e-3, 0.5, 1.0, 1.5, 2.0,
         2.5, 3.0, 3.5, 5.0, 20.0]


def _elementwise(r: _Run, cls, *, op: str, twin: str, reference: Callable, settings: Sequence[tuple],
                 describe: Callable[[tuple], str], call: str, kinks: Sequence[float] = (0.0,),
                 verify_checks: Sequence[str] = ("gradients", "gradcheck", "finite gradients", "shapes", "in-place",
                                                 "grad_output", "ctx tensors")):
    """Forward and backward against ``reference`` on a grid (kinks included), for every setting, then verify."""
    grid = sorted(set(_GRID) | set(kinks) | {k + d for k in kinks for d in (-1e-6, 1e-6)})
    wrong: dict[tuple, str] = {}
    passed: list[tuple] = []
    for setting in settings:
        words = describe(setting)
        lead = _setting_words(words)
        ref = lambda t, s=setting: reference(t, *s)  # noqa: E731
        problems_before = len(r.problems)
        x = torch.tensor(grid, dtype=torch.float64, requires_grad=True)
        out = _run_forward(r, cls, (x, *setting), call)
        want = ref(x.detach())
        if out.shape != want.shape:
            r.problem(f"{lead}our forward returns shape {list(out.shape)} for an input of shape {list(x.shape)}; "
                      f"an activation keeps the shape.", stop=True)
        if out.dtype != x.dtype:
            r.problem(f"{lead}our forward returns {out.dtype} for a {x.dtype} input; keep the input's dtype.")
        i = _first_mismatch(out, want)
        if i is not None:
            got, exp = _pair(out.reshape(-1)[i].item(), want.reshape(-1)[i].item())
            wrong[setting] = f"{lead}our forward gives {got} at x = {_x(grid[i])} where {twin} gives {exp}."
            continue
        ones = torch.ones_like(want)
        (g,) = _run_backward(r, cls, out, [x], ones, call)
        xr = x.detach().clone().requires_grad_()
        (dref,) = torch.autograd.grad(ref(xr).sum(), xr)
        if g is None:
            r.problem(f"{lead}our backward returns None for the input, which requires grad: return "
                      f"grad_output times the derivative.", stop=True)
        i = _first_mismatch(g, dref)
        if i is not None:
            got, exp = _pair(g[i].item(), dref[i].item())
            note = _kink_note(op, ref, grid[i]) if any(abs(grid[i] - k) < 1e-9 for k in kinks) else ""
            wrong[setting] = f"{lead}our backward gives {got} at x = {_x(grid[i])} where the derivative is {exp}.{note}"
            continue
        # The chain rule: grad_output other than ones, watched for in-place changes.
        x2 = x.detach().clone().requires_grad_()
        out2 = _run_forward(r, cls, (x2, *setting), call)
        gen = torch.Generator().manual_seed(0)
        go = torch.randn(out2.shape, dtype=out2.dtype, generator=gen) * 2 + 0.5
        before, version = go.clone(), go._version
        (g2,) = _run_backward(r, cls, out2, [x2], go, call)
        if go._version != version or not torch.equal(go, before):
            r.problem("Your backward changes grad_output in place; build a new tensor instead (clone it first, or "
                      "write `grad_output * derivative`).")
        i = _first_mismatch(g2, before * dref)
        if i is not None:
            if torch.allclose(g2, g, rtol=1e-6, atol=1e-9):
                wrong[setting] = (f"{lead}our backward ignores grad_output: it returns the derivative itself. "
                                  f"Multiply it by grad_output (the chain rule: the gradient of the loss with "
                                  f"respect to the input is grad_output × f'(x)).")
            else:
                got, exp = _pair(g2[i].item(), (before * dref)[i].item())
                wrong[setting] = (f"{lead}our backward gives {got} at x = {_x(grid[i])} for grad_output = "
                                  f"{_num(before[i].item())}, where grad_output × f'(x) = {exp}.")
            continue
        if len(r.problems) == problems_before:
            passed.append(setting)
    if wrong:
        first = next(iter(wrong))
        text = wrong[first]
        right = [s for s in settings if s not in wrong]
        if right and len(settings) > 1:
            text += (f"\nIt is right with {describe(right[0])}, so check that your Function uses its "
                     f"{describe(first).split(' = ')[0].split('=')[0].strip()} argument rather than a fixed value.")
        r.problem(text, stop=True)
    r.stop_if_wrong()
    at = f", {_plural_words('the kink', 'the kinks', kinks)} included" if kinks else ""
    r.checked.append(f"forward and backward equal {twin}'s at {len(grid)} points from -20 to 20{at}"
                     f"{_for_settings(describe, settings)}")
    gen = torch.Generator().manual_seed(1)
    x = (torch.randn(4, 5, dtype=torch.float64, generator=gen) * 3).requires_grad_()
    ran = []
    for setting in settings:
        ran = _verify(r, cls.apply, (x, *setting), reference=lambda t, *s: reference(t, *s), checks=verify_checks,
                      setting=describe(setting), kinks=kinks, what=None)
        r.stop_if_wrong()  # the same mistake again with the next setting says nothing new
    if not r.problems and ran:
        r.checked.append(f"customgrad.verify on random float64 inputs: {', '.join(ran)} passed"
                         f"{_for_settings(describe, settings)}")


def _plural_words(one: str, many: str, values: Sequence[float]) -> str:
    listed = [_num(v, 0.5) for v in values]
    return f"{one} at {listed[0]}" if len(listed) == 1 else f"{many} at {', '.join(listed[:-1])} and {listed[-1]}"


def _for_settings(describe: Callable[[tuple], str], settings: Sequence[tuple]) -> str:
    """``", for negative_slope = 0.01, 0.2 and -0.5"``, or ``""`` without settings."""
    words = [describe(s) for s in settings if describe(s)]
    if not words:
        return ""
    key = words[0].split(" = ")[0]
    values = [w.split(" = ", 1)[1] for w in words]
    return f", for {key} = " + (values[0] if len(values) == 1 else f"{', '.join(values[:-1])} and {values[-1]}")


def _hardswish(r: _Run, candidate):
    cls = _want_function(r, candidate)
    _elementwise(r, cls, op="hardswish", twin="torch.nn.functional.hardswish", reference=TF.hardswish,
                 settings=[()], describe=lambda s: "", call=f"{cls.__name__}.apply(input)", kinks=(-3.0, 3.0))


def _leaky_relu(r: _Run, candidate):
    cls = _want_function(r, candidate)
    _elementwise(r, cls, op="leaky_relu", twin="torch.nn.functional.leaky_relu",
                 reference=lambda t, s: TF.leaky_relu(t, s), settings=[(0.01,), (0.2,), (-0.5,)],
                 describe=lambda s: f"negative_slope = {s[0]}", call=f"{cls.__name__}.apply(input, negative_slope)")


def _elu(r: _Run, candidate):
    cls = _want_function(r, candidate)
    _elementwise(r, cls, op="elu", twin="torch.nn.functional.elu", reference=lambda t, a: TF.elu(t, a),
                 settings=[(1.0,), (1.3,), (0.5,)], describe=lambda s: f"alpha = {s[0]}",
                 call=f"{cls.__name__}.apply(input, alpha)")


def _gelu(r: _Run, candidate):
    cls = _want_function(r, candidate)
    _elementwise(r, cls, op="gelu", twin="torch.nn.functional.gelu",
                 reference=lambda t, a: TF.gelu(t, approximate=a), settings=[("none",), ("tanh",)],
                 describe=lambda s: f"approximate = {s[0]!r}", call=f"{cls.__name__}.apply(input, approximate)",
                 kinks=())


# --- PReLU: two inputs, a slope per channel ------------------------------------------------------------

_CHANNELS = ("The slopes run along dim 1, the channels: reshape weight to (C, 1, ..., 1), e.g. "
             "`weight.view(-1, *[1] * (input.dim() - 2))`, before multiplying.")


def _prelu(r: _Run, candidate):
    cls = _want_function(r, candidate)
    call = f"{cls.__name__}.apply(input, weight)"
    grid = torch.tensor(_GRID, dtype=torch.float64)
    # input (N=2, C=3, L): channel c of sample n holds the grid times (n + 1)
    base = torch.stack([torch.stack([grid * (n + 1)] * 3) for n in range(2)])
    cases = [("one slope per channel, weight = [0.1, 0.25, -0.5]", torch.tensor([0.1, 0.25, -0.5], dtype=torch.float64)),
             ("a single slope, weight = [0.3]", torch.tensor([0.3], dtype=torch.float64))]
    for words, w0 in cases:
        lead = _setting_words(words)
        x = base.clone().requires_grad_()
        w = w0.clone().requires_grad_()
        out = _run_forward(r, cls, (x, w), call, hints={r"must match the size|broadcast": _CHANNELS})
        want = TF.prelu(x.detach(), w0)
        if out.shape != want.shape:
            r.problem(f"{lead}our forward returns shape {list(out.shape)} for an input of shape {list(x.shape)}.",
                      stop=True)
        i = _first_mismatch(out, want)
        if i is not None:
            n, c, l = (int(v) for v in torch.unravel_index(torch.tensor(i), out.shape))
            got, exp = _pair(out[n, c, l].item(), want[n, c, l].item())
            hint = "" if len(w0) == 1 else " " + _CHANNELS
            r.problem(f"{lead}our forward gives {got} at x = {_x(x[n, c, l].item())} in channel {c} (slope "
                      f"{_num(w0[c if len(w0) > 1 else 0].item())}) where torch.nn.functional.prelu gives {exp}.{hint}",
                      stop=True)
        xr, wr = x.detach().clone().requires_grad_(), w0.clone().requires_grad_()
        gen = torch.Generator().manual_seed(0)
        go = torch.randn(want.shape, dtype=want.dtype, generator=gen) + 0.5
        before = go.clone()
        gx, gw = _run_backward(r, cls, out, [x, w], go, call)
        rx, rw = torch.autograd.grad(TF.prelu(xr, wr), [xr, wr], before)
        if not torch.equal(go, before):
            r.problem("Your backward changes grad_output in place; build a new tensor instead.")
        if gx is None:
            r.problem(f"{lead}our backward returns None for the input, which requires grad.", stop=True)
        i = _first_mismatch(gx, rx)
        if i is not None:
            n, c, l = (int(v) for v in torch.unravel_index(torch.tensor(i), gx.shape))
            got, exp = _pair(gx[n, c, l].item(), rx[n, c, l].item())
            at = x[n, c, l].item()
            note = _kink_note("prelu", lambda t: TF.prelu(t, w0[c:c + 1]), 0.0) if at == 0 else ""
            r.problem(f"{lead}our gradient for the input is {got} at x = {_x(at)} in channel {c} where it should be "
                      f"{exp} (grad_output = {_num(before[n, c, l].item())}).{note}", stop=True)
        if gw is None:
            r.problem(f"{lead}our backward returns None for weight, which requires grad: its gradient is the sum, "
                      f"over every element of a channel, of grad_output × x where x <= 0.", stop=True)
        i = _first_mismatch(gw, rw)
        if i is not None:
            per = "for each channel, " if len(w0) > 1 else ""
            r.problem(f"{lead}our gradient for weight is {[float(_num(v)) for v in gw.tolist()]} where it should be "
                      f"{[float(_num(v)) for v in rw.tolist()]}: {per}sum grad_output × x over the elements where "
                      f"x <= 0, over the batch and every other dimension but dim 1.", stop=True)
    r.stop_if_wrong()
    r.checked.append("forward and the gradients of input and weight equal torch.nn.functional.prelu's, 0 included, "
                     "with one slope per channel and with a single slope")
    gen = torch.Generator().manual_seed(1)
    x = (torch.randn(2, 3, 4, dtype=torch.float64, generator=gen) * 3).requires_grad_()
    w = torch.tensor([0.1, 0.25, -0.5], dtype=torch.float64, requires_grad=True)
    _verify(r, cls.apply, (x, w), reference=TF.prelu, elementwise=False, what="customgrad.verify (input and weight)",
            checks=("gradients", "gradcheck", "finite gradients", "in-place", "grad_output", "ctx tensors"))


# --- in-place ReLU as a Module ------------------------------------------------------------------------

def _relu_inplace(r: _Run, candidate):
    if isinstance(candidate, torch.nn.Module):
        cls = type(candidate).__name__
        r.problem(f"You passed an instance of {cls}; pass the class itself: check('relu_inplace', {cls}). "
                  f"The checker builds it twice, as {cls}(inplace=True) and {cls}(inplace=False).", stop=True)
    if not (isinstance(candidate, type) and issubclass(candidate, torch.nn.Module)):
        r.problem(f"This exercise takes an nn.Module class, and you passed {_kind_of(candidate)}: write "
                  f"`class MyReLU(torch.nn.Module)` whose __init__ takes inplace=False, and pass the class.", stop=True)
    cls = candidate
    modules = {}
    for inplace in (False, True):
        try:
            modules[inplace] = cls(inplace=inplace)
        except Exception as e:  # noqa: BLE001
            r.problem(f"{cls.__name__}(inplace={inplace}) raised {_error_words(e)}: its __init__ must take "
                      f"inplace (`def __init__(self, inplace=False)`, and call super().__init__()).", stop=True)
    try:
        default = cls()
    except Exception as e:  # noqa: BLE001
        r.problem(f"{cls.__name__}() raised {_error_words(e)}: give inplace a default, False, as torch.nn.ReLU.",
                  stop=True)
    grid = torch.tensor(_GRID, dtype=torch.float64)
    for inplace, m in modules.items():
        name = f"{cls.__name__}(inplace={inplace})"
        leaf = grid.clone().requires_grad_()
        x = leaf.clone()  # a non-leaf: an in-place op on a leaf that requires grad is an error in torch too
        kept, version = x.detach().clone(), x._version
        try:
            y = m(x)
        except Exception as e:  # noqa: BLE001
            r.problem(f"{name}(x) raised {_error_words(e)}.", stop=True)
        if not isinstance(y, torch.Tensor):
            r.problem(f"{name}(x) returns {type(y).__name__}, not a tensor.", stop=True)
        i = _first_mismatch(y, torch.relu(kept))
        if i is not None:
            got, exp = _pair(y.reshape(-1)[i].item(), torch.relu(kept).reshape(-1)[i].item())
            r.problem(f"{name}(x) gives {got} at x = {_x(grid[i].item())} where ReLU gives {exp}.", stop=True)
        if inplace:
            if y is not x:
                changed = not torch.equal(x.detach(), kept)
                r.problem(f"{name}(x) returns a new tensor, not x itself"
                          f"{' (it changed x, and returned another tensor)' if changed else ', and leaves x unchanged'}"
                          f": change x in place (`x.relu_()` or `x.clamp_(min=0)`) and return x.", stop=True)
            if x._version == version:
                r.problem(f"{name}(x) changed x's values without bumping its version counter (x._version stays "
                          f"{version}), so autograd cannot tell x changed: write with an in-place torch operation "
                          f"(`x.relu_()`), not through x.data.", stop=True)
        else:
            if y is x or (y.numel() and y.data_ptr() == x.data_ptr()):
                r.problem(f"{name}(x) returns x itself (or a tensor sharing its memory): with inplace=False it must "
                          f"return a new tensor (`x.relu()` or `x.clamp(min=0)`).", stop=True)
            if x._version != version or not torch.equal(x.detach(), kept):
                r.problem(f"{name}(x) changed its input x (version {version} -> {x._version}): with inplace=False "
                          f"the input must stay as it was; use `x.clamp(min=0)`, not `x.clamp_(min=0)`.", stop=True)
        gen = torch.Generator().manual_seed(0)
        go = torch.randn(y.shape, dtype=y.dtype, generator=gen)
        try:
            (g,) = torch.autograd.grad(y, leaf, go, allow_unused=True)
        except Exception as e:  # noqa: BLE001
            r.problem(f"The gradient through {name}(x) could not be computed: {_error_words(e)}.", stop=True)
        want = go * (grid > 0)
        # The slope at 0 is not judged: clamp(min=0) gives 1 there and relu 0, and both are ReLU.
        got = torch.where(grid == 0, want, g if g is not None else torch.zeros_like(want))
        i = _first_mismatch(got, want)
        if i is not None:
            got, exp = _pair(0.0 if g is None else g[i].item(), want[i].item())
            r.problem(f"The gradient through {name}(x) is {got} at x = {_x(grid[i].item())} where ReLU's is {exp} "
                      f"(grad_output {_num(go[i].item())}); the operation must be recorded by autograd (no .data, "
                      f"no torch.no_grad()).", stop=True)
        # An integer tensor, as torch.nn.ReLU takes one.
        ints = torch.arange(-3, 4)
        z = ints.clone()
        try:
            yz = m(z)
        except Exception as e:  # noqa: BLE001
            r.problem(f"{name} on the integer tensor torch.arange(-3, 4) raised {_error_words(e)}; torch.nn.ReLU "
                      f"takes integer tensors too (`clamp` and `relu` do).", stop=True)
        if yz.dtype != ints.dtype or not torch.equal(yz, ints.clamp(min=0)):
            r.problem(f"{name} on the integer tensor torch.arange(-3, 4) gives {yz.tolist()} ({yz.dtype}) where "
                      f"ReLU gives {ints.clamp(min=0).tolist()} ({ints.dtype}).", stop=True)
        if inplace and (yz is not z):
            r.problem(f"{name} returns a new tensor for an integer input: it must change that input in place and "
                      f"return it.", stop=True)
        r.checked.append(
            f"{name}: equals ReLU on float64 and int64 inputs, its gradient too (away from 0, where clamp and relu differ); "
            + ("returns its input, changed in place, version bumped" if inplace else "returns a new tensor, input untouched"))
    if getattr(default, "inplace", False):
        r.problem(f"{cls.__name__}() works in place: the default must be inplace=False, as torch.nn.ReLU.")
    for inplace, m in modules.items():
        f = (lambda t, m=m: m(t))
        _verify(r, f, (torch.randn(4, 5, dtype=torch.float64) * 3,), reference=torch.relu, elementwise=True,
                checks=("gradcheck", "forward", "backward", "shapes", "in-place"), setting=f"inplace={inplace}",
                what=f"customgrad.verify (inplace={inplace})")


# --- ReLU saving a mask -----------------------------------------------------------------------------------

def _relu_mask(r: _Run, candidate):
    cls = _want_function(r, candidate)
    _elementwise(r, cls, op="relu", twin="torch.relu", reference=torch.relu, settings=[()], describe=lambda s: "",
                 call=f"{cls.__name__}.apply(input)", kinks=(0.0,))
    x = torch.randn(1000, requires_grad=True)
    packed: list[torch.Tensor] = []

    def pack(t):
        packed.append(t)
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        y = cls.apply(x)
    if not packed:
        r.problem("Your Function saves no tensor for backward: save the mask with ctx.save_for_backward(mask) "
                  "(a tensor kept as a ctx attribute instead is not checked or freed by autograd).")
    for t in packed:
        if t.dtype == torch.bool:
            continue
        if t.data_ptr() == x.data_ptr() and t.shape == x.shape:
            what = "the input itself"
        elif t.data_ptr() == y.data_ptr() and t.shape == y.shape:
            what = "the output"
        else:
            what = "a tensor"
        size = t.numel() * t.element_size()
        r.problem(f"Your Function saves {what}, {str(t.dtype).replace('torch.', '')} {list(t.shape)} "
                  f"({size} bytes for {x.numel()} inputs), for backward. Save the mask instead, `x > 0` "
                  f"(torch.bool, 1 byte per element: {x.numel()} bytes).")
    masks = [t for t in packed if t.dtype == torch.bool]
    if masks and not r.problems:
        r.checked.append(f"saves {len(masks)} torch.bool mask{'s' if len(masks) > 1 else ''} of "
                         f"{sum(t.numel() for t in masks)} bytes for {x.numel()} float32 inputs (the input would take "
                         f"{x.numel() * x.element_size()} bytes), and nothing else")


# --- Huber loss ---------------------------------------------------------------------------------------------

def _huber_loss(r: _Run, candidate):
    cls = _want_function(r, candidate)
    call = f"{cls.__name__}.apply(input, target, delta)"
    gen = torch.Generator().manual_seed(0)
    target = torch.randn(4, 6, dtype=torch.float64, generator=gen)
    # input - target: on both sides of ±delta and at ±delta, for every delta below
    diff = torch.tensor([-20.0, -5.0, -3.0, -2.5, -2.0, -1.5, -1.0, -0.75, -0.5, -0.25, -1e-3, 0.0, 1e-3, 0.25, 0.3,
                         0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 5.0, 20.0], dtype=torch.float64).reshape(4, 6)
    n = diff.numel()
    for delta in (1.0, 0.5, 2.0):
        lead = f"With delta = {delta}: y"
        inp = (target + diff).requires_grad_()
        tgt = target.clone().requires_grad_()
        out = _run_forward(r, cls, (inp, tgt, delta), call)
        want = TF.huber_loss(inp.detach(), target, delta=delta)
        if out.shape != want.shape:
            r.problem(f"{lead}our loss has shape {list(out.shape)}; the mean over all elements is a 0-dim tensor "
                      f"(shape []).", stop=True)
        if not torch.isclose(out.detach(), want, rtol=1e-6, atol=1e-9):
            got, exp = _pair(out.item(), want.item())
            hint = ""
            if math.isclose(out.item(), want.item() * n, rel_tol=1e-6):
                hint = f" Yours is {n} times too large: the loss is the mean over the {n} elements, not their sum."
            elif math.isclose(out.item(), TF.huber_loss(inp.detach(), target, delta=1.0).item(), rel_tol=1e-6):
                hint = " That is the loss for delta = 1: use the delta argument."
            r.problem(f"{lead}our loss is {got} where torch.nn.functional.huber_loss gives {exp}.{hint}", stop=True)
        gi, gt = _run_backward(r, cls, out, [inp, tgt], torch.tensor(1.0, dtype=torch.float64), call)
        ri, rt = torch.autograd.grad(TF.huber_loss(ir := inp.detach().clone().requires_grad_(),
                                                   tr := target.clone().requires_grad_(), delta=delta), [ir, tr])
        for g, ref, name in ((gi, ri, "input"), (gt, rt, "target")):
            if g is None:
                r.problem(f"{lead}our backward returns None for {name}, which requires grad here"
                          f"{': the gradient for target is minus the gradient for input' if name == 'target' else ''}.",
                          stop=True)
            i = _first_mismatch(g, ref)
            if i is None:
                continue
            k = divmod(i, diff.shape[1])
            got, exp = _pair(g.reshape(-1)[i].item(), ref.reshape(-1)[i].item())
            hint = ""
            if torch.allclose(g, ref * n):
                hint = f" Yours is {n} times too large: divide by the number of elements ({n}), the loss is a mean."
            elif name == "target" and torch.allclose(g, -ref):
                hint = " It has the wrong sign: the loss depends on input - target, so target's gradient is minus input's."
            elif name == "input" and torch.allclose(g, -ref):
                hint = " It has the wrong sign."
            r.problem(f"{lead}our gradient for {name} is {got} at element {list(k)}, where input - target = "
                      f"{_num(diff[k].item())}, and it should be {exp}.{hint}", stop=True)
        # grad_output other than 1 (a loss scaled, or inside a larger graph)
        inp2, tgt2 = inp.detach().clone().requires_grad_(), target.clone().requires_grad_()
        out2 = _run_forward(r, cls, (inp2, tgt2, delta), call)
        go = torch.tensor(2.5, dtype=torch.float64)
        g2, _ = _run_backward(r, cls, out2, [inp2, tgt2], go, call)
        if go.item() != 2.5:
            r.problem("Your backward changes grad_output in place; build a new tensor instead.")
        if g2 is not None and not torch.allclose(g2, 2.5 * ri):
            r.problem(f"{lead}our backward ignores grad_output: with grad_output = 2.5 the gradients must be 2.5 times "
                      f"larger. Multiply by grad_output (the chain rule).", stop=True)
    r.checked.append("loss and gradients of input and target equal torch.nn.functional.huber_loss's, on both "
                     "sides of ±delta and at ±delta, for delta = 1.0, 0.5 and 2.0, and grad_output is honoured")
    x = (target + 1.5 * torch.randn(4, 6, dtype=torch.float64, generator=gen)).requires_grad_()
    t = target.clone().requires_grad_()
    _verify(r, cls.apply, (x, t, 1.0), reference=lambda a, b, d: TF.huber_loss(a, b, delta=d), elementwise=False,
            checks=("gradients", "gradcheck", "finite gradients", "in-place", "grad_output", "ctx tensors"),
            what="customgrad.verify (input and target, each alone too)")


# --- gradient checkpointing ------------------------------------------------------------------------------

def _block(x, w1, w2):
    return torch.tanh(torch.tanh(x @ w1) @ w2)


def _one_input(x):
    return torch.sin(x).exp().mul(x)


def _checkpoint(r: _Run, candidate):
    cls = _want_function(r, candidate)
    call = f"{cls.__name__}.apply(function, *inputs)"
    gen = torch.Generator().manual_seed(0)
    cases = [("function(x, w1, w2) = tanh(tanh(x @ w1) @ w2)", _block,
              [torch.randn(3, 4, dtype=torch.float64, generator=gen), torch.randn(4, 5, dtype=torch.float64, generator=gen),
               torch.randn(5, 2, dtype=torch.float64, generator=gen)]),
             ("function(x) = exp(sin(x)) * x", _one_input, [torch.randn(6, dtype=torch.float64, generator=gen)])]
    for words, function, values in cases:
        lead = f"With {words}: y"
        inputs = [v.clone().requires_grad_() for v in values]
        packed: list[torch.Tensor] = []

        def pack(t):
            packed.append(t)
            return t

        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            out = _run_forward(r, cls, (function, *inputs), call)
        plain_inputs = [v.clone().requires_grad_() for v in values]
        plain_saved: list[torch.Tensor] = []
        with torch.autograd.graph.saved_tensors_hooks(lambda t: plain_saved.append(t) or t, lambda t: t):
            want = function(*plain_inputs)
        i = _first_mismatch(out, want.detach()) if out.shape == want.shape else 0
        if i is not None:
            r.problem(f"{lead}our output differs from function(*inputs)"
                      f"{'' if out.shape == want.shape else f' (shape {list(out.shape)}, expected {list(want.shape)})'}"
                      f": forward must return what the function returns.", stop=True)
        ptrs = {(v.data_ptr(), tuple(v.shape)) for v in inputs}
        extra = [t for t in packed if (t.data_ptr(), tuple(t.shape)) not in ptrs]
        from .verify import _ctx_tensors, _custom_nodes

        on_ctx = [(path, t) for node in _custom_nodes([out]) for path, t in _ctx_tensors(node)]
        if extra:
            nbytes = sum(t.numel() * t.element_size() for t in extra)
            shapes = ", ".join(f"{str(t.dtype).replace('torch.', '')} {list(t.shape)}" for t in extra[:4])
            r.problem(f"{lead}our Function keeps {len(extra)} tensor{'s' if len(extra) > 1 else ''} for backward "
                      f"that {'are' if len(extra) > 1 else 'is'} not {'an input' if len(extra) == 1 else 'inputs'} "
                      f"({shapes}; {nbytes} bytes): intermediate activations (or the output), which checkpointing "
                      f"exists to drop. Save only the inputs (ctx.save_for_backward(*inputs)), run the function "
                      f"without recording a graph in forward, and again, recording, in backward.", stop=True)
        activations = [(path, t) for path, t in on_ctx if (t.data_ptr(), tuple(t.shape)) not in ptrs]
        if on_ctx:
            names = ", ".join(f"{path} ({str(t.dtype).replace('torch.', '')} {list(t.shape)})" for path, t in on_ctx[:4])
            kind = "activations, which checkpointing exists to drop" if activations else "its inputs"
            r.problem(f"{lead}our Function keeps tensors on ctx as attributes: {names}, {kind}. Save the inputs "
                      f"with ctx.save_for_backward(*inputs), and nothing else.", stop=True)
        gen_go = torch.Generator().manual_seed(1)
        go = torch.randn(want.shape, dtype=want.dtype, generator=gen_go)
        before = go.clone()
        grads = _run_backward(r, cls, out, inputs, go, call)
        if not torch.equal(go, before):
            r.problem("Your backward changes grad_output in place; build a new tensor instead.")
        wants = torch.autograd.grad(want, plain_inputs, before)
        for k, (g, w) in enumerate(zip(grads, wants)):
            if g is None:
                r.problem(f"{lead}our backward returns None for input {k} of the function, which requires grad: "
                          f"return (None, *gradients), one gradient per input after the None for function.", stop=True)
            i = _first_mismatch(g, w)
            if i is not None:
                got, exp = _pair(g.reshape(-1)[i].item(), w.reshape(-1)[i].item())
                r.problem(f"{lead}our gradient for input {k} of the function is {got} at flat index {i} where plain "
                          f"autograd gives {exp}.", stop=True)
        ours_b = sum(t.numel() * t.element_size() for t in packed)
        plain_b = sum(t.numel() * t.element_size() for t in {id(t): t for t in plain_saved}.values())
        r.checked.append(f"{words}: output and gradients equal plain autograd's; keeps {len(packed)} tensor"
                         f"{'s' if len(packed) != 1 else ''} ({ours_b} bytes), its inputs only, where plain autograd "
                         f"keeps {len(plain_saved)} ({plain_b} bytes)")
    values = [v.clone().requires_grad_() for v in cases[0][2]]
    _verify(r, cls.apply, (_block, *values), reference=lambda f, *a: f(*a), elementwise=False,
            arguments=["function", "x", "w1", "w2"],
            checks=("gradients", "gradcheck", "in-place", "grad_output"),
            what="customgrad.verify (every subset of x, w1, w2 requiring grad)")


# --- straight-through rounding --------------------------------------------------------------------------

def _ste_reference(x):
    return x + (torch.round(x) - x).detach()


def _straight_through_round(r: _Run, candidate):
    cls = _want_function(r, candidate)
    call = f"{cls.__name__}.apply(input)"
    grid = _GRID + [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49, 0.51, -0.49, 1.7, -1.3]
    x = torch.tensor(grid, dtype=torch.float64, requires_grad=True)
    out = _run_forward(r, cls, (x,), call)
    want = torch.round(x.detach())
    i = _first_mismatch(out, want, rtol=0, atol=0) if out.shape == want.shape else 0
    if i is not None:
        got, exp = _pair(out.reshape(-1)[i].item(), want.reshape(-1)[i].item())
        half = " torch.round sends a half to the even neighbour (2.5 -> 2, 1.5 -> 2): call torch.round." \
            if abs(abs(grid[i]) % 1 - 0.5) < 1e-12 else ""
        r.problem(f"Your forward gives {got} at x = {_x(grid[i])} where torch.round gives {exp}.{half}", stop=True)
    gen = torch.Generator().manual_seed(0)
    go = torch.randn(out.shape, dtype=out.dtype, generator=gen) + 0.5
    before = go.clone()
    (g,) = _run_backward(r, cls, out, [x], go, call)
    if not torch.equal(go, before):
        r.problem("Your backward changes grad_output in place; return it, or a new tensor, unchanged in value.")
    if g is None:
        r.problem("Your backward returns None for the input: a straight-through estimator returns grad_output.",
                  stop=True)
    i = _first_mismatch(g, before)
    if i is not None:
        got, exp = _pair(g[i].item(), before[i].item())
        if bool((g == 0).all()):
            hint = (" Yours is zero everywhere: that is the true derivative of round (almost everywhere), which "
                    "stops all learning upstream; the estimator pretends round is the identity in backward.")
        else:
            hint = ""
        r.problem(f"Your backward gives {got} at x = {_x(grid[i])} for grad_output = {exp}; a straight-through "
                  f"estimator passes grad_output through unchanged (`return grad_output`).{hint}", stop=True)
    r.checked.append(f"forward equals torch.round at {len(grid)} points, halves included; backward returns "
                     f"grad_output unchanged")
    _verify(r, cls.apply, (torch.randn(4, 5, dtype=torch.float64) * 3,), reference=_ste_reference, elementwise=True,
            checks=("gradients", "forward", "backward", "shapes", "in-place", "grad_output", "ctx tensors"))


_RUNNERS: dict[str, Callable[[_Run, Any], None]] = {
    "hardswish": _hardswish,
    "leaky_relu": _leaky_relu,
    "prelu": _prelu,
    "elu": _elu,
    "gelu": _gelu,
    "relu_inplace": _relu_inplace,
    "relu_mask": _relu_mask,
    "huber_loss": _huber_loss,
    "checkpoint": _checkpoint,
    "straight_through_round": _straight_through_round,
}


def check(name: str, candidate, *, strict: bool = False) -> ExerciseResult:
    """Check a solution of the exercise ``name``: the class itself, not ``MyFunction.apply``.

    The checks run in float64 on fresh tensors, with the random generators left as they were.
    A wrong answer (a wrong value, a missing gradient, a torch error raised by the candidate) is
    not an exception: the result says what is wrong and where, in plain words.

    Args:
        name: one of :data:`EXERCISES` (see :func:`names`).
        candidate: a ``torch.autograd.Function`` subclass (a ``torch.nn.Module`` subclass for
            ``"relu_inplace"``), called as the module docstring's table says.
        strict: raise ``AssertionError`` with the result's text when the candidate is not right.

    Returns:
        The :class:`ExerciseResult`: ``ok``, and ``str()`` of it says what was checked or what is wrong.

    Raises:
        ValueError: ``name`` is not an exercise.
        TypeError: ``strict`` is not a bool.
        AssertionError: with ``strict=True``, when the candidate is not right.

    Example:
        >>> from customgrad.functions import LeakyReLUFunction
        >>> check("leaky_relu", LeakyReLUFunction).ok
        True
        >>> check("leaky_relu", LeakyReLUFunction.apply).problems[0]
        "You passed LeakyReLUFunction.apply; pass the class itself: check('leaky_relu', LeakyReLUFunction). ..."
    """
    if name not in _RUNNERS:
        raise ValueError(f"unknown exercise {name!r}; the exercises are {names()}")
    if not isinstance(strict, bool):
        raise TypeError(f"strict must be True or False, not {strict!r} (a candidate is the second argument)")
    r = _Run(name, _label(candidate))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        try:
            _RUNNERS[name](r, candidate)
        except _Stop:
            pass
        except Exception as e:  # noqa: BLE001 - a candidate's error anywhere is an answer, not a crash
            r.problem(f"Checking {r.label} raised {_error_words(e)}.")
    result = ExerciseResult(name, r.label, tuple(r.problems), tuple(r.checked))
    if strict and not result.ok:
        raise AssertionError(str(result))
    return result
