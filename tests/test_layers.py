"""Linear and LayerNorm beyond the generic twin checks: shapes, broadcasting, errors, memory, modules."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as TF
from torch.testing import assert_close

import customgrad.functional as F
import customgrad.functions as fn
from customgrad import nn

from _grad_helpers import assert_same_as_torch, saved_for_backward, train


# --- linear -------------------------------------------------------------------------


def test_seed_linear_then_relu_example():
    """Seed 002's "Neural Network Layer" example with only the imports changed."""
    from customgrad.functions import LinearFunction as Linear
    from customgrad.functions import ReLUFunction as ReLU

    x = torch.tensor([[1.0, 2.0, 3.0]], requires_grad=True)  # [1, 3]
    W = torch.tensor([[0.5, 0.5, 0.5], [1.0, 1.0, 1.0]], requires_grad=True)  # [2, 3]
    b = torch.tensor([[0.1, 0.2]], requires_grad=True)  # [1, 2]
    linear_out = Linear.apply(x, W, b)  # [1, 2]
    activation_out = ReLU.apply(linear_out)
    loss = activation_out.sum()
    loss.backward()

    x2, W2, b2 = (t.detach().clone().requires_grad_() for t in (x, W, b))
    TF.relu(x2 @ W2.T + b2).sum().backward()
    assert_close(linear_out, x2 @ W2.T + b2)
    assert_close(x.grad, x2.grad)
    assert_close(W.grad, W2.grad)
    assert_close(b.grad, b2.grad)
    assert b.grad.shape == (1, 2)


def test_seed_complete_network_example():
    """Seed 002's "Complete Neural Network Example": Linear, then the learnable SiLU."""
    if not hasattr(fn, "LearnedSiLUFunction"):
        pytest.skip("LearnedSiLUFunction lands with the smooth-activations section")
    from customgrad.functions import LearnedSiLUFunction as LearnedSiLU
    from customgrad.functions import LinearFunction as Linear

    x = torch.tensor([[2.0, 2.0, 2.0]], requires_grad=True)
    W = torch.tensor([[3.0, 3.0, 3.0], [1.0, 1.0, 1.0]], requires_grad=True)
    b = torch.tensor([[-5.0, -12.0]], requires_grad=True)
    slope = torch.tensor([-1.0], requires_grad=True)
    linear_output = Linear.apply(x, W, b)
    final_output = LearnedSiLU.apply(linear_output, slope)
    final_output.sum().backward()

    leaves = [t.detach().clone().requires_grad_() for t in (x, W, b, slope)]
    h = leaves[0] @ leaves[1].T + leaves[2]
    (leaves[3] * h * torch.sigmoid(h)).sum().backward()
    for ours, theirs in zip((x, W, b, slope), leaves):
        assert_close(ours.grad, theirs.grad)


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
def test_linear_shapes_match_torch(x_shape, w_shape, b_shape, dtype):
    tensors = [torch.randn(x_shape, dtype=dtype), torch.randn(w_shape, dtype=dtype)]
    tensors.append(None if b_shape is None else torch.randn(b_shape, dtype=dtype))
    tol = {} if dtype == torch.float64 else dict(rtol=1e-5, atol=1e-5)
    assert_same_as_torch(F.linear, TF.linear, tensors, **tol)
    assert_same_as_torch(lambda *t: fn.LinearFunction.apply(*t), TF.linear, tensors, **tol)


@pytest.mark.parametrize("x_shape, w_shape, b_shape", [p.values for p in LINEAR_SHAPES if len(p.values[0]) < 4][:10])
def test_linear_gradcheck_and_gradgradcheck_odd_shapes(x_shape, w_shape, b_shape):
    tensors = [torch.randn(x_shape, dtype=torch.float64, requires_grad=True),
               torch.randn(w_shape, dtype=torch.float64, requires_grad=True)]
    if b_shape is not None:
        tensors.append(torch.randn(b_shape, dtype=torch.float64, requires_grad=True))
    assert torch.autograd.gradcheck(F.linear, tensors, check_forward_ad=True)
    assert torch.autograd.gradgradcheck(F.linear, tensors)


@pytest.mark.parametrize("x_shape, w_shape, b_shape", [((2, 1, 3), (2, 3), (1, 2)), ((2, 3), (3,), None)])
def test_linear_vmap_and_jacobian_match_torch(x_shape, w_shape, b_shape):
    """Seed-style (1, out) bias and a 1-D weight under torch.func (vmap over the batch, jacrev)."""
    x, w = torch.randn(x_shape, dtype=torch.float64), torch.randn(w_shape, dtype=torch.float64)
    b = None if b_shape is None else torch.randn(b_shape, dtype=torch.float64)
    ours = torch.func.vmap(lambda row: F.linear(row, w, b))(x)
    assert_close(ours, torch.func.vmap(lambda row: TF.linear(row, w, b))(x))
    jacobians = [torch.func.jacrev(linear, argnums=(0, 1))(x, w, b) for linear in (F.linear, TF.linear)]
    assert_close(*jacobians)


