"""The ``torch.autograd.Function`` classes behind :mod:`customgrad.functional`, one per operation.

Each is used as ``XFunction.apply(*args)`` with every argument given, positionally; non-tensor
arguments receive ``None`` as their gradient.  Each is defined in ``customgrad/ops/<operation>.py``
beside its twins.
"""

from .ops.cross_entropy import CrossEntropyFunction
from .ops.cube import CubeFunction
from .ops.elu import ELUFunction
from .ops.exp import ExpFunction
from .ops.gelu import GELUFunction
from .ops.hardswish import HardSwishFunction
from .ops.layer_norm import LayerNormFunction
from .ops.leaky_relu import LeakyReLUFunction
from .ops.learned_silu import LearnedSiLUFunction
from .ops.linear import LinearFunction
from .ops.mish import MishFunction
from .ops.mse_loss import MSELossFunction
from .ops.prelu import PReLUFunction
from .ops.relu import ReLUFunction
from .ops.sigmoid import SigmoidFunction
from .ops.silu import SwishFunction
from .ops.softplus import SoftplusFunction
from .ops.square import SquareFunction
from .ops.tanh import TanhFunction

__all__ = [
    "ReLUFunction",
    "LeakyReLUFunction",
    "PReLUFunction",
    "ELUFunction",
    "GELUFunction",
    "HardSwishFunction",
    "SoftplusFunction",
    "SigmoidFunction",
    "TanhFunction",
    "SwishFunction",
    "LearnedSiLUFunction",
    "MishFunction",
    "ExpFunction",
    "SquareFunction",
    "CubeFunction",
    "LinearFunction",
    "MSELossFunction",
    "CrossEntropyFunction",
    "LayerNormFunction",
]
