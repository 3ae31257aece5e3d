"""LeakyReLU, PReLU, ELU, GELU, Hardswish and Softplus beyond the generic twin checks.

The registry (customgrad.twins) holds one setting per operation; here the other settings
(default and negative slopes, both GELU approximations, small Softplus thresholds, PReLU
shapes) go through the same comparisons, plus the points each operation is known for.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.autograd.forward_ad as fwAD
import torch.nn.functional as TF
from test_twins import TOL, as_function_of_tensors, forward_backward, fresh

from customgrad.verify import edge_points
from torch.testing import assert_close

import customgrad.functional as F
from customgrad import nn
from customgrad.functions import (
    ELUFunction,
    GELUFunction,
    HardSwishFunction,
    LeakyReLUFunction,
    PReLUFunction,
    SoftplusFunction,
)

# (functional name, keyword settings, kinks) not covered by the registry's one setting each
VARIANTS = [
    ("leaky_relu", {}, (0.0,)),
    ("leaky_relu", {"negative_slope": 0.0}, (0.0,)),
    ("leaky_relu", {"negative_slope": -0.5}, (0.0,)),
    ("leaky_relu", {"negative_slope": 1.5}, (0.0,)),
    ("elu", {}, (0.0,)),
    ("elu", {"alpha": 0.0}, (0.0,)),
    ("elu", {"alpha": 0.3}, (0.0,)),
    ("elu", {"alpha": 3.0}, (0.0,)),
    ("elu", {"alpha": -0.7}, (0.0,)),
    ("gelu", {"approximate": "tanh"}, ()),
    ("softplus", {}, (20.0,)),
    ("softplus", {"beta": 0.5, "threshold": 1.0}, (2.0,)),
    ("softplus", {"beta": 10.0, "threshold": 5.0}, (0.5,)),
]
VARIANT_IDS = [f"{n}-{','.join(f'{k}={v}' for k, v in kw.items()) or 'default'}" for n, kw, _ in VARIANTS]


def ours_and_torch(name):
    return getattr(F, name), getattr(TF, name)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(("name", "kwargs", "kinks"), VARIANTS, ids=VARIANT_IDS)
def test_variant_matches_torch_on_random_and_edge_values(name, kwargs, kinks, dtype):
    ours, theirs = ours_and_torch(name)
    random = (torch.randn(6, 7, dtype=dtype) * 4).requires_grad_()
    edges = edge_points(dtype, kinks).requires_grad_()
    for x in (random, edges):
        a = forward_backward(ours, fresh((x,)), kwargs)
        b = forward_backward(theirs, fresh((x,)), kwargs)
        assert_close(a[0], b[0], equal_nan=True, **TOL[dtype])
        assert_close(a[1][0], b[1][0], equal_nan=True, **TOL[dtype])


@pytest.mark.parametrize(("name", "kwargs", "kinks"), VARIANTS, ids=VARIANT_IDS)
def test_variant_gradcheck_gradgradcheck_jvp_vmap(name, kwargs, kinks):
    ours, theirs = ours_and_torch(name)
    x = (torch.randn(3, 4, dtype=torch.float64) * 3).requires_grad_()
    f = lambda t: ours(t, **kwargs)  # noqa: E731
    g = lambda t: theirs(t, **kwargs)  # noqa: E731
    assert torch.autograd.gradcheck(f, (x,), check_forward_ad=True, check_batched_grad=True)
    assert torch.autograd.gradgradcheck(f, (x,))
    t = torch.randn_like(x)
    assert_close(torch.func.jvp(f, (x.detach(),), (t,)), torch.func.jvp(g, (x.detach(),), (t,)))
    batch = torch.stack([x.detach(), -x.detach(), 2 * x.detach()])
    assert_close(torch.func.vmap(f)(batch), torch.func.vmap(g)(batch))


# --- the second derivative, not only checked but equal to torch's -----------------------------

SECOND = [("leaky_relu", {"negative_slope": 0.2}), ("elu", {}), ("elu", {"alpha": 1.5}), ("gelu", {}),
          ("gelu", {"approximate": "tanh"}), ("hardswish", {}), ("softplus", {"beta": 2.0, "threshold": 15.0})]


@pytest.mark.parametrize(("name", "kwargs"), SECOND, ids=[f"{n}-{k}" for n, k in SECOND])
def test_double_backward_equals_torch(name, kwargs):
    x0 = torch.randn(40, dtype=torch.float64) * 3
    g0 = torch.randn(40, dtype=torch.float64)
    result = []
    for fn in ours_and_torch(name):
        x, g = x0.clone().requires_grad_(), g0.clone().requires_grad_()
        (dx,) = torch.autograd.grad(fn(x, **kwargs), x, g, create_graph=True)
        result.append(torch.autograd.grad(dx.square().sum(), (x, g)))
    assert_close(result[0], result[1])


# --- LeakyReLU ----------------------------------------------------------------------------------


def test_leaky_relu_non_tensor_slope_gets_none_gradient():
    """Seed 004's point: a number handed to forward has no gradient; backward returns None for it."""
    x = torch.tensor([-1.0, 2.0, -3.0], requires_grad=True)
    y = LeakyReLUFunction.apply(x, 0.01)
    grads = y.grad_fn.apply(torch.ones(3))  # what our backward returns, one entry per input
    assert len(grads) == 3 and grads[1] is None and grads[2] is None
    assert_close(grads[0], torch.tensor([0.01, 1.0, 0.01]))
    y.sum().backward()
    assert_close(x.grad, torch.tensor([0.01, 1.0, 0.01]))


