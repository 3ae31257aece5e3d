"""Gradient checkpointing as a custom autograd Function: keep the inputs, recompute the rest in backward.

A network block normally leaves every intermediate activation in memory until the backward pass.
:func:`checkpoint` runs the block without recording a graph, keeps only its inputs, and runs it
again inside the ``backward`` of one :class:`CheckpointFunction` node to get the gradients:
memory falls by the depth of the block, for the price of one more forward pass of it.

:func:`checkpoint` is called like :func:`torch.utils.checkpoint.checkpoint`.  Every tensor the
function uses that requires grad (in its arguments, in nested lists, tuples and dicts of them,
in keyword arguments, as a parameter of a checkpointed ``nn.Module``, or through a closure) is an
input of the node, so gradients go exactly where autograd sends them:
``torch.autograd.grad(y, x)`` and ``y.backward(inputs=[x])`` compute the gradient of ``x`` alone and
write no ``.grad``, as torch's ``use_reentrant=False`` variant does.

Differences from :func:`torch.utils.checkpoint.checkpoint`, on purpose:

- One implementation serves every ``use_reentrant`` value (``True``, ``False`` or ``None``, without
  torch's warning for ``None``): the recomputation runs inside the node's backward (as torch's
  reentrant variant does), and gradients reach exactly the tensors asked for, keyword arguments
  included (as torch's non-reentrant variant does).  ``early_stop`` is accepted and has no effect:
  the recomputation always runs the whole function.
- ``context_fn`` other than torch's ``noop_context_fn``, and ``debug=True``, raise ``ValueError``:
  selective checkpointing and the operator trace need torch's saved-tensor-hook machinery.
- Every floating-point output tensor that is not an input returned unchanged requires grad when
  any tensor the function uses does, even one that does not depend on them (say ``torch.zeros``
  made inside): the forward records no graph that would tell.
- ``determinism_check="default"`` compares the outputs of the recomputation with those of the
  forward (their structure, shapes, dtypes and devices); torch compares the tensors saved for
  backward.
- An output that is a view of an input (``x[:2]``, ``x.t()``) cannot be modified in place:
  autograd refuses it for the outputs of every custom Function, whose backward the view's
  in-place logic would override.
- A tensor reached through a closure that was computed from another tensor also reached through
  a closure raises ``RuntimeError`` at the call: the recomputation continues into the history of
  closure tensors, so it would count that path twice.  Passed as an argument, it works.

Example:
    >>> block = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Tanh(), torch.nn.Linear(4, 4))
    >>> x = torch.randn(2, 4, requires_grad=True)
    >>> (gx,) = torch.autograd.grad(checkpoint(block, x, use_reentrant=False).sum(), x)
    >>> gx.shape, block[0].weight.grad
    (torch.Size([2, 4]), None)
"""

from __future__ import annotations

import contextlib

import torch
import torch.utils._pytree as pytree
from torch.overrides import TorchFunctionMode
from torch.utils.checkpoint import get_device_states, noop_context_fn, set_device_states

__all__ = ["CheckpointFunction", "checkpoint"]


class _OutsideTensors(TorchFunctionMode):
    """Notes the tensors requiring grad that ``function`` reaches without being given them (closures).

    The forward runs under ``no_grad``, so what it makes requires grad only as a view of a tensor
    that does: the outputs of every torch call are noted as made inside, and a tensor requiring
    grad that is neither one of them nor a known input came from a closure or a global.
    """

    def __init__(self, known):
        super().__init__()
        self.seen = {id(t) for t in known}
        self.found = []

    def note(self, tensors):
        for t in tensors:
            if isinstance(t, torch.Tensor) and t.requires_grad and id(t) not in self.seen:
                self.seen.add(id(t))
                self.found.append(t)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        self.note(pytree.tree_leaves((args, kwargs)))
        out = func(*args, **kwargs)
        self.seen.update(id(t) for t in pytree.tree_leaves(out) if isinstance(t, torch.Tensor))
        return out


def _closure_depending_on_closure(outside):
    """Whether the history of a closure tensor reaches another closure tensor.

    The recomputation uses closure tensors as they are, so its graph continues into their
    history; differentiating it for both tensors would count the path through the first twice.
    """
    starts = [t.grad_fn for t in outside if t.grad_fn is not None]
    if len(outside) < 2 or not starts:
        return False
    owners = {id(t.grad_fn) for t in outside if t.grad_fn is not None}
    leaves = {id(t) for t in outside if t.grad_fn is None}
    todo = [n for node in starts for n, _ in node.next_functions if n is not None]
    seen = set()
    while todo:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if id(node) in owners or id(getattr(node, "variable", None)) in leaves:
            return True
        todo.extend(n for n, _ in node.next_functions if n is not None)
    return False


