"""Every operation in customgrad.twins.TWINS against its PyTorch twin: one test per check.

Adding a Twin to the registry puts the new operation under all of these checks.
"""

from __future__ import annotations

import pytest
import torch
from torch.testing import assert_close

from customgrad.twins import TWINS
from customgrad.verify import edge_points

ALL = sorted(TWINS)
WITH_REFERENCE = [n for n in ALL if TWINS[n].reference is not None]
ELEMENTWISE = [n for n in WITH_REFERENCE if TWINS[n].elementwise]
INPLACE = [n for n in ALL if TWINS[n].inplace]

@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("name", WITH_REFERENCE)
def test_forward_and_backward_match_torch(name, dtype, fresh, forward_backward, tol):
    twin = TWINS[name]
    args, kwargs = twin.sample(dtype)
    ours = forward_backward(twin.ours, fresh(args), kwargs)
    theirs = forward_backward(twin.reference, fresh(args), kwargs)
    assert_close(ours[0], theirs[0], **tol[dtype])
    for a, b in zip(ours[1], theirs[1], strict=True):
        assert_close(a, b, **tol[dtype])


@pytest.mark.parametrize("name", ALL)
def test_apply_equals_functional(name, fresh):
    twin = TWINS[name]
    args, kwargs = twin.sample(torch.float64)
    direct = twin.function.apply(*twin.apply_args(fresh(args), kwargs))
    if isinstance(direct, tuple):  # a Function that also returns the statistics it saves gives the output first
        direct = direct[0]
    assert_close(direct, twin.ours(*fresh(args), **kwargs))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("name", ALL)
def test_backward_unpacks_each_saved_tensor_once(name, dtype, fresh):
    """Under torch.utils.checkpoint (non-reentrant) a saved tensor may be unpacked only once, so a
    backward reads ``ctx.saved_tensors`` once, whichever path it takes (customgrad/ops/_fused.py)."""
    twin = TWINS[name]
    args, kwargs = twin.sample(dtype)
    packed, unpacked = [], []

    def pack(t):
        packed.append(t)
        return len(packed) - 1

    def unpack(i):
        unpacked.append(i)
        return packed[i]

    with torch.autograd.graph.saved_tensors_hooks(pack, unpack):
        out = twin.ours(*fresh(args), **kwargs)
    out.sum().backward()
    assert packed and unpacked, name
    assert len(unpacked) == len(set(unpacked)), f"{name}: {len(unpacked)} unpacks of {len(set(unpacked))} saved tensors"


@pytest.mark.parametrize("name", ALL)
def test_gradcheck_float64(name, as_function_of_tensors):
    twin = TWINS[name]
    args, kwargs = twin.sample(torch.float64)
    f, tensors = as_function_of_tensors(twin.ours, args, kwargs)
    assert torch.autograd.gradcheck(f, tensors, check_forward_ad=True, check_batched_grad=True)


@pytest.mark.parametrize("name", ALL)
def test_gradgradcheck_float64(name, as_function_of_tensors):
    twin = TWINS[name]
    args, kwargs = twin.sample(torch.float64)
    f, tensors = as_function_of_tensors(twin.ours, args, kwargs)
    assert torch.autograd.gradgradcheck(f, tensors)


@pytest.mark.parametrize("name", WITH_REFERENCE)
def test_forward_ad_jvp_matches_torch(name, fresh, as_function_of_tensors):
    twin = TWINS[name]
    args, kwargs = twin.sample(torch.float64)
    f, primals = as_function_of_tensors(twin.ours, fresh(args), kwargs)
    g, _ = as_function_of_tensors(twin.reference, fresh(args), kwargs)
    primals = tuple(p.detach() for p in primals)
    tangents = tuple(torch.randn_like(p) for p in primals)
    out_ours, jvp_ours = torch.func.jvp(f, primals, tangents)
    out_ref, jvp_ref = torch.func.jvp(g, primals, tangents)
    assert_close(out_ours, out_ref)
    assert_close(jvp_ours, jvp_ref)


@pytest.mark.parametrize("name", WITH_REFERENCE)
def test_vmap_matches_torch(name, fresh):
    """vmap over a new leading batch dimension of the first argument."""
    twin = TWINS[name]
    args, kwargs = twin.sample(torch.float64)
    batch = torch.stack([fresh(args)[0].detach() * s for s in (1.0, -0.5, 2.0)])
    rest = fresh(args)[1:]
    ours = torch.func.vmap(lambda x: twin.ours(x, *rest, **kwargs))(batch)
    theirs = torch.func.vmap(lambda x: twin.reference(x, *rest, **kwargs))(batch)
    assert_close(ours, theirs)


