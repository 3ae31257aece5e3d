"""Sigmoid, Tanh, SiLU, Mish, Exp, Square, Cube and LearnedSiLU beyond the generic twin checks.

The seeds' worked examples, stability where a textbook formula overflows, integer inputs,
the two spellings of each fast backward, the learnable slope, the Modules, and memory.
"""

import math

import pytest
import torch
import torch.autograd.forward_ad as fwAD
import torch.nn.functional as TF
from torch.autograd import gradcheck
from torch.testing import assert_close

import customgrad.functional as F
from customgrad import nn
from customgrad.functions import (
    CubeFunction,
    ExpFunction,
    LearnedSiLUFunction,
    MishFunction,
    SigmoidFunction,
    SquareFunction,
    SwishFunction,
    TanhFunction,
)
from customgrad.twins import TWINS

MINE = ["sigmoid", "tanh", "silu", "mish", "exp", "square", "cube", "learned_silu"]


# --- the seeds' examples, with only their imports changed -----------------------


def test_seed_002_square_cube_exp_at_two():
    from customgrad.functions import CubeFunction as Cube
    from customgrad.functions import ExpFunction as Exp
    from customgrad.functions import SquareFunction as Square

    x = torch.tensor(2.0, requires_grad=True)
    y_square = Square.apply(x)
    y_cube = Cube.apply(x)
    y_exp = Exp.apply(x)
    y_square.backward()
    assert y_square.item() == 4.0
    assert y_cube.item() == 8.0
    assert y_exp.item() == pytest.approx(math.exp(2.0))
    assert x.grad.item() == 4.0


def test_seed_002_learned_silu_example():
    from customgrad.functions import LearnedSiLUFunction as LearnedSiLU

    x = torch.tensor([[1.0, -1.0, 2.0]], requires_grad=True)
    slope = torch.tensor([0.5], requires_grad=True)
    y = LearnedSiLU.apply(x, slope)
    loss = y.sum()
    loss.backward()

    xr = x.detach().clone().requires_grad_()
    sr = slope.detach().clone().requires_grad_()
    (sr * TF.silu(xr)).sum().backward()
    assert_close(y, (sr * TF.silu(xr)).detach())
    assert_close(x.grad, xr.grad)
    assert_close(slope.grad, sr.grad)
    assert slope.grad.shape == slope.shape


def test_seed_002_gradcheck_recipe():
    from customgrad.functions import SquareFunction as Square

    x = torch.randn(10, dtype=torch.double, requires_grad=True)
    assert gradcheck(Square.apply, x, eps=1e-6, atol=1e-4)


def test_seed_001_swish_and_mish_gradcheck_as_written():
    # Seed 001 calls these exactly so: Function.apply on a (3, 4) float64 tensor.
    x_test = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    assert gradcheck(SwishFunction.apply, (x_test,), eps=1e-6, atol=1e-4, rtol=1e-3)
    x_test = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    assert gradcheck(MishFunction.apply, (x_test,), eps=1e-6, atol=1e-4, rtol=1e-3)


def test_seed_001_swish_wrapper_run():
    def swish_custom(x):
        return SwishFunction.apply(x)

    x = torch.randn(5, requires_grad=True)
    y = swish_custom(x)
    y.sum().backward()
    s = torch.sigmoid(x.detach())
    assert_close(y.detach(), x.detach() * s)
    assert_close(x.grad, s * (1 + x.detach() * (1 - s)))


# --- stability where the textbook formulas overflow -------------------------------


def naive_mish_derivative(x):
    """Seed 001's closed form e^x omega / delta^2, evaluated as written."""
    e = torch.exp(x)
    omega = 4 * (x + 1) + 4 * torch.exp(2 * x) + torch.exp(3 * x) + e * (4 * x + 6)
    delta = 2 * e + torch.exp(2 * x) + 2
    return e * omega / delta**2


def test_mish_backward_stable_where_closed_form_overflows():
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


