"""LeakyReLU beyond the generic twin checks: other slopes, the slope's own rules, in place, memory, the Module."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as TF
from torch.testing import assert_close

import customgrad.functional as F
from customgrad import nn
from customgrad.functions import LeakyReLUFunction

# Settings besides the registry's one (negative_slope=0.2): the default, zero, negative and above one.
VARIANTS = [{}, {"negative_slope": 0.0}, {"negative_slope": -0.5}, {"negative_slope": 1.5}]
VARIANT_IDS = [",".join(f"{k}={v}" for k, v in kw.items()) or "default" for kw in VARIANTS]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("kwargs", VARIANTS, ids=VARIANT_IDS)
def test_variant_matches_torch_on_random_and_edge_values(kwargs, dtype, assert_variant_matches_torch):
    assert_variant_matches_torch(F.leaky_relu, TF.leaky_relu, kwargs, (0.0,), dtype)


@pytest.mark.parametrize("kwargs", VARIANTS, ids=VARIANT_IDS)
def test_variant_gradcheck_gradgradcheck_jvp_vmap(kwargs, assert_variant_passes_gradcheck_jvp_vmap):
    assert_variant_passes_gradcheck_jvp_vmap(F.leaky_relu, TF.leaky_relu, kwargs)


def test_double_backward_equals_torch(assert_double_backward_equals_torch):
    assert_double_backward_equals_torch(F.leaky_relu, TF.leaky_relu, {"negative_slope": 0.2})


def test_non_tensor_slope_gets_none_gradient():
    """A number handed to forward has no gradient: backward returns None for it (and for ``inplace``)."""
    x = torch.tensor([-1.0, 2.0, -3.0], requires_grad=True)
    y = LeakyReLUFunction.apply(x, 0.01)
    grads = y.grad_fn.apply(torch.ones(3))  # what our backward returns, one entry per input
    assert len(grads) == 3 and grads[1] is None and grads[2] is None
    assert_close(grads[0], torch.tensor([0.01, 1.0, 0.01]))
    y.sum().backward()
    assert_close(x.grad, torch.tensor([0.01, 1.0, 0.01]))


def test_function_default_slope_is_0_01():
    x = torch.tensor([-1.0, 2.0, -3.0], requires_grad=True)
    y = LeakyReLUFunction.apply(x)
    assert_close(y, torch.tensor([-0.01, 2.0, -0.03]))
    y.sum().backward()
    assert_close(x.grad, torch.tensor([0.01, 1.0, 0.01]))


def test_slope_is_a_number_like_torch():
    """A 0-d tensor slope is read as a number; one that requires grad is refused, as by torch."""
    x = torch.randn(10, requires_grad=True)
    assert_close(F.leaky_relu(x, torch.tensor(0.2)), TF.leaky_relu(x, torch.tensor(0.2)))
    for fn in (F.leaky_relu, TF.leaky_relu):
        with pytest.raises(TypeError, match="negative_slope"):
            fn(x, torch.tensor(0.2, requires_grad=True))


def test_inplace_with_negative_slope_cannot_backward_like_torch():
    for f in (F.leaky_relu, TF.leaky_relu):
        x = torch.randn(5, requires_grad=True)
        y = f(x * 1, negative_slope=-0.1, inplace=True)  # the forward works, as torch's does
        with pytest.raises(RuntimeError, match="negative"):
            y.sum().backward()


SAVED = [{}, {"negative_slope": -0.2}, {"inplace": True}]


@pytest.mark.parametrize("kwargs", SAVED, ids=[str(k) for k in SAVED])
def test_saves_no_more_bytes_than_torch(kwargs, saved_bytes):
    x = torch.randn(1000, requires_grad=True)
    ours, theirs = (saved_bytes(fn, x * 1, **kwargs) for fn in (F.leaky_relu, TF.leaky_relu))
    assert 0 < ours <= theirs


@pytest.mark.parametrize("dtype", [torch.int64, torch.int32, torch.bool])
def test_integer_and_bool_input_refused_like_torch(dtype):
    x = torch.tensor([-1, 0, 1]).to(dtype)
    with pytest.raises(NotImplementedError):
        TF.leaky_relu(x)
    with pytest.raises(NotImplementedError, match="floating-point"):
        F.leaky_relu(x)


@pytest.mark.parametrize(("args", "kwargs"), [((), {}), ((0.2,), {"inplace": True})], ids=["()", "(0.2,)inplace"])
def test_module_repr_state_dict_and_output_like_torch(args, kwargs, assert_module_and_gradients_like_torch):
    assert_module_and_gradients_like_torch(nn.LeakyReLU(*args, **kwargs), torch.nn.LeakyReLU(*args, **kwargs))


def test_inplace_module_returns_the_same_tensor():
    x = torch.randn(10) * 4
    expected = torch.nn.LeakyReLU()(x.clone())
    y = nn.LeakyReLU(inplace=True)(x)
    assert y is x and y.data_ptr() == x.data_ptr()
    assert_close(x, expected)


@pytest.mark.parametrize("dtype", [torch.float16, torch.float32, torch.float64])
@pytest.mark.parametrize("slope", [float("inf"), float("-inf"), float("nan"), 1e10, -3.0, 1.5])
def test_any_slope_like_torch(slope, dtype):
    """Slopes outside [0, 1], infinite, nan or beyond the dtype's range: positive inputs keep slope 1."""
    x = torch.tensor([-1.0, 0.0, 2.0], dtype=dtype, requires_grad=True)
    ours, theirs = F.leaky_relu(x, slope), TF.leaky_relu(x, slope)
    assert_close(ours, theirs, equal_nan=True)
    (g_ours,) = torch.autograd.grad(ours.sum(), x)
    (g_theirs,) = torch.autograd.grad(theirs.sum(), x)
    assert_close(g_ours, g_theirs, equal_nan=True)
    assert g_ours[2] == 1


# Mutation testing (README "Mutation testing"): a slope of exactly the dtype's largest value is kept,
# not rounded to infinity (only a slope beyond it is).
def test_slope_at_the_dtype_maximum_like_torch():
    slope = float(torch.finfo(torch.float32).max)
    grads = []
    for fn in (F.leaky_relu, TF.leaky_relu):
        x = torch.tensor([-2.0, -0.5, 0.0, 1.0], requires_grad=True)
        grads.append(torch.autograd.grad(fn(x, slope).sum(), x)[0])
    assert_close(grads[0], grads[1])


def test_forward_ad_at_the_largest_slope_matches_torch():
    """A slope of exactly the dtype's largest number stays that number in the formula (jvp), as in torch."""
    import torch.autograd.forward_ad as fwAD

    slope = torch.finfo(torch.float32).max
    results = []
    for fn in (F.leaky_relu, TF.leaky_relu):
        with fwAD.dual_level():
            out = fn(fwAD.make_dual(torch.tensor([-1.0, 2.0]), torch.tensor([1.0, 1.0])), slope)
            results.append(fwAD.unpack_dual(out).tangent)
    assert torch.equal(results[0], results[1]) and results[0][0] == slope