def test_leaky_relu_seed_004_example_with_default_alpha():
    x = torch.tensor([-1.0, 2.0, -3.0], requires_grad=True)
    y = LeakyReLUFunction.apply(x)  # the seed's `alpha=0.01` default
    assert_close(y, torch.tensor([-0.01, 2.0, -0.03]))
    y.sum().backward()
    assert_close(x.grad, torch.tensor([0.01, 1.0, 0.01]))


def test_leaky_relu_slope_is_a_number_like_torch():
    """A 0-d tensor slope is read as a number; one that requires grad is refused, as by torch."""
    x = torch.randn(10, requires_grad=True)
    ours, theirs = ours_and_torch("leaky_relu")
    assert_close(ours(x, torch.tensor(0.2)), theirs(x, torch.tensor(0.2)))
    for fn in (ours, theirs):
        with pytest.raises(TypeError, match="negative_slope"):
            fn(x, torch.tensor(0.2, requires_grad=True))


@pytest.mark.parametrize(("fn", "kwargs"), [(F.leaky_relu, {"negative_slope": -0.1}), (F.elu, {"alpha": -1.0})])
def test_inplace_with_negative_slope_cannot_backward_like_torch(fn, kwargs):
    torch_fn = getattr(TF, fn.__name__)
    for f in (fn, torch_fn):
        x = torch.randn(5, requires_grad=True)
        y = f(x * 1, **kwargs, inplace=True)  # the forward works, as torch's does
        with pytest.raises(RuntimeError, match="negative"):
            y.sum().backward()


# --- PReLU --------------------------------------------------------------------------------------

PRELU_SHAPES = [  # (input shape, weight shape)
    ((5, 3), (3,)),
    ((4, 3, 6), (3,)),
    ((2, 3, 4, 5), (3,)),
    ((2, 3, 4, 5), (1,)),
    ((2, 3, 4, 5), ()),
    ((7,), (1,)),
    ((7,), ()),
    ((), (1,)),
    ((), ()),
    ((0, 3), (3,)),
    ((2, 1, 3), (1,)),
]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(("xshape", "wshape"), PRELU_SHAPES, ids=[f"{x}-{w}" for x, w in PRELU_SHAPES])
def test_prelu_shapes_match_torch(xshape, wshape, dtype):
    x = (torch.randn(xshape, dtype=dtype) * 3).requires_grad_()
    w = (torch.rand(wshape, dtype=dtype) * 1.5 - 0.5).requires_grad_()
    ours = forward_backward(F.prelu, fresh((x, w)), {})
    theirs = forward_backward(TF.prelu, fresh((x, w)), {})
    assert ours[0].shape == theirs[0].shape
    assert_close(ours[0], theirs[0], **TOL[dtype])
    assert ours[1][1].shape == w.shape  # the slopes' gradient is reduced to the weight's shape
    for a, b in zip(ours[1], theirs[1], strict=True):
        assert_close(a, b, **TOL[dtype])