@pytest.mark.parametrize("name", WITH_REFERENCE)
def test_func_grad_matches_torch(name, fresh, as_function_of_tensors):
    twin = TWINS[name]
    args, kwargs = twin.sample(torch.float64)
    f, primals = as_function_of_tensors(twin.ours, fresh(args), kwargs)
    g, _ = as_function_of_tensors(twin.reference, fresh(args), kwargs)
    primals = tuple(p.detach() for p in primals)
    argnums = tuple(range(len(primals)))
    ours = torch.func.grad(lambda *t: f(*t).sum(), argnums=argnums)(*primals)
    theirs = torch.func.grad(lambda *t: g(*t).sum(), argnums=argnums)(*primals)
    assert_close(ours, theirs)


# --- elementwise edge cases ------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_edge_values_match_torch(name, dtype, fresh, forward_backward, tol):
    """0, the kinks, +-tiny, +-huge, +-inf and nan: same outputs and gradients as torch."""
    twin = TWINS[name]
    args, kwargs = twin.sample(dtype)
    x = edge_points(dtype, twin.kinks).requires_grad_()
    args = (x, *args[1:])
    ours = forward_backward(twin.ours, fresh(args), kwargs)
    theirs = forward_backward(twin.reference, fresh(args), kwargs)
    assert_close(ours[0], theirs[0], equal_nan=True, **tol[dtype])
    for a, b in zip(ours[1], theirs[1], strict=True):
        assert_close(a, b, equal_nan=True, **tol[dtype])


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: torch.empty(0), id="empty"),
        pytest.param(lambda: torch.empty(3, 0, 2), id="empty-3d"),
        pytest.param(lambda: torch.tensor(-0.7), id="0-dim"),
        pytest.param(lambda: torch.randn(6, 4).t(), id="transposed"),
        pytest.param(lambda: torch.randn(8, 6)[::2, 1::2], id="strided"),
        pytest.param(lambda: torch.randn(2, 3, 4, 5), id="4-d"),
    ],
)
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_shapes_and_layouts_match_torch(name, make, fresh, forward_backward):
    twin = TWINS[name]
    args, kwargs = twin.sample(torch.float64)
    x = make().double() * 3
    args = (x.requires_grad_(), *args[1:])
    ours = forward_backward(twin.ours, fresh(args), kwargs)
    theirs = forward_backward(twin.reference, fresh(args), kwargs)
    assert ours[0].shape == theirs[0].shape
    assert_close(ours[0], theirs[0])
    for a, b in zip(ours[1], theirs[1], strict=True):
        assert_close(a, b)


@pytest.mark.parametrize("name", WITH_REFERENCE)
def test_non_tensor_input_raises_type_error(name):
    twin = TWINS[name]
    args, kwargs = twin.sample(torch.float64)
    # torch's mse_loss touches target.size() before any type check and raises AttributeError.
    attribute_error = "reference-raises-attribute-error-on-non-tensor" in twin.tags
    reference_error = (TypeError, AttributeError) if attribute_error else TypeError
    with pytest.raises(reference_error):
        twin.reference([1.0, 2.0], *args[1:], **kwargs)
    with pytest.raises(TypeError):
        twin.ours([1.0, 2.0], *args[1:], **kwargs)


# --- what backward reads, writes and keeps -------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_backward_leaves_grad_output_and_inputs_alone(name):
    twin = TWINS[name]
    args, kwargs = twin.sample(torch.float32)
    args = tuple(a.detach().clone().requires_grad_(a.requires_grad) if isinstance(a, torch.Tensor) else a
                 for a in args)
    before = tuple(a.detach().clone() if isinstance(a, torch.Tensor) else a for a in args)
    out = twin.ours(*args, **kwargs)
    g = torch.randn_like(out)
    g_before = g.clone()
    out.backward(g)
    assert torch.equal(g, g_before), "backward must not write into grad_output"
    for a, b in zip(args, before):
        if isinstance(a, torch.Tensor):
            assert torch.equal(a.detach(), b)


