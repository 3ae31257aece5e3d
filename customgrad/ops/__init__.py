"""One module per operation, each holding everything about it.

``<op>.py`` defines the operation's ``torch.autograd.Function``, its functional twin (as in
:mod:`torch.nn.functional`), its Module twin (as in :mod:`torch.nn`, where torch has one) and
its entry in the twin registry.  The public namespaces :mod:`customgrad.functions`,
:mod:`customgrad.functional` and :mod:`customgrad.nn` re-export them.

The mechanics several operations share each live in one private module, explained at its top:

- ``_chain.py``: the chain rule of an elementwise op, fast on the CPU (one temporary, no masks);
- ``_inplace.py``: in-place operations (what an in-place forward must keep, and ``torch.func``);
- ``_checks.py``: argument checks that fail the way torch fails;
- ``_reduction.py``: the losses' ``reduction`` argument;
- ``_docs.py``: each Function's formulas, from its module's sympy ``formulas()``, checked and printed;
- ``_registry.py``: the twin registry (:mod:`customgrad.twins` is its public face);
- ``_compile.py``: each Function's jvp-less variant, which ``torch.compile`` traces without a break;
- ``_autocast.py``: mixed precision, the way torch's autocast treats each twin;
- ``_fused.py``: the one speed trick of the plain first-order backward, ATen's fused kernel;
- ``_direct.py``: the one speed trick of the call, the C++ ``apply`` without torch's Python wrapper.

The private torch calls they need are in ``customgrad/_torch_private.py``, each with its reason.
"""

from . import (  # noqa: F401  (importing an operation registers it, in this reading order)
    cross_entropy,
    cube,
    elu,
    exp,
    gelu,
    hardswish,
    layer_norm,
    leaky_relu,
    learned_silu,
    linear,
    mish,
    mse_loss,
    prelu,
    relu,
    sigmoid,
    silu,
    softplus,
    square,
    tanh,
)