def test_linear_non_contiguous_and_integer_like_torch():
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
def test_linear_raises_like_torch(args):
    with pytest.raises(RuntimeError) as theirs:
        TF.linear(*args)
    with pytest.raises(RuntimeError) as ours:
        F.linear(*args)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("position", [0, 1, 2])
def test_linear_non_tensor_argument_raises_type_error(position):
    args = [torch.randn(2, 3), torch.randn(4, 3), torch.randn(4)]
    args[position] = args[position].tolist()
    with pytest.raises(TypeError, match="must be Tensor"):
        F.linear(*args)


def test_linear_saves_only_what_the_gradients_need():
    x, W, b = torch.randn(8, 3), torch.randn(2, 3), torch.randn(2)
    both = saved_for_backward(lambda: F.linear(x.requires_grad_(), W.requires_grad_(), b.requires_grad_()))
    assert len(both) == 2 and both[0] is x and both[1] is W
    only_input = saved_for_backward(lambda: F.linear(x.detach().requires_grad_(), W.detach(), b.detach()))
    assert len(only_input) == 1 and only_input[0].shape == W.shape
    only_bias = saved_for_backward(lambda: F.linear(x.detach(), W.detach(), b.detach().requires_grad_()))
    assert only_bias == []


def test_linear_module_matches_torch_init_repr_and_state_dict():
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


def test_linear_module_factory_kwargs():
    m = nn.Linear(3, 2, dtype=torch.float64, device="cpu")
    assert m.weight.dtype == torch.float64 and m.bias.dtype == torch.float64
    assert m(torch.randn(4, 3, dtype=torch.float64)).dtype == torch.float64


def test_linear_module_learns():
    torch.manual_seed(0)
    x = torch.randn(64, 4)
    y = x @ torch.tensor([[1.0, -2.0, 0.5, 3.0]]).T + 0.7
    losses = train(nn.Linear(4, 1), lambda m: F.mse_loss(m(x), y), steps=60, lr=0.1)
    assert losses[-1] < 1e-3 * losses[0]


# --- layer_norm ---------------------------------------------------------------------

LN_CASES = [
    pytest.param((4, 5), (5,), True, True, id="2d"),
    pytest.param((2, 3, 4), (3, 4), True, True, id="two-normalized-dims"),
    pytest.param((2, 3, 4), (2, 3, 4), True, True, id="whole-tensor"),
    pytest.param((5,), (5,), True, True, id="1d"),
    pytest.param((2, 3, 4), (4,), False, False, id="no-affine"),
    pytest.param((2, 3, 4), (4,), True, False, id="weight-only"),
    pytest.param((2, 3, 4), (4,), False, True, id="bias-only"),
    pytest.param((0, 4), (4,), True, True, id="empty-batch"),
    pytest.param((3, 0), (0,), True, True, id="empty-normalized"),
    pytest.param((3, 1), (1,), True, True, id="single-element"),
]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("shape, normalized_shape, affine_w, affine_b", LN_CASES)
def test_layer_norm_matches_torch(shape, normalized_shape, affine_w, affine_b, dtype):
    x = torch.randn(shape, dtype=dtype) * 3 + 1
    w = torch.randn(normalized_shape, dtype=dtype) if affine_w else None
    b = torch.randn(normalized_shape, dtype=dtype) if affine_b else None
    tol = {} if dtype == torch.float64 else dict(rtol=1e-5, atol=1e-5)
    if shape[-1] == 1 and dtype == torch.float32:
        # One element per row: x_hat is exactly 0 here, while torch's fused float32 kernel leaves
        # rounding noise of order 1e-5 in it (times rstd = 1/sqrt(eps)) in the weight gradient.
        tol = dict(rtol=1e-5, atol=1e-3)
    assert_same_as_torch(lambda x, w, b: F.layer_norm(x, normalized_shape, w, b),
                         lambda x, w, b: TF.layer_norm(x, normalized_shape, w, b), [x, w, b], **tol)


