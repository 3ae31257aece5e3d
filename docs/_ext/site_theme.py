"""One job: pydata-sphinx-theme fitted to this site (no empty sidebar, option text translated).

- ``site_section_nav()`` in templates: the section navigation of the left sidebar, or "" where
  the page has none (top-level pages, search, index), so ``_templates/section-nav.html`` renders
  nothing and the theme drops the empty sidebar.
- Theme options that hold display text (the search placeholder, the navbar's "More") are passed
  through the translation; ``_templates/theme-strings.html`` puts them in the catalogue.
"""

from __future__ import annotations

from sphinx.application import Sphinx
from sphinx.locale import get_translation

TEXT_OPTIONS = ("theme_search_bar_text", "theme_header_dropdown_text")


def on_html_page_context(app: Sphinx, pagename, templatename, context, doctree) -> None:
    _ = get_translation("sphinx")
    for option in TEXT_OPTIONS:
        if context.get(option):
            context[option] = str(_(context[option]))

    def site_section_nav(**kwargs) -> str:
        generate = context.get("generate_toctree_html")
        if generate is None:
            return ""
        try:
            html = str(generate("sidebar", **kwargs) or "")
        except RuntimeError:  # the theme raises where the page has no place in the toctree
            return ""
        return html if html.strip() else ""

    context["site_section_nav"] = site_section_nav


def setup(app: Sphinx):
    # Before the theme's own handler, which renders the sidebar templates to drop empty ones.
    app.connect("html-page-context", on_html_page_context, priority=400)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
