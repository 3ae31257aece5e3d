"""Valid HTML: markup that myst-nb and sphinx-gallery write and the HTML standard forbids.

Every page is checked by the Nu Html Checker (``make test-site``); these are the fixes.

- myst-nb's hidden code cells (``hide-input``, ``hide-output``) write ``<p>`` titles inside
  ``<summary>``, whose content may only be phrasing content: here they are ``<span>``s, styled
  as myst-nb styles the ``<p>``s (``docs/_static/customgrad.css``).  The ``<summary>`` is named
  by its visible text ("Show code cell source"): myst-nb's aria-label "Toggle hidden content"
  hides it from screen readers, which axe reports (label-content-name-mismatch, serious).
- sphinx-gallery's thumbnails carry their summary in a ``tooltip`` attribute, which HTML does
  not have: here it is ``data-tooltip``, shown on hover by the same CSS rules as sphinx-gallery's.
"""

from __future__ import annotations

from html import escape

from sphinx.application import Sphinx


def visit_hide_cell(self, node) -> None:
    classes = " ".join(node["classes"])
    self.body.append(f'<details class="admonition hide {classes}">\n')
    self.body.append("<summary>\n")  # named by its visible text (myst-nb's aria-label differs from it)
    self.body.append(f'<span class="collapsed admonition-title">{escape(node["prompt_show"])}</span>\n')
    self.body.append(f'<span class="expanded admonition-title">{escape(node["prompt_hide"])}</span>\n')
    self.body.append("</summary>\n")


def depart_hide_cell(self, node) -> None:
    self.body.append("</details>\n")


def gallery_thumbnails() -> None:
    from sphinx_gallery import backreferences

    for name in ("THUMBNAIL_TEMPLATE", "BACKREF_THUMBNAIL_TEMPLATE"):
        template = getattr(backreferences, name)
        if "data-tooltip=" not in template:
            setattr(backreferences, name, template.replace("tooltip=", "data-tooltip="))
    assert "data-tooltip=" in backreferences.THUMBNAIL_TEMPLATE, "sphinx-gallery changed its thumbnails"


def setup(app: Sphinx):
    from myst_nb.sphinx_ import HideCodeCellNode

    app.setup_extension("myst_nb")
    app.add_node(HideCodeCellNode, override=True, html=(visit_hide_cell, depart_hide_cell))
    gallery_thumbnails()
    # env_version: bump it when the markup written here changes, so that every page is rewritten.
    return {"version": "1", "env_version": 2, "parallel_read_safe": True, "parallel_write_safe": True}
