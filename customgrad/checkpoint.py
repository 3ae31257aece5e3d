"""Gradient checkpointing as a custom autograd Function: keep the inputs, recompute the rest in backward.

A network block normally leaves every intermediate activation in memory until the backward pass.
:func:`checkpoint` runs the block without recording a graph, keeps only its inputs, and runs it
again inside its own ``backward`` to get the gradients: memory falls by the depth of the block,
for the price of one more forward pass of it.
"""

from __future__ import annotations

import contextlib

import torch
from torch.overrides import TorchFunctionMode
from torch.utils.checkpoint import get_device_states, set_device_states

__all__ = ["CheckpointFunction", "checkpoint"]


def _tensors_in(obj):
    """Every tensor in ``obj``, looking inside lists, tuples and dicts."""
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for item in obj:
            yield from _tensors_in(item)
    elif isinstance(obj, dict):
        for item in obj.values():
            yield from _tensors_in(item)


class _OutsideTensors(TorchFunctionMode):
    """Notes the tensors requiring grad that ``function`` reaches without being given them (closures).

    The forward runs under ``no_grad``, so nothing made inside it requires grad: a tensor that
    does was made outside, and one that is not an argument came from a closure or a global.
    """

    def __init__(self, known):
        super().__init__()
        self.seen = {id(t) for t in known}
        self.found = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        for t in _tensors_in((args, kwargs)):
            if t.requires_grad and id(t) not in self.seen:
                self.seen.add(id(t))
                self.found.append(t)
        return func(*args, **kwargs)


