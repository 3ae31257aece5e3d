"""Under ``torch.autocast`` every twin behaves as its torch twin: output dtype, gradient dtypes, values.

CPU autocast is tested in bfloat16 and float16; CUDA autocast follows the same tables
(``customgrad/ops/_autocast.py``) and is exercised where a GPU is present.
"""

import pytest
import torch
import torch.nn.functional as TF
from torch.testing import assert_close

import customgrad.functional as CF
from customgrad.twins import TWINS

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
DTYPES = {"cpu": [torch.bfloat16, torch.float16], "cuda": [torch.float16, torch.bfloat16]}
CASES = [(d, t) for d in DEVICES for t in DTYPES[d]]


def _under_autocast(fn, args, kwargs, device, dtype):
    args = [a.detach().clone().to(device).requires_grad_(a.requires_grad) if isinstance(a, torch.Tensor) else a
            for a in args]
    kwargs = {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in kwargs.items()}
    with torch.autocast(device, dtype=dtype):
        out = fn(*args, **kwargs)
    out.float().sum().backward()  # backward outside the region, as torch recommends
    return out, [a.grad for a in args if isinstance(a, torch.Tensor) and a.requires_grad]


@pytest.mark.parametrize("device, dtype", CASES)
@pytest.mark.parametrize("name", sorted(TWINS))
def test_twin_under_autocast_like_torch(name, device, dtype):
    twin = TWINS[name]
    args, kwargs = twin.sample(torch.float32)
    ours, ours_grads = _under_autocast(twin.ours, args, kwargs, device, dtype)
    theirs, their_grads = _under_autocast(twin.reference, args, kwargs, device, dtype)
    assert ours.dtype == theirs.dtype
    # Both sides compute in the same precision; allow a few of its rounding steps.
    tol = dict(rtol=4 * torch.finfo(ours.dtype).eps, atol=4 * torch.finfo(ours.dtype).eps)
    assert_close(ours, theirs, **tol)
    assert len(ours_grads) == len(their_grads)
    for g, h in zip(ours_grads, their_grads):
        assert g.dtype == h.dtype
        assert_close(g, h, rtol=8 * torch.finfo(dtype).eps, atol=8 * torch.finfo(dtype).eps)


@pytest.mark.parametrize("device, dtype", CASES)
def test_mixed_precision_training_step_like_torch(device, dtype):
    """Linear -> ReLU -> Linear -> cross-entropy under autocast: a float32 loss, float32 parameter gradients."""
    torch.manual_seed(0)
    x = torch.randn(8, 6, device=device)
    target = torch.randint(0, 3, (8,), device=device)
    params = [torch.randn(5, 6, device=device), torch.randn(5, device=device),
              torch.randn(3, 5, device=device), torch.randn(3, device=device)]

    def step(F):
        ps = [p.clone().requires_grad_() for p in params]
        with torch.autocast(device, dtype=dtype):
            h = F.relu(F.linear(x, ps[0], ps[1]))
            loss = F.cross_entropy(F.linear(h, ps[2], ps[3]), target)
        loss.backward()
        return loss, [p.grad for p in ps]

    ours, ours_grads = step(CF)
    theirs, their_grads = step(TF)
    assert ours.dtype == theirs.dtype == torch.float32
    assert_close(ours, theirs)
    for g, h in zip(ours_grads, their_grads):
        assert g.dtype == h.dtype == torch.float32
        assert_close(g, h, rtol=1e-2, atol=1e-2)


def test_autocast_does_not_change_anything_outside_a_region():
    x, w = torch.randn(3, 4, dtype=torch.float64), torch.randn(2, 4, dtype=torch.float64)
    assert CF.linear(x, w).dtype == torch.float64
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert CF.linear(x, w).dtype == torch.float64  # autocast leaves float64 alone, as torch
        assert TF.linear(x, w).dtype == torch.float64