def test_silu_backward_stable_where_exp_form_overflows():
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


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "silu", "mish"])
def test_float32_accuracy_no_worse_than_torch(name):
    """On a dense grid, float32 gradients are as close to the float64 truth as torch's are."""
    twin = TWINS[name]
    x64 = torch.linspace(-60, 60, 24001, dtype=torch.float64)
    truth = torch.func.vmap(torch.func.grad(twin.reference))(x64)

    def grad32(fn):
        x = x64.float().requires_grad_()
        fn(x).sum().backward()
        return x.grad.double()

    err_ours = (grad32(twin.ours) - truth).abs().max().item()
    err_torch = (grad32(twin.reference) - truth).abs().max().item()
    assert err_ours <= 2 * err_torch + 1e-7, (err_ours, err_torch)


# --- the two spellings of each backward agree -------------------------------------


def grads(fn, args, create_graph):
    args = [a.detach().clone().requires_grad_(a.requires_grad) for a in args]
    out = fn(*args)
    g = torch.randn(out.shape, dtype=out.dtype, generator=torch.Generator().manual_seed(3))
    return torch.autograd.grad(out, [a for a in args if a.requires_grad], g, create_graph=create_graph)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("name", MINE)
def test_fast_and_recorded_backward_agree(name, dtype):
    """A plain backward (in place on fresh buffers) equals the recorded one (create_graph=True)."""
    twin = TWINS[name]
    args, _ = twin.sample(dtype)
    info = torch.finfo(dtype)
    edges = torch.tensor([0.0, 1e-10, -1e-10, 1e10, -1e10, 100.0, -100.0, info.max, -info.max,
                          float("inf"), float("-inf"), float("nan"), 30.0, -30.0], dtype=dtype)
    for x in (args[0].detach().flatten(), edges):
        full = (x.requires_grad_(), *args[1:])
        plain = grads(twin.ours, full, create_graph=False)
        recorded = grads(twin.ours, full, create_graph=True)
        for a, b in zip(plain, recorded, strict=True):
            assert_close(a, b.detach(), equal_nan=True, rtol=4 * torch.finfo(dtype).eps, atol=0)


@pytest.mark.parametrize("name", MINE)
def test_backward_leaves_grad_output_and_saved_input_alone(name):
    twin = TWINS[name]
    args, _ = twin.sample(torch.float32)
    args = tuple(a.detach().clone().requires_grad_() for a in args)
    before = tuple(a.detach().clone() for a in args)
    out = twin.ours(*args)
    g = torch.randn_like(out)
    g_before = g.clone()
    out.backward(g)
    assert torch.equal(g, g_before), "backward must not write into grad_output"
    for a, b in zip(args, before):
        assert torch.equal(a.detach(), b)


# --- integers, as torch does them --------------------------------------------------


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "exp", "square", "cube"])
@pytest.mark.parametrize("dtype", [torch.int64, torch.int32, torch.uint8, torch.bool])
def test_integer_inputs_like_torch(name, dtype):
    twin = TWINS[name]
    x = torch.tensor([0, 1, 2, 3]).to(dtype)
    ours, theirs = twin.ours(x), twin.reference(x)
    assert ours.dtype == theirs.dtype
    assert_close(ours, theirs)


@pytest.mark.parametrize("inplace", [False, True])
@pytest.mark.parametrize("name", ["silu", "mish"])
def test_integer_inputs_raise_like_torch(name, inplace):
    twin = TWINS[name]
    with pytest.raises(NotImplementedError):
        twin.reference(torch.arange(3), inplace=inplace)
    with pytest.raises(NotImplementedError):
        twin.ours(torch.arange(3), inplace=inplace)


def test_learned_silu_slope_must_be_a_tensor():
    with pytest.raises(TypeError, match="slope"):
        F.learned_silu(torch.randn(3), 0.5)


