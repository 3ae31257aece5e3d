"""One job: the site in several languages, one output folder each (``_build/html/<lang>/``).

- The site's languages are English plus every ``docs/locale/<lang>/LC_MESSAGES`` folder, the
  same rule the Makefile uses, so adding a language is ``make translations ADD_LANGUAGE=<lang>``.
- A Sphinx tag ``lang_<language>`` (``lang_en``, ``lang_zh_CN``) is set for ``{only}`` blocks,
  e.g. a figure with Chinese labels shown on Chinese pages only.
- Every page gets ``site_languages`` for ``_templates/lang-switcher.html``: a link to the same
  page in each language, relative, so it works from ``file://`` as well as from a server.
- ``_build/html/index.html`` sends a reader to the language of their browser (else English).
- The gettext builder drops the catalogues of pages listed in ``site_untranslated``; in other
  languages their content is marked ``lang="en"``.
- ``{glue}`` and ``{glue:text}`` work inside translated sentences.  Sphinx parses a translation
  in a fresh document after the page's notebook is gone, where myst-nb finds no glue data; such
  a role is turned into a reference to the page's own glue data, which myst-nb resolves when
  writing (from ``jupyter_execute/<page>.glue.json``).  ``{glue:md}`` cannot be used in prose.
- Chinese search works in the browser: Sphinx 9.0's Chinese search language (jieba splits the
  text, English's stemmer stems the Latin words) names its JavaScript stemmer after the language,
  ``window.Stemmer = ChineseStemmer``, a class that does not exist, so every zh_CN page threw a
  ReferenceError and the search page found nothing (sphinx-doc/sphinx#14229, fixed upstream by
  #14416 after 9.0).  ``ChineseSearch`` ships the stemmer it uses under its own name.
- The gallery index's thumbnails are raw HTML that sphinx-gallery writes from each script's English
  title and first paragraph, so no catalogue reaches them.  In other languages each thumbnail's title
  and tooltip are replaced by the translated title and first paragraph of the page it links to.
- Gallery figures per language: ``gallery_figures`` (``image_scrapers`` in conf.py) saves each
  matplotlib figure as sphinx-gallery's own scraper does, but a figure labelled with a language code
  (``fig.set_label("zh_CN")``) is shown only in that language and one labelled ``"en"`` only in the
  others (``{only}`` blocks, as in the notebooks); an unlabelled figure is shown in every language.
"""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)


def site_languages(srcdir: Path) -> list[str]:
    locale = srcdir / "locale"
    found = sorted(p.parent.name for p in locale.glob("*/LC_MESSAGES") if p.is_dir()) if locale.is_dir() else []
    return ["en"] + [code for code in found if code != "en"]


def language_name(app: Sphinx, code: str) -> str:
    if code in app.config.site_language_names:
        return app.config.site_language_names[code]
    from babel import Locale

    return Locale.parse(code).get_display_name(code)


def on_config_inited(app: Sphinx, config) -> None:
    from sphinx.locale import get_translation

    app.tags.add("lang_" + (config.language or "en"))
    # myst-nb's prompts for hidden cells are settings, not translatable strings (the translation
    # may drop {type}); _templates/theme-strings.html lists them for the catalogue.
    _ = get_translation("sphinx")
    for name in ("nb_code_prompt_show", "nb_code_prompt_hide"):
        value = config[name]
        if isinstance(value, str):
            config[name] = str(_(value))
    # The footer's "© Copyright {copyright}." is the theme's (translated through sphinx.po); the holder
    # is conf.py's value, listed in _templates/theme-strings.html as well.
    if isinstance(config.copyright, str):
        config.copyright = str(_(config.copyright))
    # The 404 page (sphinx-notfound-page renders its context's "body"): conf.py gives a title and a
    # message, both in _templates/theme-strings.html, so the page is in the site's language.
    context = config.notfound_context
    if isinstance(context, dict) and "message" in context:
        title, message = str(_(context["title"])), str(_(context["message"]))
        config.notfound_context = {"title": title, "body": f"<h1>{title}</h1>\n\n<p>{message}</p>"}


def on_html_page_context(app: Sphinx, pagename, templatename, context, doctree) -> None:
    up = "../" * (pagename.count("/") + 1)
    target = app.builder.get_target_uri(pagename)
    current = app.config.language or "en"
    context["site_languages"] = [
        {
            "code": code,
            "name": language_name(app, code),
            "url": f"{up}{code}/{target}",
            "current": code == current,
        }
        for code in site_languages(Path(app.srcdir))
    ]
    # A page left in English (site_untranslated) says so, for screen readers and translators'
    # tools, while the interface around it is in the page's language.
    untranslated = any(fnmatch.fnmatch(pagename, pattern) for pattern in app.config.site_untranslated)
    if current != "en" and untranslated and context.get("body"):
        context["body"] = f'<div lang="en">{context["body"]}</div>'


