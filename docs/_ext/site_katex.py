"""One job: offline math, KaTeX from the pinned npm package, prerendered at build time, strict.

sphinxcontrib-katex renders every formula with node at build time (``katex_prerender``); this
extension makes it use ``node_modules/katex`` (``make html`` runs ``npm ci``: version pinned in
package-lock.json), serves KaTeX's CSS and fonts from ``_static/katex/`` instead of a CDN, and turns
a formula KaTeX cannot parse into a warning naming the page, so ``-W`` fails the build.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import sphinxcontrib.katex as katex
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import ConfigError
from sphinx.util import logging

logger = logging.getLogger(__name__)

CSS = "katex/katex.min.css"


def _dist(app: Sphinx) -> Path:
    return Path(app.confdir) / "node_modules" / "katex" / "dist"


def on_config_inited(app: Sphinx, config) -> None:
    dist = _dist(app)
    config.katex_js_path = str(dist / "katex.min.js")  # the server renders with npm's KaTeX
    config.katex_css_path = CSS  # relative: served from this site's _static, not a CDN
    config.html_math_renderer = "katex_strict"
    # KaTeX's default shows a malformed formula in red and carries on; we want an error.
    katex.KATEX_DEFAULT_OPTIONS["throwOnError"] = True


def on_builder_inited(app: Sphinx) -> None:
    if app.builder.format != "html":
        return
    dist = _dist(app)
    if not (dist / "katex.min.js").is_file():
        raise ConfigError(f"KaTeX is missing at {dist}: run `npm ci` in the repository root (make html does).")
    static = Path(app.srcdir).parent / "_build" / ".katex-static"  # outside the published folders
    target = static / "katex"
    if target.is_dir():
        shutil.rmtree(target)
    (target / "fonts").mkdir(parents=True)
    shutil.copy2(dist / "katex.min.css", target / "katex.min.css")
    for font in (dist / "fonts").iterdir():
        shutil.copy2(font, target / "fonts" / font.name)
    app.config.html_static_path.append(str(static))


def _start_server():
    """Start sphinxcontrib-katex's node server, retrying the first connection.

    The socket file appears when node binds it, a moment before node listens; the upstream code
    connects once and fails the whole build on that race (leaving node running).  Here the
    connection is retried until node listens, and node is stopped if it never does.
    """
    import atexit
    import socket
    import tempfile
    import time
    from subprocess import PIPE, Popen

    rundir = Path(tempfile.mkdtemp(prefix="sphinxcontrib_katex"))
    socket_path = rundir / "katex.sock"
    process = Popen(katex.KaTeXServer.build_command(socket=socket_path), stdin=PIPE, stdout=PIPE, cwd=rundir)
    deadline = time.monotonic() + 30.0
    while True:
        try:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(str(socket_path))
            break
        except (FileNotFoundError, ConnectionRefusedError):
            sock.close()
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                shutil.rmtree(rundir, ignore_errors=True)
                raise katex.KaTeXError(f"the KaTeX node server did not start: {' '.join(process.args)}")
            time.sleep(0.01)
    server = katex.KaTeXServer(rundir, process, sock)
    atexit.register(katex.KaTeXServer.terminate, server)
    return server


def _render(self, node, display: bool) -> str | None:
    latex = node.astext()
    try:
        return katex.render_latex(latex, {"displayMode": True} if display else None)
    except katex.KaTeXError as err:
        logger.warning(f"KaTeX cannot render {latex!r}: {err}", location=node, type="katex")
        return None


def visit_math(self, node) -> None:
    html = _render(self, node, display=False)
    self.body.append(self.starttag(node, "span", "", CLASS="math"))
    self.body.append(html if html is not None else self.encode(node.astext()))
    self.body.append("</span>")
    raise nodes.SkipNode


def visit_displaymath(self, node) -> None:
    self.body.append(self.starttag(node, "div", CLASS="math"))
    if node["number"]:
        number = katex.get_node_equation_number(self, node)
        self.body.append(f'<span class="eqno">({number})')
        self.add_permalink_ref(node, "Permalink to this equation")
        self.body.append("</span>")
    html = _render(self, node, display=True)
    self.body.append(html if html is not None else self.encode(node.astext()))
    self.body.append("</div>\n")
    raise nodes.SkipNode


def setup(app: Sphinx):
    app.setup_extension("sphinxcontrib.katex")
    katex.KaTeXServer.start = staticmethod(_start_server)
    app.add_html_math_renderer(
        "katex_strict",
        inline_renderers=(visit_math, None),
        block_renderers=(visit_displaymath, None),
    )
    app.connect("config-inited", on_config_inited)
    app.connect("builder-inited", on_builder_inited)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
