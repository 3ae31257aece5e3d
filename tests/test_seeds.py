"""The seeds' code examples (shared/seeds/000-004), run against customgrad with only their imports changed.

Every example in the source material runs on the library once its import lines point at
customgrad.  Each test below is one example: first the import lines (the seed's own, with its
names mapped to ours), then the seed's code as it stands, minus plotting, timing loops and
prints; then assertions on the numbers the seed states or implies, and on torch's own result.
Where a seed's example is wrong in itself, a comment says so and the corrected form is tested too.

Name map: custom_relu -> customgrad.functional.relu; ReLUFunction, CustomReLU and 002's ReLU ->
ReLUFunction; swish_custom / mish_custom -> customgrad.functional.silu / mish; Square, Cube, Exp,
Linear, Sigmoid, Tanh, LearnedSiLU -> the XFunction of that name; MyReLU -> customgrad.nn.ReLU;
002's custom Linear layer and 001's nn.Linear -> customgrad.nn.Linear; CustomLeakyReLU ->
LeakyReLUFunction.
"""

from __future__ import annotations

import math
import types

import pytest
import torch
import torch.nn.functional as TF
from torch.testing import assert_close

import customgrad.functional
import customgrad.nn

# Seed 001's network code says `nn.Module` and `nn.Linear` after `import torch.nn as nn`.
# customgrad.nn has no Module of its own, so its import line becomes this namespace:
# torch's Module, our Linear.
OUR_NN = types.SimpleNamespace(Module=torch.nn.Module, Linear=customgrad.nn.Linear)


# torch's warning when a full backward hook's module has no input that requires grad.
NO_INPUT_GRAD = "no inputs require gradients"


def reference_mlp(x, linears, act=TF.relu, upstream=None):
    """Torch-only run of an MLP whose hidden layers are ``act``: the outputs of every Linear
    (pre-activation), the gradient reaching each of them, and the gradients of x and the parameters."""
    params = [(l.weight.detach().clone().requires_grad_(), l.bias.detach().clone().requires_grad_()) for l in linears]
    x = x.detach().clone().requires_grad_()
    outs, h = [], x
    for i, (W, b) in enumerate(params):
        h = TF.linear(h, W, b)
        h.retain_grad()
        outs.append(h)
        if i < len(params) - 1:
            h = act(h)
    h.backward(torch.ones_like(h) if upstream is None else upstream)
    return types.SimpleNamespace(
        outs=[o.detach() for o in outs], out_grads=[o.grad for o in outs], x_grad=x.grad, params=params
    )


# === seed 000: "Lab 03", a ReLU from scratch ===========================================================


def test_000_starter_test_custom_relu():
    import torch
    import torch.nn.functional as F  # the reference it compares against stays torch's

    from customgrad.functional import relu as custom_relu

    # Test forward pass
    x = torch.tensor([-2.0, -1.0, 0.0, 1.0, 2.0], requires_grad=True)
    y = custom_relu(x)
    loss = y.sum()
    loss.backward()
    # Compare with PyTorch's ReLU
    x2 = torch.tensor([-2.0, -1.0, 0.0, 1.0, 2.0], requires_grad=True)
    y2 = F.relu(x2)
    loss2 = y2.sum()
    loss2.backward()
    assert torch.allclose(y, y2), "Forward pass doesn't match!"
    assert torch.allclose(x.grad, x2.grad), "Backward pass doesn't match!"

    # The seed's worked example: forward [0, 0, 0, 1, 2], gradient [0, 0, 0, 1, 1] (relu'(0) = 0).
    assert torch.equal(y.detach(), torch.tensor([0.0, 0.0, 0.0, 1.0, 2.0]))
    assert torch.equal(x.grad, torch.tensor([0.0, 0.0, 0.0, 1.0, 1.0]))


def test_000_gradcheck_hint_and_verify_gradients():
    import torch
    from torch.autograd import gradcheck

    from customgrad.functional import relu as custom_relu

    # Hint 4
    input = torch.randn(10, dtype=torch.double, requires_grad=True)
    test = gradcheck(custom_relu, input, eps=1e-6, atol=1e-4)
    assert test is True
    # verify_gradients()
    input = torch.randn(20, dtype=torch.double, requires_grad=True)
    test = gradcheck(custom_relu, input, eps=1e-6, atol=1e-4)
    assert test is True