# --- complex inputs, as torch does them --------------------------------------------


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "exp", "square", "cube"])
def test_complex_gradients_like_torch(name):
    """Backward uses the conjugate derivative, jvp the derivative: both as torch."""
    twin = TWINS[name]
    z = torch.randn(6, dtype=torch.complex128, requires_grad=True)
    assert gradcheck(twin.ours, z, check_forward_ad=True, check_batched_grad=True)
    assert torch.autograd.gradgradcheck(twin.ours, z)
    ours = grads(twin.ours, (z,), create_graph=False)
    theirs = grads(twin.reference, (z,), create_graph=False)
    assert_close(ours, theirs)


def test_complex_silu_refuses_autograd_like_torch():
    z = torch.randn(4, dtype=torch.complex128)
    assert_close(F.silu(z), TF.silu(z))
    zg = z.clone().requires_grad_()
    message = "silu does not support automatic differentiation for outputs with complex dtype"
    with pytest.raises(RuntimeError, match=message):
        TF.silu(zg)
    with pytest.raises(RuntimeError, match=message):
        F.silu(zg)
    with pytest.raises(RuntimeError, match=message):
        F.learned_silu(zg, torch.ones(1))


def test_complex_slope_on_real_input_like_composite():
    x = torch.randn(5, dtype=torch.float64, requires_grad=True)
    slope = torch.randn(1, dtype=torch.complex128, requires_grad=True)
    assert_close(grads(F.learned_silu, (x, slope), False), grads(lambda a, s: s * TF.silu(a), (x, slope), False))
    assert gradcheck(LearnedSiLUFunction.apply, (x, slope), check_forward_ad=True)
    assert torch.autograd.gradgradcheck(LearnedSiLUFunction.apply, (x, slope))


# --- in place ---------------------------------------------------------------------


@pytest.mark.parametrize("function", [SwishFunction, MishFunction])
def test_inplace_apply_saves_the_values_it_overwrote(function):
    x = torch.randn(6, dtype=torch.float64, requires_grad=True)
    h = x * 1
    values = h.detach().clone()
    saved = []
    with torch.autograd.graph.saved_tensors_hooks(lambda t: saved.append(t) or t, lambda t: t):
        y = function.apply(h, True)
    assert y is h and not torch.equal(h.detach(), values)
    assert len(saved) == 1 and torch.equal(saved[0], values)
    y.sum().backward()
    xr = x.detach().clone().requires_grad_()
    (TF.silu if function is SwishFunction else TF.mish)(xr).sum().backward()
    assert_close(x.grad, xr.grad)


@pytest.mark.parametrize("name", ["silu", "mish"])
def test_inplace_on_a_view_like_torch(name):
    twin = TWINS[name]
    results = []
    for fn in (twin.ours, twin.reference):
        leaf = torch.linspace(-3, 3, 12, dtype=torch.float64).reshape(3, 4).requires_grad_()
        h = leaf * 1
        out = fn(h[:, 1:3], inplace=True)
        assert out._base is h
        (h * torch.arange(12.0).reshape(3, 4)).sum().backward()
        results.append((h.detach(), leaf.grad))
    assert_close(results[0], results[1])


@pytest.mark.parametrize(
    "transform",
    [
        pytest.param(lambda f, x: torch.func.grad(lambda t: f(t * 1, inplace=True).sum())(x), id="grad"),
        pytest.param(lambda f, x: torch.func.jacrev(lambda t: f(t * 1, inplace=True))(x[0]), id="jacrev"),
        pytest.param(lambda f, x: torch.func.vmap(lambda t: f(t * 1, inplace=True))(x), id="vmap"),
        pytest.param(lambda f, x: torch.func.vmap(torch.func.grad(lambda t: f(t * 1, inplace=True).sum()))(x),
                     id="vmap-grad"),
        pytest.param(lambda f, x: torch.func.jvp(lambda t: f(t * 1, inplace=True), (x,), (x.cos(),)), id="jvp"),
    ],
)
@pytest.mark.parametrize("name", ["silu", "mish"])
def test_inplace_under_torch_func_like_torch(name, transform):
    twin = TWINS[name]
    x = torch.randn(3, 4, dtype=torch.float64)
    assert_close(transform(twin.ours, x), transform(twin.reference, x))


