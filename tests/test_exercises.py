"""customgrad.exercises: a correct solution passes every exercise, and each typical wrong attempt is
caught with a message that names the problem in plain words (no traceback)."""

from __future__ import annotations

import math
import warnings

import pytest
import torch
from torch import nn

import customgrad.functions as CF
import customgrad.nn as cnn
from customgrad import exercises
from customgrad.exercises import EXERCISES, ExerciseResult, check

# --- correct solutions, written as a reader would ---------------------------------------------------


class HardSwish(torch.autograd.Function):
    @staticmethod
    def forward(x):
        return x * (x + 3).clamp(0, 6) / 6

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        slope = torch.where(x <= -3, 0.0, torch.where(x >= 3, 1.0, x / 3 + 0.5))
        return grad_output * slope


class LeakyReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, negative_slope):
        ctx.save_for_backward(x)
        ctx.negative_slope = negative_slope
        return torch.where(x > 0, x, x * negative_slope)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return torch.where(x > 0, grad_output, grad_output * ctx.negative_slope), None


class PReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight):
        w = weight.view(-1, *[1] * (x.dim() - 2)) if x.dim() > 1 and weight.numel() > 1 else weight
        ctx.save_for_backward(x, w)
        return torch.where(x > 0, x, w * x)

    @staticmethod
    def backward(ctx, grad_output):
        x, w = ctx.saved_tensors
        grad_x = torch.where(x > 0, grad_output, w * grad_output)
        grad_w = torch.where(x > 0, 0.0, x * grad_output)
        if w.numel() == 1:
            grad_w = grad_w.sum().reshape(1)
        else:
            grad_w = grad_w.sum(dim=[d for d in range(x.dim()) if d != 1])
        return grad_x, grad_w


class ELU(torch.autograd.Function):
    @staticmethod
    def forward(x, alpha):
        return torch.where(x > 0, x, alpha * torch.expm1(x))

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)
        ctx.alpha = inputs[1]

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return torch.where(y > 0, grad_output, grad_output * (y + ctx.alpha)), None


class GELU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, approximate):
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        if approximate == "tanh":
            return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
        return 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        if ctx.approximate == "tanh":
            k = math.sqrt(2 / math.pi)
            t = torch.tanh(k * (x + 0.044715 * x**3))
            slope = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x**2)
        else:
            slope = 0.5 * (1 + torch.erf(x / math.sqrt(2))) + x * torch.exp(-x * x / 2) / math.sqrt(2 * math.pi)
        return grad_output * slope, None


class InplaceReLU(nn.Module):
    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return x.clamp_(min=0) if self.inplace else x.clamp(min=0)


class MaskReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        mask = x > 0
        ctx.save_for_backward(mask)
        return x * mask

    @staticmethod
    def backward(ctx, grad_output):
        (mask,) = ctx.saved_tensors
        return grad_output * mask


class Huber(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input, target, delta):
        d = input - target
        ctx.save_for_backward(d)
        ctx.delta = delta
        quadratic = d.abs() < delta
        return torch.where(quadratic, 0.5 * d * d, delta * (d.abs() - 0.5 * delta)).mean()

    @staticmethod
    def backward(ctx, grad_output):
        (d,) = ctx.saved_tensors
        grad = d.clamp(-ctx.delta, ctx.delta) * (grad_output / d.numel())
        return grad, -grad, None


class Checkpoint(torch.autograd.Function):
    @staticmethod
    def forward(ctx, function, *inputs):
        ctx.function = function
        ctx.save_for_backward(*inputs)
        return function(*inputs)  # forward runs without recording a graph

    @staticmethod
    def backward(ctx, grad_output):
        inputs = [t.detach().requires_grad_(t.requires_grad) for t in ctx.saved_tensors]
        with torch.enable_grad():
            output = ctx.function(*inputs)
        wanted = [t for t in inputs if t.requires_grad]
        found = iter(torch.autograd.grad(output, wanted, grad_output, allow_unused=True))
        return (None, *[next(found) if t.requires_grad else None for t in inputs])


class RoundSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return torch.round(x)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output


SOLUTIONS = {
    "hardswish": HardSwish, "leaky_relu": LeakyReLU, "prelu": PReLU, "elu": ELU, "gelu": GELU,
    "relu_inplace": InplaceReLU, "relu_mask": MaskReLU, "huber_loss": Huber, "checkpoint": Checkpoint,
    "straight_through_round": RoundSTE,
}


def test_every_exercise_has_a_solution_and_a_statement():
    assert set(SOLUTIONS) == set(EXERCISES) == set(exercises.names())
    assert all(isinstance(s, str) and s and "\n" not in s for s in EXERCISES.values())


