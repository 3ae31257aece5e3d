"""One job: autodoc shows this library's classes as a reader calls them.

The API pages themselves come from Sphinx's autosummary (``docs/api-modules.rst`` and
``_templates/autosummary/module-all.rst``); this only adjusts what autodoc writes for them:

- a ``torch.autograd.Function`` is never constructed (``apply`` is the call): no constructor
  signature after its name;
- a private base class (``_Loss``) is shown as the public class it derives from.
- Fallback, until every docstring uses plain napoleon sections: a header such as
  "Args (``apply`` is positional):" becomes that note plus a plain "Args:" section.
"""

from __future__ import annotations

import re

from sphinx.application import Sphinx

QUALIFIED_ARGS = re.compile(r"^(\s*)(Args|Arguments|Parameters) \((.+)\):\s*$")


def normalise_sections(app, what, name, obj, options, lines: list[str]) -> None:
    for i, line in enumerate(lines):
        if m := QUALIFIED_ARGS.match(line):
            pad, header, note = m.groups()
            lines[i : i + 1] = [f"{pad}{note[0].upper()}{note[1:]}.", "", f"{pad}{header}:"]


def public_bases(app, name, obj, options, bases: list) -> None:
    for i, base in enumerate(bases):
        while getattr(base, "__name__", "").startswith("_") and len(base.__bases__) == 1 and base.__bases__ != (object,):
            base = base.__bases__[0]
        bases[i] = base


def function_signature(app, what, name, obj, options, signature, return_annotation):
    import torch

    if what == "class" and isinstance(obj, type) and issubclass(obj, torch.autograd.Function):
        return "", None
    return None


def setup(app: Sphinx):
    app.connect("autodoc-process-docstring", normalise_sections, priority=400)  # before napoleon (500)
    app.connect("autodoc-process-bases", public_bases)
    app.connect("autodoc-process-signature", function_signature)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
