"""MSE loss beyond the generic twin checks: broadcasting, every reduction, weights, warnings, errors, memory, the Module."""

from __future__ import annotations

import warnings

import pytest
import torch
import torch.nn.functional as TF
from torch.testing import assert_close

import customgrad.functional as F
from customgrad import nn
from customgrad.functions import MSELossFunction

REDUCTIONS = ["mean", "sum", "none"]


MSE_SHAPES = [
    pytest.param((), (), id="0-dim"),
    pytest.param((5,), (5,), id="1d"),
    pytest.param((2, 3, 4), (2, 3, 4), id="3d"),
    pytest.param((3, 4), (4,), id="broadcast-target"),
    pytest.param((4,), (3, 4), id="broadcast-input"),
    pytest.param((3, 1), (1, 4), id="broadcast-both"),
    pytest.param((0, 3), (0, 3), id="empty"),
]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("x_shape, t_shape", MSE_SHAPES)
def test_matches_torch(x_shape, t_shape, reduction, dtype, assert_same_as_torch):
    """Values and gradients of input and target, each summed back to its own shape."""
    x, t = torch.randn(x_shape, dtype=dtype), torch.randn(t_shape, dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same_as_torch(lambda x, t: F.mse_loss(x, t, reduction=reduction),
                             lambda x, t: TF.mse_loss(x, t, reduction=reduction), [x, t])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_broadcasting_gradcheck_forward_ad_and_gradgradcheck(reduction):
    x = torch.randn(3, 1, dtype=torch.float64, requires_grad=True)
    t = torch.randn(1, 4, dtype=torch.float64, requires_grad=True)
    f = lambda x, t: MSELossFunction.apply(x, t, reduction, None)  # noqa: E731
    assert torch.autograd.gradcheck(f, (x, t), check_forward_ad=True, check_batched_grad=True)
    assert torch.autograd.gradgradcheck(f, (x, t))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_weighted_matches_torch(reduction, assert_same_as_torch):
    x, t, w = torch.randn(3, 4), torch.randn(3, 4), torch.rand(3, 4)
    assert_same_as_torch(lambda *a: F.mse_loss(a[0], a[1], reduction=reduction, weight=a[2]),
                         lambda *a: TF.mse_loss(a[0], a[1], reduction=reduction, weight=a[2]), [x, t, w])
    tensors = [torch.randn(3, 4, dtype=torch.float64, requires_grad=True) for _ in range(3)]
    f = lambda *a: MSELossFunction.apply(a[0], a[1], reduction, a[2])  # noqa: E731
    assert torch.autograd.gradcheck(f, tensors, check_forward_ad=True)
    assert torch.autograd.gradgradcheck(f, tensors)


def test_size_mismatch_warns_like_torch():
    x, t = torch.randn(3, 4), torch.randn(4)
    with pytest.warns(UserWarning) as theirs:
        TF.mse_loss(x, t)
    with pytest.warns(UserWarning) as ours:
        F.mse_loss(x, t)
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]
    assert ours[0].filename == __file__, "the warning must point at the caller"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.mse_loss(x, x)


def test_legacy_arguments_like_torch():
    x, t = torch.randn(3, 4), torch.randn(3, 4)
    for size_average, reduce in [(False, None), (None, False), (True, True)]:
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
            ours = F.mse_loss(x, t, size_average, reduce)
        with pytest.warns(UserWarning):
            theirs = TF.mse_loss(x, t, size_average, reduce)
        assert_close(ours, theirs)
    with pytest.warns(UserWarning, match="elementwise_mean"):
        assert_close(F.mse_loss(x, t, reduction="elementwise_mean"), TF.mse_loss(x, t))


def test_mixed_dtypes_promote_like_torch(assert_same_as_torch):
    x, t = torch.randn(4), torch.randn(4, dtype=torch.float64)
    assert_same_as_torch(F.mse_loss, TF.mse_loss, [x, t])
    assert F.mse_loss(x, torch.arange(4)).dtype == TF.mse_loss(x, torch.arange(4)).dtype