@pytest.mark.parametrize("name", list(SOLUTIONS))
def test_a_correct_solution_passes(name):
    result = check(name, SOLUTIONS[name])
    assert result.ok, str(result)
    assert result and not result.problems and result.checked
    text = str(result)
    assert text.startswith(f"✓ {name}: {SOLUTIONS[name].__name__} passes every check")
    assert check(name, SOLUTIONS[name], strict=True).ok


# customgrad's own Functions and Module, called the same way, pass too.
@pytest.mark.parametrize(("name", "candidate"), [
    ("hardswish", CF.HardSwishFunction), ("leaky_relu", CF.LeakyReLUFunction), ("prelu", CF.PReLUFunction),
    ("elu", CF.ELUFunction), ("gelu", CF.GELUFunction), ("relu_inplace", cnn.ReLU),
])
def test_the_library_passes(name, candidate):
    assert check(name, candidate).ok


# --- wrong attempts ------------------------------------------------------------------------------------


class HardSwishMiddleAtKinks(HardSwish):
    """The middle formula used at the kinks (x/3 + 1/2 at 3 is 1.5; torch takes 1)."""

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        slope = torch.where(x < -3, 0.0, torch.where(x > 3, 1.0, x / 3 + 0.5))
        return grad_output * slope


class HardSwishWrongSign(HardSwish):
    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        slope = torch.where(x <= -3, 0.0, torch.where(x >= 3, 1.0, x / 3 - 0.5))
        return grad_output * slope


class LeakyFixedSlope(LeakyReLU):
    """Ignores the negative_slope setting: always 0.01."""

    @staticmethod
    def forward(ctx, x, negative_slope):
        ctx.save_for_backward(x)
        return torch.where(x > 0, x, x * 0.01)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return torch.where(x > 0, grad_output, grad_output * 0.01), None


class LeakyTooFewGradients(LeakyReLU):
    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return torch.where(x > 0, grad_output, grad_output * ctx.negative_slope)


class LeakyMutatesGradOutput(LeakyReLU):
    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        grad_output[x <= 0] *= ctx.negative_slope
        return grad_output, None


class LeakyRightSlopeAtZero(LeakyReLU):
    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return torch.where(x >= 0, grad_output, grad_output * ctx.negative_slope), None


class PReLUWeightNotSummed(PReLU):
    @staticmethod
    def backward(ctx, grad_output):
        x, w = ctx.saved_tensors
        return torch.where(x > 0, grad_output, w * grad_output), torch.where(x > 0, 0.0, x * grad_output)


class PReLUNoWeightGradient(PReLU):
    @staticmethod
    def backward(ctx, grad_output):
        x, w = ctx.saved_tensors
        return torch.where(x > 0, grad_output, w * grad_output), None


class PReLULastDim(PReLU):
    """Broadcasts the weight against the last dimension, not the channels."""

    @staticmethod
    def forward(ctx, x, weight):
        ctx.save_for_backward(x, weight)
        return torch.where(x > 0, x, weight * x)


class ELUIgnoresAlphaInBackward(ELU):
    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return torch.where(y > 0, grad_output, grad_output * (y + 1)), None


class ELUIgnoresGradOutput(ELU):
    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return torch.where(y > 0, 1.0, y + ctx.alpha), None


class GELUAlwaysErf(GELU):
    @staticmethod
    def forward(ctx, x, approximate):
        ctx.save_for_backward(x)
        ctx.approximate = "none"
        return 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))


class InplaceReturnsNew(InplaceReLU):
    def forward(self, x):
        return x.clamp(min=0)


class InplaceAlways(InplaceReLU):
    def forward(self, x):
        return x.clamp_(min=0)


class InplaceThroughData(InplaceReLU):
    def forward(self, x):
        if self.inplace:
            x.data.clamp_(min=0)
            return x
        return x.clamp(min=0)


class InplaceNoArgument(nn.Module):
    def forward(self, x):
        return x.clamp(min=0)


class MaskSavesInput(MaskReLU):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * (x > 0)


class MaskSavesFloat(MaskReLU):
    @staticmethod
    def forward(ctx, x):
        mask = (x > 0).to(x.dtype)
        ctx.save_for_backward(mask)
        return x * mask


class MaskOnCtx(MaskReLU):
    @staticmethod
    def forward(ctx, x):
        ctx.mask = x > 0
        return x * ctx.mask

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ctx.mask


class MaskIncludesZero(MaskReLU):
    @staticmethod
    def forward(ctx, x):
        mask = x >= 0
        ctx.save_for_backward(mask)
        return x * mask


class HuberSum(Huber):
    @staticmethod
    def backward(ctx, grad_output):
        (d,) = ctx.saved_tensors
        grad = d.clamp(-ctx.delta, ctx.delta) * grad_output
        return grad, -grad, None