def test_layer_norm_large_offset_and_non_contiguous():
    x = (torch.randn(6, 8, dtype=torch.float64) + 1e6).t()
    w, b = torch.randn(6, dtype=torch.float64), torch.randn(6, dtype=torch.float64)
    assert_same_as_torch(lambda *t: F.layer_norm(t[0], [6], *t[1:]),
                         lambda *t: TF.layer_norm(t[0], [6], *t[1:]), [x, w, b], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_double_backward_matches_torch(affine):
    """Second derivatives (the statistics are recomputed with a graph) equal torch's."""
    x = torch.randn(3, 4, 5, dtype=torch.float64)
    w = torch.randn(4, 5, dtype=torch.float64) if affine else None
    v = torch.randn(3, 4, 5, dtype=torch.float64)

    def second(layer_norm):
        xx = x.clone().requires_grad_()
        ww = None if w is None else w.clone().requires_grad_()
        y = layer_norm(xx, (4, 5), ww, None)
        (gx,) = torch.autograd.grad((y * v).sum(), xx, create_graph=True)
        leaves = [xx] + ([ww] if affine else [])
        return torch.autograd.grad((gx * gx.detach().sin()).sum(), leaves)

    for a, b in zip(second(F.layer_norm), second(TF.layer_norm), strict=True):
        assert_close(a, b)


def test_layer_norm_saves_statistics_not_a_normalized_copy():
    x = torch.randn(64, 32, requires_grad=True)
    w, b = torch.randn(32, requires_grad=True), torch.randn(32, requires_grad=True)
    saved = saved_for_backward(lambda: F.layer_norm(x, [32], w, b))
    assert saved[0] is x and saved[1] is w
    assert [tuple(t.shape) for t in saved[2:]] == [(64, 1), (64, 1)]
    y, mean, rstd = fn.LayerNormFunction.apply(x, (32,), w, b, 1e-5)
    assert not mean.requires_grad and not rstd.requires_grad
    assert_close(mean.squeeze(1), x.mean(1))


LN_ERRORS = [
    pytest.param((torch.randn(2, 3, 4), (3,)), RuntimeError, id="shape-mismatch"),
    pytest.param((torch.randn(2, 3, 4), (1, 2, 3, 4)), RuntimeError, id="shape-too-long"),
    pytest.param((torch.randn(2, 3, 4), ()), RuntimeError, id="empty-normalized-shape"),
    pytest.param((torch.randn(2, 4), (4,), torch.ones(3)), RuntimeError, id="weight-shape"),
    pytest.param((torch.randn(2, 4), (4,), torch.ones(1, 4)), RuntimeError, id="weight-2d"),
    pytest.param((torch.randn(2, 4), (4,), torch.ones(4), torch.ones(3)), RuntimeError, id="bias-shape"),
    pytest.param((torch.randn(2, 4), (4,), torch.ones(4).double()), RuntimeError, id="weight-dtype"),
    pytest.param((torch.ones(2, 4, dtype=torch.long), (4,)), NotImplementedError, id="integer-input"),
    pytest.param((torch.randn(2, 4), 4), TypeError, id="int-normalized-shape"),
    pytest.param((torch.randn(2, 4), (4.0,)), TypeError, id="float-in-normalized-shape"),
    pytest.param(([1.0, 2.0], (2,)), TypeError, id="list-input"),
    pytest.param((torch.randn(2, 4), (4,), [1.0] * 4), TypeError, id="list-weight"),
]


@pytest.mark.parametrize("args, error", LN_ERRORS)
def test_layer_norm_raises_like_torch(args, error):
    with pytest.raises(error):
        TF.layer_norm(*args)
    with pytest.raises(error):
        F.layer_norm(*args)


def test_layer_norm_module_like_torch():
    for kwargs in ({}, {"elementwise_affine": False}, {"bias": False}, {"eps": 1e-3}):
        ours, theirs = nn.LayerNorm((3, 4), **kwargs), torch.nn.LayerNorm((3, 4), **kwargs)
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        for a, b in zip(ours.state_dict().values(), theirs.state_dict().values()):
            assert torch.equal(a, b)
    assert repr(nn.LayerNorm(7)) == repr(torch.nn.LayerNorm(7))
    m = nn.LayerNorm(4, dtype=torch.float64)
    assert m.weight.dtype == torch.float64
    theirs = torch.nn.LayerNorm(4)
    with torch.no_grad():
        theirs.weight.uniform_()
        theirs.bias.uniform_()
    m = nn.LayerNorm(4)
    m.load_state_dict(theirs.state_dict())
    x = torch.randn(5, 4)
    assert_close(m(x), theirs(x))


def test_layer_norm_module_learns_scale_and_shift():
    torch.manual_seed(0)
    x = torch.randn(128, 6)
    target = TF.layer_norm(x, [6]) * torch.linspace(0.5, 2.0, 6) + torch.linspace(-1.0, 1.0, 6)
    losses = train(nn.LayerNorm(6), lambda m: F.mse_loss(m(x), target), steps=100, lr=2.0)
    assert losses[-1] < 0.01 * losses[0]
