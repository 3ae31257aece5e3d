"""LearnedSiLU beyond the generic twin checks: the slope's broadcasting and gradient, complex inputs, learning, the Module."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as TF
from torch.autograd import gradcheck
from torch.testing import assert_close

import customgrad.functional as F
from customgrad import nn
from customgrad.functions import LearnedSiLUFunction
from customgrad.twins import TWINS

TWIN = TWINS["learned_silu"]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_fast_and_recorded_backward_agree(dtype, assert_fast_and_recorded_backward_agree):
    assert_fast_and_recorded_backward_agree(TWIN, dtype)


def test_slope_must_be_a_tensor():
    with pytest.raises(TypeError, match="slope"):
        F.learned_silu(torch.randn(3), 0.5)


def test_complex_input_refuses_autograd_like_torch_silu():
    zg = torch.randn(4, dtype=torch.complex128).requires_grad_()
    message = "silu does not support automatic differentiation for outputs with complex dtype"
    with pytest.raises(RuntimeError, match=message):
        F.learned_silu(zg, torch.ones(1))


def test_complex_slope_on_real_input_like_composite(input_grads):
    x = torch.randn(5, dtype=torch.float64, requires_grad=True)
    slope = torch.randn(1, dtype=torch.complex128, requires_grad=True)
    assert_close(input_grads(F.learned_silu, (x, slope), False),
                 input_grads(lambda a, s: s * TF.silu(a), (x, slope), False))
    assert gradcheck(LearnedSiLUFunction.apply, (x, slope), check_forward_ad=True)
    assert torch.autograd.gradgradcheck(LearnedSiLUFunction.apply, (x, slope))


@pytest.mark.parametrize(
    "x_shape, slope_shape",
    [((4, 5), ()), ((4, 5), (1,)), ((4, 5), (5,)), ((4, 5), (4, 1)), ((5,), (2, 1, 5)), ((), (3,))],
)
def test_gradients_reduce_to_each_shape(x_shape, slope_shape, input_grads):
    x = torch.randn(x_shape, dtype=torch.float64, requires_grad=True)
    slope = torch.randn(slope_shape, dtype=torch.float64, requires_grad=True)
    ours = input_grads(F.learned_silu, (x, slope), create_graph=False)
    theirs = input_grads(lambda a, s: s * TF.silu(a), (x, slope), create_graph=False)
    assert ours[0].shape == x.shape and ours[1].shape == slope.shape
    assert_close(ours, theirs)
    assert gradcheck(LearnedSiLUFunction.apply, (x, slope))
    assert torch.autograd.gradgradcheck(LearnedSiLUFunction.apply, (x, slope))


def test_only_slope_or_only_input_needs_grad():
    x = torch.randn(3, 4)
    slope = torch.tensor([1.5], requires_grad=True)
    F.learned_silu(x, slope).sum().backward()
    assert_close(slope.grad, TF.silu(x).sum().reshape(1))
    x.requires_grad_()
    y = F.learned_silu(x, slope.detach())
    y.sum().backward()
    s = torch.sigmoid(x.detach())
    assert_close(x.grad, 1.5 * s * (1 + x.detach() * (1 - s)))


def test_slope_learns():
    torch.manual_seed(0)
    x = torch.randn(256, 8)
    target = 2.5 * TF.silu(x)
    model = nn.LearnedSiLU(init=0.5)
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    losses = []
    for _ in range(40):
        opt.zero_grad()
        loss = ((model(x) - target) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 1e-6 * losses[0]
    assert model.slope.item() == pytest.approx(2.5, abs=1e-3)


def test_module_per_channel_slope():
    m = nn.LearnedSiLU(num_parameters=3, init=0.25)
    x = torch.randn(2, 3, 5, requires_grad=True)
    y = m(x)
    slope = m.slope.detach().clone().requires_grad_()
    xr = x.detach().clone().requires_grad_()
    yr = slope.view(1, 3, 1) * TF.silu(xr)
    assert_close(y, yr)
    g = torch.randn_like(y)
    y.backward(g)
    yr.backward(g)
    assert_close(m.slope.grad, slope.grad)
    assert_close(x.grad, xr.grad)
    with pytest.raises(RuntimeError, match="num_parameters=3"):
        m(torch.randn(2, 4, 5))
    with pytest.raises(RuntimeError, match="num_parameters=3"):
        m(torch.randn(3))


def test_module_keeps_shape_of_0_dim_input():
    assert nn.LearnedSiLU()(torch.tensor(1.0)).shape == ()


def test_module_repr_state_dict_and_init():
    m = nn.LearnedSiLU(num_parameters=4, init=0.3, dtype=torch.float64)
    assert repr(m) == "LearnedSiLU(num_parameters=4, init=0.3)"
    assert list(m.state_dict()) == ["slope"]
    assert m.slope.shape == (4,) and m.slope.dtype == torch.float64
    assert torch.equal(m.slope.detach(), torch.full((4,), 0.3, dtype=torch.float64))
    assert repr(nn.LearnedSiLU()) == "LearnedSiLU(num_parameters=1, init=1.0)"


# Mutation testing (README "Mutation testing"): the jvp's tangent must itself be differentiable
# (reverse-over-forward), so its formula runs out of place; a plain jvp cannot tell.
def test_jvp_tangent_is_differentiable_like_torch():
    import torch.autograd.forward_ad as fwAD

    def grads(fn):
        x = torch.linspace(-6, 6, 13, dtype=torch.float64, requires_grad=True)
        t = torch.linspace(-1, 2, 13, dtype=torch.float64, requires_grad=True)
        slope = torch.tensor(1.7, dtype=torch.float64)
        with fwAD.dual_level():
            tangent = fwAD.unpack_dual(fn(fwAD.make_dual(x, t), slope)).tangent
        return tangent, torch.autograd.grad((tangent * torch.arange(13)).sum(), (x, t))

    (ours, ours_grads), (theirs, theirs_grads) = grads(F.learned_silu), grads(lambda x, a: a * TF.silu(x))
    assert_close(ours, theirs)
    for a, b in zip(ours_grads, theirs_grads, strict=True):
        assert_close(a, b)


@pytest.mark.parametrize("x_dtype, slope_dtype", [(torch.float32, torch.float64), (torch.float64, torch.float32)])
def test_mixed_dtypes_promote_like_the_composite(x_dtype, slope_dtype):
    """A slope of another dtype than the input: the formula path (ATen's kernel wants one dtype), same as torch."""
    x = torch.randn(6, dtype=x_dtype, requires_grad=True)
    slope = torch.tensor([0.7], dtype=slope_dtype, requires_grad=True)
    ours = torch.autograd.grad(F.learned_silu(x, slope).sum(), (x, slope))
    x2, s2 = x.detach().clone().requires_grad_(), slope.detach().clone().requires_grad_()
    theirs = torch.autograd.grad((s2 * TF.silu(x2)).sum(), (x2, s2))
    for a, b in zip(ours, theirs):
        assert a.dtype == b.dtype
        assert_close(a, b)
