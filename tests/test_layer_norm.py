"""LayerNorm beyond the generic twin checks: shapes, affine choices, double backward, errors, memory, the Module."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as TF
from torch.testing import assert_close

import customgrad.functional as F
import customgrad.functions as fn
from customgrad import nn

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
def test_matches_torch(shape, normalized_shape, affine_w, affine_b, dtype, assert_same_as_torch):
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


def test_large_offset_and_non_contiguous(assert_same_as_torch):
    x = (torch.randn(6, 8, dtype=torch.float64) + 1e6).t()
    w, b = torch.randn(6, dtype=torch.float64), torch.randn(6, dtype=torch.float64)
    assert_same_as_torch(lambda *t: F.layer_norm(t[0], [6], *t[1:]),
                         lambda *t: TF.layer_norm(t[0], [6], *t[1:]), [x, w, b], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("affine", [True, False])
def test_double_backward_matches_torch(affine):
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


def test_saves_statistics_not_a_normalized_copy(saved_for_backward):
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
def test_raises_like_torch(args, error):
    with pytest.raises(error):
        TF.layer_norm(*args)
    with pytest.raises(error):
        F.layer_norm(*args)


def test_module_like_torch():
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


def test_module_learns_scale_and_shift(train):
    torch.manual_seed(0)
    x = torch.randn(128, 6)
    target = TF.layer_norm(x, [6]) * torch.linspace(0.5, 2.0, 6) + torch.linspace(-1.0, 1.0, 6)
    losses = train(nn.LayerNorm(6), lambda m: F.mse_loss(m(x), target), steps=100, lr=2.0)
    assert losses[-1] < 0.01 * losses[0]
