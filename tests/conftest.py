"""Settings and helpers shared by every test module.

The helpers are plain functions handed to the tests as fixtures of the same name (a test
module never imports another test module, nor this one).
"""

from __future__ import annotations

import warnings

import pytest
import torch
from torch.testing import assert_close

# One intra-op thread: the tests use tiny tensors, and on a busy 2-core machine OpenMP's
# spinning worker threads made them over ten times slower (measured on the loss tests).
torch.set_num_threads(1)

# Tolerances for comparing our values and gradients with torch's, by dtype.
TOL = {torch.float32: dict(rtol=1e-5, atol=1e-6), torch.float64: dict(rtol=1e-7, atol=1e-10)}


@pytest.fixture(autouse=True)
def _seed():
    """Every test starts from the same random state, so a failure reproduces."""
    torch.manual_seed(0)


# --- calling a function and collecting its gradients -----------------------------------------


def differentiable(args):
    """Positions of the floating-point tensor arguments that require grad."""
    return [i for i, a in enumerate(args) if isinstance(a, torch.Tensor) and a.requires_grad]


def as_function_of_tensors(fn, args, kwargs):
    """``fn`` as a function of its differentiable tensors only, the rest fixed."""
    pos = differentiable(args)

    def f(*tensors):
        full = list(args)
        for i, t in zip(pos, tensors):
            full[i] = t
        return fn(*full, **kwargs)

    return f, tuple(args[i] for i in pos)


def fresh(args, dtype=None):
    """Detached copies (cast to dtype if given) that require grad where the originals did."""
    out = []
    for a in args:
        if isinstance(a, torch.Tensor):
            b = a.detach().clone()
            if dtype is not None and b.is_floating_point():
                b = b.to(dtype)
            out.append(b.requires_grad_(a.requires_grad))
        else:
            out.append(a)
    return tuple(out)


def forward_backward(fn, args, kwargs, grad_out_seed=1):
    """Output and gradients of every differentiable input, for a fixed random grad_output."""
    f, tensors = as_function_of_tensors(fn, args, kwargs)
    out = f(*tensors)
    g = torch.randn(out.shape, dtype=out.dtype, generator=torch.Generator().manual_seed(grad_out_seed))
    grads = torch.autograd.grad(out, tensors, g, allow_unused=True) if tensors and out.requires_grad else ()
    return out.detach(), grads


def grads_of(fn, tensors, seed=0):
    """Output of ``fn(*tensors)`` and the gradients of its floating-point inputs, for a fixed upstream gradient."""
    tensors = [None if t is None else t.detach().clone().requires_grad_(t.is_floating_point()) for t in tensors]
    out = fn(*tensors)
    g = torch.randn(out.shape, dtype=out.dtype, generator=torch.Generator().manual_seed(seed))
    leaves = [t for t in tensors if t is not None and t.requires_grad]
    return (out.detach(), *torch.autograd.grad(out, leaves, g))


def input_grads(fn, args, create_graph):
    """Gradients of ``fn(*args)`` for the arguments that require grad (complex ones too), fixed upstream gradient."""
    args = [a.detach().clone().requires_grad_(a.requires_grad) for a in args]
    out = fn(*args)
    g = torch.randn(out.shape, dtype=out.dtype, generator=torch.Generator().manual_seed(3))
    return torch.autograd.grad(out, [a for a in args if a.requires_grad], g, create_graph=create_graph)


def assert_same_as_torch(ours, theirs, tensors, **tol):
    """Same output and gradients (shapes and values) from our function and torch's."""
    for a, b in zip(grads_of(ours, tensors), grads_of(theirs, tensors), strict=True):
        assert a.shape == b.shape and a.dtype == b.dtype
        assert_close(a, b, equal_nan=True, **tol)


