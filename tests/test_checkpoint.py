"""customgrad.checkpoint: same gradients as the plain run, far fewer bytes saved for backward."""

from __future__ import annotations

import weakref

import pytest
import torch
import torch.nn.functional as TF
from torch.testing import assert_close
from torch.utils.checkpoint import checkpoint as torch_checkpoint

import customgrad
import customgrad.functional as F
from customgrad import nn

DEPTH, WIDTH, BATCH = 8, 64, 32


def deep_block(dtype=torch.float32):
    """A deep block: a stack of DEPTH Linear + Tanh layers."""
    torch.manual_seed(1)
    layers = []
    for _ in range(DEPTH):
        layers += [nn.Linear(WIDTH, WIDTH, dtype=dtype), torch.nn.Tanh()]
    return torch.nn.Sequential(*layers)


def run(block, x, checkpointed):
    """Loss and the gradients of the input and of every parameter."""
    x = x.detach().clone().requires_grad_()
    y = customgrad.checkpoint(block, x) if checkpointed else block(x)
    loss = (y * torch.linspace(-1, 1, y.shape[-1], dtype=y.dtype)).sum()
    return loss.detach(), torch.autograd.grad(loss, [x, *block.parameters()])


def test_gradients_equal_the_plain_run():
    block, x = deep_block(), torch.randn(BATCH, WIDTH)
    (loss_plain, grads_plain), (loss_ckpt, grads_ckpt) = run(block, x, False), run(block, x, True)
    assert_close(loss_ckpt, loss_plain)
    assert len(grads_ckpt) == 1 + 2 * DEPTH
    for a, b in zip(grads_ckpt, grads_plain, strict=True):
        assert_close(a, b)


def measure_saved_bytes(saved_for_backward, block, x, checkpointed):
    """Bytes of every tensor saved for backward during the forward, and of those that are not parameters."""
    params = {p.data_ptr() for p in block.parameters()}
    saved = saved_for_backward(lambda: customgrad.checkpoint(block, x) if checkpointed else block(x))
    total = sum(t.numel() * t.element_size() for t in saved)
    activations = sum(t.numel() * t.element_size() for t in saved if t.data_ptr() not in params)
    return total, activations


def test_saved_bytes_fall_by_the_depth_of_the_block(saved_for_backward):
    block, x = deep_block(), torch.randn(BATCH, WIDTH, requires_grad=True)
    input_bytes = x.numel() * x.element_size()
    plain_total, plain_activations = measure_saved_bytes(saved_for_backward, block, x, checkpointed=False)
    ckpt_total, ckpt_activations = measure_saved_bytes(saved_for_backward, block, x, checkpointed=True)
    # Plain: each Linear keeps its input and weight, each Tanh its output: 2 * DEPTH activations.
    assert plain_activations == 2 * DEPTH * input_bytes
    assert plain_total == plain_activations + DEPTH * WIDTH * WIDTH * 4
    # Checkpointed: the input, nothing else.
    assert ckpt_total == ckpt_activations == input_bytes
    assert plain_activations / ckpt_activations >= DEPTH


def test_several_inputs_non_tensor_arguments_and_inputs_without_grad():
    x = torch.randn(5, 3, requires_grad=True)
    y = torch.randn(5, 3)  # does not require grad
    w = torch.randn(4, 3, requires_grad=True)

    def f(x, y, w, scale, mode):
        h = F.linear(torch.tanh(x * scale + y), w)
        return h.relu() if mode == "relu" else h.sigmoid()

    plain = torch.autograd.grad(f(x, y, w, 0.5, "relu").square().sum(), [x, w])
    out = customgrad.checkpoint(f, x, y, w, 0.5, "relu")
    ckpt = torch.autograd.grad(out.square().sum(), [x, w])
    for a, b in zip(ckpt, plain, strict=True):
        assert_close(a, b)
    assert customgrad.checkpoint(f, x.detach(), y, w.detach(), 0.5, "relu").grad_fn is None