@pytest.mark.parametrize("name", WITH_REFERENCE)
def test_saves_no_more_bytes_than_torch(name, saved_bytes):
    twin = TWINS[name]
    args, kwargs = twin.sample(torch.float32)
    ours = saved_bytes(twin.ours, *args, **kwargs)
    theirs = saved_bytes(twin.reference, *args, **kwargs)
    assert 0 < ours <= theirs, (ours, theirs)


@pytest.mark.parametrize("name", ALL)
def test_no_graph_when_nothing_needs_grad(name):
    """Neither the functional twin nor ``Function.apply`` records a graph for inputs that need no grad."""
    twin = TWINS[name]
    args, kwargs = twin.sample(torch.float32)
    args = tuple(a.detach() if isinstance(a, torch.Tensor) else a for a in args)
    assert twin.ours(*args, **kwargs).grad_fn is None
    direct = twin.function.apply(*twin.apply_args(args, kwargs))
    for out in direct if isinstance(direct, tuple) else (direct,):
        assert out.grad_fn is None


# --- in-place -------------------------------------------------------------------


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_returns_same_tensor_with_torch_gradients(name, fresh):
    twin = TWINS[name]
    args, kwargs = twin.sample(torch.float64)
    leaf_ours, leaf_ref = fresh(args)[0], fresh(args)[0]
    x_ours, x_ref = leaf_ours * 1.0, leaf_ref * 1.0  # non-leaves: in-place is legal
    y_ours = twin.ours(x_ours, *args[1:], **kwargs, inplace=True)
    y_ref = twin.reference(x_ref, *args[1:], **kwargs, inplace=True)
    assert y_ours is x_ours and y_ours.data_ptr() == x_ours.data_ptr()
    assert x_ours._version > 0, "an in-place op must bump the version counter"
    assert_close(y_ours, y_ref)
    g = torch.randn_like(y_ref)
    y_ours.backward(g)
    y_ref.backward(g)
    assert_close(leaf_ours.grad, leaf_ref.grad)


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_on_leaf_requiring_grad_raises_like_torch(name, fresh):
    twin = TWINS[name]
    args, kwargs = twin.sample(torch.float64)
    x = fresh(args)[0]
    before = x.detach().clone()
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        twin.reference(fresh(args)[0], *args[1:], **kwargs, inplace=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        twin.ours(x, *args[1:], **kwargs, inplace=True)
    assert torch.equal(x.detach(), before), "the leaf must be left untouched"


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_without_grad_matches_torch(name, fresh):
    twin = TWINS[name]
    args, kwargs = twin.sample(torch.float32)
    x = fresh(args)[0].detach()
    expected = twin.reference(x.clone(), *args[1:], **kwargs)
    y = twin.ours(x, *args[1:], **kwargs, inplace=True)
    assert y is x
    assert_close(x, expected)


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_on_a_view_of_a_non_leaf_matches_torch(name, fresh):
    """``f(h[..., :-1], inplace=True)`` on a view of a non-leaf ``h``: the gradient reaches the leaf as in torch.

    Autograd rebases the view's history onto ``h``; a Function with more than one output cannot
    be rebased this way, so this also checks that an in-place forward returns one tensor only.
    """
    twin = TWINS[name]
    args, kwargs = twin.sample(torch.float64)
    g = torch.randn(args[0].shape, dtype=torch.float64)
    grads = []
    for fn in (twin.ours, twin.reference):
        leaf = fresh(args)[0]
        h = leaf * 1.0
        view = h[..., :-1]
        out = fn(view, *args[1:], **kwargs, inplace=True)
        assert out is view
        h.backward(g)
        grads.append(leaf.grad)
    assert_close(grads[0], grads[1])


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_forward_ad_matches_torch(name, fresh):
    """Forward-mode AD through the in-place op: ``torch.func.jvp`` and dual tensors, as in torch.

    An in-place Function must update the input's tangent in place as well; under dual tensors
    the Function itself runs in place, under ``torch.func`` the functional twin may compose.
    """
    twin = TWINS[name]
    args, kwargs = twin.sample(torch.float64)
    x = fresh(args)[0].detach()
    t = torch.randn_like(x)
    ours, theirs = (lambda v, fn=fn: fn(v.clone(), *args[1:], **kwargs, inplace=True)
                    for fn in (twin.ours, twin.reference))
    assert_close(torch.func.jvp(ours, (x,), (t,)), torch.func.jvp(theirs, (x,), (t,)))
    duals = []
    for fn in (ours, theirs):
        with torch.autograd.forward_ad.dual_level():
            out = fn(torch.autograd.forward_ad.make_dual(x, t))
            duals.append(tuple(torch.autograd.forward_ad.unpack_dual(out)))
    assert_close(duals[0], duals[1])


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_forward_ad_updates_the_tangent_in_place(name, assert_inplace_forward_ad_like_torch):
    twin = TWINS[name]
    _, kwargs = twin.sample(torch.float64)
    assert_inplace_forward_ad_like_torch(twin.ours, twin.reference, kwargs)


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_on_an_inner_view_like_torch(name):
    """In place on the middle columns of a non-leaf: the same values in the base and the same leaf gradient."""
    twin = TWINS[name]
    _, kwargs = twin.sample(torch.float64)
    results = []
    for fn in (twin.ours, twin.reference):
        leaf = torch.linspace(-3, 3, 12, dtype=torch.float64).reshape(3, 4).requires_grad_()
        h = leaf * 1
        out = fn(h[:, 1:3], **kwargs, inplace=True)
        assert out._base is h
        (h * torch.arange(12.0).reshape(3, 4)).sum().backward()
        results.append((h.detach(), leaf.grad))
    assert_close(results[0], results[1])


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_saves_no_more_bytes_than_torch(name, saved_bytes):
    twin = TWINS[name]
    _, kwargs = twin.sample(torch.float32)
    leaf = torch.randn(100, requires_grad=True)
    ours = saved_bytes(lambda: twin.ours(leaf * 1, **kwargs, inplace=True))
    theirs = saved_bytes(lambda: twin.reference(leaf * 1, **kwargs, inplace=True))
    assert ours <= theirs


@pytest.mark.parametrize("name", [n for n in ALL if TWINS[n].inplace])
def test_inplace_under_every_torch_func_transform_like_torch(name, inplace_transform):
    """grad, jacrev, vmap, vmap of grad and jvp of ``f(x * 1, inplace=True)``, as torch's in-place op."""
    twin = TWINS[name]
    (x, *rest), kwargs = twin.sample(torch.float64)
    x = x.detach()[:3]

    def ours(t, inplace):
        return twin.ours(t, *rest, **kwargs, inplace=inplace)

    def theirs(t, inplace):
        return twin.reference(t, *rest, **kwargs, inplace=inplace)

    assert_close(inplace_transform(ours, x), inplace_transform(theirs, x))


@pytest.mark.parametrize("name", [n for n in ALL if TWINS[n].inplace and TWINS[n].module is not None])
def test_per_sample_gradients_through_an_inplace_module(name):
    """vmap(grad(loss)) over a model whose activation runs in place: the per-sample-gradient recipe."""
    twin = TWINS[name]
    kwargs = twin.sample(torch.float64)[1]
    torch.manual_seed(0)
    linear = torch.nn.Linear(4, 3).double()
    ours_model = torch.nn.Sequential(linear, twin.module(**kwargs, inplace=True))
    reference = getattr(torch.nn, twin.module.__name__)(**kwargs, inplace=True)
    theirs_model = torch.nn.Sequential(linear, reference)
    x = torch.randn(6, 4, dtype=torch.float64) * 3

    def per_sample(model):
        params = dict(model.named_parameters())

        def loss(p, sample):
            return torch.func.functional_call(model, p, (sample[None],)).square().sum()

        return torch.func.vmap(torch.func.grad(loss), in_dims=(None, 0))(params, x)

    ours, theirs = per_sample(ours_model), per_sample(theirs_model)
    for key in theirs:
        assert_close(ours[key], theirs[key])


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_second_derivative_like_torch(name):
    """Twice differentiable in place: ``gradgradcheck`` and the double gradient equal torch's in-place op."""
    twin = TWINS[name]
    (x, *rest), kwargs = twin.sample(torch.float64)
    x = x.detach()[:2].requires_grad_()

    def ours(t):
        return twin.ours(t * 1, *rest, **kwargs, inplace=True)

    def theirs(t):
        return twin.reference(t * 1, *rest, **kwargs, inplace=True)

    assert torch.autograd.gradgradcheck(ours, (x,))

    def double(f):
        (g,) = torch.autograd.grad(f(x).square().sum(), x, create_graph=True)
        return torch.autograd.grad(g.sum(), x)[0]

    assert_close(double(ours), double(theirs))


@pytest.mark.parametrize("name", ["silu", "mish", "hardswish"])
def test_inplace_apply_that_keeps_a_copy_refuses_a_second_derivative(name):
    """``XFunction.apply(x, True)`` keeps a copy of x without a graph: twice is an error, not a wrong number."""
    function = TWINS[name].function
    x = torch.randn(4, dtype=torch.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="cannot be differentiated twice"):
        torch.autograd.grad(function.apply(x * 1, True).sum(), x, create_graph=True)
    (g,) = torch.autograd.grad(function.apply(x * 1, True).sum(), x)  # first order is fine
    assert torch.isfinite(g).all()


SETTINGS = [(n, i) for n in ALL for i in range(len(TWINS[n].settings))]


@pytest.mark.parametrize(("name", "index"), SETTINGS,
                         ids=[f"{n}-{TWINS[n].settings[i]}" for n, i in SETTINGS])
def test_every_setting_passes_gradcheck_and_gradgradcheck(name, index):
    """Each non-default setting of each operation, on its own: first and second derivatives in float64."""
    twin = TWINS[name]
    setting = twin.settings[index]
    args, kwargs = twin.sample(torch.float64)
    kwargs = {**kwargs, **setting}
    tensors = [a for a in args if isinstance(a, torch.Tensor) and a.requires_grad]
    tensors += [v for v in kwargs.values() if isinstance(v, torch.Tensor) and v.requires_grad]

    def call(*ts):
        it = iter(ts)
        a = [next(it) if isinstance(x, torch.Tensor) and x.requires_grad else x for x in args]
        kw = {k: next(it) if isinstance(v, torch.Tensor) and v.requires_grad else v for k, v in kwargs.items()}
        if kw.get("inplace"):
            a[0] = a[0] * 1  # in place on a non-leaf
        return twin.ours(*a, **kw)

    assert torch.autograd.gradcheck(call, tensors)
    assert torch.autograd.gradgradcheck(call, tensors)
    ours, theirs = call(*tensors), twin.reference(*[a.detach() if isinstance(a, torch.Tensor) else a for a in args],
                                                    **{k: v.detach() if isinstance(v, torch.Tensor) else v
                                                       for k, v in kwargs.items()})
    assert_close(ours, theirs)


@pytest.mark.parametrize("name", [n for n in ELEMENTWISE if len(TWINS[n].sample(torch.float64)[0]) == 1])
def test_jvp_tangent_is_differentiable_like_torch(name):
    """Reverse over forward: the gradient of the jvp's tangent, w.r.t. the point and the tangent, as torch's.

    A jvp that updated its formula in place would give the right tangent but a wrong gradient of it.
    """
    import torch.autograd.forward_ad as fwAD

    twin = TWINS[name]
    kwargs = twin.sample(torch.float64)[1]

    def grads(fn):
        # Off the kinks: at a kink itself ELU's reverse-over-forward takes the other branch than torch's.
        x = torch.linspace(-6, 6, 12, dtype=torch.float64, requires_grad=True)
        t = torch.linspace(-1, 2, 12, dtype=torch.float64, requires_grad=True)
        with fwAD.dual_level():
            tangent = fwAD.unpack_dual(fn(fwAD.make_dual(x, t), **kwargs)).tangent
        # A step's derivative does not depend on x (relu): no graph back to x there, a zero gradient.
        return tangent, torch.autograd.grad((tangent * torch.arange(12)).sum(), (x, t),
                                            allow_unused=True, materialize_grads=True)

    (ours, ours_grads), (theirs, theirs_grads) = grads(twin.ours), grads(twin.reference)
    assert_close(ours, theirs)
    for a, b in zip(ours_grads, theirs_grads, strict=True):
        assert_close(a, b)


@pytest.mark.parametrize("name", ["silu", "mish", "hardswish"])
def test_inplace_apply_saves_the_values_it_overwrote(name, saved_for_backward):
    """``XFunction.apply(h, True)`` overwrites h, saves a copy of its old values, and differentiates like torch."""
    twin = TWINS[name]
    x = torch.randn(6, dtype=torch.float64, requires_grad=True)
    h = x * 1
    values = h.detach().clone()
    out = []
    saved = saved_for_backward(lambda: out.append(twin.function.apply(h, True)))
    y = out[0]
    assert y is h and not torch.equal(h.detach(), values)
    assert len(saved) == 1 and torch.equal(saved[0], values)
    y.sum().backward()
    xr = x.detach().clone().requires_grad_()
    twin.reference(xr).sum().backward()
    assert_close(x.grad, xr.grad)