def _metadata(t):
    return (tuple(t.shape), t.dtype, t.device)


_TENSOR = object()  # marks the place of a tensor among the leaves of the arguments


class _Call:
    """One checkpointed call: the function, its arguments, the tensors it uses, and the random state.

    Passed to :class:`CheckpointFunction` as its one non-tensor argument.

    Attributes:
        function: the checkpointed callable.
        leaves: the leaves of ``(args, kwargs)`` flattened by ``torch.utils._pytree``, with
            a marker in place of each tensor (the tensors are the node's inputs), and ``spec``
            their structure.
        num_tensors: how many tensor leaves ``(args, kwargs)`` has.
        param_names, params: the trainable parameters of ``function`` when it is an ``nn.Module``.
        outside: the tensors requiring grad that ``function`` reached through a closure.
        out_spec, out_leaves: the structure and leaves of the forward's output.
        routed: positions in ``out_leaves`` of the tensors that are outputs of the node.
    """

    def __init__(self, function, args, kwargs, preserve_rng_state, determinism_check):
        self.function = function
        self.args, self.kwargs = args, kwargs
        leaves, self.spec = pytree.tree_flatten((args, kwargs))
        tensors = [t for t in leaves if isinstance(t, torch.Tensor)]
        self.tensors = tensors
        self.leaves = [_TENSOR if isinstance(t, torch.Tensor) else t for t in leaves]
        self.num_tensors = len(tensors)
        named = function.named_parameters() if isinstance(function, torch.nn.Module) else ()
        trainable = [(name, p) for name, p in named if p.requires_grad]
        self.param_names = tuple(name for name, _ in trainable)
        self.params = tuple(p for _, p in trainable)
        self.outside = []
        self.determinism_check = determinism_check
        self.preserve_rng_state = preserve_rng_state
        if preserve_rng_state:
            self.cpu_state = torch.get_rng_state()
            self.devices, self.device_states = get_device_states(*tensors)
            self.device_type = next((t.device.type for t in tensors if t.device.type != "cpu"), None)

    def arguments(self, tensors):
        """``(args, kwargs)`` rebuilt with ``tensors`` in place of the tensor leaves."""
        it = iter(tensors)
        return pytree.tree_unflatten([next(it) if t is _TENSOR else t for t in self.leaves], self.spec)

    def run_forward(self):
        """Run the function under ``no_grad``, noting the closure tensors it reaches; return its output."""
        args, kwargs, self.args, self.kwargs = self.args, self.kwargs, None, None
        finder = _OutsideTensors([*self.tensors, *self.params])
        with torch.no_grad(), finder:
            output = self.function(*args, **kwargs)
        self.out_leaves, self.out_spec = pytree.tree_flatten(output)
        # A closure tensor returned with no torch call touching it has not been seen yet.
        finder.note(self.out_leaves)
        self.outside = finder.found
        return output

    @contextlib.contextmanager
    def replay_rng(self):
        """Run the body with the random state the forward started from, then restore the current one."""
        if not self.preserve_rng_state:
            yield
            return
        with torch.random.fork_rng(devices=self.devices, device_type=self.device_type or "cuda"):
            torch.set_rng_state(self.cpu_state)
            if self.devices:
                set_device_states(self.devices, self.device_states, device_type=self.device_type)
            yield


