"""PReLU beyond the generic twin checks: input and weight shapes, the weight's gradient, errors, memory, the Module."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as TF
from torch.testing import assert_close

import customgrad.functional as F
from customgrad import nn
from customgrad.verify import edge_points

PRELU_SHAPES = [  # (input shape, weight shape)
    ((5, 3), (3,)),
    ((4, 3, 6), (3,)),
    ((2, 3, 4, 5), (3,)),
    ((2, 3, 4, 5), (1,)),
    ((2, 3, 4, 5), ()),
    ((7,), (1,)),
    ((7,), ()),
    ((), (1,)),
    ((), ()),
    ((0, 3), (3,)),
    ((2, 1, 3), (1,)),
]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(("xshape", "wshape"), PRELU_SHAPES, ids=[f"{x}-{w}" for x, w in PRELU_SHAPES])
def test_shapes_match_torch(xshape, wshape, dtype, fresh, forward_backward, tol):
    x = (torch.randn(xshape, dtype=dtype) * 3).requires_grad_()
    w = (torch.rand(wshape, dtype=dtype) * 1.5 - 0.5).requires_grad_()
    ours = forward_backward(F.prelu, fresh((x, w)), {})
    theirs = forward_backward(TF.prelu, fresh((x, w)), {})
    assert ours[0].shape == theirs[0].shape
    assert_close(ours[0], theirs[0], **tol[dtype])
    assert ours[1][1].shape == w.shape  # the slopes' gradient is reduced to the weight's shape
    for a, b in zip(ours[1], theirs[1], strict=True):
        assert_close(a, b, **tol[dtype])


def test_weight_gradient_is_the_sum_over_batch_and_space():
    x = torch.randn(4, 3, 5, dtype=torch.float64, requires_grad=True)
    w = torch.tensor([0.1, -0.2, 0.7], dtype=torch.float64, requires_grad=True)
    g = torch.randn(4, 3, 5, dtype=torch.float64)
    gx, gw = torch.autograd.grad(F.prelu(x, w), (x, w), g)
    expected = (g * x.detach().clamp(max=0)).sum(dim=(0, 2))
    assert_close(gw, expected)
    assert_close(gx, torch.where(x > 0, g, g * w.detach()[:, None]))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("wshape", [(1,), (3,)])
def test_edge_values_match_torch(wshape, dtype, fresh, forward_backward, tol):
    """0, +-tiny, +-huge, +-inf, nan down the batch dimension, with negative and positive slopes."""
    e = edge_points(dtype, kinks=(0.0,))
    x = e[:, None].expand(-1, 3).contiguous().requires_grad_()  # (N, 3)
    w = torch.tensor([0.25, -0.4, 1.3], dtype=dtype)[: wshape[0]].requires_grad_()
    ours = forward_backward(F.prelu, fresh((x, w)), {})
    theirs = forward_backward(TF.prelu, fresh((x, w)), {})
    assert_close(ours[0], theirs[0], equal_nan=True, **tol[dtype])
    for a, b in zip(ours[1], theirs[1], strict=True):
        assert_close(a, b, equal_nan=True, **tol[dtype])


def test_channels_last_and_strided_inputs(fresh, forward_backward):
    w = torch.rand(3, dtype=torch.float64, requires_grad=True)
    for x in (torch.randn(2, 3, 4, 5, dtype=torch.float64).to(memory_format=torch.channels_last),
              torch.randn(4, 6, 5, dtype=torch.float64)[::2, ::2]):
        x.requires_grad_()
        a = forward_backward(F.prelu, fresh((x, w)), {})
        b = forward_backward(TF.prelu, fresh((x, w)), {})
        assert_close(a[0], b[0])
        for p, q in zip(a[1], b[1], strict=True):
            assert_close(p, q)
        assert torch.autograd.gradcheck(F.prelu, (x, w))


def test_only_the_weight_requires_grad():
    x = torch.randn(4, 3)
    w = torch.full((3,), 0.25, requires_grad=True)
    F.prelu(x, w).sum().backward()
    assert_close(w.grad, x.clamp(max=0).sum(0))


def test_forward_ad_through_the_weight():
    x = torch.randn(4, 3, 2, dtype=torch.float64)
    w = torch.rand(3, dtype=torch.float64)
    tx, tw = torch.randn_like(x), torch.randn_like(w)
    assert_close(torch.func.jvp(F.prelu, (x, w), (tx, tw)), torch.func.jvp(TF.prelu, (x, w), (tx, tw)))
    assert_close(torch.func.jvp(lambda v: F.prelu(x, v), (w,), (tw,)),
                 torch.func.jvp(lambda v: TF.prelu(x, v), (w,), (tw,)))


PRELU_ERRORS = [
    (torch.randn(2, 3), torch.randn(4), RuntimeError, r"4 slopes .* 3 channel"),
    (torch.randn(5), torch.randn(3), RuntimeError, r"3 slopes .* 1 channel"),
    (torch.randn(()), torch.randn(3), RuntimeError, r"0-d input takes a single slope"),
    (torch.randn(2, 3), torch.randn(1, 3), RuntimeError, r"0-d or 1-d"),
    (torch.randn(2, 3), torch.randn(3, dtype=torch.float64), RuntimeError, r"does not promote"),
    (torch.arange(6).view(2, 3), torch.arange(3), NotImplementedError, r"floating-point"),
    (torch.randn(2, 3), [0.25], TypeError, r"weight"),
]


@pytest.mark.parametrize(("x", "w", "error", "message"), PRELU_ERRORS)
def test_refuses_what_torch_refuses(x, w, error, message):
    with pytest.raises(error):
        TF.prelu(x, w)
    with pytest.raises(error, match=message):
        F.prelu(x, w)


def test_saves_no_more_bytes_than_torch(saved_bytes):
    x = torch.randn(10, 3, 7, requires_grad=True)
    w = torch.rand(3, requires_grad=True)
    assert saved_bytes(F.prelu, x, w) <= saved_bytes(TF.prelu, x, w)


@pytest.mark.parametrize(("args", "kwargs"), [((), {}), ((3,), {"init": 0.1})], ids=["()", "(3,)init=0.1"])
def test_module_repr_state_dict_and_output_like_torch(args, kwargs, assert_module_and_gradients_like_torch):
    assert_module_and_gradients_like_torch(nn.PReLU(*args, **kwargs), torch.nn.PReLU(*args, **kwargs))


def test_state_dict_loads_into_torch_and_back():
    ours, theirs = nn.PReLU(3), torch.nn.PReLU(3)
    with torch.no_grad():
        ours.weight.copy_(torch.tensor([0.1, 0.2, 0.3]))
    theirs.load_state_dict(ours.state_dict())
    assert torch.equal(theirs.weight, ours.weight)
    with torch.no_grad():
        theirs.weight.mul_(-1)
    ours.load_state_dict(theirs.state_dict())
    assert torch.equal(ours.weight, torch.tensor([-0.1, -0.2, -0.3]))
    x = torch.randn(2, 3, 4)
    assert_close(ours(x), theirs(x))


def test_module_learns_its_slopes_in_a_short_training_loop():
    torch.manual_seed(0)
    true_slopes = torch.tensor([0.7, -0.3, 0.05])
    x = torch.randn(256, 3, 4)
    target = torch.where(x > 0, x, true_slopes[:, None] * x)
    model = nn.PReLU(3)
    before = model.weight.detach().clone()
    optimiser = torch.optim.SGD(model.parameters(), lr=0.5)
    losses = []
    for _ in range(60):
        optimiser.zero_grad()
        loss = (model(x) - target).square().mean()
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    assert not torch.equal(model.weight.detach(), before)
    assert losses[-1] < 1e-3 * losses[0]
    assert_close(model.weight.detach(), true_slopes, atol=1e-2, rtol=0)


def test_jvp_with_a_plain_weight_is_the_slope_at_minus_infinity_and_nan():
    """Regression: forward AD hands jvp a zero tangent for a weight that is not a dual tensor, and
    min(x, 0) * 0 was nan at x = -inf and at nan, where torch's jvp gives tangent * slope."""
    import torch.autograd.forward_ad as fwAD

    x = torch.tensor([-math.inf, math.nan, -2.0, 3.0], dtype=torch.float64)
    w = torch.tensor([0.25], dtype=torch.float64)
    with fwAD.dual_level():
        ours = fwAD.unpack_dual(F.prelu(fwAD.make_dual(x, torch.full_like(x, 0.5)), w)).tangent
        theirs = fwAD.unpack_dual(TF.prelu(fwAD.make_dual(x, torch.full_like(x, 0.5)), w)).tangent
    assert ours.tolist() == theirs.tolist() == [0.125, 0.125, 0.125, 0.5]
    # a nonzero weight tangent still contributes min(x, 0) * tangent, infinite at -inf as torch's
    tw = torch.tensor([2.0], dtype=torch.float64)
    assert_close(torch.func.jvp(F.prelu, (x, w), (torch.full_like(x, 0.5), tw)),
                 torch.func.jvp(TF.prelu, (x, w), (torch.full_like(x, 0.5), tw)), equal_nan=True)