def test_closure_parameters_get_gradients():
    """A tensor the function reaches through a closure gets its gradient accumulated in .grad."""
    w = torch.randn(3, 3, requires_grad=True)
    b = torch.randn(3, requires_grad=True)
    x = torch.randn(4, 3, requires_grad=True)

    def f(x):
        return torch.tanh(F.linear(x, w, b)).square()

    f(x).sum().backward()
    plain = [t.grad.clone() for t in (x, w, b)]
    for t in (x, w, b):
        t.grad = None
    customgrad.checkpoint(f, x).sum().backward()
    for t, expected in zip((x, w, b), plain, strict=True):
        assert_close(t.grad, expected)


def test_module_parameters_reach_autograd_grad_and_tuple_outputs():
    class TwoHeads(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(3, 2), nn.Linear(3, 2)

        def forward(self, x):
            return self.a(x).tanh(), self.b(x)

    m, x = TwoHeads(), torch.randn(4, 3, requires_grad=True)
    first, second = m(x)
    plain = torch.autograd.grad(first.sum() + 0 * second.sum(), [x, *m.parameters()], allow_unused=True)
    first, second = customgrad.checkpoint(m, x)
    ckpt = torch.autograd.grad(first.sum(), [x, *m.parameters()], allow_unused=True)
    for a, b in zip(ckpt, plain, strict=True):
        if a is None:
            assert not b.any()
        else:
            assert_close(a, b)


def test_dropout_sees_the_same_random_mask_when_recomputed():
    x = torch.randn(16, 8, requires_grad=True)

    def f(x):
        return TF.dropout(torch.sin(x), p=0.5, training=True) * x

    def grad_with(seed, checkpointed, **kwargs):
        torch.manual_seed(seed)
        y = customgrad.checkpoint(f, x, **kwargs) if checkpointed else f(x)
        (g,) = torch.autograd.grad(y.sum(), x)
        return y.detach(), g, torch.rand(1)  # the stream after backward continues as in the plain run

    plain = grad_with(0, False)
    ckpt = grad_with(0, True)
    for a, b in zip(ckpt, plain, strict=True):
        assert_close(a, b)
    _, unpreserved, _ = grad_with(0, True, preserve_rng_state=False)
    assert not torch.allclose(unpreserved, plain[1]), "without the replayed state the mask differs"


def test_double_backward_through_a_checkpointed_module():
    torch.manual_seed(0)
    block = torch.nn.Sequential(nn.Linear(3, 4, dtype=torch.float64), torch.nn.Tanh(),
                                nn.Linear(4, 2, dtype=torch.float64))
    x = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradgradcheck(lambda x: customgrad.checkpoint(block, x), [x])

    def hessian_vector(checkpointed):
        y = customgrad.checkpoint(block, x) if checkpointed else block(x)
        params = list(block.parameters())
        grads = torch.autograd.grad(y.sin().sum(), [x, *params], create_graph=True)
        return torch.autograd.grad(sum((g * g).sum() for g in grads), [x, *params])

    for a, b in zip(hessian_vector(True), hessian_vector(False), strict=True):
        assert_close(a, b)


def test_double_backward_through_a_closure_tensor():
    """A closure tensor is an input of the node, so its gradient has a graph to differentiate again."""
    w = torch.randn(3, 3, dtype=torch.float64, requires_grad=True)
    x = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)

    def f(x):
        return torch.tanh(x @ w)

    def second_order(y):
        gx, gw = torch.autograd.grad(y.sin().sum(), [x, w], create_graph=True)
        return torch.autograd.grad((gx * gx).sum() + (gw * gw).sum(), [x, w])

    for a, b in zip(second_order(customgrad.checkpoint(f, x)), second_order(f(x)), strict=True):
        assert_close(a, b)