class CheckpointFunction(torch.autograd.Function):
    r"""The node of one checkpointed call: its inputs are kept, its activations recomputed in backward.

    ``apply(call, *tensors, *params, *outside)``: ``call`` is the per-call record built by
    :func:`checkpoint`, which has already run the function under ``no_grad``; ``tensors`` are the
    tensor leaves of its arguments and keyword arguments, ``params`` the parameters of
    ``function`` when it is an ``nn.Module``, ``outside`` the tensors requiring grad it reached
    through a closure.  All of them are inputs of the node, so autograd routes each gradient to
    exactly the tensors a backward asks for.  The forward returns the output tensors of that run
    that are not inputs returned unchanged (those bypass the node).

    Backward: runs ``function`` again, with grad enabled, on stand-ins for the saved arguments
    and parameters (the closure tensors are used as they are: the closure holds them), and
    differentiates that fresh graph with :func:`torch.autograd.grad`:

    .. math:: \frac{\partial L}{\partial \theta} = \Big(\frac{\partial f(x;\theta)}{\partial \theta}\Big)^{\!\top}
              \frac{\partial L}{\partial y}, \qquad y = f(x; \theta) \text{ recomputed}

    Saved for backward: the tensors among the arguments and keyword arguments only (through
    ``save_for_backward``).
    The module parameters and closure tensors are held by ``function`` itself; the ctx keeps a
    reference to them and their version counters, and backward refuses to run if one was
    modified in place since the forward (the recomputation would silently differ).
    The random state (CPU, and the devices of the tensor arguments) is recorded before the
    forward and replayed for the recomputation, so dropout draws the same mask twice.

    Double backward works: under ``create_graph=True`` the recomputation runs on views of the
    saved inputs, so the returned gradients stay connected to the caller's graph.
    A module's buffers are not rolled back: a layer that updates running statistics in its
    forward (BatchNorm in training mode) updates them again during the recomputation.

    Example:
        >>> block = torch.nn.Sequential(*[torch.nn.Linear(8, 8) for _ in range(4)])
        >>> x = torch.randn(3, 8, requires_grad=True)
        >>> saved = []
        >>> with torch.autograd.graph.saved_tensors_hooks(lambda t: saved.append(t) or t, lambda t: t):
        ...     y = checkpoint(block, x)
        >>> [t is x for t in saved]
        [True]
    """

    @staticmethod
    def forward(call, *inputs):
        return tuple(call.routed_outputs)

    @staticmethod
    def setup_context(ctx, inputs, output):
        call = inputs[0]
        ctx.call = call
        ctx.set_materialize_grads(False)
        ctx.versions = [t._version for t in (*call.params, *call.outside)]
        ctx.save_for_backward(*inputs[1 : 1 + call.num_tensors])
        ctx.mark_non_differentiable(*(o for o in output if not (o.is_floating_point() or o.is_complex())))

    @staticmethod
    def backward(ctx, *grad_outputs):
        call, outside = ctx.call, ctx.call.outside
        if [t._version for t in (*call.params, *outside)] != ctx.versions:
            raise RuntimeError(
                "checkpoint: a parameter or closure tensor used by the checkpointed function was modified "
                "in place after the forward; recomputing it would give different activations."
            )
        create_graph = torch.is_grad_enabled()

        def stand_in(t):
            # First order: a detached copy, so the fresh graph ends here.  create_graph: a view, so
            # the returned gradients stay functions of the caller's tensors.
            return t.view_as(t) if create_graph else t.detach().requires_grad_(t.requires_grad)

        tensors = [stand_in(t) for t in ctx.saved_tensors]
        args, kwargs = call.arguments(tensors)
        params = {name: stand_in(p) for name, p in zip(call.param_names, call.params)}
        with call.replay_rng(), torch.enable_grad():
            if params:
                output = torch.func.functional_call(call.function, params, args, kwargs)
            else:
                output = call.function(*args, **kwargs)
        leaves, spec = pytree.tree_flatten(output)
        if call.determinism_check == "default":
            _check_same(call, leaves, spec)
        outputs = [leaves[i] for i in call.routed]

        pairs = [(o, g) for o, g in zip(outputs, grad_outputs)
                 if isinstance(o, torch.Tensor) and o.requires_grad and g is not None]
        inputs = (*tensors, *params.values(), *outside)
        wanted = [i for i, t in enumerate(inputs) if ctx.needs_input_grad[1 + i] and t.requires_grad]
        grads = [None] * len(inputs)
        if pairs and wanted:
            found = torch.autograd.grad([o for o, _ in pairs], [inputs[i] for i in wanted], [g for _, g in pairs],
                                        allow_unused=True, create_graph=create_graph)
            for i, g in zip(wanted, found):
                grads[i] = g
        return (None, *grads)


def _check_same(call, leaves, spec):
    """Raise if the recomputation returned other outputs than the forward (structure, shapes, dtypes, devices)."""
    recomputed = [_metadata(t) if isinstance(t, torch.Tensor) else None for t in leaves]
    if spec != call.out_spec or recomputed != call.out_metadata:
        raise RuntimeError(
            "checkpoint: the recomputation in backward returned different outputs from the forward "
            f"(forward: {call.out_spec}, {call.out_metadata}; recomputed: {spec}, {recomputed}); the function must "
            "be deterministic in structure, shapes, dtypes and devices. Pass determinism_check='none' to skip this check."
        )


