"""Each MyST notebook page downloadable as a Jupyter notebook and as a Python script.

For every page myst-nb executes, ``_downloads/pages/<page>.ipynb`` (no outputs: the reader runs
it) and ``<page>.py`` (Jupytext's percent format: ``# %%`` cells, prose as comments) are written
next to the HTML, and ``page_downloads`` is put in the template context for
``_templates/page-downloads.html``.  Cells tagged ``remove-cell`` only serve the site (gluing values
into prose, figure fonts) and are left out of both files.  Gallery pages have sphinx-gallery's own
download buttons.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import nbformat
from sphinx.application import Sphinx

FOLDER = "_downloads/pages"
MAGIC = re.compile(r"^\s*[%!]")


def notebook_for(source: Path, app: Sphinx) -> nbformat.NotebookNode:
    from myst_nb.core.read import read_myst_markdown_notebook
    from myst_parser.config.main import MdParserConfig

    nb = read_myst_markdown_notebook(source.read_text(encoding="utf-8"), MdParserConfig(), path=source)
    nb.cells = [c for c in nb.cells if "remove-cell" not in c.get("metadata", {}).get("tags", [])]
    for cell in nb.cells:
        if not cell.metadata.get("tags"):
            cell.metadata.pop("tags", None)
    nb.metadata.pop("source_map", None)
    nb.metadata.setdefault("kernelspec", {"name": "python3", "display_name": "Python 3", "language": "python"})
    return nb


def percent_script(nb: nbformat.NotebookNode, title: str) -> str:
    out = [
        f"# {title}",
        "# A customgrad tutorial in Jupytext's percent format: run it cell by cell (Jupyter, VS Code).",
        "# Cells tagged raises-exception fail on purpose, to show a mistake.",
        "",
    ]
    for cell in nb.cells:
        text = cell.source.rstrip("\n")
        if cell.cell_type == "markdown":
            out.append("# %% [markdown]")
            out += [("# " + line).rstrip() for line in text.splitlines()]
        elif cell.cell_type == "code":
            tags = cell.get("metadata", {}).get("tags", [])
            out.append("# %%" + (f" tags={json.dumps(tags)}" if tags else ""))
            out += [("# " + line) if MAGIC.match(line) else line for line in text.splitlines()]
        else:
            continue
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def on_html_page_context(app: Sphinx, pagename, templatename, context, doctree) -> None:
    if "kernelspec" not in app.env.metadata.get(pagename, {}):
        return  # not an executed notebook page
    source = Path(app.env.doc2path(pagename))
    if source.suffix != ".md":
        return
    nb = notebook_for(source, app)
    target = Path(app.outdir) / FOLDER / pagename
    target.parent.mkdir(parents=True, exist_ok=True)
    target.with_suffix(".ipynb").write_text(nbformat.writes(nb), encoding="utf-8")
    title = html.unescape(re.sub(r"<[^>]+>", "", context.get("title", pagename)))
    target.with_suffix(".py").write_text(percent_script(nb, title), encoding="utf-8")
    context["page_downloads"] = {
        "ipynb": f"{FOLDER}/{pagename}.ipynb",
        "py": f"{FOLDER}/{pagename}.py",
        "name": Path(pagename).name,
    }


def setup(app: Sphinx):
    app.connect("html-page-context", on_html_page_context)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