def test_parameter_changed_in_place_before_backward_is_refused():
    block, x = deep_block(), torch.randn(2, WIDTH, requires_grad=True)
    y = customgrad.checkpoint(block, x)
    with torch.no_grad():
        block[0].weight.add_(1.0)
    with pytest.raises(RuntimeError, match="modified in place"):
        y.sum().backward()


def test_checkpoint_inside_a_training_step_with_customgrad_losses():
    torch.manual_seed(0)
    block = torch.nn.Sequential(nn.Linear(2, 16), torch.nn.Tanh(), nn.LayerNorm(16), nn.Linear(16, 3))
    x, labels = torch.randn(64, 2), torch.randint(0, 3, (64,))
    plain = torch.autograd.grad(F.cross_entropy(block(x), labels), list(block.parameters()))
    ckpt = torch.autograd.grad(F.cross_entropy(customgrad.checkpoint(block, x), labels), list(block.parameters()))
    for a, b in zip(ckpt, plain, strict=True):
        assert_close(a, b)


# --- gradients go exactly where they are asked for -------------------------------------------


def closure_and_module():
    """A function with a closure weight, and an nn.Module: each uses a tensor it is not given."""
    torch.manual_seed(0)
    w = torch.randn(3, 3, requires_grad=True)
    return (lambda x: torch.tanh(F.linear(x, w)), [w]), (nn.Linear(3, 3), None)


@pytest.mark.parametrize("case", ["closure", "module"])
@pytest.mark.parametrize("how", ["autograd.grad", "backward(inputs=)"])
def test_gradient_of_the_input_alone_writes_no_other_grad(case, how):
    """Asked for the gradient of x only, no .grad of the closure weight or module parameter changes."""
    (f, captured), (module, _) = closure_and_module()
    if case == "module":
        f, captured = module, list(module.parameters())
    x = torch.randn(4, 3, requires_grad=True)
    expected = torch.autograd.grad(f(x).square().sum(), x)[0]
    for ckpt in (lambda f, x: torch_checkpoint(f, x, use_reentrant=False), customgrad.checkpoint):
        y = ckpt(f, x)
        if how == "autograd.grad":
            (gx,) = torch.autograd.grad(y.square().sum(), x)
        else:
            x.grad = None
            y.square().sum().backward(inputs=[x])
            gx = x.grad
        assert_close(gx, expected)
        assert all(t.grad is None for t in captured), "a gradient nobody asked for reached .grad"


def test_gradient_of_a_closure_tensor_alone_through_autograd_grad():
    (f, (w,)), _ = closure_and_module()
    x = torch.randn(4, 3, requires_grad=True)
    expected = torch.autograd.grad(f(x).square().sum(), w)
    assert_close(torch.autograd.grad(customgrad.checkpoint(f, x).square().sum(), w), expected)
    assert x.grad is None and w.grad is None


def test_closure_tensor_gets_its_gradient_when_no_argument_requires_grad():
    (f, (w,)), _ = closure_and_module()
    x = torch.randn(4, 3)
    expected = torch.autograd.grad(f(x).sum(), w)
    y = customgrad.checkpoint(f, x)
    assert y.requires_grad == torch_checkpoint(f, x, use_reentrant=False).requires_grad == True
    assert_close(torch.autograd.grad(y.sum(), w), expected)


# --- torch's call signature -------------------------------------------------------------------


@pytest.mark.parametrize("use_reentrant", [False, True, None])
def test_use_reentrant_is_accepted_and_every_value_behaves_alike(use_reentrant, recwarn):
    """Every value gives the one behaviour, ``autograd.grad`` included, and ``None`` warns of nothing.

    Differences from torch pinned here: torch warns for ``None``, and refuses ``autograd.grad``
    under ``use_reentrant=True``.
    """
    (f, (w,)), _ = closure_and_module()
    x = torch.randn(4, 3, requires_grad=True)
    expected = torch.autograd.grad(f(x).sum(), [x, w])
    y = customgrad.checkpoint(f, x, use_reentrant=use_reentrant)
    assert_close(torch.autograd.grad(y.sum(), [x, w]), expected)
    assert not recwarn.list
    if use_reentrant is None:
        with pytest.warns(UserWarning, match="use_reentrant"):
            torch_checkpoint(f, x)
    if use_reentrant:
        with pytest.raises(RuntimeError, match="incompatible with .grad"):
            torch.autograd.grad(torch_checkpoint(f, x, use_reentrant=True).sum(), [x, w])