def test_prelu_weight_gradient_is_the_sum_over_batch_and_space():
    x = torch.randn(4, 3, 5, dtype=torch.float64, requires_grad=True)
    w = torch.tensor([0.1, -0.2, 0.7], dtype=torch.float64, requires_grad=True)
    g = torch.randn(4, 3, 5, dtype=torch.float64)
    gx, gw = torch.autograd.grad(F.prelu(x, w), (x, w), g)
    expected = (g * x.detach().clamp(max=0)).sum(dim=(0, 2))
    assert_close(gw, expected)
    assert_close(gx, torch.where(x > 0, g, g * w.detach()[:, None]))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("wshape", [(1,), (3,)])
def test_prelu_edge_values_match_torch(wshape, dtype):
    """0, +-tiny, +-huge, +-inf, nan down the batch dimension, with negative and positive slopes."""
    e = edge_points(dtype, kinks=(0.0,))
    x = e[:, None].expand(-1, 3).contiguous().requires_grad_()  # (N, 3)
    w = torch.tensor([0.25, -0.4, 1.3], dtype=dtype)[: wshape[0]].requires_grad_()
    ours = forward_backward(F.prelu, fresh((x, w)), {})
    theirs = forward_backward(TF.prelu, fresh((x, w)), {})
    assert_close(ours[0], theirs[0], equal_nan=True, **TOL[dtype])
    for a, b in zip(ours[1], theirs[1], strict=True):
        assert_close(a, b, equal_nan=True, **TOL[dtype])


def test_prelu_channels_last_and_strided_inputs():
    w = torch.rand(3, dtype=torch.float64, requires_grad=True)
    for x in (torch.randn(2, 3, 4, 5, dtype=torch.float64).to(memory_format=torch.channels_last),
              torch.randn(4, 6, 5, dtype=torch.float64)[::2, ::2]):
        x.requires_grad_()
        a = forward_backward(F.prelu, fresh((x, w)), {})
        b = forward_backward(TF.prelu, fresh((x, w)), {})
        assert_close(a[0], b[0])
        for p, q in zip(a[1], b[1], strict=True):
            assert_close(p, q)
        assert torch.autograd.gradcheck(F.prelu, (x, w))


def test_prelu_only_the_weight_requires_grad():
    x = torch.randn(4, 3)
    w = torch.full((3,), 0.25, requires_grad=True)
    F.prelu(x, w).sum().backward()
    assert_close(w.grad, x.clamp(max=0).sum(0))


def test_prelu_forward_ad_through_the_weight():
    x = torch.randn(4, 3, 2, dtype=torch.float64)
    w = torch.rand(3, dtype=torch.float64)
    tx, tw = torch.randn_like(x), torch.randn_like(w)
    assert_close(torch.func.jvp(F.prelu, (x, w), (tx, tw)), torch.func.jvp(TF.prelu, (x, w), (tx, tw)))
    assert_close(torch.func.jvp(lambda v: F.prelu(x, v), (w,), (tw,)),
                 torch.func.jvp(lambda v: TF.prelu(x, v), (w,), (tw,)))