class _Call:
    """One checkpointed call: the function, its module parameters, and the random state to replay.

    Passed to :class:`CheckpointFunction` as a non-tensor argument; the forward adds the
    closure tensors it found, so that ``setup_context`` can keep them.
    """

    def __init__(self, function, args, preserve_rng_state):
        self.function = function
        self.num_args = len(args)
        named = function.named_parameters() if isinstance(function, torch.nn.Module) else ()
        trainable = [(name, p) for name, p in named if p.requires_grad]
        self.param_names = tuple(name for name, _ in trainable)
        self.params = tuple(p for _, p in trainable)
        self.outside = []
        self.preserve_rng_state = preserve_rng_state
        if preserve_rng_state:
            self.cpu_state = torch.get_rng_state()
            self.devices, self.device_states = get_device_states(*args)
            self.device_type = next((t.device.type for t in _tensors_in(args) if t.device.type != "cpu"), None)

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
    r"""Run ``function`` without keeping its activations; recompute them in backward.

    ``apply(call, *args, *params)``: ``call`` is the per-call record built by :func:`checkpoint`,
    ``args`` the arguments of the function, ``params`` the parameters of ``function`` when it is
    an ``nn.Module`` (passed as inputs so that autograd routes their gradients through this node).

    Forward: runs ``function(*args)`` under ``no_grad``, so no graph and no activation is kept.

    Backward: runs ``function`` again, with grad enabled, on stand-ins for the saved inputs, and
    differentiates that fresh graph with :func:`torch.autograd.grad`:

    .. math:: \frac{\partial L}{\partial \theta} = \Big(\frac{\partial f(x;\theta)}{\partial \theta}\Big)^{\!\top}
              \frac{\partial L}{\partial y}, \qquad y = f(x; \theta) \text{ recomputed}

    Saved for backward: the tensor arguments only (through ``save_for_backward``).
    The module parameters and closure tensors are held by ``function`` itself; the ctx keeps a
    reference to them and their version counters, and backward refuses to run if one was
    modified in place since the forward (the recomputation would silently differ).
    The random state (CPU, and CUDA devices of the arguments) is recorded before the forward and
    replayed for the recomputation, so dropout draws the same mask twice.

    Double backward works for arguments and module parameters: under ``create_graph=True`` the
    recomputation runs on views of the saved inputs, so the returned gradients stay connected to
    the caller's graph.
    Tensors reached only through a closure get their gradient by a nested ``torch.autograd.backward``
    (accumulated into ``.grad``, as ``torch.utils.checkpoint(use_reentrant=True)`` does), which
    has no graph to differentiate again: backward raises for them under ``create_graph=True``,
    and ``torch.autograd.grad(loss, closure_tensor)`` does not see them.  Pass such tensors as
    arguments, or checkpoint an ``nn.Module``.
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
        args = inputs[: call.num_args]
        finder = _OutsideTensors(inputs)
        with torch.no_grad(), finder:
            outputs = call.function(*args)
        call.outside = finder.found
        return outputs

    @staticmethod
    def setup_context(ctx, inputs, output):
        call, *rest = inputs
        args = rest[: call.num_args]
        ctx.call = call
        ctx.arg_is_tensor = [isinstance(a, torch.Tensor) for a in args]
        ctx.other_args = [None if is_t else a for a, is_t in zip(args, ctx.arg_is_tensor)]
        ctx.outside, call.outside = call.outside, []
        ctx.versions = [t._version for t in (*call.params, *ctx.outside)]
        ctx.save_for_backward(*(a for a in args if isinstance(a, torch.Tensor)))

    @staticmethod
    def backward(ctx, *grad_outputs):
        call, outside = ctx.call, ctx.outside
        if [t._version for t in (*call.params, *outside)] != ctx.versions:
            raise RuntimeError(
                "checkpoint: a parameter or closure tensor used by the checkpointed function was modified "
                "in place after the forward; recomputing it would give different activations."
            )
        create_graph = torch.is_grad_enabled()
        if create_graph and outside:
            raise RuntimeError(
                "checkpoint: double backward (create_graph=True) needs every tensor that requires grad to be "
                "an argument of the function or a parameter of the checkpointed nn.Module; "
                f"{len(outside)} tensor(s) come from a closure."
            )

        def stand_in(t):
            # First order: a detached copy, so the fresh graph ends here.  create_graph: a view, so
            # the returned gradients stay functions of the caller's tensors.
            return t.view_as(t) if create_graph else t.detach().requires_grad_(t.requires_grad)

        saved = iter(stand_in(t) for t in ctx.saved_tensors)
        args = [next(saved) if is_t else a for a, is_t in zip(ctx.other_args, ctx.arg_is_tensor)]
        params = {name: stand_in(p) for name, p in zip(call.param_names, call.params)}
        with call.replay_rng(), torch.enable_grad():
            if params:
                outputs = torch.func.functional_call(call.function, params, tuple(args))
            else:
                outputs = call.function(*args)
        outputs = (outputs,) if isinstance(outputs, torch.Tensor) else tuple(outputs)

        pairs = [(o, g) for o, g in zip(outputs, grad_outputs)
                 if isinstance(o, torch.Tensor) and o.requires_grad and g is not None]
        targets = [t for t in (*args, *params.values(), *outside) if isinstance(t, torch.Tensor) and t.requires_grad]
        grads = [None] * len(targets)
        if pairs and targets:
            grads = torch.autograd.grad([o for o, _ in pairs], targets, [g for _, g in pairs],
                                        allow_unused=True, create_graph=create_graph)
        found = dict(zip(map(id, targets), grads))

        # Closure tensors: hand their gradient on into their own history (.grad of the leaves).
        pushed = [(t, found[id(t)]) for t in outside if found.get(id(t)) is not None]
        if pushed:
            torch.autograd.backward([t for t, _ in pushed], [g for _, g in pushed])

        arg_grads = [found.get(id(a)) if isinstance(a, torch.Tensor) else None for a in args]
        param_grads = [found.get(id(p)) for p in params.values()]
        return (None, *arg_grads, *param_grads)


def checkpoint(function, *args, preserve_rng_state: bool = True):
    r"""Call ``function(*args)`` without keeping its activations; recompute them during backward.

    The memory saved for backward drops from every activation inside ``function`` to its
    inputs alone, for the cost of running ``function`` twice.
    Gradients reach the tensor arguments, the parameters of ``function`` when it is an
    ``nn.Module``, and (accumulated into ``.grad``) tensors it reaches through a closure.
    See :class:`CheckpointFunction` for what is saved and what double backward does.

    Args:
        function: a callable or ``nn.Module`` returning a tensor or a tuple of tensors.
        *args: its arguments; tensors and other values, positionally.
        preserve_rng_state (bool): replay the random state of the forward during the recomputation,
            so dropout-like functions draw the same numbers.  Default ``True``.

    Example:
        >>> block = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Tanh(), torch.nn.Linear(4, 4))
        >>> x = torch.randn(2, 4, requires_grad=True)
        >>> y = checkpoint(block, x)
        >>> y.grad_fn
        <torch.autograd.function.CheckpointFunctionBackward object at ...>
        >>> y.sum().backward()
        >>> x.grad.shape, block[0].weight.grad.shape
        (torch.Size([2, 4]), torch.Size([4, 4]))
    """
    call = _Call(function, args, preserve_rng_state)
    return CheckpointFunction.apply(call, *args, *call.params)
