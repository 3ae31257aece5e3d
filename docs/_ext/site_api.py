"""``.. automodule-all:: customgrad.functional``: a module's page made from its ``__all__``.

The directive writes the module docstring, a summary table and one autodoc entry per public
name, in ``__all__`` order, so a name added to the library appears in the reference with no edit
here.  Every file of the library is a dependency of the page: an incremental build re-reads it
whenever the library changes.  Section headers such as "Args (``apply`` is positional):" are
rewritten so napoleon renders them as an argument list.
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles


# The library's Functions head their arguments "Args (``apply`` is positional):", which
# napoleon does not take for a section.  Rewrite it to a note plus a plain "Args:" section.
QUALIFIED_ARGS = re.compile(r"^(\s*)(Args|Arguments|Parameters) \((.+)\):\s*$")


def normalise_sections(app, what, name, obj, options, lines: list[str]) -> None:
    for i, line in enumerate(lines):
        m = QUALIFIED_ARGS.match(line)
        if m:
            pad, header, note = m.groups()
            lines[i : i + 1] = [f"{pad}{note[0].upper()}{note[1:]}.", "", f"{pad}{header}:"]


def public_bases(app, name, obj, options, bases: list) -> None:
    """Show a private base class (``_Loss``) as the public classes it derives from."""
    result = []
    for base in bases:
        while getattr(base, "__name__", "").startswith("_") and base.__bases__ != (object,):
            if len(base.__bases__) != 1:
                break
            base = base.__bases__[0]
        result.append(base)
    bases[:] = result


def function_signature(app, what, name, obj, options, signature, return_annotation):
    """A Function class is never constructed (``apply`` is the call), so show no constructor signature."""
    import torch

    if what == "class" and isinstance(obj, type) and issubclass(obj, torch.autograd.Function):
        return "", None
    return None


class AutomoduleAll(SphinxDirective):
    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        modname = self.arguments[0]
        module = importlib.import_module(modname)
        names = list(getattr(module, "__all__", []))
        if not names:
            return [self.state.document.reporter.warning(f"{modname} has an empty __all__", line=self.lineno)]

        package = Path(importlib.import_module(modname.partition(".")[0]).__file__).parent
        for f in sorted(package.rglob("*.py")):
            self.env.note_dependency(str(f))

        lines = [f".. automodule:: {modname}", "", f".. currentmodule:: {modname}", "", ".. autosummary::", "   :nosignatures:", ""]
        lines += [f"   {name}" for name in names]
        lines.append("")
        for name in names:
            obj = getattr(module, name)
            if inspect.isclass(obj):
                lines += [f".. autoclass:: {name}", "   :show-inheritance:", ""]
            elif callable(obj):
                lines += [f".. autofunction:: {name}", ""]
            else:
                lines += [f".. autodata:: {name}", ""]
        container = nodes.container()
        nested_parse_with_titles(self.state, StringList(lines, source=f"<automodule-all {modname}>"), container)
        return container.children


def setup(app: Sphinx):
    app.add_directive("automodule-all", AutomoduleAll)
    app.connect("autodoc-process-docstring", normalise_sections, priority=400)  # before napoleon (500)
    app.connect("autodoc-process-bases", public_bases)
    app.connect("autodoc-process-signature", function_signature)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