PRELU_ERRORS = [
    (torch.randn(2, 3), torch.randn(4), RuntimeError, r"4 slopes .* 3 channel"),
    (torch.randn(5), torch.randn(3), RuntimeError, r"3 slopes .* 1 channel"),
    (torch.randn(()), torch.randn(3), RuntimeError, r"0-d input takes a single slope"),
    (torch.randn(2, 3), torch.randn(1, 3), RuntimeError, r"0-d or 1-d"),
    (torch.randn(2, 3), torch.randn(3, dtype=torch.float64), RuntimeError, r"does not promote"),
    (torch.arange(6).view(2, 3), torch.arange(3), NotImplementedError, r"floating-point"),
    (torch.randn(2, 3), [0.25], TypeError, r"weight"),
]


@pytest.mark.parametrize(("x", "w", "error", "message"), PRELU_ERRORS)
def test_prelu_refuses_what_torch_refuses(x, w, error, message):
    with pytest.raises(error):
        TF.prelu(x, w)
    with pytest.raises(error, match=message):
        F.prelu(x, w)


# --- GELU ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_both_approximations_at_known_points(approximate):
    x = torch.tensor([0.0, 1.0, -1.0, 10.0, -10.0], dtype=torch.float64, requires_grad=True)
    y = F.gelu(x, approximate=approximate)
    (g,) = torch.autograd.grad(y.sum(), x)
    assert y[0] == 0 and g[0] == 0.5  # Phi(0) = 1/2
    assert g[3] == 1 and abs(g[4]) < 1e-20  # saturated, no overflow
    phi1 = math.exp(-0.5) / math.sqrt(2 * math.pi)
    exact = 0.5 * (1 + math.erf(1 / math.sqrt(2))) + phi1
    assert abs(g[1].item() - exact) < (1e-15 if approximate == "none" else 1e-3)


def test_gelu_subnormal_inputs_have_slope_one_half():
    x = torch.tensor([1e-45, -1e-45, 3e-45, 1e-40], requires_grad=True)
    F.gelu(x).sum().backward()
    assert_close(x.grad, torch.full((4,), 0.5))


@pytest.mark.parametrize("bad", ["fast", "Tanh", ""])
def test_gelu_unknown_approximate_names_the_value(bad):
    with pytest.raises(RuntimeError):
        TF.gelu(torch.randn(3), approximate=bad)
    with pytest.raises(RuntimeError, match=repr(bad)):
        F.gelu(torch.randn(3), approximate=bad)
    with pytest.raises(RuntimeError, match=repr(bad)):
        nn.GELU(bad)(torch.randn(3))


def test_gelu_non_string_approximate_is_a_type_error():
    for fn in ours_and_torch("gelu"):
        with pytest.raises(TypeError):
            fn(torch.randn(3), approximate=None)


# --- Softplus -----------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("beta", [0.5, 1.0, 2.0, 10.0])
def test_softplus_is_stable_far_out(beta, dtype):
    x = torch.tensor([-1e4, -100.0, -30.0, 30.0, 100.0, 1e4], dtype=dtype, requires_grad=True)
    y = F.softplus(x, beta=beta)
    (g,) = torch.autograd.grad(y.sum(), x)
    assert torch.isfinite(y).all() and torch.isfinite(g).all()
    assert_close(y, TF.softplus(x.detach(), beta=beta), **TOL[dtype])
    assert_close(g, torch.sigmoid(beta * x.detach()).where(beta * x.detach() <= 20, 1.0), **TOL[dtype])
    assert g[0] == 0 and g[-1] == 1


def test_softplus_threshold_switch_is_torchs():
    """At beta * x == threshold the sigmoid branch still applies; one step above, the slope is 1."""
    for dtype in (torch.float32, torch.float64):
        k = torch.tensor(7.5, dtype=dtype)
        x = torch.stack([k, torch.nextafter(k, k + 1), torch.nextafter(k, k - 1)]).requires_grad_()
        ours = forward_backward(F.softplus, fresh((x,)), {"beta": 2.0, "threshold": 15.0})
        theirs = forward_backward(TF.softplus, fresh((x,)), {"beta": 2.0, "threshold": 15.0})
        assert torch.equal(ours[0], theirs[0])
        assert_close(ours[1][0], theirs[1][0], rtol=0, atol=torch.finfo(dtype).eps)


