"""ReLU beyond the generic twin checks: integers, what backward keeps and runs, exact gradients at edge values, the Module."""

import pytest
import torch
import torch.nn.functional as TF
from torch.testing import assert_close

import customgrad.functional as F
from customgrad import nn
from customgrad.functions import ReLUFunction


def test_integer_tensor_like_torch():
    x = torch.arange(-10, 10, 1)
    assert torch.equal(F.relu(x), TF.relu(x))
    assert F.relu(x).dtype == torch.int64


def test_saves_only_the_output():
    saved = []
    x = torch.randn(100, requires_grad=True)
    with torch.autograd.graph.saved_tensors_hooks(lambda t: saved.append(t) or t, lambda t: t):
        y = ReLUFunction.apply(x)
    assert len(saved) == 1 and saved[0] is y


def test_module_inplace_same_object_and_pointer():
    x = torch.tensor([1.0, -2.0, 3.0, -4.0, 5.0])
    y = nn.ReLU()(x)
    assert y is not x and y.data_ptr() != x.data_ptr()
    z = nn.ReLU(inplace=True)(x)
    assert z is x and z.data_ptr() == x.data_ptr()
    assert torch.equal(x, torch.tensor([1.0, 0.0, 3.0, 0.0, 5.0]))


def test_module_repr_and_state_dict_like_torch():
    assert repr(nn.ReLU()) == repr(torch.nn.ReLU())
    assert repr(nn.ReLU(inplace=True)) == repr(torch.nn.ReLU(inplace=True))
    assert nn.ReLU().state_dict().keys() == torch.nn.ReLU().state_dict().keys()


def _ops_and_dtypes(fn):
    """The aten ops ``fn()`` dispatches, with the dtypes of the tensors each returns."""
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils._pytree import tree_leaves

    seen = []

    class Record(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            seen.append((str(func), {t.dtype for t in tree_leaves(out) if isinstance(t, torch.Tensor)}))
            return out

    with Record():
        fn()
    return seen


def test_backward_and_jvp_are_our_formula_without_a_boolean_mask():
    """Boolean masks are several times slower on the CPU than arithmetic (see _chain.py).  The plain
    backward is torch's one-pass kernel (_fused.py); the recorded backward and the jvp are our own
    formula: no bool tensor, no torch relu backward, no select."""
    x = torch.randn(1000, requires_grad=True)
    g = torch.randn(1000)
    plain = _ops_and_dtypes(lambda: torch.autograd.grad(F.relu(x * 1), x, g))
    assert [name for name, _ in plain if "backward" in name] == ["aten.threshold_backward.default"], plain
    assert not any(torch.bool in dtypes for _, dtypes in plain), plain
    y = F.relu(x * 1)
    backward = _ops_and_dtypes(lambda: torch.autograd.grad(y, x, g, create_graph=True))
    with torch.autograd.forward_ad.dual_level():
        dual = torch.autograd.forward_ad.make_dual(torch.randn(1000), torch.randn(1000))
        jvp = _ops_and_dtypes(lambda: F.relu(dual))
        jvp_inplace = _ops_and_dtypes(lambda: F.relu(dual * 1, inplace=True))
    for seen in (backward, jvp, jvp_inplace):
        names = " ".join(name for name, _ in seen)
        assert seen and not any(torch.bool in dtypes for _, dtypes in seen), seen
        for banned in ("threshold_backward", "where", "masked_fill", "relu"):
            assert banned not in names, seen


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32, torch.float64])
def test_gradient_is_exactly_torchs_at_zero_tiny_inf_and_nan(dtype):
    info = torch.finfo(dtype)
    values = [0.0, -0.0, info.tiny * info.eps, -info.tiny * info.eps, info.tiny, 1.0, -1.0,
              info.max, -info.max, float("inf"), float("-inf"), float("nan")]
    x = torch.tensor(values, dtype=dtype)
    g = torch.randn(len(values)).to(dtype)
    grads = []
    for fn in (F.relu, TF.relu):
        leaf = x.clone().requires_grad_()
        (grad,) = torch.autograd.grad(fn(leaf), leaf, g)
        grads.append(grad)
    assert_close(grads[0], grads[1], rtol=0, atol=0, equal_nan=True)
    assert grads[0][0].item() == 0 and grads[0][-1].item() == g[-1].item()  # relu'(0) = 0; nan passes


def test_bool_input_raises_like_torch():
    x = torch.tensor([True, False])
    with pytest.raises(RuntimeError, match="Boolean inputs not supported for relu"):
        TF.relu(x)
    with pytest.raises(RuntimeError, match="Boolean inputs not supported for relu"):
        F.relu(x)


@pytest.mark.parametrize("transform", ["grad", "vmap_grad", "jvp"])
def test_nan_input_gradient_under_torch_func_like_torch(transform):
    """A nan input passes its gradient through (nan != 0), under torch.func as in eager."""
    x = torch.tensor([float("nan"), -1.0, 0.0, 2.0], dtype=torch.float64)

    def run(relu):
        if transform == "grad":
            return torch.func.grad(lambda t: relu(t).sum())(x)
        if transform == "vmap_grad":
            return torch.func.vmap(torch.func.grad(lambda t: relu(t)))(x)
        return torch.func.jvp(relu, (x,), (torch.ones_like(x),))[1]

    ours, theirs = run(F.relu), run(TF.relu)
    assert_close(ours, theirs, equal_nan=True)
    assert ours[0] == 1  # the incoming gradient, passed through at nan
