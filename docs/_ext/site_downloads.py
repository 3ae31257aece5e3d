"""One job: each executed MyST page downloadable as a Jupyter notebook and as a Python script.

jupytext reads the page (``md:myst``) and writes the script (``py:percent``: ``# %%`` cells,
prose as comments); nbformat writes the notebook, without outputs (the reader runs it).  Both go
to ``_downloads/pages/<page>.ipynb`` and ``.py`` next to the HTML, and ``page_downloads`` is put
in the template context for ``_templates/page-downloads.html``.  Cells tagged ``remove-cell`` only
serve the site (gluing values into prose) and are left out of both files.  Gallery pages have
sphinx-gallery's own download buttons.
"""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat
from sphinx.application import Sphinx

FOLDER = "_downloads/pages"
SCRIPT_NOTE = (
    "A customgrad tutorial in Jupytext's percent format: run it cell by cell (Jupyter, VS Code).\n"
    "Cells tagged raises-exception fail on purpose, to show a mistake."
)


def notebook_for(source: Path) -> nbformat.NotebookNode:
    nb = jupytext.read(source, fmt="md:myst")
    nb.cells = [c for c in nb.cells if "remove-cell" not in c.metadata.get("tags", [])]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"  # nbformat's ids are random: two builds would differ
    nb.metadata.pop("jupytext", None)
    return nb


def on_html_page_context(app: Sphinx, pagename, templatename, context, doctree) -> None:
    if "kernelspec" not in app.env.metadata.get(pagename, {}):
        return  # not an executed notebook page
    source = Path(app.env.doc2path(pagename))
    if source.suffix != ".md":
        return
    nb = notebook_for(source)
    target = Path(app.outdir) / FOLDER / pagename
    target.parent.mkdir(parents=True, exist_ok=True)
    target.with_suffix(".ipynb").write_text(nbformat.writes(nb), encoding="utf-8")
    script = nbformat.from_dict(nb)
    script.cells = [nbformat.v4.new_markdown_cell(SCRIPT_NOTE), *script.cells]
    target.with_suffix(".py").write_text(jupytext.writes(script, fmt="py:percent"), encoding="utf-8")
    context["page_downloads"] = {
        "ipynb": f"{FOLDER}/{pagename}.ipynb",
        "py": f"{FOLDER}/{pagename}.py",
        "name": Path(pagename).name,
    }


def setup(app: Sphinx):
    app.connect("html-page-context", on_html_page_context)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