class HuberTargetSign(Huber):
    @staticmethod
    def backward(ctx, grad_output):
        (d,) = ctx.saved_tensors
        grad = d.clamp(-ctx.delta, ctx.delta) * (grad_output / d.numel())
        return grad, grad, None


class HuberNoNoneForDelta(Huber):
    @staticmethod
    def backward(ctx, grad_output):
        (d,) = ctx.saved_tensors
        grad = d.clamp(-ctx.delta, ctx.delta) * (grad_output / d.numel())
        return grad, -grad


class CheckpointKeepsGraph(Checkpoint):
    """Runs the function recording a graph in forward and keeps it: every activation stays alive."""

    @staticmethod
    def forward(ctx, function, *inputs):
        ctx.function = function
        ctx.save_for_backward(*inputs)
        with torch.enable_grad():
            leaves = [t.detach().requires_grad_() for t in inputs]
            output = function(*leaves)
        ctx.graph = (leaves, output)
        return output.detach()


class CheckpointNoEnableGrad(Checkpoint):
    @staticmethod
    def backward(ctx, grad_output):
        inputs = [t.detach().requires_grad_() for t in ctx.saved_tensors]
        output = ctx.function(*inputs)
        return (None, *torch.autograd.grad(output, inputs, grad_output))


class CheckpointForgetsNone(Checkpoint):
    @staticmethod
    def backward(ctx, grad_output):
        inputs = [t.detach().requires_grad_() for t in ctx.saved_tensors]
        with torch.enable_grad():
            output = ctx.function(*inputs)
        return torch.autograd.grad(output, inputs, grad_output)


class RoundZeroGradient(RoundSTE):
    @staticmethod
    def backward(ctx, grad_output):
        return torch.zeros_like(grad_output)


class RoundHalfUp(RoundSTE):
    @staticmethod
    def forward(ctx, x):
        return torch.floor(x + 0.5)


WRONG = [
    ("hardswish", HardSwishMiddleAtKinks, ["Your backward gives -0.5 at x = -3.0 where the derivative is 0.",
                                           "x = -3 is a kink of hardswish: the slope jumps from 0 on the left to "
                                           "-0.5 on the right, and torch takes 0 there (the slope on the left)"]),
    ("hardswish", HardSwishWrongSign, ["Your backward gives", "where the derivative is"]),
    ("leaky_relu", LeakyFixedSlope, ["With negative_slope = 0.2: your forward gives",
                                     "It is right with negative_slope = 0.01",
                                     "uses its negative_slope argument rather than a fixed value"]),
    ("leaky_relu", LeakyTooFewGradients, ["Your backward returns 1 gradient, but forward takes 2 inputs "
                                          "(x, negative_slope)", "None"]),
    ("leaky_relu", LeakyMutatesGradOutput, ["changes grad_output in place"]),
    ("leaky_relu", LeakyRightSlopeAtZero, ["at x = 0.0 where the derivative is 0.01", "kink of leaky_relu",
                                           "(the slope on the left)"]),
    ("prelu", PReLUWeightNotSummed, ["gradient of shape [2, 3, 22] for 'weight', whose shape is [3]",
                                     "sum over the dimensions that were broadcast"]),
    ("prelu", PReLUNoWeightGradient, ["returns None for weight, which requires grad"]),
    ("prelu", PReLULastDim, ["PReLULastDim.apply(input, weight) raised RuntimeError: The size of tensor a (3) must "
                             "match", "The slopes run along dim 1, the channels"]),
    ("elu", ELUIgnoresAlphaInBackward, ["With alpha = 1.3: your backward gives", "It is right with alpha = 1.0",
                                        "alpha argument"]),
    ("elu", ELUIgnoresGradOutput, ["ignores grad_output", "Multiply it by grad_output"]),
    ("gelu", GELUAlwaysErf, ["With approximate = 'tanh': your forward gives", "It is right with approximate = 'none'"]),
    ("relu_inplace", InplaceReturnsNew, ["(inplace=True)(x) returns a new tensor, not x itself"]),
    ("relu_inplace", InplaceAlways, ["(inplace=False)(x) returns x itself"]),
    ("relu_inplace", InplaceThroughData, ["without bumping its version counter", "not through x.data"]),
    ("relu_inplace", InplaceNoArgument, ["(inplace=False) raised TypeError", "must take inplace"]),
    ("relu_mask", MaskSavesInput, ["saves the input itself, float32 [1000] (4000 bytes", "Save the mask instead"]),
    ("relu_mask", MaskSavesFloat, ["saves a tensor, float32 [1000]", "torch.bool"]),
    ("relu_mask", MaskOnCtx, ["keeps a tensor on ctx as an attribute: ctx.mask (bool [4, 5])",
                              "Save tensors with ctx.save_for_backward"]),
    ("relu_mask", MaskIncludesZero, ["at x = 0.0 where the derivative is 0", "kink of relu"]),
    ("huber_loss", HuberSum, ["24 times too large", "the loss is a mean"]),
    ("huber_loss", HuberTargetSign, ["gradient for target", "wrong sign"]),
    ("huber_loss", HuberNoNoneForDelta, ["Your backward returns 2 gradients, but forward takes 3 inputs "
                                         "(input, target, delta)"]),
    ("checkpoint", CheckpointKeepsGraph, ["keeps 3 tensors for backward that are not inputs",
                                          "intermediate activations"]),
    ("checkpoint", CheckpointNoEnableGrad, ["torch.enable_grad()", "does not require grad"]),
    ("checkpoint", CheckpointForgetsNone, ["Your backward returns 3 gradients, but forward takes 4 inputs"]),
    ("straight_through_round", RoundZeroGradient, ["passes grad_output through unchanged", "zero everywhere"]),
    ("straight_through_round", RoundHalfUp, ["Your forward gives -3 at x = -3.5 where torch.round gives -4",
                                     "torch.round sends a half to the even neighbour"]),
]


