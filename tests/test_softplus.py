"""Softplus beyond the generic twin checks: other beta and threshold settings, stability, the switch, memory, the Module."""

from __future__ import annotations

import math
import warnings

import pytest
import torch
import torch.nn.functional as TF
from torch.testing import assert_close

import customgrad.functional as F
from customgrad import nn

# (settings, kinks) besides the registry's one (beta=2, threshold=15): the default and small thresholds.
VARIANTS = [
    ({}, (20.0,)),
    ({"beta": 0.5, "threshold": 1.0}, (2.0,)),
    ({"beta": 10.0, "threshold": 5.0}, (0.5,)),
]
VARIANT_IDS = [",".join(f"{k}={v}" for k, v in kw.items()) or "default" for kw, _ in VARIANTS]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(("kwargs", "kinks"), VARIANTS, ids=VARIANT_IDS)
def test_variant_matches_torch_on_random_and_edge_values(kwargs, kinks, dtype, assert_variant_matches_torch):
    assert_variant_matches_torch(F.softplus, TF.softplus, kwargs, kinks, dtype)


@pytest.mark.parametrize(("kwargs", "kinks"), VARIANTS, ids=VARIANT_IDS)
def test_variant_gradcheck_gradgradcheck_jvp_vmap(kwargs, kinks, assert_variant_passes_gradcheck_jvp_vmap):
    assert_variant_passes_gradcheck_jvp_vmap(F.softplus, TF.softplus, kwargs)


def test_double_backward_equals_torch(assert_double_backward_equals_torch):
    assert_double_backward_equals_torch(F.softplus, TF.softplus, {"beta": 2.0, "threshold": 15.0})


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("beta", [0.5, 1.0, 2.0, 10.0])
def test_is_stable_far_out(beta, dtype, tol):
    x = torch.tensor([-1e4, -100.0, -30.0, 30.0, 100.0, 1e4], dtype=dtype, requires_grad=True)
    y = F.softplus(x, beta=beta)
    (g,) = torch.autograd.grad(y.sum(), x)
    assert torch.isfinite(y).all() and torch.isfinite(g).all()
    assert_close(y, TF.softplus(x.detach(), beta=beta), **tol[dtype])
    assert_close(g, torch.sigmoid(beta * x.detach()).where(beta * x.detach() <= 20, 1.0), **tol[dtype])
    assert g[0] == 0 and g[-1] == 1


def test_threshold_switch_is_torchs(fresh, forward_backward):
    """At beta * x == threshold the sigmoid branch still applies; one step above, the slope is 1."""
    for dtype in (torch.float32, torch.float64):
        k = torch.tensor(7.5, dtype=dtype)
        x = torch.stack([k, torch.nextafter(k, k + 1), torch.nextafter(k, k - 1)]).requires_grad_()
        ours = forward_backward(F.softplus, fresh((x,)), {"beta": 2.0, "threshold": 15.0})
        theirs = forward_backward(TF.softplus, fresh((x,)), {"beta": 2.0, "threshold": 15.0})
        assert torch.equal(ours[0], theirs[0])
        assert_close(ours[1][0], theirs[1][0], rtol=0, atol=torch.finfo(dtype).eps)


def test_large_threshold_stays_finite_where_torch_float32_does_not():
    """torch's kernel divides exp(beta x) by itself plus one; past float32's exp range that is nan."""
    x = torch.tensor([90.0, 95.0], requires_grad=True)
    (ours,) = torch.autograd.grad(F.softplus(x, threshold=200.0).sum(), x)
    (theirs,) = torch.autograd.grad(TF.softplus(x, threshold=200.0).sum(), x)
    assert torch.equal(ours, torch.ones(2))
    assert theirs.isnan().all()  # documents the difference; ours is the sigmoid, 1 here


@pytest.mark.parametrize("kwargs", [{}, {"beta": 2.0}], ids=str)
def test_saves_no_more_bytes_than_torch(kwargs, saved_bytes):
    x = torch.randn(1000, requires_grad=True)
    ours, theirs = (saved_bytes(fn, x * 1, **kwargs) for fn in (F.softplus, TF.softplus))
    assert 0 < ours <= theirs


@pytest.mark.parametrize("dtype", [torch.int64, torch.int32, torch.bool])
def test_integer_and_bool_input_refused_like_torch(dtype):
    x = torch.tensor([-1, 0, 1]).to(dtype)
    with pytest.raises(NotImplementedError):
        TF.softplus(x)
    with pytest.raises(NotImplementedError, match="floating-point"):
        F.softplus(x)


@pytest.mark.parametrize("args", [(), (2.0, 10.0)], ids=str)
def test_module_repr_state_dict_and_output_like_torch(args, assert_module_and_gradients_like_torch):
    assert_module_and_gradients_like_torch(nn.Softplus(*args), torch.nn.Softplus(*args))


def test_tensor_settings_are_read_as_numbers_without_a_warning():
    x = torch.randn(5, dtype=torch.float64, requires_grad=True)
    settings = dict(beta=torch.tensor(2.0), threshold=torch.tensor(3.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = F.softplus(x, **settings)
        (g_ours,) = torch.autograd.grad(ours.sum(), x)
    theirs = TF.softplus(x, **settings)
    (g_theirs,) = torch.autograd.grad(theirs.sum(), x)
    assert_close(ours, theirs)
    assert_close(g_ours, g_theirs)


@pytest.mark.parametrize("beta", [0.5, 2.0, 3.0])
def test_beta_at_moderate_inputs_under_the_default_threshold(beta):
    """The common case: beta != 1, |beta x| well below the default threshold of 20."""
    x = (torch.linspace(-4, 4, 17, dtype=torch.float64)).requires_grad_()
    assert torch.autograd.gradcheck(lambda t: F.softplus(t, beta=beta), (x,))
    (ours,) = torch.autograd.grad(F.softplus(x, beta=beta).sum(), x)
    (theirs,) = torch.autograd.grad(TF.softplus(x, beta=beta).sum(), x)
    assert_close(ours, theirs, rtol=1e-14, atol=0)


# Mutation testing (README "Mutation testing"): a beta other than 1 with the default threshold in
# float32, where the threshold pass is skipped (sigmoid(20) already rounds to 1): the fast path too.
@pytest.mark.parametrize("beta", [2.0, 0.5])
def test_float32_default_threshold_with_beta_like_torch(beta):
    x = torch.linspace(-30, 30, 61, dtype=torch.float32)
    g = torch.linspace(-2, 2, 61, dtype=torch.float32)
    grads = []
    for fn in (F.softplus, TF.softplus):
        xx = x.clone().requires_grad_()
        grads.append(torch.autograd.grad(fn(xx, beta=beta), xx, g)[0])
    assert_close(grads[0], grads[1])


def test_threshold_at_the_exp_limit_stays_finite():
    """At x = threshold = log(float32 max) torch's kernel overflows exp(x) and gives nan; ours gives 1."""
    limit = math.log(torch.finfo(torch.float32).max)
    x = torch.tensor([limit], requires_grad=True)
    (ours,) = torch.autograd.grad(F.softplus(x, threshold=limit).sum(), x)
    (theirs,) = torch.autograd.grad(TF.softplus(x, threshold=limit).sum(), x)
    assert torch.equal(ours, torch.ones(1)) and theirs.isnan().all()