def test_000_compare_with_pytorch_without_the_timing_loop():
    import torch
    import torch.nn.functional as F

    from customgrad.functional import relu as custom_relu

    x_custom = torch.randn(1000, requires_grad=True)
    x_pytorch = x_custom.clone().detach().requires_grad_(True)
    y_custom = custom_relu(x_custom)
    y_pytorch = F.relu(x_pytorch)
    assert torch.allclose(y_custom, y_pytorch), "Forward pass mismatch!"
    loss_custom = y_custom.sum()
    loss_pytorch = y_pytorch.sum()
    loss_custom.backward()
    loss_pytorch.backward()
    assert torch.allclose(x_custom.grad, x_pytorch.grad), "Gradient mismatch!"
    # (The seed then times 100 calls on a 10000 x 10000 tensor: left to the benchmarks.)


def test_000_edge_cases():
    import torch

    from customgrad.functional import relu as custom_relu

    # Test 1: Exactly zero
    x = torch.tensor([0.0], requires_grad=True)
    y = custom_relu(x)
    assert y.item() == 0.0, "ReLU(0) should be 0"
    y.backward()
    assert x.grad.item() == 0.0, "Gradient at 0 should be 0"
    # Test 2: Very small positive
    x = torch.tensor([1e-10], requires_grad=True)
    y = custom_relu(x)
    assert y.item() > 0, "Small positive should pass through"
    y.backward()
    assert x.grad.item() == 1.0, "Gradient should be 1"
    # Test 3: Very small negative
    x = torch.tensor([-1e-10], requires_grad=True)
    y = custom_relu(x)
    assert y.item() == 0.0, "Small negative should be 0"
    y.backward()
    assert x.grad.item() == 0.0, "Gradient should be 0"
    # Test 4: Large values
    x = torch.tensor([1e10, -1e10], requires_grad=True)
    y = custom_relu(x)
    assert y[0].item() == 1e10, "Large positive preserved"
    assert y[1].item() == 0.0, "Large negative zeroed"
    # Test 5: Multidimensional
    x = torch.randn(10, 20, 30, requires_grad=True)
    y = custom_relu(x)
    assert y.shape == x.shape, "Shape should be preserved"
    loss = y.sum()
    loss.backward()
    assert x.grad.shape == x.shape, "Gradient shape should match input"


def test_000_custom_relu_net():
    import torch
    import torch.nn as nn  # the lab's network keeps torch's Linear; only its activation is ours

    from customgrad.functional import relu as custom_relu

    class CustomReLUNet(nn.Module):
        def __init__(self, input_size, hidden_size, output_size):
            super().__init__()
            self.fc1 = nn.Linear(input_size, hidden_size)
            self.fc2 = nn.Linear(hidden_size, output_size)

        def forward(self, x):
            x = self.fc1(x)
            x = custom_relu(x)  # Use custom ReLU
            x = self.fc2(x)
            return x

    # Test the network
    model = CustomReLUNet(10, 20, 2)
    x = torch.randn(5, 10)
    y = model(x)
    # Verify gradients flow correctly
    loss = y.sum()
    loss.backward()

    ref = reference_mlp(x, [model.fc1, model.fc2])
    assert_close(y.detach(), ref.outs[-1])
    for layer, (W, b) in zip((model.fc1, model.fc2), ref.params):
        assert_close(layer.weight.grad, W.grad)
        assert_close(layer.bias.grad, b.grad)


