"""The built site's files, without a browser: links and anchors, and valid HTML.

- Every internal link (``href``/``src`` of links, images, scripts, styles) names a file that
  exists, and its ``#anchor`` an ``id`` (or ``<a name>``) in that page.  Links leaving the site are
  not fetched (no network): they are listed in _build/site-report/external-links.txt.
- Every page is valid HTML per the Nu Html Checker (vnu.jar, npm ``vnu-jar`` pinned in
  package-lock.json; needs Java), the W3C's validator, run offline over all pages at once.  Its
  errors fail the page; its warnings and notes go to _build/site-report/html-validation.json.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import defaultdict
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from sitecheck import ROOT, SITE, VNU, pages, require_site, require_site_for_module, unavailable, write_report

require_site_for_module()
PAGES = pages()
ALL_PAGES = PAGES  # the root index.html is one of them

# Nu Html Checker messages that are not errors of this site, each with its reason.  Empty: every
# error counts.  (Warnings and info messages never fail a page; they are in the report.)
VNU_IGNORED: list[str] = []


class _Collect(HTMLParser):
    URL_ATTRS = {"a": "href", "link": "href", "img": "src", "script": "src", "source": "src", "iframe": "src", "area": "href"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.urls: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("name"):
            self.ids.add(attrs["name"])
        name = self.URL_ATTRS.get(tag)
        if name and attrs.get(name) is not None:
            self.urls.append((tag, attrs[name]))
        if tag == "img" and attrs.get("srcset"):
            for part in attrs["srcset"].split(","):
                if part.strip():
                    self.urls.append((tag, part.split()[0]))


@lru_cache(maxsize=None)
def parsed(path: Path) -> _Collect:
    collector = _Collect()
    collector.feed(path.read_text(encoding="utf-8"))
    return collector


def check_links(rel: str) -> tuple[list[str], list[str]]:
    """(broken internal links, external links) of one page."""
    source = SITE / rel
    broken, external = [], []
    for tag, url in parsed(source).urls:
        parts = urlsplit(url)
        if parts.scheme in ("http", "https", "mailto") or url.startswith("//"):
            external.append(url)
            continue
        if parts.scheme == "data":
            continue
        if parts.scheme:
            broken.append(f"<{tag}> {url}: unexpected scheme")
            continue
        if parts.path:
            # "/en/x.html" (the 404 pages' links, absolute to the language's root): from the served root.
            base = SITE if parts.path.startswith("/") else source.parent
            target = (base / unquote(parts.path).lstrip("/")).resolve()
            if target.is_dir():
                target = target / "index.html"
            try:
                target.relative_to(SITE.resolve())
            except ValueError:
                broken.append(f"<{tag}> {url}: outside the site")
                continue
            if not target.is_file():
                broken.append(f"<{tag}> {url}: no such file")
                continue
        else:
            target = source
        fragment = unquote(parts.fragment)
        if fragment and target.suffix == ".html" and fragment not in parsed(target).ids:
            broken.append(f"<{tag}> {url}: no id {fragment!r} in {target.relative_to(SITE.resolve()).as_posix()}")
    return broken, external


@pytest.mark.parametrize("rel", ALL_PAGES)
def test_internal_links_and_anchors_resolve(rel):
    require_site()
    broken, _ = check_links(rel)
    assert broken == []


def test_external_links_listed():
    """External links are not fetched; they are listed, with the pages that use them."""
    require_site()
    where = defaultdict(set)
    for rel in ALL_PAGES:
        for url in check_links(rel)[1]:
            where[url].add(rel)
    lines = [f"{url}\t{' '.join(sorted(pages_))}" for url, pages_ in sorted(where.items())]
    path = write_report("external-links.txt", "# external link<TAB>pages linking it (not fetched)\n" + "\n".join(lines) + "\n")
    assert path.is_file()


# --------------------------------------------------------------------------- HTML validity
@pytest.fixture(scope="session")
def vnu_messages() -> dict[str, list[dict]]:
    """The Nu Html Checker's messages, by page, from one run over every page."""
    require_site()
    java = shutil.which("java")
    if java is None:
        unavailable("no Java for the Nu Html Checker: `apt-get install default-jre-headless`")
    if not VNU.is_file():
        unavailable(f"vnu.jar is missing at {VNU}: run `npm ci`")
    files = [str(SITE / rel) for rel in ALL_PAGES]
    run = subprocess.run(
        [java, "-Xss8m", "-jar", str(VNU), "--format", "json", "--exit-zero-always", *files],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    report = json.loads(run.stderr or run.stdout)  # vnu writes its report to stderr
    write_report("html-validation.json", json.dumps(report, indent=1, ensure_ascii=False))
    by_page = defaultdict(list)
    for message in report["messages"]:
        url = message.get("url", "")
        rel = Path(urlsplit(url).path).resolve().relative_to(SITE.resolve()).as_posix() if url else "?"
        by_page[rel].append(message)
    return by_page


@pytest.mark.parametrize("rel", ALL_PAGES)
def test_valid_html(vnu_messages, rel):
    errors = [
        f"line {m.get('lastLine')}: {m['message']}"
        for m in vnu_messages.get(rel, [])
        if m["type"] in ("error", "non-document-error") and not any(text in m["message"] for text in VNU_IGNORED)
    ]
    assert errors == []
    assert "?" not in vnu_messages, vnu_messages.get("?")
