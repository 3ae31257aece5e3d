"""Sphinx configuration of the customgrad site, every language (``make html`` builds them all).

One language: ``sphinx-build -c . docs _build/html/<lang> -D language=<lang>``.  Pages in docs/,
gallery scripts in gallery/, local extensions in docs/_ext/ (one job each, said at the top).
Every value that is not Sphinx's default says why.  Paths in exclude_patterns, locale_dirs and
the gallery settings are relative to docs/; the others are absolute.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
DOCS = ROOT / "docs"
EXT = DOCS / "_ext"

# --- paths
# This checkout's library first, for autodoc and for every Jupyter kernel (kernels inherit
# PYTHONPATH; an editable install of another checkout would otherwise win).  Kernels get nothing
# else: what a page imports comes from customgrad, as in a downloaded copy.  Extensions: docs/_ext.
sys.path[:0] = [str(ROOT), str(EXT)]
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
)
# Figures are rendered off-screen in kernels and gallery scripts alike.
os.environ.setdefault("MPLBACKEND", "Agg")
# One intra-op thread in kernels and gallery scripts (set before anything imports torch): the pages'
# tensors are small, and on a busy 2-core machine two threads made a small training loop 20-30 times
# slower; the pages' benchmarks compare one thread with one thread, as `make bench` does.
os.environ.setdefault("OMP_NUM_THREADS", "1")

# --- project
project = "customgrad"
author = "the customgrad authors"
copyright = "the customgrad authors"  # no year: a rebuild must not change every page
release = version = "0.1.0"
language = "en"  # the default; the Makefile passes -D language=zh_CN for the Chinese build

extensions = [
    "sphinx.ext.autodoc",  # API reference from the docstrings
    "sphinx.ext.autosummary",  # one API page per module, following its __all__, with a summary table
    "sphinx.ext.napoleon",  # docstrings use Google-style "Args:" / "Example:" sections
    "myst_nb",  # MyST text notebooks (.md), executed at build time
    "sphinx_gallery.gen_gallery",  # gallery/*.py scripts, executed at build time
    "sphinx_copybutton",  # a copy button on every code block
    "sphinxcontrib.katex",  # math prerendered to HTML at build time: no CDN, no JavaScript
    # Local extensions (docs/_ext/), one job each:
    "site_exec",  # execution cache keyed by the library, gallery invalidation, the execution stamp
    "site_katex",  # KaTeX from npm, served from _static; a malformed formula fails the build
    "site_autodoc",  # Function classes without a constructor signature, public base classes
    "site_links",  # torch.* references become plain links to PyTorch's docs (no intersphinx: offline)
    "site_i18n",  # language tags, language switcher, root redirect, catalogues left untranslated
    "site_downloads",  # each notebook page downloadable as .ipynb and .py (jupytext)
    "site_theme",  # no empty left sidebar; theme options' text translated
    "site_html",  # valid HTML where myst-nb and sphinx-gallery write invalid markup
    # Publishing (see "--- publishing" below): all three take the site's address from SITE_URL.
    "notfound.extension",  # 404.html whose links are absolute to its language's root
    "sphinx_sitemap",  # sitemap.xml per language, with the other languages as alternates
    "sphinxext.opengraph",  # OpenGraph <meta> tags only: no images, fonts or social cards
]

# --- sources
exclude_patterns = [
    "_ext",  # Python, not pages
    "_static",  # stylesheets, not pages
    "api-modules.rst",  # not a page: the modules autosummary writes docs/api/ pages for
    "locale",  # translation catalogues
    "auto_gallery/**.ipynb",  # sphinx-gallery's notebook copies would be executed a second time
    "**.ipynb_checkpoints",
]
templates_path = [str(ROOT / "_templates")]  # absolute: the gettext builder resolves it from docs/
nitpicky = True  # every cross-reference must resolve (-n); torch.* is handled by site_links
suppress_warnings = [
    "mystnb.unknown_mime_type",  # e.g. application/vnd.jupyter.widget-view+json beside a text twin
]

# --- MyST + myst-nb
myst_enable_extensions = [
    "dollarmath",  # $...$ and $$...$$ in prose
    "amsmath",  # \begin{align} ... blocks
    "colon_fence",  # ::: fences, so directives can hold MyST content
    "deflist",  # term / definition lists (glossary, ctx timeline)
]
myst_heading_anchors = 3  # [text](#heading-slug) links to headings up to level 3

nb_execution_mode = "cache"  # run each notebook once per library version; site_exec sets the path
nb_execution_timeout = 300  # seconds per cell: benchmarks on 2 shared cores can be slow
nb_execution_raise_on_error = False  # a failing cell becomes a warning naming the page (-W fails it)
nb_execution_show_tb = True  # ... and the log carries the cell's traceback
nb_merge_streams = True  # stdout/stderr in one block: stable outputs across runs
nb_ipywidgets_js = {}  # its default loads require.js and widgets from a CDN
nb_mime_priority_overrides = [
    ("html", "application/vnd.jupyter.widget-view+json", None),  # no widget JS on the site
]

# --- sphinx-gallery
sphinx_gallery_conf = {
    "examples_dirs": "../gallery",  # relative to docs/
    "gallery_dirs": "auto_gallery",  # generated inside docs/, never committed
    "filename_pattern": r"/plot_",  # every plot_*.py is executed
    "ignore_pattern": r"^(?!plot_)",  # any other .py file would not be a gallery example
    "within_subsection_order": "FileNameSortKey",  # numbered file names give the order
    "reset_modules": ("matplotlib", "site_exec.record_gallery_run"),  # and stamp each run
    "image_scrapers": ("site_i18n.gallery_figures",),  # matplotlib's, plus figures per language (fig.set_label)
    "min_reported_time": 10**9,  # never print "Total running time": it changes every build (and every .po)
    "write_computation_times": False,  # the timing page changes every build
    "show_signature": False,  # no "Generated by" line to translate
    "remove_config_comments": True,  # "# sphinx_gallery_..." comments are build settings, not content
    "abort_on_example_error": False,  # (the default, stated) run every script, then fail listing all failures
}

# --- API reference: autosummary + autodoc + napoleon
# docs/api-modules.rst names the modules; autosummary writes docs/api/<name>.rst for each from
# _templates/autosummary/module-all.rst (one entry per name in __all__, in that order).
autosummary_generate = ["api-modules.rst"]  # only this file: other pages' tables make no pages
autosummary_ignore_module_all = False  # a module's page lists its __all__, imported names included
autosummary_filename_map = {  # docs/api/functions.rst, not docs/api/customgrad.functions.rst: URLs stay
    "customgrad.functions": "functions",
    "customgrad.functional": "functional",
    "customgrad.nn": "nn",
    "customgrad.autograd_graph": "autograd_graph",
    "customgrad.ctx_timeline": "ctx_timeline",
    "customgrad.plotting": "plotting",
    "customgrad.exercises": "exercises",
    "customgrad.checkpoint": "checkpoint",
}
autodoc_inherit_docstrings = False  # torch.autograd.Function's docstrings hold :ref:s undefined here
autodoc_member_order = "bysource"  # as the source orders them, not alphabetically
autodoc_typehints = "description"  # types next to each argument, signatures stay short
napoleon_numpy_docstring = False  # Google style only: no NumPy-section guesses in free text
napoleon_custom_sections = ["Shape"]  # torch's docstring section, rendered like "Example"
napoleon_preprocess_types = True  # "Tensor" in "input (Tensor)" becomes a link (with the aliases below)
# "input (Tensor)" links to PyTorch's Tensor; the same for the other torch types docstrings name.
napoleon_type_aliases = {
    "Tensor": "torch.Tensor",
    "Parameter": "torch.nn.Parameter",
    "Module": "torch.nn.Module",
    "dtype": "torch.dtype",
    "device": "torch.device",
}
napoleon_use_rtype = False  # the return type inside "Returns", not a separate "Return type" field
add_module_names = False  # "relu(input)" rather than "customgrad.functional.relu(input)" in headings

# --- math (offline)
katex_prerender = True  # HTML rendered by node at build time; pages need no script to show math
# katex_js_path / katex_css_path and throwOnError are set by site_katex (npm's pinned KaTeX).

# --- HTML
html_theme = "pydata_sphinx_theme"  # what PyTorch's docs use; translates its own interface
html_title = "customgrad"  # the default adds "0.1.0 documentation" to every tab
html_static_path = [str(DOCS / "_static")]  # absolute, like templates_path
html_css_files = ["customgrad.css"]  # the site's few style fixes (downloads box, figures, matrix)
html_favicon = str(DOCS / "_static" / "favicon.svg")  # else browsers ask for a missing /favicon.ico (a 404)
# The theme's colour mode before the reader picks one: follow the system.  Unset, the theme's
# script logs "Got invalid theme mode" on a reader's first visit.
html_context = {"default_mode": "auto"}
html_last_updated_fmt = None  # the execution stamp says when a page was computed
html_show_sourcelink = False  # the downloads box offers the page as a notebook and a script
html_copy_source = False  # no _sources/ copies: nothing links to them
html_theme_options = {
    "navbar_end": ["lang-switcher", "theme-switcher"],  # language switcher on every page
    "secondary_sidebar_items": ["page-toc", "page-downloads"],  # no edit/source links: the downloads
    "article_footer_items": ["exec-stamp"],  # torch version, device, date executed
    "footer_start": ["copyright"],  # with sphinx-version at the other end, instead of...
    "footer_end": ["sphinx-version"],  # ... the theme's own version credit there
    "navigation_with_keys": False,  # the default, stated: left unset, the theme warns
    "show_toc_level": 2,  # the page's table of contents opens one level deeper
    "header_links_before_dropdown": 4,  # the core track; the rest under "More"
}
# The left sidebar holds only the section navigation, and _templates/section-nav.html renders
# nothing where there is none, so the theme drops the sidebar there; the landing page is full width.
html_sidebars = {"index": [], "**": ["section-nav"]}

copybutton_prompt_text = r">>> |\.\.\. |\$ "  # copy doctest and shell examples without prompts
copybutton_prompt_is_regexp = True  # the prompt text above is a regular expression
copybutton_exclude = ".linenos, .gp, .go"  # no line numbers, prompts or outputs in the copy

# --- languages
locale_dirs = ["locale/"]  # docs/locale/<lang>/LC_MESSAGES/*.po, made by `make translations`
gettext_compact = False  # one catalogue per page: translators and the gate work page by page
gettext_location = False  # no file:line comments: they churn with every edit of the source
# Pages whose text is generated from code stay in English in every language (site_i18n drops
# their catalogues): the API reference comes from the docstrings.
site_untranslated = ["api/*"]
# How each language names itself in the switcher (babel's name is used for others).
site_language_names = {"en": "English", "zh_CN": "简体中文"}
# Chinese search: Sphinx splits words with jieba; the glossary's terms stay whole.
html_search_options = {"dict": str(DOCS / "locale" / "zh_CN" / "jieba_userdict.txt")}

# --- publishing (README "Publishing")
# The one setting to change: the public address of the site's root, where _build/html is served
# (each language lives under it at <lang>/).  The default is a reserved example domain (RFC 2606):
# it names no real site, and its path "/" is where `make serve` and `make test-site` serve
# _build/html, so the 404 page's absolute links work there.  The GitHub Pages workflow passes
# the address GitHub gives the repository (.github/workflows/site.yml).
SITE_URL = os.environ.get("CUSTOMGRAD_SITE_URL") or "https://customgrad.example.org/"  # unset or empty: the default
# Read the Docs builds one project per language, each at its own address: .readthedocs.yaml
# passes it ($READTHEDOCS_CANONICAL_URL) as the language's root instead of SITE_URL + "<lang>/".
LANGUAGE_URL = os.environ.get("CUSTOMGRAD_LANGUAGE_URL") or None
# The 404 page's words, translated like the theme's (site_i18n builds notfound's "body" from them).
notfound_context = {
    "title": "Page not found",
    "message": "There is no page at this address. The menu and the search lead to every page of this site.",
}
# Search, the index and the 404 page are not content: not in the sitemap.
sitemap_excludes = ["search.html", "genindex.html", "404.html"]
sitemap_url_scheme = "{lang}{link}"  # SITE_URL + "en/tutorials/x.html"; set per language below
ogp_social_cards = {"enable": False}  # else it draws a PNG per page with matplotlib at build time
ogp_image = None  # no image: the pages load nothing more (OpenGraph adds <meta> tags only)
ogp_site_name = "customgrad"


def _publishing(app, config) -> None:
    """Per language (``-D language`` is known only now): the language's root for all three."""
    from urllib.parse import urlsplit

    languages = ["en"] + sorted(p.parent.name for p in (DOCS / "locale").glob("*/LC_MESSAGES"))
    site = SITE_URL.rstrip("/") + "/"
    root = (LANGUAGE_URL or site + f"{config.language}/").rstrip("/") + "/"
    config.html_baseurl = root  # <link rel="canonical"> on every page
    config.ogp_site_url = root  # og:url
    config.notfound_urls_prefix = urlsplit(root).path  # 404.html: /<path>/<lang>/_static/...
    if LANGUAGE_URL:  # one host per language: its sitemap lists its own pages only
        config.site_url, config.sitemap_url_scheme, config.sitemap_locales = root, "{link}", [None]
    else:  # one host, every language below it: each page names its translations (hreflang)
        config.site_url, config.sitemap_locales = site, languages