def test_softplus_large_threshold_stays_finite_where_torch_float32_does_not():
    """torch's kernel divides exp(beta x) by itself plus one; past float32's exp range that is nan."""
    x = torch.tensor([90.0, 95.0], requires_grad=True)
    (ours,) = torch.autograd.grad(F.softplus(x, threshold=200.0).sum(), x)
    (theirs,) = torch.autograd.grad(TF.softplus(x, threshold=200.0).sum(), x)
    assert torch.equal(ours, torch.ones(2))
    assert theirs.isnan().all()  # documents the difference; ours is the sigmoid, 1 here


# --- Hardswish ----------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32, torch.float64])
def test_hardswish_is_exact_at_and_beside_the_kinks(dtype):
    k = torch.tensor([-3.0, 3.0], dtype=dtype)
    x0 = torch.cat([k, torch.nextafter(k, k + 1), torch.nextafter(k, k - 1)])
    outputs, slopes = [], []
    for fn in ours_and_torch("hardswish"):
        x = x0.clone().requires_grad_()
        y = fn(x)
        outputs.append(y.detach())
        slopes.append(torch.autograd.grad(y.sum(), x)[0])
    assert torch.equal(outputs[0], outputs[1])
    assert slopes[0][:2].tolist() == [0.0, 1.0]  # torch's convention at -3 and 3
    assert_close(slopes[0], slopes[1], rtol=0, atol=2 * torch.finfo(dtype).eps)


def test_hardswish_seed_001_exercise():
    x_test = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(HardSwishFunction.apply, (x_test,), eps=1e-6)


def test_hardswish_inplace_apply_returns_the_input_only():
    x = torch.randn(6, dtype=torch.float64, requires_grad=True)
    a = x * 1
    y = HardSwishFunction.apply(a, True)
    assert y is a and a._version > 0
    y.sum().backward()
    assert_close(x.grad, torch.autograd.grad(TF.hardswish(x).sum(), x)[0])


def test_hardswish_inplace_on_a_view_of_a_non_leaf_matches_torch():
    """Autograd refuses a two-output Function that modifies a view: the copy must not be an output."""
    leaf = (torch.randn(3, 6, dtype=torch.float64) * 3).requires_grad_()
    g = torch.randn(3, 6, dtype=torch.float64)
    grads = []
    for fn in ours_and_torch("hardswish"):
        h = leaf * 1
        out = fn(h[:, :4], inplace=True)
        assert out._base is h
        (grad,) = torch.autograd.grad(h, leaf, g)
        grads.append(grad)
    assert_close(grads[0], grads[1])


def test_hardswish_inplace_under_torch_func_matches_torch():
    x = torch.randn(3, 4, dtype=torch.float64) * 3
    t = torch.randn_like(x)
    ours, theirs = (lambda v, fn=fn: fn(v.clone(), inplace=True) for fn in ours_and_torch("hardswish"))
    assert_close(torch.func.jvp(ours, (x,), (t,)), torch.func.jvp(theirs, (x,), (t,)))
    assert_close(torch.func.grad(lambda v: ours(v).sum())(x), torch.func.grad(lambda v: theirs(v).sum())(x))
    assert_close(torch.func.vmap(ours)(x), torch.func.vmap(theirs)(x))


# --- ELU ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0, 2.0])
def test_elu_saturates_at_minus_alpha_with_zero_gradient(alpha):
    x = torch.tensor([-1e30, -1000.0, -50.0], dtype=torch.float64, requires_grad=True)
    y = F.elu(x, alpha=alpha)
    (g,) = torch.autograd.grad(y.sum(), x)
    assert torch.equal(y.detach(), torch.full((3,), -alpha, dtype=torch.float64))
    assert torch.equal(g, torch.zeros(3, dtype=torch.float64))


