"""Custom autograd Functions with one deliberate mistake each, for tests/test_verify.py.

Each class is a small, otherwise-correct Function (mostly a ReLU, shaped like the library's
template) with exactly the mistake its name says.  :func:`customgrad.verify` must catch each one
and name it.
"""

from __future__ import annotations

import torch
from torch.autograd.function import once_differentiable


class WrongBackward(torch.autograd.Function):
    """ReLU whose backward forgets the mask: passes every gradient through."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input):
        return input.clamp(min=0)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)
        ctx.save_for_forward(output)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output.clone()

    @staticmethod
    def jvp(ctx, tangent):
        (output,) = ctx.saved_tensors
        return torch.where(output <= 0, 0, tangent)


class WrongGradientCount(torch.autograd.Function):
    """``x * y`` whose backward returns the gradient of ``x`` only."""

    generate_vmap_rule = True

    @staticmethod
    def forward(x, y):
        return x * y

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(*inputs)
        ctx.save_for_forward(*inputs)

    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        return grad_output * y

    @staticmethod
    def jvp(ctx, tx, ty):
        x, y = ctx.saved_tensors
        return tx * y + x * ty


class MissingNone(torch.autograd.Function):
    """LeakyReLU whose backward returns no ``None`` for the float ``negative_slope``."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input, negative_slope):
        return torch.where(input > 0, input, input * negative_slope)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, negative_slope = inputs
        ctx.save_for_backward(input)
        ctx.save_for_forward(input)
        ctx.negative_slope = negative_slope

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        return torch.where(input > 0, grad_output, grad_output * ctx.negative_slope)

    @staticmethod
    def jvp(ctx, tangent, _slope_tangent):
        (input,) = ctx.saved_tensors
        return torch.where(input > 0, tangent, tangent * ctx.negative_slope)


class TensorOnCtx(torch.autograd.Function):
    """ReLU that keeps its output as ``ctx.output`` instead of saving it with ``save_for_backward``."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input):
        return input.clamp(min=0)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.output = output

    @staticmethod
    def backward(ctx, grad_output):
        return torch.where(ctx.output <= 0, 0, grad_output)

    @staticmethod
    def jvp(ctx, tangent):
        return torch.where(ctx.output <= 0, 0, tangent)


class InplaceWithoutMarkDirty(torch.autograd.Function):
    """In-place ReLU that overwrites its input but never calls ``ctx.mark_dirty``."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input):
        return input.clamp_(min=0)

    @staticmethod
    def setup_context(ctx, inputs, output):
        dead = output <= 0
        ctx.save_for_backward(dead)
        ctx.save_for_forward(dead)

    @staticmethod
    def backward(ctx, grad_output):
        (dead,) = ctx.saved_tensors
        return torch.where(dead, 0, grad_output)

    @staticmethod
    def jvp(ctx, tangent):
        (dead,) = ctx.saved_tensors
        return torch.where(dead, 0, tangent)


class ModifiesGradOutput(torch.autograd.Function):
    """ReLU whose backward zeroes ``grad_output`` in place and returns it."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input):
        return input.clamp(min=0)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)
        ctx.save_for_forward(output)

    @staticmethod
    def backward(ctx, grad_output):
        (output,) = ctx.saved_tensors
        grad_output[output <= 0] = 0
        return grad_output

    @staticmethod
    def jvp(ctx, tangent):
        (output,) = ctx.saved_tensors
        return torch.where(output <= 0, 0, tangent)


class NaiveSoftplus(torch.autograd.Function):
    """Softplus written straight from the formula: ``log(1 + exp(x))`` overflows for large ``x``."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input):
        return torch.log(1 + torch.exp(input))

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])
        ctx.save_for_forward(inputs[0])

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        e = torch.exp(input)
        return grad_output * e / (1 + e)

    @staticmethod
    def jvp(ctx, tangent):
        (input,) = ctx.saved_tensors
        e = torch.exp(input)
        return tangent * e / (1 + e)


class NaiveMish(torch.autograd.Function):
    """Mish as ``x * tanh(log(1 + exp(x)))``: the same overflow, inside tanh."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input):
        return input * torch.tanh(torch.log(1 + torch.exp(input)))

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])
        ctx.save_for_forward(inputs[0])

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        e = torch.exp(x)
        t = torch.tanh(torch.log(1 + e))
        return grad_output * (t + x * (1 - t * t) * e / (1 + e))

    @staticmethod
    def jvp(ctx, tangent):
        (x,) = ctx.saved_tensors
        e = torch.exp(x)
        t = torch.tanh(torch.log(1 + e))
        return tangent * (t + x * (1 - t * t) * e / (1 + e))


class OnceDifferentiable(torch.autograd.Function):
    """ReLU whose backward is ``@once_differentiable``: no double backward."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input):
        return input.clamp(min=0)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)
        ctx.save_for_forward(output)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output):
        (output,) = ctx.saved_tensors
        return torch.where(output <= 0, 0, grad_output)

    @staticmethod
    def jvp(ctx, tangent):
        (output,) = ctx.saved_tensors
        return torch.where(output <= 0, 0, tangent)


