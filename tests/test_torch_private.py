"""The private torch calls in customgrad/_torch_private.py behave as the library assumes.

If a torch upgrade renames or changes one of them, these tests fail here, by name, rather than
a Function silently taking the wrong path.
"""

import torch
from torch.autograd.gradcheck import gradcheck

from customgrad import _torch_private as private


def test_functorch_transforms_active_is_true_exactly_inside_a_transform():
    assert private.functorch_transforms_active() is False
    seen = []

    def probe(x):
        seen.append(private.functorch_transforms_active())
        return x.sin().sum()

    torch.func.grad(probe)(torch.ones(3))
    torch.func.vmap(lambda x: seen.append(private.functorch_transforms_active()) or x)(torch.ones(2, 3))
    torch.func.jvp(probe, (torch.ones(3),), (torch.ones(3),))
    assert seen == [True, True, True]


def test_is_legacy_batched_sees_gradchecks_batched_gradients():
    seen = []

    class Probe(torch.autograd.Function):
        @staticmethod
        def forward(x):
            return x * 2

        @staticmethod
        def setup_context(ctx, inputs, output):
            pass

        @staticmethod
        def backward(ctx, grad):
            seen.append(private.is_legacy_batched(grad))
            return grad * 2

    x = torch.randn(3, dtype=torch.float64, requires_grad=True)
    assert gradcheck(Probe.apply, (x,), check_batched_grad=True)
    assert False in seen and True in seen  # plain backward passes, then the batched-grad check
    assert private.is_legacy_batched(torch.ones(2)) is False


def test_is_functorch_wrapped_sees_tensors_inside_vmap():
    seen = []
    torch.func.vmap(lambda x: seen.append(private.is_functorch_wrapped(x)) or x)(torch.ones(2, 3))
    assert seen == [True]
    assert private.is_functorch_wrapped(torch.ones(2)) is False


def test_has_setup_context_tells_the_two_styles_apart():
    class WithCtx(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    from customgrad.functions import ReLUFunction

    assert private.has_setup_context(ReLUFunction) is True
    assert private.has_setup_context(WithCtx) is False


def test_function_base_apply_is_what_function_apply_calls():
    """The C++ entry gives what ``Function.apply`` gives: the same values, node and saved tensors."""
    from customgrad.functions import ELUFunction

    x = torch.tensor([-1.5, 0.0, 2.0], dtype=torch.float64, requires_grad=True)
    ours = private.function_base_apply(ELUFunction, x, 2.0, False)
    theirs = ELUFunction.apply(x, 2.0, False)
    assert type(ours.grad_fn) is type(theirs.grad_fn)
    assert torch.equal(ours, theirs)
    assert [t.data_ptr() for t in ours.grad_fn.saved_tensors] == [ours.data_ptr()]  # ELU saves its output
    assert [t.data_ptr() for t in theirs.grad_fn.saved_tensors] == [theirs.data_ptr()]
    assert torch.equal(torch.autograd.grad(ours.sum(), x)[0], torch.autograd.grad(theirs.sum(), x)[0])
    # Function.apply still does the two Python steps the shortcut skips (customgrad/ops/_direct.py)
    import inspect

    source = inspect.getsource(torch.autograd.Function.apply)
    assert "bind_default_args" in source and "unwrap_dead_wrappers" in source and "super().apply" in source


def test_direct_apply_leaves_a_tensor_escaped_from_a_transform_to_function_apply(monkeypatch):
    """A wrapper left over from an ended torch.func transform goes through Function.apply, which unwraps it."""
    import customgrad.functional as CF
    from customgrad.ops import _direct

    leaked = []
    torch.func.grad(lambda x: (leaked.append(x), (x * x).sum())[1])(torch.tensor([-1.0, 2.0]))
    (dead,) = leaked
    assert private.is_functorch_wrapped(dead) and not private.functorch_transforms_active()
    direct = []
    monkeypatch.setattr(_direct, "function_base_apply", lambda *a: direct.append(a) or private.function_base_apply(*a))
    assert torch.equal(CF.relu(dead), torch.tensor([0.0, 2.0]))
    assert direct == []  # Function.apply took it
    CF.relu(torch.tensor([-1.0, 2.0]))
    assert len(direct) == 1  # a plain tensor takes the direct entry