def test_000_comprehensive_tests():
    import torch
    import torch.nn.functional as F
    from torch.autograd import gradcheck

    from customgrad.functional import relu as custom_relu

    # Test 1: Basic functionality
    x = torch.tensor([-2.0, -1.0, 0.0, 1.0, 2.0], requires_grad=True)
    y = custom_relu(x)
    expected = torch.tensor([0.0, 0.0, 0.0, 1.0, 2.0])
    assert torch.allclose(y, expected), "Basic forward pass failed"
    # Test 2: Gradient computation
    loss = y.sum()
    loss.backward()
    expected_grad = torch.tensor([0.0, 0.0, 0.0, 1.0, 1.0])
    assert torch.allclose(x.grad, expected_grad), "Gradient computation failed"
    # Test 3: Gradient check
    x = torch.randn(10, dtype=torch.double, requires_grad=True)
    assert gradcheck(custom_relu, x, eps=1e-6, atol=1e-4), "Gradient check failed"
    # Test 4: Match PyTorch
    x1 = torch.randn(100, requires_grad=True)
    x2 = x1.clone().detach().requires_grad_(True)
    y1 = custom_relu(x1)
    y2 = F.relu(x2)
    assert torch.allclose(y1, y2), "Forward doesn't match PyTorch"
    y1.sum().backward()
    y2.sum().backward()
    assert torch.allclose(x1.grad, x2.grad), "Gradient doesn't match PyTorch"
    # Test 5: Multidimensional
    x = torch.randn(10, 20, 30, requires_grad=True)
    y = custom_relu(x)
    assert y.shape == x.shape
    y.sum().backward()
    assert x.grad.shape == x.shape


# === seed 001: "Task 6.3", autograd deep dive =========================================================


def test_001_swish_custom_run():
    import torch

    from customgrad.functional import silu as swish_custom

    x = torch.randn(5, requires_grad=True)
    y = swish_custom(x)
    y.sum().backward()

    # The seed's formulas: x sigma(x), and sigma(x) (1 + x (1 - sigma(x))).
    s = torch.sigmoid(x.detach())
    assert_close(y.detach(), x.detach() * s)
    assert_close(x.grad, s * (1 + x.detach() * (1 - s)))


def test_001_swish_and_mish_gradcheck():
    import torch
    from torch.autograd import gradcheck

    from customgrad.functions import MishFunction, SwishFunction

    x_test = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    test_passed = gradcheck(SwishFunction.apply, (x_test,), eps=1e-6, atol=1e-4, rtol=1e-3)
    assert test_passed is True

    x_test = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    test_passed = gradcheck(MishFunction.apply, (x_test,), eps=1e-6, atol=1e-4, rtol=1e-3)
    assert test_passed is True


def test_001_visualisation_values_and_derivative_loop():
    import torch
    import torch.nn.functional as F  # ReLU, GELU, Tanh in the figure are torch's own

    from customgrad.functional import mish as mish_custom
    from customgrad.functional import silu as swish_custom

    x = torch.linspace(-5, 5, 200)
    activations = {
        "ReLU": F.relu(x),
        "Swish (Custom)": swish_custom(x.clone().requires_grad_(True)).detach(),
        "Mish (Custom)": mish_custom(x.clone().requires_grad_(True)).detach(),
        "GELU": F.gelu(x),
        "Tanh": torch.tanh(x),
    }
    derivatives = {}  # the seed plots each x_grad.grad; we keep them instead
    for name, _ in activations.items():
        x_grad = x.clone().requires_grad_(True)
        if name == "ReLU":
            y = F.relu(x_grad)
        elif "Swish" in name:
            y = swish_custom(x_grad)
        elif "Mish" in name:
            y = mish_custom(x_grad)
        elif name == "GELU":
            y = F.gelu(x_grad)
        else:  # Tanh
            y = torch.tanh(x_grad)
        y.sum().backward()
        derivatives[name] = x_grad.grad

    assert_close(activations["Swish (Custom)"], TF.silu(x))
    assert_close(activations["Mish (Custom)"], TF.mish(x))
    for name, torch_fn in (("Swish (Custom)", TF.silu), ("Mish (Custom)", TF.mish)):
        xr = x.clone().requires_grad_(True)
        torch_fn(xr).sum().backward()
        assert_close(derivatives[name], xr.grad)
    # The seed's observations: ReLU's derivative is 0 below zero; Swish and Mish dip below 0 there.
    assert torch.equal(derivatives["ReLU"], (x > 0).float())
    assert derivatives["Swish (Custom)"].min() < 0 and derivatives["Mish (Custom)"].min() < 0
    assert activations["Swish (Custom)"].min() < 0 and activations["Mish (Custom)"].min() < 0


