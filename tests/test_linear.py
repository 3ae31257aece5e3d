"""Linear beyond the generic twin checks: shapes and broadcasting, torch.func, errors, memory, the Module."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as TF
from torch.testing import assert_close

import customgrad.functional as F
import customgrad.functions as fn
from customgrad import nn

LINEAR_SHAPES = [
    pytest.param((3,), (2, 3), None, id="1d-input"),
    pytest.param((3,), (2, 3), (2,), id="1d-input-bias"),
    pytest.param((4, 3), (2, 3), (2,), id="2d"),
    pytest.param((4, 3), (2, 3), (1, 2), id="bias-1xout"),
    pytest.param((4, 3), (2, 3), (4, 2), id="bias-full-output"),
    pytest.param((4, 3), (2, 3), (), id="bias-0dim"),
    pytest.param((2, 5, 3), (2, 3), (2,), id="3d"),
    pytest.param((2, 2, 5, 3), (4, 3), (1, 4), id="4d-bias-1xout"),
    pytest.param((4, 3), (3,), None, id="1d-weight"),
    pytest.param((3,), (3,), None, id="1d-input-1d-weight"),
    pytest.param((0, 3), (2, 3), (2,), id="empty-batch"),
    pytest.param((4, 0), (2, 0), (2,), id="zero-in-features"),
]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("x_shape, w_shape, b_shape", LINEAR_SHAPES)
def test_shapes_match_torch(x_shape, w_shape, b_shape, dtype, assert_same_as_torch):
    tensors = [torch.randn(x_shape, dtype=dtype), torch.randn(w_shape, dtype=dtype)]
    tensors.append(None if b_shape is None else torch.randn(b_shape, dtype=dtype))
    tol = {} if dtype == torch.float64 else dict(rtol=1e-5, atol=1e-5)
    assert_same_as_torch(F.linear, TF.linear, tensors, **tol)
    assert_same_as_torch(lambda *t: fn.LinearFunction.apply(*t), TF.linear, tensors, **tol)


@pytest.mark.parametrize("x_shape, w_shape, b_shape", [p.values for p in LINEAR_SHAPES if len(p.values[0]) < 4][:10])
def test_gradcheck_and_gradgradcheck_odd_shapes(x_shape, w_shape, b_shape):
    tensors = [torch.randn(x_shape, dtype=torch.float64, requires_grad=True),
               torch.randn(w_shape, dtype=torch.float64, requires_grad=True)]
    if b_shape is not None:
        tensors.append(torch.randn(b_shape, dtype=torch.float64, requires_grad=True))
    assert torch.autograd.gradcheck(F.linear, tensors, check_forward_ad=True)
    assert torch.autograd.gradgradcheck(F.linear, tensors)


@pytest.mark.parametrize("x_shape, w_shape, b_shape", [((2, 1, 3), (2, 3), (1, 2)), ((2, 3), (3,), None)])
def test_vmap_and_jacobian_match_torch(x_shape, w_shape, b_shape):
    """A (1, out) bias and a 1-D weight under torch.func (vmap over the batch, jacrev)."""
    x, w = torch.randn(x_shape, dtype=torch.float64), torch.randn(w_shape, dtype=torch.float64)
    b = None if b_shape is None else torch.randn(b_shape, dtype=torch.float64)
    ours = torch.func.vmap(lambda row: F.linear(row, w, b))(x)
    assert_close(ours, torch.func.vmap(lambda row: TF.linear(row, w, b))(x))
    jacobians = [torch.func.jacrev(linear, argnums=(0, 1))(x, w, b) for linear in (F.linear, TF.linear)]
    assert_close(*jacobians)


def test_non_contiguous_and_integer_like_torch(assert_same_as_torch):
    x, W = torch.randn(6, 4).t(), torch.randn(8, 6)[::2]
    assert_same_as_torch(F.linear, TF.linear, [x, W, torch.randn(4)])
    xi, Wi = torch.arange(6).reshape(2, 3), torch.arange(6).reshape(2, 3)
    assert torch.equal(F.linear(xi, Wi), TF.linear(xi, Wi))


LINEAR_ERRORS = [
    pytest.param((torch.randn(5, 4), torch.randn(2, 3)), id="in-features-mismatch"),
    pytest.param((torch.randn(2, 5, 4), torch.randn(2, 3)), id="in-features-mismatch-3d"),
    pytest.param((torch.randn(4), torch.randn(2, 3)), id="in-features-mismatch-1d"),
    pytest.param((torch.tensor(1.0), torch.randn(2, 3)), id="0-dim-input"),
    pytest.param((torch.randn(5, 3), torch.randn(2, 2, 3)), id="3d-weight"),
    pytest.param((torch.randn(5, 3), torch.randn(2, 3), torch.randn(3)), id="bias-wrong-size"),
    pytest.param((torch.randn(1, 3), torch.randn(2, 3), torch.randn(4, 2)), id="bias-larger-than-output"),
    pytest.param((torch.randn(5, 3), torch.randn(3), torch.randn(())), id="bias-with-1d-weight"),
    pytest.param((torch.randn(5, 3), torch.randn(2, 3).double()), id="dtype-mismatch"),
    pytest.param((torch.randn(5, 3), torch.randn(2, 3), torch.randn(2).double()), id="bias-dtype-mismatch"),
]


@pytest.mark.parametrize("args", LINEAR_ERRORS)
def test_raises_like_torch(args):
    with pytest.raises(RuntimeError) as theirs:
        TF.linear(*args)
    with pytest.raises(RuntimeError) as ours:
        F.linear(*args)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("position", [0, 1, 2])
def test_non_tensor_argument_raises_type_error(position):
    args = [torch.randn(2, 3), torch.randn(4, 3), torch.randn(4)]
    args[position] = args[position].tolist()
    with pytest.raises(TypeError, match="must be Tensor"):
        F.linear(*args)


def test_saves_only_what_the_gradients_need(saved_for_backward):
    x, W, b = torch.randn(8, 3), torch.randn(2, 3), torch.randn(2)
    both = saved_for_backward(lambda: F.linear(x.requires_grad_(), W.requires_grad_(), b.requires_grad_()))
    assert len(both) == 2 and both[0] is x and both[1] is W
    only_input = saved_for_backward(lambda: F.linear(x.detach().requires_grad_(), W.detach(), b.detach()))
    assert len(only_input) == 1 and only_input[0].shape == W.shape
    only_bias = saved_for_backward(lambda: F.linear(x.detach(), W.detach(), b.detach().requires_grad_()))
    assert only_bias == []


def test_module_matches_torch_init_repr_and_state_dict():
    torch.manual_seed(3)
    ours = nn.Linear(5, 3)
    torch.manual_seed(3)
    theirs = torch.nn.Linear(5, 3)
    assert repr(ours) == repr(theirs)
    assert repr(nn.Linear(5, 3, bias=False)) == repr(torch.nn.Linear(5, 3, bias=False))
    for (k1, v1), (k2, v2) in zip(ours.state_dict().items(), theirs.state_dict().items(), strict=True):
        assert k1 == k2 and torch.equal(v1, v2)
    other = torch.nn.Linear(5, 3)
    ours.load_state_dict(other.state_dict())
    x = torch.randn(4, 5)
    assert_close(ours(x), other(x))
    theirs.load_state_dict(nn.Linear(5, 3).state_dict())
    assert list(nn.Linear(5, 3, bias=False).state_dict()) == ["weight"]


def test_module_factory_kwargs():
    m = nn.Linear(3, 2, dtype=torch.float64, device="cpu")
    assert m.weight.dtype == torch.float64 and m.bias.dtype == torch.float64
    assert m(torch.randn(4, 3, dtype=torch.float64)).dtype == torch.float64


def test_module_learns(train):
    torch.manual_seed(0)
    x = torch.randn(64, 4)
    y = x @ torch.tensor([[1.0, -2.0, 0.5, 3.0]]).T + 0.7
    losses = train(nn.Linear(4, 1), lambda m: F.mse_loss(m(x), y), steps=60, lr=0.1)
    assert losses[-1] < 1e-3 * losses[0]


@pytest.mark.parametrize("with_bias", [True, False])
@pytest.mark.parametrize("x_shape", [(4,), (3, 4), (2, 3, 4)])
def test_complex_gradients_take_the_conjugate_like_torch(x_shape, with_bias):
    x = torch.randn(x_shape, dtype=torch.complex128, requires_grad=True)
    w = torch.randn(2, 4, dtype=torch.complex128, requires_grad=True)
    args = (x, w, torch.randn(2, dtype=torch.complex128, requires_grad=True)) if with_bias else (x, w)
    assert torch.autograd.gradcheck(F.linear, args)
    assert torch.autograd.gradgradcheck(F.linear, args)
    upstream = torch.randn(*x_shape[:-1], 2, dtype=torch.complex128)
    ours = torch.autograd.grad(F.linear(*args), args, upstream)
    theirs = torch.autograd.grad(TF.linear(*args), args, upstream)
    for a, b in zip(ours, theirs, strict=True):
        assert_close(a, b)
