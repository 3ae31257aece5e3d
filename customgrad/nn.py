"""Module twins of :mod:`torch.nn`: same constructor arguments, ``extra_repr`` and state_dict keys.

A Module only stores its settings (and parameters) and forwards them to its functional twin,
as :mod:`torch.nn.modules.activation` does.  Each is defined in ``customgrad/ops/<operation>.py``.
"""

from .ops.cross_entropy import CrossEntropyLoss
from .ops.elu import ELU
from .ops.gelu import GELU
from .ops.hardswish import Hardswish
from .ops.layer_norm import LayerNorm
from .ops.leaky_relu import LeakyReLU
from .ops.learned_silu import LearnedSiLU
from .ops.linear import Linear
from .ops.mish import Mish
from .ops.mse_loss import MSELoss
from .ops.prelu import PReLU
from .ops.relu import ReLU
from .ops.sigmoid import Sigmoid
from .ops.silu import SiLU
from .ops.softplus import Softplus
from .ops.tanh import Tanh

__all__ = [
    "ReLU",
    "LeakyReLU",
    "PReLU",
    "ELU",
    "GELU",
    "Hardswish",
    "Softplus",
    "Sigmoid",
    "Tanh",
    "SiLU",
    "LearnedSiLU",
    "Mish",
    "Linear",
    "MSELoss",
    "CrossEntropyLoss",
    "LayerNorm",
]