def raised(fn, *args, **kwargs):
    """The exception ``fn`` raises (its type and message), or ``None``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(*args, **kwargs)
    except Exception as error:  # noqa: BLE001 - the point is to compare what was raised
        return error
    return None


# --- what autograd keeps for backward -----------------------------------------------------------


def saved_for_backward(fn):
    """The tensors autograd saves while ``fn()`` runs, seen through saved_tensors_hooks."""
    saved = []
    with torch.autograd.graph.saved_tensors_hooks(lambda t: saved.append(t) or t, lambda t: t):
        fn()
    return saved


def saved_bytes(fn, *args, **kwargs):
    """Bytes of the tensors autograd keeps for backward when ``fn(*args, **kwargs)`` runs (weights included)."""
    sizes = []

    def pack(t):
        sizes.append(t.numel() * t.element_size())
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn(*args, **kwargs)
    return sum(sizes)


# --- training ---------------------------------------------------------------------------------


def sgd_step(module, loss, lr):
    """One plain gradient step (constructing a torch.optim optimiser imports torch._dynamo: seconds)."""
    params = list(module.parameters())
    grads = torch.autograd.grad(loss, params)
    with torch.no_grad():
        for p, g in zip(params, grads):
            p -= lr * g


def train(module, loss_of, steps, lr):
    """Run ``steps`` plain gradient steps on ``loss_of(module)``; return the losses seen."""
    losses = []
    for _ in range(steps):
        loss = loss_of(module)
        sgd_step(module, loss, lr)
        losses.append(loss.item())
    return losses


# --- checks several operations share, each run from its own module -----------------------------


def assert_variant_matches_torch(ours, theirs, kwargs, kinks, dtype):
    """With these keyword settings, outputs and gradients equal torch's on random values and on the edge points."""
    from customgrad.verify import edge_points

    random = (torch.randn(6, 7, dtype=dtype) * 4).requires_grad_()
    edges = edge_points(dtype, kinks).requires_grad_()
    for x in (random, edges):
        a = forward_backward(ours, fresh((x,)), kwargs)
        b = forward_backward(theirs, fresh((x,)), kwargs)
        assert_close(a[0], b[0], equal_nan=True, **TOL[dtype])
        assert_close(a[1][0], b[1][0], equal_nan=True, **TOL[dtype])


def assert_variant_passes_gradcheck_jvp_vmap(ours, theirs, kwargs):
    """With these keyword settings: gradcheck (forward AD, batched), gradgradcheck, jvp and vmap as torch's."""
    x = (torch.randn(3, 4, dtype=torch.float64) * 3).requires_grad_()
    f = lambda t: ours(t, **kwargs)  # noqa: E731
    g = lambda t: theirs(t, **kwargs)  # noqa: E731
    assert torch.autograd.gradcheck(f, (x,), check_forward_ad=True, check_batched_grad=True)
    assert torch.autograd.gradgradcheck(f, (x,))
    t = torch.randn_like(x)
    assert_close(torch.func.jvp(f, (x.detach(),), (t,)), torch.func.jvp(g, (x.detach(),), (t,)))
    batch = torch.stack([x.detach(), -x.detach(), 2 * x.detach()])
    assert_close(torch.func.vmap(f)(batch), torch.func.vmap(g)(batch))


def assert_double_backward_equals_torch(ours, theirs, kwargs):
    """The gradient of a function of the first gradient (w.r.t. input and upstream gradient) equals torch's."""
    x0 = torch.randn(40, dtype=torch.float64) * 3
    g0 = torch.randn(40, dtype=torch.float64)
    result = []
    for fn in (ours, theirs):
        x, g = x0.clone().requires_grad_(), g0.clone().requires_grad_()
        (dx,) = torch.autograd.grad(fn(x, **kwargs), x, g, create_graph=True)
        result.append(torch.autograd.grad(dx.square().sum(), (x, g)))
    assert_close(result[0], result[1])


def assert_inplace_forward_ad_like_torch(ours, theirs, kwargs):
    """In place on a dual tensor: the same tensor comes back, its primal and tangent updated as torch's."""
    import torch.autograd.forward_ad as fwAD

    primal = torch.randn(8, dtype=torch.float64) * 3
    tangent = torch.randn(8, dtype=torch.float64)
    results = []
    for fn in (ours, theirs):
        with fwAD.dual_level():
            dual = fwAD.make_dual(primal.clone(), tangent.clone()) * 1
            out = fn(dual, **kwargs, inplace=True)
            assert out is dual
            results.append(fwAD.unpack_dual(out))
    assert_close(results[0].primal, results[1].primal)
    assert_close(results[0].tangent, results[1].tangent)


def assert_fast_and_recorded_backward_agree(twin, dtype):
    """A plain backward (in place on fresh buffers) equals the recorded one (create_graph=True), edges included."""
    args, _ = twin.sample(dtype)
    info = torch.finfo(dtype)
    edges = torch.tensor([0.0, 1e-10, -1e-10, 1e10, -1e10, 100.0, -100.0, info.max, -info.max,
                          float("inf"), float("-inf"), float("nan"), 30.0, -30.0], dtype=dtype)
    for x in (args[0].detach().flatten(), edges):
        full = (x.requires_grad_(), *args[1:])
        plain = input_grads(twin.ours, full, create_graph=False)
        recorded = input_grads(twin.ours, full, create_graph=True)
        for a, b in zip(plain, recorded, strict=True):
            # The plain backward of an activation is ATen's fused kernel, the recorded one the formula
            # (customgrad/ops/_fused.py): equal to a few ulps of the gradient's scale (the incoming
            # gradient's, about 1; relative error means nothing where SiLU's derivative crosses 0).
            eps = torch.finfo(dtype).eps
            assert_close(a, b.detach(), equal_nan=True, rtol=8 * eps, atol=8 * eps)


