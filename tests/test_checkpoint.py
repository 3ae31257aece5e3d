"""customgrad.checkpoint: same gradients as the plain run, far fewer bytes saved for backward."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as TF
from torch.testing import assert_close

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


def test_double_backward_with_a_closure_tensor_says_why_it_cannot():
    w = torch.randn(3, 3, requires_grad=True)
    x = torch.randn(2, 3, requires_grad=True)
    y = customgrad.checkpoint(lambda x: torch.tanh(x @ w), x)
    with pytest.raises(RuntimeError, match="come from a closure"):
        torch.autograd.grad(y.sum(), x, create_graph=True)


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