REDIRECT = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{project}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="en/_static/favicon.svg">
<script>
// Send the reader to the site in the first of their browser's languages that we have.
(function () {{
  var have = {languages};
  var wanted = navigator.languages || [navigator.language || "en"];
  var pick = "en";
  search: for (var i = 0; i < wanted.length; i++) {{
    var w = String(wanted[i]).toLowerCase().replace("-", "_");
    for (var j = 0; j < have.length; j++) {{
      var h = have[j].toLowerCase();
      if (w === h || w.split("_")[0] === h.split("_")[0]) {{ pick = have[j]; break search; }}
    }}
  }}
  window.location.replace(pick + "/index.html");
}})();
</script>
<noscript><meta http-equiv="refresh" content="0; url=en/index.html"></noscript>
</head>
<body>
<p>{links}</p>
</body>
</html>
"""


def on_build_finished(app: Sphinx, exception) -> None:
    if exception is not None:
        return
    if app.builder.name == "gettext":
        drop_untranslated(app)
        return
    outdir = Path(app.outdir)
    if app.builder.format != "html" or outdir.name != (app.config.language or "en"):
        return
    codes = site_languages(Path(app.srcdir))
    links = " &middot; ".join(f'<a href="{c}/index.html">{language_name(app, c)}</a>' for c in codes)
    html = REDIRECT.format(project=app.config.project, languages=json.dumps(codes), links=links)
    (outdir.parent / "index.html").write_text(html, encoding="utf-8")


def drop_untranslated(app: Sphinx) -> None:
    outdir = Path(app.outdir)
    for pot in sorted(outdir.rglob("*.pot")):
        docname = pot.relative_to(outdir).with_suffix("").as_posix()
        if any(fnmatch.fnmatch(docname, pattern) for pattern in app.config.site_untranslated):
            pot.unlink()
    for folder in sorted((p for p in outdir.rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()


def _plain_glue(env, key: str):
    """The page's glued text/plain value, as myst-nb renders an inline {glue} of it, or None."""
    import re

    from docutils import nodes
    from myst_nb.ext.glue.crossref import read_glue_cache

    try:
        output = read_glue_cache(env.mystnb_config.output_folder, env.docname).get(key)
    except Exception:
        return None
    if not output or set(output.get("data", {})) != {"text/plain"}:
        return None
    text = content = output["data"]["text/plain"]
    if output.get("metadata", {}).get("strip_text_quotes", False) and re.match(r"^(['\"]).*\1$", text):
        content = text[1:-1]
    return nodes.inline(text, content, classes=["output", "text_plain"])


def glue_in_translations() -> None:
    from myst_nb.ext.glue import roles

    for cls in (roles.PasteRoleAny, roles.PasteTextRole):
        if getattr(cls.run, "site_i18n", False):
            continue
        original = cls.run

        def run(self, _original=original, _any=cls is roles.PasteRoleAny):
            settings = self.document.settings
            if "nb_renderer" not in self.document and "::" not in self.text and hasattr(settings, "env"):
                env = settings.env
                node = _plain_glue(env, self.text) if _any else None
                if node is not None:  # the same markup as in the untranslated page
                    self.set_source_info(node)
                    return [node], []
                text = self.text
                if not _any and ":" not in text:
                    text += ":s"  # {glue:text} splits its last ':' off as the format: give the default one
                self.text = f"/{env.doc2path(env.docname, False)}::{text}"
            return _original(self)

        run.site_i18n = True
        cls.run = run


def _first_paragraph(env, docname: str) -> str | None:
    """The text of the first paragraph of a page's first section (translated in a translated build)."""
    from docutils import nodes

    try:
        section = env.get_doctree(docname).next_node(nodes.section)
    except Exception:
        return None
    paragraph = next((c for c in section.children if isinstance(c, nodes.paragraph)), None) if section else None
    return " ".join(paragraph.astext().split()) if paragraph is not None else None


