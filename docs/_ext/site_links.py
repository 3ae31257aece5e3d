"""One job: ``torch.*`` cross-references become plain links into PyTorch's documentation.

Why not intersphinx: it needs PyTorch's ``objects.inv``, fetched at build time (the build runs
offline) or shipped here; torch does not install one, and one built from the installed torch
would only re-encode the URL pattern below.  PyTorch's pages follow a fixed pattern, so
:class:`torch.nn.ReLU` links to ``generated/torch.nn.ReLU.html``.  Only references that Sphinx
could not resolve inside this site reach this handler.

A reference to a real customgrad object that the API reference does not list (a helper such as
``mish_grad`` named in ``MishFunction``'s docstring) is shown as code without a link.  A name
that does not exist still fails the build: a typo or a stale docstring.
"""

from __future__ import annotations

import re
from pydoc import locate

from docutils import nodes
from sphinx.application import Sphinx

BASE = "https://docs.pytorch.org/docs/stable/"
PAGES = {  # modules and names that have no page of their own under generated/
    "torch": "torch.html",
    "torch.nn": "nn.html",
    "torch.nn.functional": "nn.functional.html",
    "torch.nn.init": "nn.init.html",
    "torch.autograd": "autograd.html",
    "torch.func": "func.html",
    "torch.utils.checkpoint": "checkpoint.html",
    "torch.testing": "testing.html",
    "torch.Tensor": "tensors.html#torch.Tensor",
    "torch.dtype": "tensor_attributes.html#torch.dtype",
    "torch.device": "tensor_attributes.html#torch.device",
    "torch.Size": "size.html#torch.Size",
}
PUBLIC_NAMES = [  # where torch defines a name -> where its documentation lists it
    (re.compile(r"^torch\.autograd\.function\.(Function|once_differentiable)$"), r"torch.autograd.\1"),
    (re.compile(r"^torch\.nn\.modules(\.\w+)*\.(\w+)$"), r"torch.nn.\2"),
    (re.compile(r"^torch\.nn\.(parameter\.)?Parameter$"), r"torch.nn.parameter.Parameter"),
]


def pytorch_url(target: str) -> str | None:
    if target != "torch" and not target.startswith("torch."):
        return None
    for pattern, public in PUBLIC_NAMES:
        target = pattern.sub(public, target)
    return BASE + PAGES.get(target, f"generated/{target}.html")


def in_library(node) -> bool:
    """Whether the reference names a customgrad object: absolutely, from the current module, or
    from the module that defines the documented class (the docstring's own module)."""
    target, module, cls = node.get("reftarget", ""), node.get("py:module"), node.get("py:class")
    candidates = [target]
    if module:
        candidates.append(f"{module}.{target}")
        owner = locate(f"{module}.{cls}") if cls else None
        if getattr(owner, "__module__", None):
            candidates.append(f"{owner.__module__}.{target}")
    return any(name.startswith("customgrad") and locate(name) is not None for name in candidates)


def on_missing_reference(app: Sphinx, env, node, contnode):
    if node.get("refdomain") != "py":
        return None
    url = pytorch_url(node.get("reftarget", ""))
    if url is None:
        return contnode if in_library(node) else None  # real but undocumented: code, no warning
    ref = nodes.reference("", "", internal=False, refuri=url, reftitle=node["reftarget"])
    ref += contnode
    return ref


def setup(app: Sphinx):
    app.connect("missing-reference", on_missing_reference)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
