"""The API reference builds without warnings under ``sphinx-build -n -W``, checked without building it.

Each public docstring goes through napoleon (Google style, as the site's conf.py sets it) and then
docutils: any system message of level >= 2 (WARNING, ERROR) would fail the site's build.  Every
cross-reference must name something the reference documents (a public name of customgrad, or a
``torch.*`` name, which the site links to PyTorch's pages), never a private helper or class.
"""

from __future__ import annotations

import builtins
import importlib
import inspect
import re
from pathlib import Path

import docutils.core as docutils_core
import pytest
import sphinx.ext.napoleon as napoleon
from docutils import nodes
from docutils.parsers.rst import Directive, directives, roles
from sphinx.ext.napoleon.docstring import GoogleDocstring

# The modules the API reference documents: those listed in docs/api-modules.rst.
_LISTED = (Path(__file__).resolve().parents[1] / "docs" / "api-modules.rst").read_text()
MODULES = [importlib.import_module(name) for name in re.findall(r"^\s+(customgrad[\w.]*)\s*$", _LISTED, re.M)]
# Each module's own docstring heads its page; then every name in its __all__.
PUBLIC = [(m, None) for m in MODULES] + [(m, name) for m in MODULES for name in m.__all__]
# The site's conf.py maps this napoleon type to torch.Tensor (napoleon_type_aliases); others are written in full.
TYPE_ALIASES = {"Tensor"}
NAPOLEON = napoleon.Config(napoleon_custom_sections=["Shape"], napoleon_preprocess_types=True, napoleon_use_rtype=False)
ROLE = re.compile(r":(?:py:)?(class|func|meth|mod|attr|data|obj|exc):`([^`]+)`")


def _literal_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    return [nodes.literal(rawtext, text)], []


class _Ignored(Directive):
    """Sphinx directives napoleon emits (``rubric``, ``attribute``), unknown to bare docutils."""

    required_arguments = 1
    final_argument_whitespace = True
    has_content = True

    def run(self):
        return []


for _role in ("class", "func", "meth", "mod", "attr", "data", "obj", "exc", "ref", "py:class", "py:func"):
    roles.register_local_role(_role, _literal_role)
for _directive in ("rubric", "attribute"):
    directives.register_directive(_directive, _Ignored)


def rendered(obj) -> str:
    """The docstring as Sphinx sees it: dedented, then napoleon's Google-style sections as reST."""
    what = "module" if inspect.ismodule(obj) else "class" if inspect.isclass(obj) else "function"
    return str(GoogleDocstring(inspect.getdoc(obj), NAPOLEON, what=what))


def documented(target: str, module) -> bool:
    """Whether ``target`` resolves in the site: torch's, a builtin type, or a public customgrad name."""
    target = target.lstrip("~.")
    if target == "torch" or target.startswith("torch."):
        return True
    if target in TYPE_ALIASES or isinstance(getattr(builtins, target, None), type):
        return True
    if target in {m.__name__ for m in MODULES}:  # each has its page
        return True
    if "." not in target:  # relative to the module whose page documents it
        return target in module.__all__
    modname, _, name = target.rpartition(".")
    owner = next((m for m in MODULES if m.__name__ == modname), None)
    return owner is not None and name in owner.__all__


@pytest.mark.parametrize(("module", "name"), PUBLIC, ids=[m.__name__ + (f".{n}" if n else "") for m, n in PUBLIC])
def test_docstring_renders_cleanly(module, name):
    obj = getattr(module, name) if name else module
    assert inspect.getdoc(obj), f"{name} has no docstring"
    text = rendered(obj)
    doctree = docutils_core.publish_doctree(text, settings_overrides={"report_level": 5, "halt_level": 5})
    problems = [m.astext() for m in doctree.findall(nodes.system_message) if m["level"] >= 2]
    assert not problems, "\n".join(problems)
    unresolved = [t for _, t in ROLE.findall(text) if not documented(t, module)]
    assert not unresolved, f"cross-references the API reference cannot resolve: {unresolved}"


@pytest.mark.parametrize(
    "cls", [getattr(m, n) for m, n in PUBLIC if n and inspect.isclass(getattr(m, n))], ids=lambda c: c.__qualname__
)
def test_no_private_base_class(cls):
    """``:show-inheritance:`` prints each base; a private one is an unresolved reference."""
    assert not [b for b in cls.__bases__ if b.__name__.startswith("_")]
