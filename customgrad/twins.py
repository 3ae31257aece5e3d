"""Each customgrad operation paired with its PyTorch twin, sample inputs and special points.

One table serves the tests, :mod:`customgrad.verify`, the verification-matrix page and the
benchmarks, so registering an operation puts it under every check at once.  Each operation
registers itself at the end of its module, ``customgrad/ops/<operation>.py``.

Example:
    >>> twin = TWINS["relu"]
    >>> twin.function.__name__, twin.reference.__name__, twin.module.__name__
    ('ReLUFunction', 'relu', 'ReLU')
    >>> args, kwargs = twin.sample(torch.float64)
    >>> torch.equal(twin.ours(*args, **kwargs), twin.reference(*args, **kwargs))
    True
"""

from __future__ import annotations

import torch  # noqa: F401  (the doctest above uses it)

from . import ops  # noqa: F401  (importing the operations fills the registry)
from .ops._registry import REFERENCE_ATTRIBUTE_ERROR, TWINS, Twin, randn, register

__all__ = ["Twin", "TWINS", "register", "randn", "REFERENCE_ATTRIBUTE_ERROR"]