class SavesInputAndOutput(torch.autograd.Function):
    """ReLU that saves both its input and its output: twice the bytes torch keeps."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input):
        return input.clamp(min=0)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0], output)
        ctx.save_for_forward(output)

    @staticmethod
    def backward(ctx, grad_output):
        input, _ = ctx.saved_tensors
        return torch.where(input <= 0, 0, grad_output)

    @staticmethod
    def jvp(ctx, tangent):
        (output,) = ctx.saved_tensors
        return torch.where(output <= 0, 0, tangent)


class NoJvp(torch.autograd.Function):
    """ReLU with no ``jvp``: forward-mode AD is impossible."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input):
        return input.clamp(min=0)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)

    @staticmethod
    def backward(ctx, grad_output):
        (output,) = ctx.saved_tensors
        return torch.where(output <= 0, 0, grad_output)


class OldStyle(torch.autograd.Function):
    """ReLU in the old ``forward(ctx, input)`` form: torch.func cannot transform it."""

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        ctx.save_for_forward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        return torch.where(input <= 0, 0, grad_output)

    @staticmethod
    def jvp(ctx, tangent):
        (input,) = ctx.saved_tensors
        return torch.where(input <= 0, 0, tangent)


class DetachedBackward(torch.autograd.Function):
    """Square whose backward detaches its result: correct once, not differentiable twice."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input):
        return input * input

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])
        ctx.save_for_forward(inputs[0])

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        return (2 * input * grad_output).detach()

    @staticmethod
    def jvp(ctx, tangent):
        (input,) = ctx.saved_tensors
        return 2 * input * tangent


class NeedsInputGradTypo(torch.autograd.Function):
    """``x * y`` whose backward tests ``needs_input_grad[1]`` for both gradients: right only when both need one."""

    generate_vmap_rule = True

    @staticmethod
    def forward(x, y):
        return x * y

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(*inputs)

    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        grad_x = grad_output * y if ctx.needs_input_grad[1] else None
        grad_y = grad_output * x if ctx.needs_input_grad[1] else None
        return grad_x, grad_y


class MissingConjugate(torch.autograd.Function):
    """Complex ``z * z`` whose backward forgets the conjugate: right for real inputs only."""

    generate_vmap_rule = True

    @staticmethod
    def forward(z):
        return z * z

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, grad_output):
        (z,) = ctx.saved_tensors
        return grad_output * 2 * z


class NaiveSigmoid(torch.autograd.Function):
    """Sigmoid whose backward is ``exp(-x) / (1 + exp(-x))**2``: inf / inf = nan for x = -100 in float32."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input):
        return torch.sigmoid(input)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        e = torch.exp(-x)
        return grad_output * e / (1 + e) ** 2


class NanToZeroReLU(torch.autograd.Function):
    """ReLU that maps nan to 0 (torch's relu keeps nan): it differs only where torch's output is nan."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input):
        return torch.where(input > 0, input, 0)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])
        ctx.save_for_forward(inputs[0])

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        return torch.where(input > 0, grad_output, 0)

    @staticmethod
    def jvp(ctx, tangent):
        (input,) = ctx.saved_tensors
        return torch.where(input > 0, tangent, 0)


class SlightlyOff(torch.autograd.Function):
    """ReLU whose output is 1e-4 too large (relative): a numeric mismatch to be reported in digits and ulps."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input):
        return input.clamp(min=0) * (1 + 1e-4)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        return torch.where(input > 0, grad_output * (1 + 1e-4), 0)


# --- correct Functions: verify must pass them ---


class FirstOrderReLU(torch.autograd.Function):
    """A correct ReLU with backward only: no jvp, no vmap rule.  Correct, with capabilities missing."""

    @staticmethod
    def forward(input):
        return input.clamp(min=0)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)

    @staticmethod
    def backward(ctx, grad_output):
        (output,) = ctx.saved_tensors
        return torch.where(output > 0, grad_output, 0)


class ReLUWithJvp(torch.autograd.Function):
    """A correct ReLU with backward, jvp and a vmap rule."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input):
        return input.clamp(min=0)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)
        ctx.save_for_forward(output)

    @staticmethod
    def backward(ctx, grad_output):
        (output,) = ctx.saved_tensors
        return torch.where(output > 0, grad_output, 0)

    @staticmethod
    def jvp(ctx, tangent):
        (output,) = ctx.saved_tensors
        return torch.where(output > 0, tangent, 0)


class Softmax(torch.autograd.Function):
    """A correct softmax over ``dim``: same shape in and out, but not elementwise."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input, dim):
        return torch.softmax(input, dim)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)
        ctx.dim = inputs[1]

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return y * (grad_output - (grad_output * y).sum(ctx.dim, keepdim=True)), None


class ComplexSquare(torch.autograd.Function):
    """A correct complex ``z * z``: the gradient is ``grad_output * conj(2 z)``."""

    generate_vmap_rule = True

    @staticmethod
    def forward(z):
        return z * z

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, grad_output):
        (z,) = ctx.saved_tensors
        return grad_output * 2 * z.conj()
