"""``.. automodule-all:: customgrad.functional``: a module's page made from its ``__all__``.

The directive writes the module docstring, a summary table and one autodoc entry per public
name, in ``__all__`` order, so a name added to the library appears in the reference with no edit
here.  Every file of the library is a dependency of the page: an incremental build re-reads it
whenever the library changes.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles


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
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