def checkpoint(
    function,
    *args,
    use_reentrant: bool | None = None,
    context_fn=noop_context_fn,
    determinism_check: str = "default",
    debug: bool = False,
    early_stop: bool = True,
    preserve_rng_state: bool = True,
    **kwargs,
):
    r"""Call ``function(*args, **kwargs)`` without keeping its activations; recompute them during backward.

    Called like :func:`torch.utils.checkpoint.checkpoint`.  The memory saved for backward drops
    from every activation inside ``function`` to its tensor arguments alone, for the cost of
    running ``function`` twice.  Gradients reach every tensor the function uses that requires
    grad: its arguments (nested in lists, tuples and dicts too), keyword arguments, the
    parameters of ``function`` when it is an ``nn.Module``, and tensors it reaches through a
    closure; ``torch.autograd.grad`` and ``backward(inputs=...)`` compute only those asked for and
    write no other ``.grad``.  See the module docstring for where it differs from torch's, and
    :class:`CheckpointFunction` for what is saved.

    Args:
        function: a callable or ``nn.Module``; it may return a tensor, or lists, tuples and dicts
            (nested) of tensors and other values (ints, ``None``), which pass through.
        *args: its positional arguments.
        use_reentrant: accepted for call compatibility with torch; every value gives
            the one behaviour described above, and ``None`` gives no warning.
        context_fn: only torch's ``noop_context_fn`` (the default); any other raises ``ValueError``.
        determinism_check (str): ``"default"`` raises if the recomputation returns outputs of
            another structure, shape, dtype or device than the forward; ``"none"`` skips the check.
        debug (bool): only ``False``; ``True`` raises ``ValueError``.
        early_stop (bool): accepted and without effect: the recomputation runs the whole function.
        preserve_rng_state (bool): replay the random state of the forward during the recomputation,
            so dropout-like functions draw the same numbers.  Default ``True``.
        **kwargs: keyword arguments of ``function``, passed through; their tensors get gradients.

    Returns:
        What ``function`` returns, with the same structure: its input tensors returned unchanged
        are the same objects, other tensors are outputs of one :class:`CheckpointFunction` node.

    Raises:
        ValueError: for an unsupported ``context_fn`` or ``debug``, or an unknown ``determinism_check``.
        RuntimeError: when a tensor reached through a closure was computed from another one (see
            the module docstring); in backward, when a parameter or closure tensor was modified in
            place since the forward, or the determinism check fails.

    Example:
        >>> block = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Tanh(), torch.nn.Linear(4, 4))
        >>> x = torch.randn(2, 4, requires_grad=True)
        >>> y = checkpoint(block, x, use_reentrant=False)
        >>> y.grad_fn
        <torch.autograd.function.CheckpointFunctionBackward object at ...>
        >>> (gx,) = torch.autograd.grad(y.sum(), x)
        >>> gx.shape, block[0].weight.grad is None
        (torch.Size([2, 4]), True)
        >>> out = checkpoint(lambda x, scale: {"y": x * scale, "n": 3, "x": x}, x, scale=2.0)
        >>> out["n"], out["x"] is x, out["y"].grad_fn is not None
        (3, True, True)
    """
    if context_fn is not noop_context_fn:
        raise ValueError(
            "checkpoint: context_fn is not supported (selective checkpointing needs torch's saved-tensor-hook "
            "implementation); use torch.utils.checkpoint.checkpoint(..., use_reentrant=False) for it."
        )
    if debug:
        raise ValueError("checkpoint: debug=True is not supported (torch's operator trace needs its own implementation).")
    if determinism_check not in ("default", "none"):
        raise ValueError(f"checkpoint: determinism_check should be one of ['default', 'none'], but got {determinism_check!r}")
    call = _Call(function, args, kwargs, preserve_rng_state, determinism_check)
    output = call.run_forward()
    inputs = (*call.tensors, *call.params, *call.outside)
    call.tensors = None  # the node's inputs hold them from here on
    if not torch.is_grad_enabled() or not any(t.requires_grad for t in inputs):
        return output
    if _closure_depending_on_closure(call.outside):
        raise RuntimeError(
            "checkpoint: the function reaches, through a closure, a tensor computed from another tensor it also "
            "reaches through a closure; the gradient of the second would count the path through the first twice. "
            "Pass the computed tensor as an argument of the function instead."
        )
    # Route each distinct output tensor through the node once, except inputs returned unchanged.
    passed = {id(t) for t in inputs}
    routed = {}
    for i, leaf in enumerate(call.out_leaves):
        if isinstance(leaf, torch.Tensor) and id(leaf) not in passed and id(leaf) not in routed:
            routed[id(leaf)] = i
    if not routed:
        return output
    call.routed = list(routed.values())
    call.routed_outputs = [call.out_leaves[i] for i in call.routed]
    call.out_metadata = [_metadata(t) if isinstance(t, torch.Tensor) else None for t in call.out_leaves]
    results = CheckpointFunction.apply(call, *inputs)
    # The node keeps ``call``: it must not hold the outputs (nor their memory) alive.
    call.routed_outputs = call.out_leaves = None
    by_id = dict(zip(routed, results))
    leaves = pytree.tree_leaves(output)
    return pytree.tree_unflatten([by_id.get(id(t), t) if isinstance(t, torch.Tensor) else t for t in leaves], call.out_spec)