def test_keyword_arguments_reach_the_function_and_their_tensors_get_gradients():
    x, scale = torch.randn(4, 3, requires_grad=True), torch.randn(3, requires_grad=True)

    def f(x, *, scale, shift=0.0, mode="tanh"):
        return getattr(torch, mode)(x * scale + shift)

    plain = torch.autograd.grad(f(x, scale=scale, shift=1.0, mode="sin").sum(), [x, scale])
    for ckpt in (torch_checkpoint, customgrad.checkpoint):
        y = ckpt(f, x, use_reentrant=False, scale=scale, shift=1.0, mode="sin")
        assert_close(torch.autograd.grad(y.sum(), [x, scale]), plain)


def test_tensors_nested_in_list_and_dict_arguments_get_gradients():
    a, b = torch.randn(3, requires_grad=True), torch.randn(3, requires_grad=True)

    def f(pair, named):
        return pair[0].sin() * named["b"].cos() + pair[1]

    plain = torch.autograd.grad(f([a, 2.0], {"b": b}).sum(), [a, b])
    for ckpt in (torch_checkpoint, customgrad.checkpoint):
        assert_close(torch.autograd.grad(ckpt(f, [a, 2.0], {"b": b}, use_reentrant=False).sum(), [a, b]), plain)


def test_dropout_recomputes_identically_with_torch_keyword_arguments():
    x = torch.randn(16, 8, requires_grad=True)

    def f(x):
        return TF.dropout(torch.sin(x), p=0.5, training=True) * x

    def grad_of(ckpt):
        torch.manual_seed(0)
        y = ckpt(f, x, use_reentrant=False, preserve_rng_state=True)
        return y.detach(), torch.autograd.grad(y.sum(), x)[0]

    assert_close(grad_of(customgrad.checkpoint), grad_of(torch_checkpoint))


@pytest.mark.parametrize("argument, value", [("context_fn", lambda: (None, None)), ("debug", True),
                                             ("determinism_check", "sometimes")])
def test_unsupported_keyword_arguments_raise_naming_the_argument(argument, value):
    """Torch accepts a custom context_fn and debug=True (non-reentrant); ours raises for them, on purpose."""
    x = torch.randn(3, requires_grad=True)
    with pytest.raises(ValueError, match=argument):
        customgrad.checkpoint(torch.sin, x, use_reentrant=False, **{argument: value})


def test_default_keyword_values_and_early_stop_are_accepted():
    from torch.utils.checkpoint import noop_context_fn

    x = torch.randn(3, requires_grad=True)
    for kwargs in ({"context_fn": noop_context_fn, "debug": False}, {"determinism_check": "none"},
                   {"early_stop": False}, {"preserve_rng_state": False}):
        y = customgrad.checkpoint(torch.sin, x, use_reentrant=False, **kwargs)
        assert_close(torch.autograd.grad(y.sum(), x)[0], x.cos())


def test_determinism_check_refuses_a_recomputation_of_another_shape():
    calls = []

    def f(x):
        calls.append(1)
        return x[: len(calls) + 1].sin()

    x = torch.randn(5, requires_grad=True)
    with pytest.raises(RuntimeError, match="different outputs"):
        customgrad.checkpoint(f, x).sum().backward()


# --- outputs: the input itself, structures, non-tensors ---------------------------------------