def _seed_001_simple_net():
    """Seed 001's SimpleNet, its imports pointed at customgrad (our Linear, our relu)."""
    import customgrad.functional as F

    nn = OUR_NN

    class SimpleNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(10, 20)
            self.fc2 = nn.Linear(20, 10)
            self.fc3 = nn.Linear(10, 2)

        def forward(self, x):
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            x = self.fc3(x)
            return x

    return SimpleNet


def test_001_forward_and_backward_hooks():
    import torch

    nn = OUR_NN
    SimpleNet = _seed_001_simple_net()

    model = SimpleNet()
    assert repr(model).count("Linear(in_features=") == 3
    assert "Linear(in_features=10, out_features=20, bias=True)" in repr(model)

    activations = {}
    gradients = {}

    def get_activation_hook(name):
        def hook(module, input, output):
            activations[name] = output.detach()

        return hook

    def get_gradient_hook(name):
        def hook(module, grad_input, grad_output):
            gradients[name] = grad_output[0].detach()

        return hook

    handles = []
    for name, layer in model.named_modules():
        if isinstance(layer, nn.Linear):
            handles.append(layer.register_forward_hook(get_activation_hook(name)))
            handles.append(layer.register_full_backward_hook(get_gradient_hook(name)))
    x = torch.randn(1, 10)
    y = model(x)
    loss = y.sum()
    with pytest.warns(UserWarning, match=NO_INPUT_GRAD):  # torch's, as with torch.nn.Linear: x needs no grad
        loss.backward()
    for h in handles:
        h.remove()

    # Every Linear was hooked once each way, and saw what torch's own layers see.
    ref = reference_mlp(x, [model.fc1, model.fc2, model.fc3])
    assert list(activations) == ["fc1", "fc2", "fc3"]
    assert sorted(gradients) == ["fc1", "fc2", "fc3"]
    for i, name in enumerate(("fc1", "fc2", "fc3")):
        assert_close(activations[name], ref.outs[i])
        assert_close(gradients[name], ref.out_grads[i])
    assert torch.equal(gradients["fc3"], torch.ones(1, 2))  # d(sum)/dy
    # The handles are gone: another pass records nothing new.
    activations.clear()
    model(x)
    assert activations == {}


def _gradient_clip_hook(max_norm: float):
    """Seed 001's gradient_clip_hook, unchanged."""

    def hook(module, grad_input, grad_output):
        clipped_grads = []
        for grad in grad_input:
            if grad is not None:
                norm = grad.norm()
                if norm > max_norm:
                    grad = grad * max_norm / norm
            clipped_grads.append(grad)
        return tuple(clipped_grads)

    return hook


def test_001_gradient_clipping_hook_as_written():
    import torch

    SimpleNet = _seed_001_simple_net()
    gradient_clip_hook = _gradient_clip_hook

    model2 = SimpleNet()
    handle = model2.fc1.register_full_backward_hook(gradient_clip_hook(1.0))
    x = torch.randn(1, 10)
    y = model2(x)
    with pytest.warns(UserWarning, match=NO_INPUT_GRAD):  # torch says so too: see below
        (y * 1000).sum().backward()  # Large gradient
    handle.remove()

    # Seed bug: the hook clips grad_input, the gradient w.r.t. fc1's *input* x.  Here x does not
    # require grad, so grad_input is (None,) and nothing is clipped; the line the seed prints ("input
    # grad norm") shows in fact fc1's weight gradient, which a module hook never touches.  It is unclipped:
    ref = reference_mlp(x, [model2.fc1, model2.fc2, model2.fc3], upstream=torch.full((1, 2), 1000.0))
    assert_close(model2.fc1.weight.grad, ref.params[0][0].grad)
    assert model2.fc1.weight.grad.norm() > 1.0