def _notfound_languages(app, pagename, templatename, context, doctree) -> None:
    """The 404 page's language switcher: absolute links too (it is served at any depth)."""
    if pagename != app.config.notfound_pagename or not context.get("site_languages"):
        return
    if LANGUAGE_URL:  # the other languages are other hosts' projects: their own menu switches
        context["site_languages"] = [lang for lang in context["site_languages"] if lang["current"]]
        return
    from urllib.parse import urlsplit

    base = urlsplit(SITE_URL.rstrip("/") + "/").path
    for lang in context["site_languages"]:
        lang["url"] = f"{base}{lang['code']}/{pagename}.html"


_written: set[str] = set()  # the pages this build wrote (an incremental build writes only some)


def _page_written(app, pagename, templatename, context, doctree) -> None:
    _written.add(pagename)


def _sitemap_complete(app, exception) -> None:
    """sphinx-sitemap lists the pages written by this build: after a rebuild, add the others."""
    if exception is None and app.builder.format == "html" and hasattr(app, "sitemap_links"):
        from sphinx_sitemap import add_html_link

        for docname in sorted(app.env.found_docs - _written):
            add_html_link(app, docname, None, None, None)


def setup(app):
    app.connect("config-inited", _publishing)
    app.connect("html-page-context", _page_written)
    app.connect("build-finished", _sitemap_complete, priority=400)  # before sphinx-sitemap writes it
    app.connect("html-page-context", _notfound_languages, priority=600)  # after site_i18n's links
