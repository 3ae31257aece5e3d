"""Hardswish beyond the generic twin checks: the kinks, in place (views, torch.func, compile), memory, the Module."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as TF
from torch.testing import assert_close

import customgrad.functional as F
from customgrad import nn
from customgrad.functions import HardSwishFunction


def test_double_backward_equals_torch(assert_double_backward_equals_torch):
    assert_double_backward_equals_torch(F.hardswish, TF.hardswish, {})


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32, torch.float64])
def test_is_exact_at_and_beside_the_kinks(dtype):
    k = torch.tensor([-3.0, 3.0], dtype=dtype)
    x0 = torch.cat([k, torch.nextafter(k, k + 1), torch.nextafter(k, k - 1)])
    outputs, slopes = [], []
    for fn in (F.hardswish, TF.hardswish):
        x = x0.clone().requires_grad_()
        y = fn(x)
        outputs.append(y.detach())
        slopes.append(torch.autograd.grad(y.sum(), x)[0])
    assert torch.equal(outputs[0], outputs[1])
    assert slopes[0][:2].tolist() == [0.0, 1.0]  # torch's convention at -3 and 3
    assert_close(slopes[0], slopes[1], rtol=0, atol=2 * torch.finfo(dtype).eps)


def test_inplace_apply_returns_the_input_only():
    x = torch.randn(6, dtype=torch.float64, requires_grad=True)
    a = x * 1
    y = HardSwishFunction.apply(a, True)
    assert y is a and a._version > 0
    y.sum().backward()
    assert_close(x.grad, torch.autograd.grad(TF.hardswish(x).sum(), x)[0])


def test_inplace_on_a_view_of_a_non_leaf_matches_torch():
    """Autograd refuses a two-output Function that modifies a view: the copy must not be an output."""
    leaf = (torch.randn(3, 6, dtype=torch.float64) * 3).requires_grad_()
    g = torch.randn(3, 6, dtype=torch.float64)
    grads = []
    for fn in (F.hardswish, TF.hardswish):
        h = leaf * 1
        out = fn(h[:, :4], inplace=True)
        assert out._base is h
        (grad,) = torch.autograd.grad(h, leaf, g)
        grads.append(grad)
    assert_close(grads[0], grads[1])


def test_inplace_under_torch_func_matches_torch():
    x = torch.randn(3, 4, dtype=torch.float64) * 3
    t = torch.randn_like(x)
    ours, theirs = (lambda v, fn=fn: fn(v.clone(), inplace=True) for fn in (F.hardswish, TF.hardswish))
    assert_close(torch.func.jvp(ours, (x,), (t,)), torch.func.jvp(theirs, (x,), (t,)))
    assert_close(torch.func.grad(lambda v: ours(v).sum())(x), torch.func.grad(lambda v: theirs(v).sum())(x))
    assert_close(torch.func.vmap(ours)(x), torch.func.vmap(theirs)(x))


def test_compiles_in_both_modes():
    """In place, forward hands its copy of the input to setup_context; torch.compile must still trace it."""
    for inplace in (False, True):
        torch._dynamo.reset()
        x = torch.randn(5, dtype=torch.float64, requires_grad=True)
        compiled = torch.compile(lambda t: F.hardswish(t * 1, inplace=inplace), backend="aot_eager")
        (ours,) = torch.autograd.grad(compiled(x).sum(), x)
        (theirs,) = torch.autograd.grad(TF.hardswish(x).sum(), x)
        assert_close(ours, theirs)


@pytest.mark.parametrize("kwargs", [{}, {"inplace": True}], ids=str)
def test_saves_no_more_bytes_than_torch(kwargs, saved_bytes):
    x = torch.randn(1000, requires_grad=True)
    ours, theirs = (saved_bytes(fn, x * 1, **kwargs) for fn in (F.hardswish, TF.hardswish))
    assert 0 < ours <= theirs


@pytest.mark.parametrize("dtype", [torch.int64, torch.int32, torch.bool])
def test_integer_and_bool_input_refused_like_torch(dtype):
    x = torch.tensor([-1, 0, 1]).to(dtype)
    with pytest.raises(NotImplementedError):
        TF.hardswish(x)
    with pytest.raises(NotImplementedError, match="floating-point"):
        F.hardswish(x)


@pytest.mark.parametrize("kwargs", [{}, {"inplace": True}], ids=str)
def test_module_repr_state_dict_and_output_like_torch(kwargs, assert_module_and_gradients_like_torch):
    assert_module_and_gradients_like_torch(nn.Hardswish(**kwargs), torch.nn.Hardswish(**kwargs))


def test_inplace_module_returns_the_same_tensor():
    x = torch.randn(10) * 4
    expected = torch.nn.Hardswish()(x.clone())
    y = nn.Hardswish(inplace=True)(x)
    assert y is x and y.data_ptr() == x.data_ptr()
    assert_close(x, expected)