def test_saves_only_input_and_target(saved_for_backward):
    x, t = torch.randn(5, requires_grad=True), torch.randn(5)
    saved = saved_for_backward(lambda: F.mse_loss(x, t))
    assert len(saved) == 2 and saved[0] is x and saved[1] is t


MSE_ERRORS = [
    pytest.param((torch.randn(3, 4), torch.randn(3)), {}, id="not-broadcastable"),
    pytest.param((torch.randn(3), torch.randn(3)), {"reduction": "foo"}, id="bad-reduction"),
    pytest.param((torch.randn(3), torch.randn(3)), {"reduction": None}, id="reduction-None"),
    pytest.param((torch.randn(3), torch.randn(3)), {"reduction": "foo", "weight": torch.ones(3)},
                 id="bad-reduction-weighted"),
    pytest.param((torch.randn(3), torch.randn(3)), {"reduction": "elementwise_mean", "weight": torch.ones(3)},
                 id="old-reduction-weighted"),
    pytest.param((torch.randn(3, 4), torch.randn(3, 4)), {"weight": torch.ones(4)}, id="weight-size"),
    pytest.param((torch.arange(3), torch.arange(3)), {}, id="integer"),
    pytest.param((torch.ones(3, dtype=torch.bool), torch.ones(3, dtype=torch.bool)), {}, id="bool"),
    pytest.param((torch.ones(3, dtype=torch.cfloat), torch.ones(3, dtype=torch.cfloat)), {}, id="complex"),
]


@pytest.mark.parametrize("args, kwargs", MSE_ERRORS)
def test_raises_like_torch(args, kwargs, raised):
    theirs, ours = raised(TF.mse_loss, *args, **kwargs), raised(F.mse_loss, *args, **kwargs)
    assert theirs is not None and type(ours) is type(theirs)
    if isinstance(theirs, ValueError):
        assert str(ours) == str(theirs)


def test_function_apply_checks_reduction_too():
    with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
        MSELossFunction.apply(torch.randn(3), torch.randn(3), "foo", None)


def test_non_tensor_raises_type_error():
    with pytest.raises(TypeError, match="must be Tensor"):
        F.mse_loss(torch.randn(2), [1.0, 2.0])


def test_module_repr_state_dict_and_attributes_like_torch():
    for ours, theirs in [(nn.MSELoss(), torch.nn.MSELoss()),
                         (nn.MSELoss(reduction="sum"), torch.nn.MSELoss(reduction="sum"))]:
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        for name in ("reduction", "ignore_index", "label_smoothing"):
            assert getattr(ours, name, None) == getattr(theirs, name, None)
    with pytest.warns(UserWarning):
        assert nn.MSELoss(size_average=False).reduction == "sum"


def test_regression_learns_with_the_module(train):
    torch.manual_seed(0)
    x = torch.randn(64, 3)
    y = torch.sin(x.sum(1, keepdim=True))
    model = torch.nn.Sequential(nn.Linear(3, 16), torch.nn.Tanh(), nn.Linear(16, 1))
    losses = train(model, lambda m: nn.MSELoss()(m(x), y), steps=150, lr=0.1)
    assert losses[-1] < 0.25 * losses[0]


# Mutation testing (README "Mutation testing"): forward mode with a fixed weighting (autograd hands
# the weight a zero tangent), each reduction, against torch.
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_weighted_jvp_with_a_constant_weight_like_torch(reduction):
    x, t = torch.randn(3, 4, dtype=torch.float64), torch.randn(3, 4, dtype=torch.float64)
    w, dx = torch.rand(3, 4, dtype=torch.float64) + 0.5, torch.randn(3, 4, dtype=torch.float64)
    import torch.autograd.forward_ad as fwAD

    out = []
    for fn in (F.mse_loss, TF.mse_loss):
        with fwAD.dual_level():  # (torch.func.jvp would hand the weight a zero tangent instead of none)
            out.append(fwAD.unpack_dual(fn(fwAD.make_dual(x, dx), t, reduction=reduction, weight=w)))
    assert_close(tuple(out[0]), tuple(out[1]))
