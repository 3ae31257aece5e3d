"""Every twin runs inside ``torch.compile(..., fullgraph=True)``: no graph break, results as in eager.

``fullgraph=True`` raises at the first graph break, so passing is the proof of one graph.
The ``aot_eager`` backend runs what breaks graphs (Dynamo's tracing and AOTAutograd's backward)
without inductor's C++ compilation, which would take seconds per operation.
"""

import pytest
import torch
import torch._dynamo

import customgrad.functional as CF
import customgrad.nn as cnn
from customgrad.twins import TWINS


def _leaves(args):
    return [a for a in args if isinstance(a, torch.Tensor) and a.requires_grad]


def _forward_backward(fn, args):
    """The output and the gradients of every input that requires one, under a fixed upstream gradient."""
    args = [a.detach().clone().requires_grad_(a.requires_grad) if isinstance(a, torch.Tensor) else a for a in args]
    out = fn(*args)
    upstream = torch.linspace(-1, 1, out.numel(), dtype=out.dtype).reshape(out.shape)
    grads = torch.autograd.grad(out, _leaves(args), upstream)
    return out, grads


@pytest.fixture(autouse=True)
def _fresh_dynamo():
    torch._dynamo.reset()
    yield
    torch._dynamo.reset()


@pytest.mark.parametrize("name", list(TWINS))
def test_functional_twin_compiles_in_one_graph_and_matches_eager(name):
    twin = TWINS[name]
    args, kwargs = twin.sample(torch.float64)

    def call(*a):
        return twin.ours(*a, **kwargs)

    eager = _forward_backward(call, args)
    compiled = _forward_backward(torch.compile(call, fullgraph=True, backend="aot_eager"), args)
    torch.testing.assert_close(compiled[0], eager[0])
    for c, e in zip(compiled[1], eager[1], strict=True):
        torch.testing.assert_close(c, e)


@pytest.mark.parametrize("name", [n for n, t in TWINS.items() if t.inplace])
def test_inplace_twin_compiles_in_one_graph_and_matches_eager(name):
    twin = TWINS[name]
    args, kwargs = twin.sample(torch.float64)

    def call(x, *rest):
        return twin.ours(x * 1, *rest, **kwargs, inplace=True)  # in place on a non-leaf

    eager = _forward_backward(call, args)
    compiled = _forward_backward(torch.compile(call, fullgraph=True, backend="aot_eager"), args)
    torch.testing.assert_close(compiled[0], eager[0])
    torch.testing.assert_close(compiled[1], eager[1])


def test_a_model_of_module_twins_compiles_in_one_graph_and_trains_as_in_eager():
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        cnn.Linear(6, 8), cnn.ReLU(), cnn.Linear(8, 8), cnn.GELU(), cnn.LayerNorm(8), cnn.SiLU(inplace=True),
        cnn.Linear(8, 8), cnn.Mish(), cnn.PReLU(8), cnn.LearnedSiLU(), cnn.Linear(8, 3),
    ).double()
    x, target = torch.randn(5, 6, dtype=torch.float64), torch.tensor([0, 2, 1, 1, 0])
    loss_fn = cnn.CrossEntropyLoss(label_smoothing=0.1)

    def step(m):
        m.zero_grad()
        loss = loss_fn(m(x), target)
        loss.backward()
        return loss.detach(), [p.grad.clone() for p in m.parameters()]

    eager = step(model)
    compiled = step(torch.compile(model, fullgraph=True, backend="aot_eager"))
    torch.testing.assert_close(compiled[0], eager[0])
    for c, e in zip(compiled[1], eager[1], strict=True):
        torch.testing.assert_close(c, e)


def test_forward_mode_ad_still_works_in_eager_after_compiling():
    x = torch.randn(4, dtype=torch.float64)
    torch.compile(CF.silu, fullgraph=True, backend="aot_eager")(x)
    _, tangent = torch.func.jvp(CF.silu, (x,), (torch.ones_like(x),))
    _, expected = torch.func.jvp(torch.nn.functional.silu, (x,), (torch.ones_like(x),))
    torch.testing.assert_close(tangent, expected)


def test_the_compiled_variant_differs_only_by_jvp():
    from customgrad.ops._compile import _VARIANTS

    for twin in TWINS.values():
        variant = _VARIANTS[id(twin.function)]
        assert issubclass(variant, twin.function) and variant.__name__ == twin.function.__name__
        assert variant.jvp is torch.autograd.Function.jvp and twin.function.jvp is not torch.autograd.Function.jvp
        assert variant.backward is twin.function.backward