def test_inplace_apply_under_torch_func_says_what_to_do():
    with pytest.raises(RuntimeError, match="customgrad.functional"):
        torch.func.grad(lambda t: SwishFunction.apply(t * 1, True).sum())(torch.randn(3))


def test_inplace_refused_dtype_leaves_no_copy_behind():
    from customgrad.ops import _inplace

    with pytest.raises(NotImplementedError):
        SwishFunction.apply(torch.arange(3), True)
    assert not hasattr(_inplace._slot, "original")


@pytest.mark.parametrize("name", ["silu", "mish"])
def test_inplace_forward_mode_ad_like_torch(name):
    twin = TWINS[name]
    primal, tangent = torch.randn(7, dtype=torch.float64), torch.randn(7, dtype=torch.float64)
    results = []
    for fn in (twin.ours, twin.reference):  # dual tensors, no torch.func: the Function's own jvp
        with fwAD.dual_level():
            x = fwAD.make_dual(primal.clone(), tangent.clone()) * 1
            y = fn(x, inplace=True)
            assert y is x
            results.append(fwAD.unpack_dual(y))
    assert_close(tuple(results[0]), tuple(results[1]))


# --- LearnedSiLU: broadcasting and learning ---------------------------------------


@pytest.mark.parametrize(
    "x_shape, slope_shape",
    [((4, 5), ()), ((4, 5), (1,)), ((4, 5), (5,)), ((4, 5), (4, 1)), ((5,), (2, 1, 5)), ((), (3,))],
)
def test_learned_silu_gradients_reduce_to_each_shape(x_shape, slope_shape):
    x = torch.randn(x_shape, dtype=torch.float64, requires_grad=True)
    slope = torch.randn(slope_shape, dtype=torch.float64, requires_grad=True)
    ours = grads(F.learned_silu, (x, slope), create_graph=False)
    theirs = grads(lambda a, s: s * TF.silu(a), (x, slope), create_graph=False)
    assert ours[0].shape == x.shape and ours[1].shape == slope.shape
    assert_close(ours, theirs)
    assert gradcheck(LearnedSiLUFunction.apply, (x, slope))
    assert torch.autograd.gradgradcheck(LearnedSiLUFunction.apply, (x, slope))


def test_learned_silu_only_slope_or_only_input_needs_grad():
    x = torch.randn(3, 4)
    slope = torch.tensor([1.5], requires_grad=True)
    F.learned_silu(x, slope).sum().backward()
    assert_close(slope.grad, TF.silu(x).sum().reshape(1))
    x.requires_grad_()
    y = F.learned_silu(x, slope.detach())
    y.sum().backward()
    s = torch.sigmoid(x.detach())
    assert_close(x.grad, 1.5 * s * (1 + x.detach() * (1 - s)))


