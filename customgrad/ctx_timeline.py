"""When each part of a custom Function runs, and what goes in and out of ``ctx``: recorded, drawn.

``record(Function, *inputs)`` runs ``Function.apply(*inputs)`` once forward and, by default,
once backward (and once in forward mode, ``jvp=True``), and records every step in order:

- lane ``"code"``: your calls (``apply``, ``backward()``, forward-mode) and ``.grad`` written;
- lane ``"function"``: the Function's ``forward``, ``setup_context``, ``backward`` and ``jvp``
  being entered, and ``backward`` / ``jvp`` returning;
- lane ``"ctx"``: ``save_for_backward`` (and the other ``ctx.mark_*`` calls), autograd *packing*
  a saved tensor into the graph and *unpacking* it (``torch.autograd.graph.saved_tensors_hooks``),
  and ``ctx.saved_tensors`` being read.

The Function is not changed: its static methods are wrapped only while it runs, and ``ctx`` is
seen through a thin proxy.  ``draw_timeline(timeline)`` draws the events with matplotlib.

>>> import torch
>>> class Square(torch.autograd.Function):
...     @staticmethod
...     def forward(x):
...         return x * x
...     @staticmethod
...     def setup_context(ctx, inputs, output):
...         ctx.save_for_backward(inputs[0])
...     @staticmethod
...     def backward(ctx, grad_output):
...         (x,) = ctx.saved_tensors
...         return 2 * x * grad_output
>>> timeline = record(Square, torch.randn(3, requires_grad=True))
>>> [e.what for e in timeline.events]  # doctest: +NORMALIZE_WHITESPACE
['apply', 'forward', 'setup_context', 'save_for_backward', 'pack', 'backward_call',
 'backward', 'unpack', 'saved_tensors', 'return', 'accumulate']
>>> timeline.ctx_ids["setup_context"] == timeline.ctx_ids["backward"] == id(timeline.output.grad_fn)
True
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from ._torch_private import has_setup_context

__all__ = ["Event", "Timeline", "record", "draw_timeline"]

# ctx methods whose calls are recorded on the "ctx" lane.
CTX_CALLS = ("save_for_backward", "mark_dirty", "mark_non_differentiable", "set_materialize_grads", "save_for_forward")


@dataclass
class Event:
    """One recorded step: the pass it happened in, who acted, what, and details (shapes, bytes)."""

    phase: str  # "forward", "backward" or "jvp"
    lane: str  # "code", "function" or "ctx"
    what: str  # "apply", "forward", "setup_context", "save_for_backward", "pack", ...
    details: dict = field(default_factory=dict)


@dataclass
class Timeline:
    """What :func:`record` saw: the events in order, the output, and ``id(ctx)`` per step."""

    events: list[Event]
    output: object
    ctx_ids: dict[str, int]


class _CtxProxy:
    """``ctx`` as the Function sees it, recording the calls in ``CTX_CALLS`` and ``saved_tensors``."""

    def __init__(self, ctx, note):
        object.__setattr__(self, "_ctx", ctx)
        object.__setattr__(self, "_note", note)

    def __getattr__(self, name):
        value = getattr(self._ctx, name)
        if name == "saved_tensors":
            self._note("ctx", "saved_tensors")
        elif name in CTX_CALLS:

            def call(*args, **kwargs):
                result = value(*args, **kwargs)
                self._note("ctx", name)
                return result

            return call
        return value

    def __setattr__(self, name, value):
        setattr(self._ctx, name, value)


def record(function: type[torch.autograd.Function], *inputs, backward: bool = True, jvp: bool = False) -> Timeline:
    """Run ``function.apply(*inputs)`` and record each step of its life.

    Args:
        function: a ``torch.autograd.Function`` subclass, in either form (``forward`` plus
            ``setup_context``, or ``forward(ctx, ...)``).
        inputs: its inputs; tensor leaves that require grad get a hook that records ``.grad``
            being written.
        backward: also call ``.sum().backward()`` on the (first) output.
        jvp: also run the Function once in forward mode (``torch.autograd.forward_ad``), with a
            tangent of ones for every floating-point tensor input; the Function needs a ``jvp``.

    Returns:
        A :class:`Timeline`.
    """
    events: list[Event] = []
    ctx_ids: dict[str, int] = {}
    phase = ["forward"]

    def note(lane, what, **details):
        events.append(Event(phase[0], lane, what, details))

    originals = {name: function.__dict__.get(name) for name in ("forward", "setup_context", "backward", "jvp")}
    separate = has_setup_context(function)
    forward, setup_context, backward_fn, jvp_fn = (function.forward, function.setup_context, function.backward, function.jvp)

    def traced_forward(*args, **kwargs):
        note("function", "forward")
        if not separate:  # forward(ctx, ...): the ctx is the first argument
            ctx_ids["forward"] = id(args[0])
            args = (_CtxProxy(args[0], note), *args[1:])
        return forward(*args, **kwargs)

    def traced_setup_context(ctx, inputs, output):
        note("function", "setup_context")
        ctx_ids["setup_context"] = id(ctx)
        return setup_context(_CtxProxy(ctx, note), inputs, output)

    def traced_backward(ctx, *grads):
        note("function", "backward", shape=tuple(grads[0].shape) if grads and grads[0] is not None else None)
        ctx_ids["backward"] = id(ctx)
        result = backward_fn(_CtxProxy(ctx, note), *grads)
        note("function", "return")
        return result

    def traced_jvp(ctx, *tangents):
        note("function", "jvp")
        ctx_ids["jvp"] = id(ctx)
        result = jvp_fn(_CtxProxy(ctx, note), *tangents)
        note("function", "return")
        return result

    def pack(t):
        note("ctx", "pack", nbytes=t.nbytes)
        return t

    def unpack(t):
        note("ctx", "unpack")
        return t

    traced = {"forward": traced_forward, "backward": traced_backward, "jvp": traced_jvp}
    if separate:
        traced["setup_context"] = traced_setup_context
    try:
        for name, wrapper in traced.items():
            setattr(function, name, staticmethod(wrapper))
        for t in inputs:
            if isinstance(t, torch.Tensor) and t.is_leaf and t.requires_grad:
                t.register_post_accumulate_grad_hook(lambda _: note("code", "accumulate"))
        with torch.autograd.graph.saved_tensors_hooks(pack, unpack):
            note("code", "apply")
            output = function.apply(*inputs)
            if backward:
                phase[0] = "backward"
                note("code", "backward_call")
                first = output[0] if isinstance(output, tuple) else output
                first.sum().backward()
        if jvp:
            import torch.autograd.forward_ad as fwAD

            phase[0] = "jvp"
            with fwAD.dual_level():
                duals = [
                    fwAD.make_dual(t.detach(), torch.ones_like(t))
                    if isinstance(t, torch.Tensor) and t.is_floating_point() else t
                    for t in inputs
                ]
                note("code", "jvp_call")
                function.apply(*duals)
    finally:
        for name in traced:
            original = originals[name]
            if original is None:  # inherited: remove the wrapper, the base class's method shows again
                delattr(function, name)
            else:
                setattr(function, name, original)
    return Timeline(events, output, ctx_ids)


TEXTS = {
    "en": {
        "title": "One forward and one backward pass of {}, as recorded",
        "xlabel": "event, in the order it happened",
        "phases": {"forward": "forward pass", "backward": "backward pass", "jvp": "forward mode"},
        "lanes": {"code": "your code", "function": "the Function", "ctx": "ctx and saved tensors"},
        "events": {
            "apply": "y = {name}.apply(x)", "forward": "forward(x)", "setup_context": "setup_context(ctx, ...)",
            "save_for_backward": "save_for_backward(y)", "pack": "pack: {nbytes} bytes",
            "backward_call": "loss.backward()", "backward": "backward(ctx, grad {shape})", "unpack": "unpack",
            "saved_tensors": "ctx.saved_tensors", "return": "return grad_input", "accumulate": "x.grad written",
            "jvp_call": "forward-mode call", "jvp": "jvp(ctx, tangent)",
        },
    },
    "zh_CN": {
        "title": "{} 一次前向与一次反向传播的实录",
        "xlabel": "事件（按发生顺序）",
        "phases": {"forward": "前向传播", "backward": "反向传播", "jvp": "前向模式"},
        "lanes": {"code": "你的代码", "function": "autograd 函数", "ctx": "ctx 与保存的张量"},  # GLOSSARY.md
        "events": {
            "apply": "y = {name}.apply(x)", "forward": "forward(x)", "setup_context": "setup_context(ctx, ...)",
            "save_for_backward": "save_for_backward(y)", "pack": "打包：{nbytes} 字节",
            "backward_call": "loss.backward()", "backward": "backward(ctx, 梯度 {shape})", "unpack": "解包",
            "saved_tensors": "ctx.saved_tensors", "return": "返回 grad_input", "accumulate": "写入 x.grad",
            "jvp_call": "前向模式调用", "jvp": "jvp(ctx, 切向量)",
        },
    },
}


def draw_timeline(timeline: Timeline, name: str = "the Function", *, lang: str = "en", title: str | None = None):
    """Draw a recorded timeline: a matplotlib ``Figure`` (not registered with pyplot).

    One dot per event, in order, on its lane's row, joined by arrows; the passes are shaded.

    Args:
        timeline: what :func:`record` returned.
        name: the Function's name, for the first event's label and the title.
        lang: ``"en"`` or ``"zh_CN"`` (Chinese needs a CJK font:
            :func:`customgrad.plotting.use_cjk_font`).
        title: replaces the default title.

    Example:
        >>> import torch
        >>> from customgrad.functions import ReLUFunction
        >>> fig = draw_timeline(record(ReLUFunction, torch.randn(3, requires_grad=True), False), "ReLUFunction")
        >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
        ['ctx and saved tensors', 'the Function', 'your code']
    """
    from matplotlib.figure import Figure

    text = TEXTS[lang]
    lanes = list(text["lanes"].values())
    row = {lane: len(lanes) - 1 - i for i, lane in enumerate(text["lanes"])}
    events = timeline.events
    fig = Figure(figsize=(9, 1.5 + 1.1 * len(lanes)), layout="constrained")
    ax = fig.add_subplot()
    for i in range(len(lanes)):
        ax.axhline(i, color="#d5d8dc", lw=1, zorder=0)
    previous = None
    for step, e in enumerate(events):
        y = row[e.lane]
        label = text["events"].get(e.what, e.what).format(name=name, **e.details)
        ax.plot(step, y, "o", ms=9, color="#2e86c1", zorder=3)
        ax.text(step, y + 0.15, label, rotation=30, ha="left", va="bottom", fontsize=9.5, zorder=4,
                bbox=dict(boxstyle="square,pad=0.1", fc="white", ec="none", alpha=0.85))
        if previous is not None:
            ax.annotate("", xy=(step, y), xytext=previous,
                        arrowprops=dict(arrowstyle="->", color="#7f8c8d", lw=1, shrinkA=6, shrinkB=6))
        previous = (step, y)
    phases = list(dict.fromkeys(e.phase for e in events))
    for k, p in enumerate(phases):
        steps = [i for i, e in enumerate(events) if e.phase == p]
        first, last = steps[0], steps[-1]
        ax.axvspan(first - 0.4, last + 0.4, color=("#fdf2e9", "#eaf2f8")[k % 2], zorder=-1)
        ax.text((first + last) / 2, -0.45, text["phases"][p], ha="center", va="bottom", fontsize=9, color="#5d6d7e")
    ax.set_yticks(range(len(lanes)), lanes[::-1])
    ax.set_xticks(range(len(events)))
    ax.set_xlim(-0.5, len(events) + 1.0)
    ax.set_ylim(-0.55, len(lanes) + 0.3)
    ax.set_xlabel(text["xlabel"])
    ax.set_title(title if title is not None else text["title"].format(name))
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig
