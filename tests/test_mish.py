"""Mish beyond the generic twin checks: stability where the closed form overflows, accuracy, integers, in place, the Module."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as TF
from torch.testing import assert_close

import customgrad.functional as F
from customgrad import nn
from customgrad.functions import MishFunction
from customgrad.twins import TWINS

TWIN = TWINS["mish"]


def naive_mish_derivative(x):
    """The closed form e^x omega / delta^2 of Mish's derivative, evaluated as written."""
    e = torch.exp(x)
    omega = 4 * (x + 1) + 4 * torch.exp(2 * x) + torch.exp(3 * x) + e * (4 * x + 6)
    delta = 2 * e + torch.exp(2 * x) + 2
    return e * omega / delta**2


def test_backward_stable_where_closed_form_overflows():
    x = torch.tensor([-100.0, -30.0, 0.5, 30.0, 100.0])
    naive = naive_mish_derivative(x)
    assert torch.isnan(naive[-2:]).all(), "the closed form is inf/inf from x ~ 30 in float32"
    assert_close(naive[:3], naive_mish_derivative(x[:3].double()).float())  # fine where it is finite

    xg = x.clone().requires_grad_()
    F.mish(xg).sum().backward()
    xt = x.clone().requires_grad_()
    TF.mish(xt).sum().backward()
    assert torch.isfinite(xg.grad).all()
    assert_close(xg.grad, xt.grad)
    assert xg.grad[-1].item() == 1.0


def test_float32_accuracy_no_worse_than_torch(assert_float32_accuracy_no_worse_than_torch):
    assert_float32_accuracy_no_worse_than_torch(TWIN)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_fast_and_recorded_backward_agree(dtype, assert_fast_and_recorded_backward_agree):
    assert_fast_and_recorded_backward_agree(TWIN, dtype)


@pytest.mark.parametrize("inplace", [False, True])
def test_integer_inputs_raise_like_torch(inplace):
    with pytest.raises(NotImplementedError):
        TF.mish(torch.arange(3), inplace=inplace)
    with pytest.raises(NotImplementedError):
        F.mish(torch.arange(3), inplace=inplace)


def test_saves_only_the_input(assert_saves_exactly):
    assert_saves_exactly(MishFunction, "input")


def test_module_repr_state_dict_and_values_like_torch(assert_module_like_torch):
    assert_module_like_torch(nn.Mish, torch.nn.Mish, [{}, {"inplace": True}])


def test_module_inplace_same_object():
    x = torch.randn(5)
    y = nn.Mish()(x)
    assert y is not x
    z = nn.Mish(inplace=True)(x)
    assert z is x and z.data_ptr() == x.data_ptr()
