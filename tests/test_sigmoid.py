"""Sigmoid beyond the generic twin checks: float32 accuracy, both backward paths, integer and complex inputs, memory, the Module."""

from __future__ import annotations

import pytest
import torch

from customgrad import nn
from customgrad.functions import SigmoidFunction
from customgrad.twins import TWINS

TWIN = TWINS["sigmoid"]


def test_float32_accuracy_no_worse_than_torch(assert_float32_accuracy_no_worse_than_torch):
    assert_float32_accuracy_no_worse_than_torch(TWIN)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_fast_and_recorded_backward_agree(dtype, assert_fast_and_recorded_backward_agree):
    assert_fast_and_recorded_backward_agree(TWIN, dtype)


@pytest.mark.parametrize("dtype", [torch.int64, torch.int32, torch.uint8, torch.bool])
def test_integer_inputs_like_torch(dtype, assert_integer_input_like_torch):
    assert_integer_input_like_torch(TWIN, dtype)


def test_complex_gradients_like_torch(assert_complex_gradients_like_torch):
    assert_complex_gradients_like_torch(TWIN)


def test_saves_only_the_output(assert_saves_exactly):
    assert_saves_exactly(SigmoidFunction, "output")


def test_module_repr_state_dict_and_values_like_torch(assert_module_like_torch):
    assert_module_like_torch(nn.Sigmoid, torch.nn.Sigmoid)
