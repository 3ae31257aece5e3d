"""ReLU beyond the generic twin checks: the seeds' worked examples, integers, the module."""

import torch
import torch.nn.functional as TF

import customgrad.functional as F
from customgrad import nn
from customgrad.functions import ReLUFunction


def test_seed_worked_example():
    x = torch.tensor([-2.0, -1.0, 0.0, 1.0, 2.0], requires_grad=True)
    y = F.relu(x)
    assert torch.equal(y, torch.tensor([0.0, 0.0, 0.0, 1.0, 2.0]))
    y.sum().backward()
    assert torch.equal(x.grad, torch.tensor([0.0, 0.0, 0.0, 1.0, 1.0]))


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


def test_backward_skips_work_when_no_input_needs_grad():
    x = torch.randn(5)
    y = ReLUFunction.apply(x)
    assert y.grad_fn is None


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