def test_001_gradient_clipping_hook_corrected():
    """The form that shows the clipping: x requires grad, and it is x.grad whose norm is 1 after the hook."""
    import torch

    SimpleNet = _seed_001_simple_net()
    gradient_clip_hook = _gradient_clip_hook

    model2 = SimpleNet()
    handle = model2.fc1.register_full_backward_hook(gradient_clip_hook(1.0))
    x = torch.randn(1, 10, requires_grad=True)
    y = model2(x)
    (y * 1000).sum().backward()
    handle.remove()

    ref = reference_mlp(x, [model2.fc1, model2.fc2, model2.fc3], upstream=torch.full((1, 2), 1000.0))
    assert ref.x_grad.norm() > 1.0  # unclipped, it would be large
    assert_close(x.grad.norm(), torch.tensor(1.0))
    assert_close(x.grad, ref.x_grad / ref.x_grad.norm())  # same direction, norm 1
    assert_close(model2.fc1.weight.grad, ref.params[0][0].grad)  # parameters are untouched


def test_001_hardswish_exercise_check():
    import torch
    from torch.autograd import gradcheck

    from customgrad.functions import HardSwishFunction

    x_test = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    test_passed = gradcheck(HardSwishFunction.apply, (x_test,), eps=1e-6)
    assert test_passed is True


# === seed 002: a README of custom Functions ===========================================================


def test_002_square_cube_exp():
    import torch

    from customgrad.functions import CubeFunction as Cube
    from customgrad.functions import ExpFunction as Exp
    from customgrad.functions import SquareFunction as Square

    x = torch.tensor(2.0, requires_grad=True)
    y_square = Square.apply(x)  # 4.0
    y_cube = Cube.apply(x)  # 8.0
    y_exp = Exp.apply(x)  # e^2 ≈ 7.39
    y_square.backward()

    assert y_square.item() == 4.0 and y_cube.item() == 8.0
    assert y_exp.item() == pytest.approx(math.exp(2.0)) and round(y_exp.item(), 2) == 7.39
    assert x.grad.item() == 4.0


def test_002_square_cube_exp_derivatives():
    """The README's stated derivatives, 2x, 3x^2, e^x, at x = 2."""
    from customgrad.functions import CubeFunction as Cube
    from customgrad.functions import ExpFunction as Exp
    from customgrad.functions import SquareFunction as Square

    for fn, derivative in ((Square, 4.0), (Cube, 12.0), (Exp, math.exp(2.0))):
        x = torch.tensor(2.0, requires_grad=True)
        fn.apply(x).backward()
        assert x.grad.item() == pytest.approx(derivative)


def test_002_activation_snippets():
    """`ReLU.apply`, `Sigmoid.apply`, `Tanh.apply` with the README's derivative formulas."""
    from customgrad.functions import ReLUFunction as ReLU
    from customgrad.functions import SigmoidFunction as Sigmoid
    from customgrad.functions import TanhFunction as Tanh

    input = torch.tensor([-2.0, -0.5, 0.0, 0.5, 2.0])
    for fn, forward, derivative in (
        (ReLU, input.clamp(min=0), (input > 0).float()),
        (Sigmoid, torch.sigmoid(input), torch.sigmoid(input) * (1 - torch.sigmoid(input))),
        (Tanh, torch.tanh(input), 1 - torch.tanh(input) ** 2),
    ):
        x = input.clone().requires_grad_()
        output = fn.apply(x)
        output.sum().backward()
        assert_close(output.detach(), forward)
        assert_close(x.grad, derivative)


def test_002_linear_then_relu_with_bias_1x2():
    import torch

    from customgrad.functions import LinearFunction as Linear
    from customgrad.functions import ReLUFunction as ReLU

    x = torch.tensor([[1.0, 2.0, 3.0]], requires_grad=True)  # [1, 3]
    W = torch.tensor([[0.5, 0.5, 0.5], [1.0, 1.0, 1.0]], requires_grad=True)  # [2, 3]
    b = torch.tensor([[0.1, 0.2]], requires_grad=True)  # [1, 2]
    linear_out = Linear.apply(x, W, b)  # [1, 2]
    activation_out = ReLU.apply(linear_out)
    loss = activation_out.sum()
    loss.backward()

    # x W^T + b = [3 + 0.1, 6 + 0.2]; both positive, so ReLU passes the ones of sum() through:
    # dL/dx = ones @ W, dL/dW = ones^T @ x, dL/db = ones in b's own (1, 2) shape.
    assert linear_out.shape == (1, 2)
    assert_close(linear_out.detach(), torch.tensor([[3.1, 6.2]]))
    assert_close(x.grad, torch.tensor([[1.5, 1.5, 1.5]]))
    assert_close(W.grad, torch.tensor([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]))
    assert b.grad.shape == (1, 2)
    assert_close(b.grad, torch.ones(1, 2))
    # The same as torch's relu(x W^T + b).
    x2, W2, b2 = (t.detach().clone().requires_grad_() for t in (x, W, b))
    TF.relu(x2 @ W2.T + b2).sum().backward()
    assert_close(linear_out, x2 @ W2.T + b2)
    assert_close(x.grad, x2.grad)
    assert_close(W.grad, W2.grad)
    assert_close(b.grad, b2.grad)