def assert_float32_accuracy_no_worse_than_torch(twin):
    """On a dense grid, float32 gradients are as close to the float64 truth as torch's are."""
    x64 = torch.linspace(-60, 60, 24001, dtype=torch.float64)
    truth = torch.func.vmap(torch.func.grad(twin.reference))(x64)

    def grad32(fn):
        x = x64.float().requires_grad_()
        fn(x).sum().backward()
        return x.grad.double()

    err_ours = (grad32(twin.ours) - truth).abs().max().item()
    err_torch = (grad32(twin.reference) - truth).abs().max().item()
    assert err_ours <= 2 * err_torch + 1e-7, (err_ours, err_torch)


def assert_integer_input_like_torch(twin, dtype):
    """An integer or bool input gives torch's values in torch's result dtype."""
    x = torch.tensor([0, 1, 2, 3]).to(dtype)
    ours, theirs = twin.ours(x), twin.reference(x)
    assert ours.dtype == theirs.dtype
    assert_close(ours, theirs)


def assert_complex_gradients_like_torch(twin):
    """Complex input: backward uses the conjugate derivative, jvp the derivative, both as torch."""
    z = torch.randn(6, dtype=torch.complex128, requires_grad=True)
    assert torch.autograd.gradcheck(twin.ours, z, check_forward_ad=True, check_batched_grad=True)
    assert torch.autograd.gradgradcheck(twin.ours, z)
    ours = input_grads(twin.ours, (z,), create_graph=False)
    theirs = input_grads(twin.reference, (z,), create_graph=False)
    assert_close(ours, theirs)


def assert_saves_exactly(function, keeps):
    """``function.apply(x)`` saves one tensor for backward: its output or its input, as named."""
    x = torch.randn(50, requires_grad=True)
    out = []
    saved = saved_for_backward(lambda: out.append(function.apply(x)))
    assert len(saved) == 1 and saved[0] is (out[0] if keeps == "output" else x)


def assert_module_and_gradients_like_torch(ours, theirs):
    """Two modules built alike: same repr, state_dict, output, input gradient and parameter gradients."""
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


def assert_module_like_torch(ours, theirs, kwargs_list=({},)):
    """Same repr, same state_dict keys and the same values as torch's module, for each set of arguments."""
    for kwargs in kwargs_list:
        a, b = ours(**kwargs), theirs(**kwargs)
        assert repr(a) == repr(b)
        assert a.state_dict().keys() == b.state_dict().keys()
        x = torch.randn(3, 4)
        assert_close(a(x.clone()), b(x.clone()))


INPLACE_TRANSFORMS = [
    pytest.param(lambda f, x: torch.func.grad(lambda t: f(t * 1, inplace=True).sum())(x), id="grad"),
    pytest.param(lambda f, x: torch.func.jacrev(lambda t: f(t * 1, inplace=True))(x[0]), id="jacrev"),
    pytest.param(lambda f, x: torch.func.vmap(lambda t: f(t * 1, inplace=True))(x), id="vmap"),
    pytest.param(lambda f, x: torch.func.vmap(torch.func.grad(lambda t: f(t * 1, inplace=True).sum()))(x),
                 id="vmap-grad"),
    pytest.param(lambda f, x: torch.func.jvp(lambda t: f(t * 1, inplace=True), (x,), (x.cos(),)), id="jvp"),
]


@pytest.fixture(params=INPLACE_TRANSFORMS)
def inplace_transform(request):
    """``transform(f, x)``: a torch.func transform (grad, jacrev, vmap, vmap of grad, jvp) of ``f(x * 1, inplace=True)``."""
    return request.param


def _fixture(helper):
    """A fixture named after ``helper`` that hands the test the helper itself."""

    def provide():
        return helper

    provide.__doc__ = helper.__doc__
    return pytest.fixture(name=helper.__name__, scope="session")(provide)


@pytest.fixture(scope="session")
def tol():
    """Tolerances for comparing with torch, by dtype: ``assert_close(a, b, **tol[dtype])``."""
    return TOL


# Each helper above becomes a fixture of its own name.
for _helper in (
    as_function_of_tensors, fresh, forward_backward, grads_of, input_grads, assert_same_as_torch, raised,
    saved_for_backward, saved_bytes, train,
    assert_variant_matches_torch, assert_variant_passes_gradcheck_jvp_vmap, assert_double_backward_equals_torch,
    assert_inplace_forward_ad_like_torch, assert_fast_and_recorded_backward_agree,
    assert_float32_accuracy_no_worse_than_torch, assert_integer_input_like_torch,
    assert_complex_gradients_like_torch, assert_saves_exactly, assert_module_and_gradients_like_torch,
    assert_module_like_torch,
):
    globals()[f"_{_helper.__name__}_fixture"] = _fixture(_helper)