def test_identity_returns_the_input_itself_as_torch_does():
    x = torch.randn(3, requires_grad=True)
    assert torch_checkpoint(lambda x: x, x, use_reentrant=False) is x
    y = customgrad.checkpoint(lambda x: x, x)
    assert y is x
    assert_close(torch.autograd.grad((y * 3).sum(), x)[0], torch.full((3,), 3.0))
    first, second = customgrad.checkpoint(lambda x: (x, x * 2), x)
    assert first is x
    assert_close(torch.autograd.grad((first + second).sum(), x)[0], torch.full((3,), 3.0))


def structured(x, w):
    """Lists, dicts and nested tuples of tensors, mixed with an int, None and the input itself."""
    h = torch.tanh(x @ w)
    return {"h": [h, h.square(), 7], "pair": ((h.sum(1), None), x), "n": None}


def test_list_dict_and_nested_tuple_outputs_give_the_plain_gradients():
    x, w = torch.randn(4, 3, requires_grad=True), torch.randn(3, 3, requires_grad=True)

    def loss(out):
        return out["h"][0].sin().sum() + out["h"][1].sum() + out["pair"][0][0].square().sum() + out["pair"][1].sum()

    plain = structured(x, w)
    expected = torch.autograd.grad(loss(plain), [x, w])
    for ckpt in (torch_checkpoint, customgrad.checkpoint):
        out = ckpt(structured, x, w, use_reentrant=False)
        assert out["h"][2] == 7 and out["pair"][0][1] is None and out["n"] is None and out["pair"][1] is x
        assert list(out) == list(plain) and len(out["h"]) == 3
        assert_close(torch.autograd.grad(loss(out), [x, w]), expected)


@pytest.mark.parametrize("make", [list, tuple])
def test_single_list_or_tuple_output_and_an_output_returned_twice(make):
    x = torch.randn(3, requires_grad=True)
    out = customgrad.checkpoint(lambda x: make([x.sin(), 2]), x)
    assert type(out) is make and out[1] == 2
    assert_close(torch.autograd.grad(out[0].sum(), x)[0], x.cos())
    def twice(x):
        y = x.sin()
        return y, y

    first, second = customgrad.checkpoint(twice, x)
    assert first is second
    assert_close(torch.autograd.grad(first.sum(), x)[0], x.cos())


def test_integer_output_tensors_do_not_require_grad():
    x = torch.randn(4, 3, requires_grad=True)
    values, indices = customgrad.checkpoint(lambda x: x.sin().max(dim=1), x)
    assert values.requires_grad and not indices.requires_grad
    assert_close(indices, x.sin().max(dim=1).indices)


def test_an_output_independent_of_the_inputs_requires_grad_unlike_torch():
    """Difference pinned: the forward records no graph, so every floating-point output requires grad."""
    x = torch.randn(3, requires_grad=True)

    def f(x):
        return x.sin(), torch.zeros(3)

    assert not torch_checkpoint(f, x, use_reentrant=False)[1].requires_grad
    _, zeros = customgrad.checkpoint(f, x)
    assert zeros.requires_grad
    (g,) = torch.autograd.grad(zeros.sum(), x, allow_unused=True)
    assert g is None


def test_under_no_grad_the_function_just_runs():
    x = torch.randn(3, requires_grad=True)
    with torch.no_grad():
        y = customgrad.checkpoint(torch.sin, x)
    assert y.grad_fn is None and not y.requires_grad


def test_closure_tensor_with_a_history_passes_its_gradient_on():
    """A closure tensor computed from a leaf (a weight made by weight norm, say): the leaf gets its gradient."""
    a, x = torch.randn(3, 3, requires_grad=True), torch.randn(2, 3, requires_grad=True)

    def grads(checkpointed):
        w = a * 2

        def f(x):
            return torch.tanh(x @ w)

        y = customgrad.checkpoint(f, x) if checkpointed else f(x)
        return torch.autograd.grad(y.sum(), [x, a])

    assert_close(grads(True), grads(False))