def test_002_learned_silu():
    import torch

    from customgrad.functions import LearnedSiLUFunction as LearnedSiLU

    x = torch.tensor([[1.0, -1.0, 2.0]], requires_grad=True)
    slope = torch.tensor([0.5], requires_grad=True)
    y = LearnedSiLU.apply(x, slope)
    loss = y.sum()
    loss.backward()

    # The README's formulas: df/dx = slope (sigma + x sigma'), df/dslope = x sigma(x).
    xd = x.detach()
    s = torch.sigmoid(xd)
    assert_close(y.detach(), 0.5 * xd * s)
    assert_close(x.grad, 0.5 * (s + xd * s * (1 - s)))
    assert slope.grad.shape == (1,)
    assert_close(slope.grad, (xd * s).sum().reshape(1))
    # The same as torch's composite slope * silu(x).
    xr = x.detach().clone().requires_grad_()
    sr = slope.detach().clone().requires_grad_()
    yr = sr * TF.silu(xr)
    yr.sum().backward()
    assert_close(y, yr.detach())
    assert_close(x.grad, xr.grad)
    assert_close(slope.grad, sr.grad)


def test_002_complete_network():
    import torch

    from customgrad.functions import LearnedSiLUFunction as LearnedSiLU
    from customgrad.functions import LinearFunction as Linear

    x = torch.tensor([[2.0, 2.0, 2.0]], requires_grad=True)
    W = torch.tensor([[3.0, 3.0, 3.0], [1.0, 1.0, 1.0]], requires_grad=True)
    b = torch.tensor([[-5.0, -12.0]], requires_grad=True)
    slope = torch.tensor([-1.0], requires_grad=True)
    linear_output = Linear.apply(x, W, b)  # Linear transformation
    final_output = LearnedSiLU.apply(linear_output, slope)  # Learnable activation
    loss = final_output.sum()
    loss.backward()

    # x W^T + b = [18 - 5, 6 - 12] = [13, -6]; y = -silu(h).
    assert torch.equal(linear_output.detach(), torch.tensor([[13.0, -6.0]]))
    h = torch.tensor([[13.0, -6.0]])
    s = torch.sigmoid(h)
    dy_dh = -(s * (1 + h * (1 - s)))  # slope * silu'(h)
    assert_close(final_output.detach(), -h * s)
    assert_close(slope.grad, (h * s).sum().reshape(1))
    assert_close(b.grad, dy_dh)
    assert_close(W.grad, dy_dh.mT @ x.detach())
    assert_close(x.grad, dy_dh @ W.detach())
    # The same as torch's composite slope * silu(x W^T + b).
    leaves = [t.detach().clone().requires_grad_() for t in (x, W, b, slope)]
    h = leaves[0] @ leaves[1].T + leaves[2]
    (leaves[3] * h * torch.sigmoid(h)).sum().backward()
    for ours, theirs in zip((x, W, b, slope), leaves):
        assert_close(ours.grad, theirs.grad)


def test_002_square_gradcheck():
    import torch
    from torch.autograd import gradcheck

    from customgrad.functions import SquareFunction as Square

    def test_square_gradients():
        x = torch.randn(10, dtype=torch.double, requires_grad=True)
        test = gradcheck(Square.apply, x, eps=1e-6, atol=1e-4)
        return test

    assert test_square_gradients() is True


# === seed 003: the MyReLU module exercise =============================================================


