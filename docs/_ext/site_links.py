"""Resolve ``torch.*`` cross-references to plain links into PyTorch's documentation.

intersphinx would need the network at build time; PyTorch's pages follow a fixed pattern, so a
reference such as :class:`torch.nn.ReLU` becomes a link to ``generated/torch.nn.ReLU.html``.
Only references that Sphinx could not resolve inside this site reach this handler.

A reference to a real customgrad object that the API reference does not list (a module's helper,
such as ``mish_grad`` named in ``MishFunction``'s docstring) is shown as code without a link.
A name that does not exist still fails the build: that is a typo or a stale docstring.
"""

from __future__ import annotations

import importlib
import re

from docutils import nodes
from sphinx.application import Sphinx

BASE = "https://docs.pytorch.org/docs/stable/"

MODULE_PAGES = {
    "torch": "torch.html",
    "torch.nn": "nn.html",
    "torch.nn.functional": "nn.functional.html",
    "torch.nn.init": "nn.init.html",
    "torch.autograd": "autograd.html",
    "torch.func": "func.html",
    "torch.utils.checkpoint": "checkpoint.html",
    "torch.testing": "testing.html",
}
ANCHORED = {
    "torch.Tensor": "tensors.html#torch.Tensor",
    "torch.dtype": "tensor_attributes.html#torch.dtype",
    "torch.device": "tensor_attributes.html#torch.device",
    "torch.Size": "size.html#torch.Size",
}
# Where torch defines a name versus where its documentation lists it.
PUBLIC_NAMES = [
    (re.compile(r"^torch\.autograd\.function\.(Function|once_differentiable)$"), r"torch.autograd.\1"),
    (re.compile(r"^torch\.nn\.modules(\.\w+)*\.(\w+)$"), r"torch.nn.\2"),
    (re.compile(r"^torch\.nn\.(parameter\.)?Parameter$"), r"torch.nn.parameter.Parameter"),
]


def pytorch_url(target: str) -> str | None:
    if target != "torch" and not target.startswith("torch."):
        return None
    for pattern, public in PUBLIC_NAMES:
        target = pattern.sub(public, target)
    if target in MODULE_PAGES:
        return BASE + MODULE_PAGES[target]
    if target in ANCHORED:
        return BASE + ANCHORED[target]
    return BASE + f"generated/{target}.html"


def _lookup(name: str):
    parts = name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr, None)
        return obj
    return None


def exists_in_library(target: str, module: str | None, cls: str | None = None) -> bool:
    """Whether ``target`` names a customgrad object: absolutely, from ``module``, or from the
    module that defines the documented class ``cls`` (its docstring's own module)."""
    candidates = [target]
    if module:
        candidates.append(f"{module}.{target}")
        owner = _lookup(f"{module}.{cls}") if cls else None
        if getattr(owner, "__module__", None):
            candidates.append(f"{owner.__module__}.{target}")
    for name in candidates:
        if name.startswith("customgrad") and _lookup(name) is not None:
            return True
    return False


def on_missing_reference(app: Sphinx, env, node, contnode):
    if node.get("refdomain") != "py":
        return None
    url = pytorch_url(node.get("reftarget", ""))
    if url is None:
        if exists_in_library(node.get("reftarget", ""), node.get("py:module"), node.get("py:class")):
            return contnode  # real but undocumented: code, no link, no warning
        return None
    ref = nodes.reference("", "", internal=False, refuri=url, reftitle=node["reftarget"])
    ref += contnode
    return ref


def setup(app: Sphinx):
    app.connect("missing-reference", on_missing_reference)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