@pytest.mark.parametrize(("name", "candidate", "words"), WRONG, ids=[c.__name__ for _, c, _ in WRONG])
def test_a_wrong_attempt_is_caught_and_named(name, candidate, words):
    result = check(name, candidate)
    text = str(result)
    assert not result.ok and not result, text
    assert text.startswith(f"✗ {name}: {candidate.__name__} is not right yet.")
    for w in words:
        assert w in text, f"{w!r} not in:\n{text}"
    assert "Traceback" not in text and 'File "' not in text
    with pytest.raises(AssertionError) as raised:
        check(name, candidate, strict=True)
    assert str(raised.value) == text


def test_every_exercise_has_a_wrong_attempt():
    assert {name for name, _, _ in WRONG} == set(EXERCISES)


def _instance(cls):
    with warnings.catch_warnings():  # torch warns that a Function should not be instantiated: the point here
        warnings.simplefilter("ignore", DeprecationWarning)
        return cls()


@pytest.mark.parametrize(("candidate", "words"), [
    (lambda: LeakyReLU.apply, "You passed LeakyReLU.apply; pass the class itself: check('leaky_relu', LeakyReLU)"),
    (lambda: _instance(LeakyReLU), "You passed an instance of LeakyReLU; pass the class itself"),
    (lambda: torch.nn.functional.leaky_relu,
     "takes a torch.autograd.Function subclass, and you passed the function leaky_relu"),
    (lambda: InplaceReLU, "takes a torch.autograd.Function subclass, and you passed the class InplaceReLU"),
], ids=["apply", "instance", "function", "module"])
def test_the_wrong_kind_of_candidate_says_how_to_fix_it(candidate, words):
    result = check("leaky_relu", candidate())
    assert not result.ok and words in str(result), str(result)


def test_relu_inplace_wants_the_module_class():
    result = check("relu_inplace", InplaceReLU(inplace=True))
    assert "pass the class itself: check('relu_inplace', InplaceReLU)" in str(result)
    assert "takes an nn.Module class" in str(check("relu_inplace", MaskReLU))


def test_misuse_of_check_raises():
    with pytest.raises(ValueError, match="unknown exercise 'relu6'; the exercises are"):
        check("relu6", MaskReLU)
    with pytest.raises(TypeError, match="strict must be True or False"):
        check("relu_mask", MaskReLU, strict="yes")


def test_a_candidate_error_anywhere_is_an_answer():
    class Raises(MaskReLU):
        @staticmethod
        def backward(ctx, grad_output):
            raise ValueError("not written yet")

    text = str(check("relu_mask", Raises))
    assert "raised ValueError: not written yet" in text and "Traceback" not in text


def test_the_random_state_is_left_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    check("elu", ELU)
    assert torch.equal(torch.rand(3), expected)


def test_result_views():
    ok = check("relu_mask", MaskReLU)
    assert isinstance(ok, ExerciseResult) and repr(ok) == str(ok)
    assert ok._repr_markdown_().startswith("**✓ relu\\_mask: MaskReLU passes every check:**")
    bad = check("relu_mask", MaskSavesInput)
    markdown = bad._repr_markdown_()
    assert markdown.startswith("**✗ relu\\_mask: MaskSavesInput is not right yet.**\n\n- ")
    assert "float32 \\[1000\\]" in markdown and "`x > 0`" in markdown