@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0, 2.0])
def test_elu_kink_takes_alpha_and_a_tiny_positive_input_takes_one(alpha):
    x = torch.tensor([0.0, -0.0, 1e-300, 5e-324], dtype=torch.float64, requires_grad=True)
    for fn in ours_and_torch("elu"):
        (g,) = torch.autograd.grad(fn(x, alpha=alpha).sum(), x)
        assert g.tolist() == [alpha, alpha, 1.0, 1.0]


# --- every Function: in-place with forward AD, saved bytes, dtypes torch refuses ---------------

INPLACE = [("leaky_relu", {"negative_slope": 0.2}), ("elu", {}), ("elu", {"alpha": 0.5}), ("hardswish", {})]


@pytest.mark.parametrize(("name", "kwargs"), INPLACE, ids=[f"{n}-{k}" for n, k in INPLACE])
def test_inplace_forward_ad_updates_the_tangent_in_place(name, kwargs):
    primal = torch.randn(8, dtype=torch.float64) * 3
    tangent = torch.randn(8, dtype=torch.float64)
    results = []
    for fn in ours_and_torch(name):
        with fwAD.dual_level():
            dual = fwAD.make_dual(primal.clone(), tangent.clone()) * 1
            out = fn(dual, **kwargs, inplace=True)
            assert out is dual
            results.append(fwAD.unpack_dual(out))
    assert_close(results[0].primal, results[1].primal)
    assert_close(results[0].tangent, results[1].tangent)


def saved_bytes(fn, *args, **kwargs):
    """Bytes of the tensors autograd keeps for backward when ``fn`` runs (the weight included)."""
    sizes = []

    def pack(t):
        sizes.append(t.numel() * t.element_size())
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn(*args, **kwargs)
    return sum(sizes)


SAVED = [
    ("leaky_relu", {}), ("leaky_relu", {"negative_slope": -0.2}), ("leaky_relu", {"inplace": True}),
    ("elu", {}), ("elu", {"alpha": -0.5}), ("elu", {"inplace": True}),
    ("gelu", {}), ("gelu", {"approximate": "tanh"}),
    ("hardswish", {}), ("hardswish", {"inplace": True}),
    ("softplus", {}), ("softplus", {"beta": 2.0}),
]


@pytest.mark.parametrize(("name", "kwargs"), SAVED, ids=[f"{n}-{k}" for n, k in SAVED])
def test_saves_no_more_bytes_than_torch(name, kwargs):
    x = torch.randn(1000, requires_grad=True)
    ours, theirs = (saved_bytes(fn, x * 1, **kwargs) for fn in ours_and_torch(name))
    assert 0 < ours <= theirs


def test_prelu_saves_no_more_bytes_than_torch():
    x = torch.randn(10, 3, 7, requires_grad=True)
    w = torch.rand(3, requires_grad=True)
    assert saved_bytes(F.prelu, x, w) <= saved_bytes(TF.prelu, x, w)


@pytest.mark.parametrize("dtype", [torch.int64, torch.int32, torch.bool])
@pytest.mark.parametrize("name", ["leaky_relu", "elu", "gelu", "hardswish", "softplus"])
def test_integer_and_bool_input_refused_like_torch(name, dtype):
    x = torch.tensor([-1, 0, 1]).to(dtype)
    ours, theirs = ours_and_torch(name)
    with pytest.raises(NotImplementedError):
        theirs(x)
    with pytest.raises(NotImplementedError, match="floating-point"):
        ours(x)


def test_functions_skip_work_without_grad():
    x = torch.randn(5)
    for y in (LeakyReLUFunction.apply(x, 0.1), ELUFunction.apply(x, 1.0), GELUFunction.apply(x, "none"),
              HardSwishFunction.apply(x), SoftplusFunction.apply(x, 1.0, 20.0),
              PReLUFunction.apply(x, torch.tensor([0.2]))):
        assert y.grad_fn is None


# --- Modules ------------------------------------------------------------------------------------

