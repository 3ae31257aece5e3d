"""SiLU (SwishFunction) beyond the generic twin checks: stability, accuracy, integer and complex inputs, in place, the Module."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as TF
from torch.testing import assert_close

import customgrad.functional as F
from customgrad import nn
from customgrad.functions import SwishFunction
from customgrad.twins import TWINS

TWIN = TWINS["silu"]


def test_function_apply_gives_the_closed_form_value_and_gradient():
    """``SwishFunction.apply`` gives x sigma(x) and the gradient sigma(x) (1 + x (1 - sigma(x)))."""
    x = torch.randn(5, requires_grad=True)
    y = SwishFunction.apply(x)
    y.sum().backward()
    s = torch.sigmoid(x.detach())
    assert_close(y.detach(), x.detach() * s)
    assert_close(x.grad, s * (1 + x.detach() * (1 - s)))


def test_backward_stable_where_exp_form_overflows():
    # The derivative written with e^{-x}: (1 + e^{-x} + x e^{-x}) / (1 + e^{-x})^2 is inf/inf at -100.
    x = torch.tensor([-100.0, 100.0])
    e = torch.exp(-x)
    naive = (1 + e + x * e) / (1 + e) ** 2
    assert torch.isnan(naive[0])
    xg = x.clone().requires_grad_()
    F.silu(xg).sum().backward()
    xt = x.clone().requires_grad_()
    TF.silu(xt).sum().backward()
    assert torch.isfinite(xg.grad).all()
    assert_close(xg.grad, xt.grad)


def test_float32_accuracy_no_worse_than_torch(assert_float32_accuracy_no_worse_than_torch):
    assert_float32_accuracy_no_worse_than_torch(TWIN)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_fast_and_recorded_backward_agree(dtype, assert_fast_and_recorded_backward_agree):
    assert_fast_and_recorded_backward_agree(TWIN, dtype)


@pytest.mark.parametrize("inplace", [False, True])
def test_integer_inputs_raise_like_torch(inplace):
    with pytest.raises(NotImplementedError):
        TF.silu(torch.arange(3), inplace=inplace)
    with pytest.raises(NotImplementedError):
        F.silu(torch.arange(3), inplace=inplace)


def test_complex_refuses_autograd_like_torch():
    z = torch.randn(4, dtype=torch.complex128)
    assert_close(F.silu(z), TF.silu(z))
    zg = z.clone().requires_grad_()
    message = "silu does not support automatic differentiation for outputs with complex dtype"
    with pytest.raises(RuntimeError, match=message):
        TF.silu(zg)
    with pytest.raises(RuntimeError, match=message):
        F.silu(zg)


def test_inplace_apply_under_torch_func_says_what_to_do():
    with pytest.raises(RuntimeError, match="customgrad.functional"):
        torch.func.grad(lambda t: SwishFunction.apply(t * 1, True).sum())(torch.randn(3))


def test_inplace_refused_dtype_leaves_no_copy_behind():
    from customgrad.ops import _inplace

    with pytest.raises(NotImplementedError):
        SwishFunction.apply(torch.arange(3), True)
    assert not hasattr(_inplace._slot, "original")


def test_saves_only_the_input(assert_saves_exactly):
    assert_saves_exactly(SwishFunction, "input")


def test_module_repr_state_dict_and_values_like_torch(assert_module_like_torch):
    assert_module_like_torch(nn.SiLU, torch.nn.SiLU, [{}, {"inplace": True}])


def test_module_inplace_same_object():
    x = torch.randn(5)
    y = nn.SiLU()(x)
    assert y is not x
    z = nn.SiLU(inplace=True)(x)
    assert z is x and z.data_ptr() == x.data_ptr()