def test_003_myrelu_on_integer_arange_and_random():
    import torch

    from customgrad.nn import ReLU as MyReLU

    test_tensor = torch.arange(-10, 10, 1)
    relu = MyReLU()
    out = relu(test_tensor)
    # "All negative values in the tensor vector must be zero", and the integers stay integers.
    assert out.dtype == torch.int64
    assert torch.equal(out, torch.cat([torch.zeros(10, dtype=torch.int64), torch.arange(0, 10)]))
    assert torch.equal(test_tensor, torch.arange(-10, 10, 1))  # not in place: input untouched

    n = 5
    test_tensor = torch.randn((n, n))
    assert torch.equal(relu(test_tensor), TF.relu(test_tensor))


def test_003_inplace_checks_pass():
    import torch

    from customgrad.nn import ReLU as MyReLU

    x = torch.tensor([1.0, -2.0, 3.0, -4.0, 5.0])
    relu = MyReLU()
    relu_inplace = MyReLU(inplace=True)

    # Non-in-place ReLU: the seed's first PASSED condition
    y = relu(x)
    assert id(x) != id(y) and x.data_ptr() != y.data_ptr(), "In place operation FAILED."
    assert torch.equal(y, torch.tensor([1.0, 0.0, 3.0, 0.0, 5.0]))
    assert torch.equal(x, torch.tensor([1.0, -2.0, 3.0, -4.0, 5.0]))

    # In-place ReLU: the second PASSED condition (the seed labels it "non-implace ... SAME")
    y = relu_inplace(x)
    assert id(x) == id(y) and x.data_ptr() == y.data_ptr(), "In place operation FAILED."
    assert torch.equal(x, torch.tensor([1.0, 0.0, 3.0, 0.0, 5.0]))


# === seed 004: custom ReLU and ctx (Chinese article) ==================================================


def test_004_custom_relu_apply_example():
    import torch

    from customgrad.functions import ReLUFunction as CustomReLU

    custom_relu = CustomReLU.apply  # must go through apply
    input_tensor = torch.tensor([-1.0, 2.0, -3.0], requires_grad=True)
    output = custom_relu(input_tensor)  # [0, 2, 0]
    loss = output.sum()  # 2
    loss.backward()

    assert torch.equal(output.detach(), torch.tensor([0.0, 2.0, 0.0]))
    assert loss.item() == 2.0
    assert torch.equal(input_tensor.grad, torch.tensor([0.0, 1.0, 0.0]))
    # The article's own backward masks `input < 0`, which gives relu'(0) = 1; ours follows torch
    # (relu'(0) = 0).  Its example has no zero, so its numbers hold for both.


def test_004_gradcheck_tip_corrected_to_double():
    import torch
    from torch.autograd import gradcheck

    from customgrad.functions import ReLUFunction as CustomReLU

    custom_relu = CustomReLU.apply
    # Seed bug: the article calls gradcheck on `torch.randn(3, requires_grad=True)`, float32.
    # Finite differences in float32 are too coarse for gradcheck's tolerances: torch warns, and
    # for most random draws the check fails on a correct ReLU (174 of 200 seeds, measured).
    # The corrected form is float64:
    test_input = torch.randn(3, dtype=torch.double, requires_grad=True)
    assert gradcheck(custom_relu, test_input) is True


def test_004_leaky_relu_alpha_gets_no_gradient():
    import torch

    from customgrad.functions import LeakyReLUFunction as CustomLeakyReLU

    x = torch.tensor([-1.0, 2.0, -3.0, 0.0], requires_grad=True)
    y = CustomLeakyReLU.apply(x, 0.01)
    assert_close(y.detach(), torch.tensor([-0.01, 2.0, -0.03, 0.0]))

    # What backward returns, one entry per forward input: the number alpha gets None,
    # as in the article's `return ..., None` (the trailing None is our `inplace` flag).
    grads = y.grad_fn.apply(torch.ones(4))
    assert len(grads) == 3 and grads[1:] == (None, None)
    # The article's mask (input > 0): slope 1 above zero, alpha at and below it (torch's convention).
    expected = torch.tensor([0.01, 1.0, 0.01, 0.01])
    assert_close(grads[0], expected)
    y.sum().backward()
    assert_close(x.grad, expected)
