"""Cube beyond the generic twin checks: both backward paths, integer and complex inputs, what backward keeps."""

from __future__ import annotations

import pytest
import torch

from customgrad.functions import CubeFunction
from customgrad.twins import TWINS

TWIN = TWINS["cube"]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_fast_and_recorded_backward_agree(dtype, assert_fast_and_recorded_backward_agree):
    assert_fast_and_recorded_backward_agree(TWIN, dtype)


@pytest.mark.parametrize("dtype", [torch.int64, torch.int32, torch.uint8, torch.bool])
def test_integer_inputs_like_torch(dtype, assert_integer_input_like_torch):
    assert_integer_input_like_torch(TWIN, dtype)


def test_complex_gradients_like_torch(assert_complex_gradients_like_torch):
    assert_complex_gradients_like_torch(TWIN)


def test_saves_only_the_input(assert_saves_exactly):
    assert_saves_exactly(CubeFunction, "input")