def translate_gallery_thumbnails(app: Sphinx, doctree, docname: str) -> None:
    """Thumbnail titles and tooltips of a sphinx-gallery index in the page's language (see the top)."""
    import html
    import posixpath
    import re

    from docutils import nodes

    if (app.config.language or "en") == "en":
        return
    env = app.env
    found = [n for n in doctree.findall(lambda n: isinstance(n, (nodes.raw, nodes.reference)))]
    if not any(isinstance(n, nodes.raw) and "sphx-glr-thumbcontainer" in n.astext() for n in found):
        return
    container = target = None
    for node in found:
        if isinstance(node, nodes.raw) and "sphx-glr-thumbcontainer" in node.astext():
            container, target = node, None
        elif isinstance(node, nodes.reference) and container is not None and target is None:
            uri = node.get("refuri", "").split("#")[0]
            if uri.endswith(".html"):
                target = posixpath.normpath(posixpath.join(posixpath.dirname(docname), uri[: -len(".html")]))
        elif isinstance(node, nodes.raw) and "sphx-glr-thumbnail-title" in node.astext() and target in env.titles:
            title = html.escape(env.titles[target].astext())
            text = re.sub(r'(<div class="sphx-glr-thumbnail-title">)[^<]*(</div>)', rf"\g<1>{title}\g<2>", node.astext())
            node.replace(node[0], nodes.Text(text))
            tooltip = _first_paragraph(env, target)
            if tooltip is not None:
                text = re.sub(r'data-tooltip="[^"]*"', f'data-tooltip="{html.escape(tooltip)}"', container.astext())
                container.replace(container[0], nodes.Text(text))
            container = target = None


def gallery_figures(block, block_vars, gallery_conf, **kwargs):
    """sphinx-gallery's matplotlib scraper, with a figure's language taken from its label (see the top)."""
    import matplotlib.pyplot as plt
    from sphinx_gallery.scrapers import _matplotlib_fig_titles, figure_rst

    groups: dict[str, list] = {}
    for number, path in zip(plt.get_fignums(), block_vars["image_path_iterator"]):
        fig = plt.figure(number)
        fig.savefig(path, **kwargs)
        label = fig.get_label()
        lang = label if label == "en" or "_" in label or (len(label) == 2 and label.isalpha()) else ""
        groups.setdefault(lang, []).append((path, _matplotlib_fig_titles(fig)))
    plt.close("all")
    others = [lang for lang in groups if lang not in ("", "en")]
    blocks = []
    for lang, figures in groups.items():
        rst = "".join(figure_rst([str(path)], gallery_conf["src_dir"], titles) for path, titles in figures)
        if lang == "" or (lang == "en" and not others):
            blocks.append(rst)
            continue
        condition = f"lang_{lang}" if lang != "en" else " and ".join(f"not lang_{o}" for o in others)
        body = "\n".join(("   " + line) if line.strip() else "" for line in rst.strip("\n").splitlines())
        blocks.append(f"\n\n.. only:: {condition}\n\n{body}\n")
    return "".join(blocks)


def _chinese_search():
    from sphinx.search import _MINIFIED_JS_PATH
    from sphinx.search.zh import SearchChinese

    class ChineseSearch(SearchChinese):
        """Sphinx's Chinese search, with the JavaScript stemmer that its Python side mirrors.

        ``IndexBuilder.get_js_stemmer_code`` writes ``window.Stemmer = <language_name>Stemmer``
        after the stemmer's script; for Chinese that is ``ChineseStemmer``, undefined, since the
        script is English's (``EnglishStemmer``).  The same scripts are given here as plain code,
        ending with the class they define.
        """

        js_stemmer_rawcode = ""  # no rawcode: Sphinx then takes js_stemmer_code as it is
        js_stemmer_code = "\n".join(
            (
                (_MINIFIED_JS_PATH / "base-stemmer.js").read_text(encoding="utf-8"),
                (_MINIFIED_JS_PATH / SearchChinese.js_stemmer_rawcode).read_text(encoding="utf-8"),
                "window.Stemmer = EnglishStemmer;",
            )
        )

    assert SearchChinese.js_stemmer_rawcode == "english-stemmer.js", "Sphinx changed its Chinese search"
    return ChineseSearch


def setup(app: Sphinx):
    glue_in_translations()
    app.add_search_language(_chinese_search())
    app.add_config_value("site_untranslated", [], "env", list)
    app.add_config_value("site_language_names", {}, "html", dict)
    app.connect("config-inited", on_config_inited)
    app.connect("html-page-context", on_html_page_context)
    app.connect("build-finished", on_build_finished)
    app.connect("doctree-resolved", translate_gallery_thumbnails)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