def test_learned_silu_slope_learns():
    torch.manual_seed(0)
    x = torch.randn(256, 8)
    target = 2.5 * TF.silu(x)
    model = nn.LearnedSiLU(init=0.5)
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    losses = []
    for _ in range(40):
        opt.zero_grad()
        loss = ((model(x) - target) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 1e-6 * losses[0]
    assert model.slope.item() == pytest.approx(2.5, abs=1e-3)


def test_learned_silu_module_per_channel_slope():
    m = nn.LearnedSiLU(num_parameters=3, init=0.25)
    x = torch.randn(2, 3, 5, requires_grad=True)
    y = m(x)
    slope = m.slope.detach().clone().requires_grad_()
    xr = x.detach().clone().requires_grad_()
    yr = slope.view(1, 3, 1) * TF.silu(xr)
    assert_close(y, yr)
    g = torch.randn_like(y)
    y.backward(g)
    yr.backward(g)
    assert_close(m.slope.grad, slope.grad)
    assert_close(x.grad, xr.grad)
    with pytest.raises(RuntimeError, match="num_parameters=3"):
        m(torch.randn(2, 4, 5))
    with pytest.raises(RuntimeError, match="num_parameters=3"):
        m(torch.randn(3))


def test_learned_silu_module_keeps_shape_of_0_dim_input():
    assert nn.LearnedSiLU()(torch.tensor(1.0)).shape == ()


def test_learned_silu_module_repr_state_dict_and_init():
    m = nn.LearnedSiLU(num_parameters=4, init=0.3, dtype=torch.float64)
    assert repr(m) == "LearnedSiLU(num_parameters=4, init=0.3)"
    assert list(m.state_dict()) == ["slope"]
    assert m.slope.shape == (4,) and m.slope.dtype == torch.float64
    assert torch.equal(m.slope.detach(), torch.full((4,), 0.3, dtype=torch.float64))
    assert repr(nn.LearnedSiLU()) == "LearnedSiLU(num_parameters=1, init=1.0)"


# --- Modules against torch's ------------------------------------------------------


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (nn.Sigmoid, torch.nn.Sigmoid),
        (nn.Tanh, torch.nn.Tanh),
        (nn.SiLU, torch.nn.SiLU),
        (nn.Mish, torch.nn.Mish),
    ],
)
def test_modules_repr_state_dict_and_values_like_torch(ours, theirs):
    kwargs_list = [{}, {"inplace": True}] if ours in (nn.SiLU, nn.Mish) else [{}]
    for kwargs in kwargs_list:
        a, b = ours(**kwargs), theirs(**kwargs)
        assert repr(a) == repr(b)
        assert a.state_dict().keys() == b.state_dict().keys()
        x = torch.randn(3, 4)
        assert_close(a(x.clone()), b(x.clone()))


@pytest.mark.parametrize("module", [nn.SiLU, nn.Mish])
def test_module_inplace_same_object(module):
    x = torch.randn(5)
    y = module()(x)
    assert y is not x
    z = module(inplace=True)(x)
    assert z is x and z.data_ptr() == x.data_ptr()


# --- what each Function keeps for backward ----------------------------------------


def saved_bytes(fn, *args):
    sizes = []

    def pack(t):
        sizes.append(t.numel() * t.element_size())
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn(*args)
    return sum(sizes)


@pytest.mark.parametrize("name", MINE)
def test_saves_no_more_than_torch(name):
    twin = TWINS[name]
    args, _ = twin.sample(torch.float32)
    ours = saved_bytes(twin.ours, *args)
    theirs = saved_bytes(twin.reference, *args)
    assert 0 < ours <= theirs, (ours, theirs)


@pytest.mark.parametrize("name", ["silu", "mish"])
def test_inplace_saves_no_more_than_torch(name):
    twin = TWINS[name]
    leaf = torch.randn(100, requires_grad=True)
    ours = saved_bytes(lambda: twin.ours(leaf * 1, inplace=True))
    theirs = saved_bytes(lambda: twin.reference(leaf * 1, inplace=True))
    assert ours <= theirs


@pytest.mark.parametrize(
    "function, keeps",
    [(SigmoidFunction, "output"), (TanhFunction, "output"), (ExpFunction, "output"),
     (SquareFunction, "input"), (CubeFunction, "input"), (SwishFunction, "input"), (MishFunction, "input")],
)
def test_saves_what_the_docstring_says(function, keeps):
    x = torch.randn(50, requires_grad=True)
    saved = []
    with torch.autograd.graph.saved_tensors_hooks(lambda t: saved.append(t) or t, lambda t: t):
        y = function.apply(x)
    assert len(saved) == 1 and saved[0] is (y if keeps == "output" else x)


@pytest.mark.parametrize("name", MINE)
def test_no_graph_when_nothing_needs_grad(name):
    twin = TWINS[name]
    args, _ = twin.sample(torch.float32)
    assert twin.ours(*(a.detach() for a in args)).grad_fn is None
