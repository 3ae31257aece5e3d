"""GELU beyond the generic twin checks: the tanh approximation, known points, subnormals, errors, memory, the Module."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as TF
from torch.testing import assert_close

import customgrad.functional as F
from customgrad import nn


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_tanh_approximation_matches_torch_on_random_and_edge_values(dtype):
    """As torch's, except where torch's gradient is nan at a huge finite or infinite x (x^2
    overflows there): ours is the limit, 1 or 0 (on purpose, see GELUFunction)."""
    from customgrad.verify import edge_points

    tol = {torch.float32: dict(rtol=1e-5, atol=1e-6), torch.float64: dict(rtol=1e-7, atol=1e-10)}[dtype]  # conftest's

    random = (torch.randn(6, 7, dtype=dtype) * 4).reshape(-1)
    for x in (random, edge_points(dtype, ())):
        x = x.detach().requires_grad_()
        ours, theirs = F.gelu(x, approximate="tanh"), TF.gelu(x, approximate="tanh")
        assert_close(ours, theirs, equal_nan=True, **tol)
        (g_ours,) = torch.autograd.grad(ours.sum(), x)
        (g_theirs,) = torch.autograd.grad(theirs.sum(), x)
        differ = g_theirs.isnan() & ~x.isnan()
        assert torch.equal(g_ours[differ], (x[differ] > 0).to(dtype))
        assert (x[differ].abs() > 1e19).all()  # only where x^2 overflows
        assert_close(g_ours[~differ], g_theirs[~differ], equal_nan=True, **tol)


def test_tanh_approximation_gradcheck_gradgradcheck_jvp_vmap(assert_variant_passes_gradcheck_jvp_vmap):
    assert_variant_passes_gradcheck_jvp_vmap(F.gelu, TF.gelu, {"approximate": "tanh"})


@pytest.mark.parametrize("kwargs", [{}, {"approximate": "tanh"}], ids=str)
def test_double_backward_equals_torch(kwargs, assert_double_backward_equals_torch):
    assert_double_backward_equals_torch(F.gelu, TF.gelu, kwargs)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_both_approximations_at_known_points(approximate):
    x = torch.tensor([0.0, 1.0, -1.0, 10.0, -10.0], dtype=torch.float64, requires_grad=True)
    y = F.gelu(x, approximate=approximate)
    (g,) = torch.autograd.grad(y.sum(), x)
    assert y[0] == 0 and g[0] == 0.5  # Phi(0) = 1/2
    assert g[3] == 1 and abs(g[4]) < 1e-20  # saturated, no overflow
    phi1 = math.exp(-0.5) / math.sqrt(2 * math.pi)
    exact = 0.5 * (1 + math.erf(1 / math.sqrt(2))) + phi1
    assert abs(g[1].item() - exact) < (1e-15 if approximate == "none" else 1e-3)


def test_subnormal_inputs_have_slope_one_half():
    x = torch.tensor([1e-45, -1e-45, 3e-45, 1e-40], requires_grad=True)
    F.gelu(x).sum().backward()
    assert_close(x.grad, torch.full((4,), 0.5))


@pytest.mark.parametrize("bad", ["fast", "Tanh", ""])
def test_unknown_approximate_names_the_value(bad):
    with pytest.raises(RuntimeError):
        TF.gelu(torch.randn(3), approximate=bad)
    with pytest.raises(RuntimeError, match=repr(bad)):
        F.gelu(torch.randn(3), approximate=bad)
    with pytest.raises(RuntimeError, match=repr(bad)):
        nn.GELU(bad)(torch.randn(3))


def test_non_string_approximate_is_a_type_error():
    for fn in (F.gelu, TF.gelu):
        with pytest.raises(TypeError):
            fn(torch.randn(3), approximate=None)


@pytest.mark.parametrize("kwargs", [{}, {"approximate": "tanh"}], ids=str)
def test_saves_no_more_bytes_than_torch(kwargs, saved_bytes):
    x = torch.randn(1000, requires_grad=True)
    ours, theirs = (saved_bytes(fn, x * 1, **kwargs) for fn in (F.gelu, TF.gelu))
    assert 0 < ours <= theirs


@pytest.mark.parametrize("dtype", [torch.int64, torch.int32, torch.bool])
def test_integer_and_bool_input_refused_like_torch(dtype):
    x = torch.tensor([-1, 0, 1]).to(dtype)
    with pytest.raises(NotImplementedError):
        TF.gelu(x)
    with pytest.raises(NotImplementedError, match="floating-point"):
        F.gelu(x)


@pytest.mark.parametrize("kwargs", [{}, {"approximate": "tanh"}], ids=str)
def test_module_repr_state_dict_and_output_like_torch(kwargs, assert_module_and_gradients_like_torch):
    assert_module_and_gradients_like_torch(nn.GELU(**kwargs), torch.nn.GELU(**kwargs))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_tanh_gradient_is_exactly_one_or_zero_far_out_where_its_cubic_used_to_overflow(dtype):
    """Regression: z = 2 beta (x + kappa x^3) overflowed from |x| ~ 9.4e102 (float64) / 1.2e13
    (float32), and inf - inf made the backward, the jvp and the double backward nan."""
    big = [25.0, 1e4, 2e13, 1e30, 3e38] + ([1e103, 1e155, 1e300] if dtype == torch.float64 else [])
    x = torch.tensor(big + [-v for v in big] + [math.inf, -math.inf], dtype=dtype, requires_grad=True)
    want = torch.tensor([1.0] * len(big) + [0.0] * len(big) + [1.0, 0.0], dtype=dtype)
    (grad,) = torch.autograd.grad(F.gelu(x, approximate="tanh"), x, torch.ones_like(x), create_graph=True)
    assert torch.equal(grad.detach(), want)
    (second,) = torch.autograd.grad(grad.sum(), x)
    assert torch.equal(second, torch.zeros_like(x))
    _, tangent = torch.func.jvp(lambda v: F.gelu(v, approximate="tanh"), (x.detach(),), (torch.ones_like(x),))
    assert torch.equal(tangent, want)
    # on purpose unlike torch, whose tanh backward is nan once x^2 overflows (|x| > 1.34e154 in float64)
    (torch_grad,) = torch.autograd.grad(TF.gelu(x, approximate="tanh").sum(), x)
    assert torch_grad[-2].isnan() and torch_grad[-1].isnan()
