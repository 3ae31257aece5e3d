"""ELU beyond the generic twin checks: other alphas, saturation, the kink, in place, memory, the Module."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as TF
from torch.testing import assert_close

import customgrad.functional as F
from customgrad import nn

# Settings besides the registry's one (alpha=1.5): the default, zero, small, large and negative.
VARIANTS = [{}, {"alpha": 0.0}, {"alpha": 0.3}, {"alpha": 3.0}, {"alpha": -0.7}]
VARIANT_IDS = [",".join(f"{k}={v}" for k, v in kw.items()) or "default" for kw in VARIANTS]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("kwargs", VARIANTS, ids=VARIANT_IDS)
def test_variant_matches_torch_on_random_and_edge_values(kwargs, dtype, assert_variant_matches_torch):
    assert_variant_matches_torch(F.elu, TF.elu, kwargs, (0.0,), dtype)


@pytest.mark.parametrize("kwargs", VARIANTS, ids=VARIANT_IDS)
def test_variant_gradcheck_gradgradcheck_jvp_vmap(kwargs, assert_variant_passes_gradcheck_jvp_vmap):
    assert_variant_passes_gradcheck_jvp_vmap(F.elu, TF.elu, kwargs)


@pytest.mark.parametrize("kwargs", [{}, {"alpha": 1.5}], ids=str)
def test_double_backward_equals_torch(kwargs, assert_double_backward_equals_torch):
    assert_double_backward_equals_torch(F.elu, TF.elu, kwargs)


@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0, 2.0])
def test_saturates_at_minus_alpha_with_zero_gradient(alpha):
    x = torch.tensor([-1e30, -1000.0, -50.0], dtype=torch.float64, requires_grad=True)
    y = F.elu(x, alpha=alpha)
    (g,) = torch.autograd.grad(y.sum(), x)
    assert torch.equal(y.detach(), torch.full((3,), -alpha, dtype=torch.float64))
    assert torch.equal(g, torch.zeros(3, dtype=torch.float64))


@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0, 2.0])
def test_kink_takes_alpha_and_a_tiny_positive_input_takes_one(alpha):
    x = torch.tensor([0.0, -0.0, 1e-300, 5e-324], dtype=torch.float64, requires_grad=True)
    for fn in (F.elu, TF.elu):
        (g,) = torch.autograd.grad(fn(x, alpha=alpha).sum(), x)
        assert g.tolist() == [alpha, alpha, 1.0, 1.0]


def test_inplace_with_negative_alpha_cannot_backward_like_torch():
    for f in (F.elu, TF.elu):
        x = torch.randn(5, requires_grad=True)
        y = f(x * 1, alpha=-1.0, inplace=True)  # the forward works, as torch's does
        with pytest.raises(RuntimeError, match="negative"):
            y.sum().backward()


@pytest.mark.parametrize("kwargs", [{}, {"alpha": 0.5}], ids=str)
def test_inplace_forward_ad_updates_the_tangent_in_place(kwargs, assert_inplace_forward_ad_like_torch):
    assert_inplace_forward_ad_like_torch(F.elu, TF.elu, kwargs)


SAVED = [{}, {"alpha": -0.5}, {"inplace": True}]


@pytest.mark.parametrize("kwargs", SAVED, ids=[str(k) for k in SAVED])
def test_saves_no_more_bytes_than_torch(kwargs, saved_bytes):
    x = torch.randn(1000, requires_grad=True)
    ours, theirs = (saved_bytes(fn, x * 1, **kwargs) for fn in (F.elu, TF.elu))
    assert 0 < ours <= theirs


@pytest.mark.parametrize("dtype", [torch.int64, torch.int32, torch.bool])
def test_integer_and_bool_input_refused_like_torch(dtype):
    x = torch.tensor([-1, 0, 1]).to(dtype)
    with pytest.raises(NotImplementedError):
        TF.elu(x)
    with pytest.raises(NotImplementedError, match="floating-point"):
        F.elu(x)


@pytest.mark.parametrize(("args", "kwargs"), [((), {}), ((0.5,), {"inplace": True})], ids=["()", "(0.5,)inplace"])
def test_module_repr_state_dict_and_output_like_torch(args, kwargs, assert_module_and_gradients_like_torch):
    assert_module_and_gradients_like_torch(nn.ELU(*args, **kwargs), torch.nn.ELU(*args, **kwargs))


def test_inplace_module_returns_the_same_tensor():
    x = torch.randn(10) * 4
    expected = torch.nn.ELU()(x.clone())
    y = nn.ELU(inplace=True)(x)
    assert y is x and y.data_ptr() == x.data_ptr()
    assert_close(x, expected)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
@pytest.mark.parametrize("alpha", [1.3, 0.5, 2.0, 1e5])
def test_low_precision_gradient_like_torch(alpha, dtype):
    """float16/bfloat16 with alpha != 1: exactly 1 above zero, torch's rounding below, no overflow error."""
    x = torch.tensor([-2.0, -0.5, 0.0, 0.5, 3.0, float("-inf"), float("inf")], dtype=dtype, requires_grad=True)
    (ours,) = torch.autograd.grad(F.elu(x, alpha).sum(), x)
    (theirs,) = torch.autograd.grad(TF.elu(x, alpha).sum(), x)
    assert torch.equal(ours[x > 0], torch.ones_like(ours[x > 0]))
    assert_close(ours, theirs, rtol=0, atol=0)


# Mutation testing (README "Mutation testing"): the low-precision backward multiplies by the incoming
# gradient too; a backward of sum() alone (gradient 1) cannot tell.
@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
@pytest.mark.parametrize("alpha", [1.0, 0.5])
def test_low_precision_gradient_scales_with_the_incoming_gradient_like_torch(alpha, dtype):
    x = torch.tensor([-2.0, -0.5, 0.0, 0.5, 3.0], dtype=dtype, requires_grad=True)
    g = torch.tensor([0.5, -3.0, 2.0, -0.25, 4.0], dtype=dtype)
    (ours,) = torch.autograd.grad(F.elu(x, alpha), x, g)
    (theirs,) = torch.autograd.grad(TF.elu(x, alpha), x, g)
    assert_close(ours, theirs, rtol=0, atol=0)
