"""The ``torch.autograd.Function`` classes behind :mod:`customgrad.functional`, one per operation.

Each is used as ``XFunction.apply(*args)`` with positional arguments; non-tensor arguments
receive ``None`` as their gradient.
"""

from .relu import ReLUFunction

# --- piecewise activations: ReLU family, ELU, GELU, Hardswish, Softplus ---
from .elu import ELUFunction
from .gelu import GELUFunction
from .hardswish import HardSwishFunction
from .leaky_relu import LeakyReLUFunction
from .prelu import PReLUFunction
from .softplus import SoftplusFunction

# --- end of section ---

# --- smooth activations and elementary functions: Sigmoid, Tanh, SiLU, Mish, Exp, Square, Cube, LearnedSiLU ---
from .elementary import CubeFunction, ExpFunction, SquareFunction
from .mish import MishFunction
from .sigmoid import SigmoidFunction, TanhFunction
from .silu import LearnedSiLUFunction, SwishFunction

# --- end of section ---

# --- layers, losses, normalisation ---
from .cross_entropy import CrossEntropyFunction
from .layer_norm import LayerNormFunction
from .linear import LinearFunction
from .mse_loss import MSELossFunction
# --- end of section ---

__all__ = [name for name in dir() if name.endswith("Function")]
