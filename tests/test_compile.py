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


# The points where a compiled backward can part from eager: zeros of both signs, the smallest
# numbers, the largest, infinities and nan (float32, the dtype the compiled speed is measured in).
_EDGES = torch.tensor([float("nan"), 0.0, -0.0, 1e-45, -1e-45, 1e-30, -1e-30, 1.0, -1.0, 3.4e38, -3.4e38,
                       float("inf"), float("-inf")])


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "mish", "gelu", "silu"])
def test_compiled_backward_equals_the_built_in_at_edge_inputs(name):
    """The formula that runs under compile (relu, leaky_relu, mish) or ATen's kernel (the rest) gives the built-in's gradient."""
    twin = TWINS[name]
    x = _EDGES.clone().requires_grad_()
    upstream = torch.linspace(-2, 2, x.numel())
    compiled = torch.autograd.grad(torch.compile(twin.ours, fullgraph=True, backend="aot_eager")(x), x, upstream)[0]
    expected = torch.autograd.grad(twin.reference(x), x, upstream)[0]
    # bit for bit, but mish's formula, which rounds differently from mish_backward (within float32's tolerance)
    exact = dict(rtol=0, atol=0) if name != "mish" else {}
    torch.testing.assert_close(compiled, expected, equal_nan=True, **exact)


@pytest.mark.parametrize("name", ["relu", "leaky_relu"])
def test_the_compiled_graph_saves_no_bool_mask(name):
    """Under inductor's partitioner the compiled relu and leaky_relu save a float tensor for backward, not a bool mask.

    A saved bool mask made the compiled twins 25x slower than the eager built-in on this project's
    CPU (customgrad/ops/_fused.py).  The decompositions and the partitioner are inductor's; no C++
    is compiled.
    """
    from functorch.compile import make_boxed_func, min_cut_rematerialization_partition
    from torch._dynamo.backends.common import aot_autograd
    from torch._inductor.decomposition import select_decomp_table

    forward_outputs = []

    def keep_forward(gm, example_inputs):
        (out,) = [n for n in gm.graph.nodes if n.op == "output"]
        forward_outputs.extend(a.meta["val"].dtype for a in out.args[0] if hasattr(a, "meta") and "val" in a.meta)
        return make_boxed_func(gm)

    backend = aot_autograd(fw_compiler=keep_forward, bw_compiler=lambda gm, _: make_boxed_func(gm),
                           partition_fn=min_cut_rematerialization_partition, decompositions=select_decomp_table())
    x = torch.randn(64, requires_grad=True)
    y = torch.compile(TWINS[name].ours, fullgraph=True, backend=backend)(x)
    y.sum().backward()
    assert torch.bool not in forward_outputs and torch.float32 in forward_outputs
    # the built-in compiled the same way saves a bool mask: the reason for the formula
    forward_outputs.clear()
    torch._dynamo.reset()
    torch.compile(TWINS[name].reference, fullgraph=True, backend=backend)(x).sum().backward()
    assert torch.bool in forward_outputs