MODULES = [
    ("LeakyReLU", (), {}), ("LeakyReLU", (0.2,), {"inplace": True}),
    ("PReLU", (), {}), ("PReLU", (3,), {"init": 0.1}),
    ("ELU", (), {}), ("ELU", (0.5,), {"inplace": True}),
    ("GELU", (), {}), ("GELU", (), {"approximate": "tanh"}),
    ("Hardswish", (), {}), ("Hardswish", (), {"inplace": True}),
    ("Softplus", (), {}), ("Softplus", (2.0, 10.0), {}),
]


@pytest.mark.parametrize(("cls", "args", "kwargs"), MODULES, ids=[f"{c}{a}{k}" for c, a, k in MODULES])
def test_module_repr_state_dict_and_output_like_torch(cls, args, kwargs):
    ours, theirs = getattr(nn, cls)(*args, **kwargs), getattr(torch.nn, cls)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in theirs.state_dict().items()}
    for a, b in zip(ours.state_dict().values(), theirs.state_dict().values()):
        assert torch.equal(a, b)  # same initial values
    x = torch.randn(4, 3, 5)
    xo, xt = x.clone().requires_grad_(), x.clone().requires_grad_()
    yo, yt = ours(xo * 1), theirs(xt * 1)
    assert_close(yo, yt)
    yo.sum().backward()
    yt.sum().backward()
    assert_close(xo.grad, xt.grad)
    for po, pt in zip(ours.parameters(), theirs.parameters()):
        assert_close(po.grad, pt.grad)


def test_prelu_state_dict_loads_into_torch_and_back():
    ours, theirs = nn.PReLU(3), torch.nn.PReLU(3)
    with torch.no_grad():
        ours.weight.copy_(torch.tensor([0.1, 0.2, 0.3]))
    theirs.load_state_dict(ours.state_dict())
    assert torch.equal(theirs.weight, ours.weight)
    with torch.no_grad():
        theirs.weight.mul_(-1)
    ours.load_state_dict(theirs.state_dict())
    assert torch.equal(ours.weight, torch.tensor([-0.1, -0.2, -0.3]))
    x = torch.randn(2, 3, 4)
    assert_close(ours(x), theirs(x))


def test_prelu_learns_its_slopes_in_a_short_training_loop():
    torch.manual_seed(0)
    true_slopes = torch.tensor([0.7, -0.3, 0.05])
    x = torch.randn(256, 3, 4)
    target = torch.where(x > 0, x, true_slopes[:, None] * x)
    model = nn.PReLU(3)
    before = model.weight.detach().clone()
    optimiser = torch.optim.SGD(model.parameters(), lr=0.5)
    losses = []
    for _ in range(60):
        optimiser.zero_grad()
        loss = (model(x) - target).square().mean()
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    assert not torch.equal(model.weight.detach(), before)
    assert losses[-1] < 1e-3 * losses[0]
    assert_close(model.weight.detach(), true_slopes, atol=1e-2, rtol=0)


@pytest.mark.parametrize("cls", ["LeakyReLU", "ELU", "Hardswish"])
def test_inplace_module_returns_the_same_tensor(cls):
    x = torch.randn(10) * 4
    expected = getattr(torch.nn, cls)()(x.clone())
    y = getattr(nn, cls)(inplace=True)(x)
    assert y is x and y.data_ptr() == x.data_ptr()
    assert_close(x, expected)


def test_hardswish_compiles_in_both_modes():
    """In place, forward hands its copy of the input to setup_context; torch.compile must still trace it."""
    for inplace in (False, True):
        torch._dynamo.reset()
        x = torch.randn(5, dtype=torch.float64, requires_grad=True)
        compiled = torch.compile(lambda t: F.hardswish(t * 1, inplace=inplace), backend="aot_eager")
        (ours,) = torch.autograd.grad(compiled(x).sum(), x)
        (theirs,) = torch.autograd.grad(TF.hardswish(x).sum(), x)
        assert_close(ours, theirs)