def test_closure_tensor_computed_from_another_closure_tensor_is_refused():
    """Both a and w = 2 * a through the closure: refused at the call; as an argument w is fine."""
    a, x = torch.randn(3, 3, requires_grad=True), torch.randn(2, 3, requires_grad=True)
    w = a * 2
    with pytest.raises(RuntimeError, match="as an argument"):
        customgrad.checkpoint(lambda x: x @ w + x @ a, x)
    with torch.no_grad():  # no graph, nothing to count twice
        assert_close(customgrad.checkpoint(lambda x: x @ w + x @ a, x), x @ w + x @ a)
    expected = torch.autograd.grad((x @ w + x @ a).sum(), [x, a], retain_graph=True)
    y = customgrad.checkpoint(lambda x, w: x @ w + x @ a, x, w)
    assert_close(torch.autograd.grad(y.sum(), [x, a]), expected)


def test_views_of_the_input_inside_and_as_outputs():
    """A view made inside the function is no closure tensor, and a view returned carries the gradient."""
    x = torch.randn(4, 3, requires_grad=True)

    def f(x):
        return x[:2].sin(), x[1:], x.t()

    def loss(out):
        return out[0].sum() + (out[1] * 3).sum() + out[2].square().sum()

    expected = torch.autograd.grad(loss(f(x)), x)
    for ckpt in (torch_checkpoint, customgrad.checkpoint):
        out = ckpt(f, x, use_reentrant=False)
        assert_close(torch.autograd.grad(loss(out), x), expected)


def test_a_view_output_modified_in_place_is_refused_unlike_torch():
    """Difference pinned: autograd refuses in-place changes to a view returned by any custom Function."""
    x = torch.randn(4, requires_grad=True)
    y = torch_checkpoint(lambda x: x[:2], x * 1, use_reentrant=False)
    y.mul_(2)
    assert_close(torch.autograd.grad(y.sum(), x)[0], torch.tensor([2.0, 2.0, 0.0, 0.0]))
    y = customgrad.checkpoint(lambda x: x[:2], x * 1)
    with pytest.raises(RuntimeError, match="is a view and is being modified inplace"):
        y.mul_(2)


def test_closure_over_the_output_of_another_graph_as_torch():
    """A decoder layer (with dropout) called through a closure over the encoder's output (a tensor with a history)."""
    encoder = torch.nn.Linear(4, 4)
    decoder = torch.nn.TransformerDecoderLayer(4, 2, 8, dropout=0.1, batch_first=True)
    src, tgt = torch.randn(2, 5, 4), torch.randn(2, 3, 4, requires_grad=True)
    params = [tgt, *encoder.parameters(), *decoder.parameters()]

    def grads(ckpt):
        torch.manual_seed(1)
        memory = encoder(src)

        def f(t):
            return decoder(t, memory=memory)

        y = ckpt(f, tgt, use_reentrant=False) if ckpt else f(tgt)
        return torch.autograd.grad(y.square().sum(), params)

    expected = grads(None)
    for ckpt in (torch_checkpoint, customgrad.checkpoint):
        assert_close(grads(ckpt), expected)


def test_checkpointed_module_with_a_keyword_tensor_argument():
    class Gated(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(4, 4)

        def forward(self, x, *, gate):
            return self.linear(x) * gate

    m, x, gate = Gated(), torch.randn(3, 4, requires_grad=True), torch.randn(4, requires_grad=True)
    tensors = [x, gate, *m.parameters()]
    expected = torch.autograd.grad(m(x, gate=gate).sum(), tensors)
    assert_close(torch.autograd.grad(customgrad.checkpoint(m, x, gate=gate).sum(), tensors), expected)


def test_the_node_does_not_keep_the_outputs_alive():
    """Only the inputs stay in memory: an output the loss does not need is freed with its last reference."""
    x = torch.randn(3, requires_grad=True)
    out = customgrad.checkpoint(lambda x: {"y": x.sin() * 2, "n": 1}, x)
    loss, alive = out["y"].sum(), weakref.ref(out["y"])
    del out
    assert alive() is None
    assert_close(torch.autograd.grad(loss, x)[0], 2 * x.cos())
