"""Drop-in twins of :mod:`torch.nn.functional`: same names, argument names, order and defaults.

Each twin checks its arguments the way torch does, then calls one Function from
:mod:`customgrad.functions`, which does the work; the math lives on that Function.
Each is defined in ``customgrad/ops/<operation>.py`` beside its Function.
"""

from .ops.cross_entropy import cross_entropy
from .ops.cube import cube
from .ops.elu import elu
from .ops.exp import exp
from .ops.gelu import gelu
from .ops.hardswish import hardswish
from .ops.layer_norm import layer_norm
from .ops.leaky_relu import leaky_relu
from .ops.learned_silu import learned_silu
from .ops.linear import linear
from .ops.mish import mish
from .ops.mse_loss import mse_loss
from .ops.prelu import prelu
from .ops.relu import relu
from .ops.sigmoid import sigmoid
from .ops.silu import silu
from .ops.softplus import softplus
from .ops.square import square
from .ops.tanh import tanh

__all__ = [
    "relu",
    "leaky_relu",
    "prelu",
    "elu",
    "gelu",
    "hardswish",
    "softplus",
    "sigmoid",
    "tanh",
    "silu",
    "learned_silu",
    "mish",
    "exp",
    "square",
    "cube",
    "linear",
    "mse_loss",
    "cross_entropy",
    "layer_norm",
]
