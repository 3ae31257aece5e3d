"""Every page of the built site in headless Chromium, as a reader sees it.

Per page: no console error, no uncaught exception, no failed request and no request leaving the
local server; math rendered by KaTeX (no LaTeX left in the text); every image loaded; no serious
or critical axe-core violation; the language switcher leads to the same page in each other
language; nothing scrolls sideways on a 390 px phone; the copy button copies the code.  Then the
search page finds the right pages in each language, and a few screenshots are kept in
_build/screenshots/ for a person to look at.  Findings are written to _build/site-report/.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote, urljoin, urlsplit

import pytest
from sitecheck import AXE, DESKTOP, PHONE, SCREENSHOTS, SITE, languages, pages, require_site_for_module, unavailable, write_report

require_site_for_module()
PAGES = pages()

# LaTeX that would be left in the text if a formula were not rendered.
RAW_LATEX = re.compile(
    r"\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{|\\(?:frac|sqrt|partial|nabla|mathbf|mathrm|operatorname|cdot|odot|sum|prod|"
    r"int|left|right|alpha|beta|sigma|tanh|exp|log|max|min|infty|text|quad|approx|leq|geq|neq|in)\b"
)

# Text of a page outside code, math and scripts: where raw LaTeX must not be.
VISIBLE_PROSE = """() => {
  const clone = document.body.cloneNode(true);
  clone.querySelectorAll('pre, code, kbd, samp, script, style, .katex, .highlight, .cell_output, .output')
       .forEach(e => e.remove());
  return clone.textContent;
}"""

MATH = """() => {
  const bad = [];
  const all = [...document.querySelectorAll('span.math, div.math')];
  for (const e of all) {
    if (!e.querySelector('.katex')) bad.push('not rendered: ' + e.textContent.slice(0, 80));
    else if (e.querySelector('.katex-error')) bad.push('KaTeX error: ' + e.textContent.slice(0, 80));
  }
  // KaTeX's CSS must have loaded: the MathML copy is visually hidden, the HTML copy shown.
  const mathml = document.querySelector('.katex .katex-mathml');
  if (mathml && getComputedStyle(mathml).position !== 'absolute') bad.push('KaTeX CSS not applied');
  return {count: all.length, bad};
}"""

IMAGES = """async () => {
  const imgs = [...document.images];
  imgs.forEach(i => { if (i.loading === 'lazy') i.loading = 'eager'; });
  await Promise.all(imgs.map(i => i.complete ? null : new Promise(r => { i.onload = i.onerror = r; })));
  return imgs.filter(i => !(i.naturalWidth > 0)).map(i => i.getAttribute('src'));
}"""

AXE_RUN = "() => axe.run(document, {resultTypes: ['violations', 'incomplete']})"


@pytest.fixture(scope="session")
def page_report(new_tab):
    """page_report(rel) -> what one visit of the page at desktop width found (cached)."""
    cache: dict[str, dict] = {}
    tab = new_tab(DESKTOP)

    def report(rel: str) -> dict:
        if rel in cache:
            return cache[rel]
        tab.open(rel)
        page = tab.page
        if rel == "index.html":  # the root page sends the reader on to a language's index.html
            page.wait_for_url(f"{tab.base_url}*/index.html")
            page.wait_for_load_state("load")
        result = {
            "prose": page.evaluate(VISIBLE_PROSE),
            "math": page.evaluate(MATH),
            "broken_images": page.evaluate(IMAGES),
            "switcher": page.eval_on_selector_all(
                ".cg-lang-switcher a.cg-lang", "els => els.map(e => [e.getAttribute('hreflang'), e.href])"
            ),
            "html_lang": page.evaluate("document.documentElement.lang"),
        }
        if rel != "index.html":  # the root page only redirects
            if not AXE.is_file():
                unavailable(f"axe-core is missing at {AXE}: run `npm ci`")
            page.add_script_tag(path=str(AXE))
            axe = page.evaluate(AXE_RUN)
            result["axe"] = axe["violations"]
            # What axe could not decide (colour contrast over images, say): reported, not failed.
            result["axe_incomplete"] = [
                {"id": v["id"], "impact": v["impact"], "targets": [n["target"] for n in v["nodes"]]} for v in axe["incomplete"]
            ]
        page.wait_for_timeout(50)  # late console messages
        result["problems"] = tab.problems()
        cache[rel] = result
        return result

    yield report
    axe = {rel: {"violations": r["axe"], "incomplete": r["axe_incomplete"]} for rel, r in cache.items() if "axe" in r}
    write_report("axe.json", json.dumps(axe, indent=1, ensure_ascii=False))


LANG_PAGES = [p for p in PAGES if p != "index.html"]


@pytest.mark.parametrize("rel", PAGES)
def test_no_errors_and_nothing_from_outside(page_report, rel):
    """No console error, no uncaught exception, no failed request, no request off the local server."""
    assert page_report(rel)["problems"] == []


@pytest.mark.parametrize("rel", LANG_PAGES)
def test_math_rendered(page_report, rel):
    report = page_report(rel)
    assert report["math"]["bad"] == []
    leftovers = sorted({m.group(0) for m in RAW_LATEX.finditer(report["prose"])})
    assert leftovers == [], f"raw LaTeX in the text of {rel}"


@pytest.mark.parametrize("rel", LANG_PAGES)
def test_images_load(page_report, rel):
    assert page_report(rel)["broken_images"] == []


@pytest.mark.parametrize("rel", LANG_PAGES)
def test_accessibility(page_report, rel):
    """axe-core: no serious or critical violation (all of them are in _build/site-report/axe.json)."""
    violations = [
        f"{v['impact']} {v['id']}: {v['help']} -- {[n['target'] for n in v['nodes']][:5]}"
        for v in page_report(rel)["axe"]
        if v["impact"] in ("serious", "critical")
    ]
    assert violations == []


@pytest.mark.parametrize("rel", LANG_PAGES)
def test_html_lang(page_report, rel):
    lang = rel.split("/")[0]
    assert page_report(rel)["html_lang"].replace("-", "_") == lang


@pytest.mark.skipif(len(languages()) < 2, reason="one language only")
@pytest.mark.parametrize("rel", LANG_PAGES)
def test_language_switcher(page_report, switcher_tab, rel):
    """Each other language's link leads to the same page in that language."""
    lang, _, rest = rel.partition("/")
    links = dict(page_report(rel)["switcher"])
    others = [code for code in languages() if code != lang]
    assert sorted(links) == sorted(c.replace("_", "-") for c in others)
    tab = switcher_tab
    for code in others:
        tab.open(rel)
        with tab.page.expect_navigation():
            tab.page.click(f'.cg-lang-switcher a[hreflang="{code.replace("_", "-")}"]')
        assert urlsplit(tab.page.url).path == f"/{code}/{rest}"
        assert tab.page.evaluate("document.documentElement.lang").replace("-", "_") == code
        assert tab.problems() == []


@pytest.fixture(scope="session")
def switcher_tab(new_tab):
    return new_tab(DESKTOP)


@pytest.fixture(scope="session")
def phone_tab(new_tab):
    return new_tab(PHONE)


@pytest.mark.parametrize("rel", LANG_PAGES)
def test_no_sideways_scroll_on_a_phone(phone_tab, rel):
    phone_tab.open(rel)
    width = phone_tab.page.evaluate("document.scrollingElement.scrollWidth")
    if width > PHONE["width"] + 1:
        wide = phone_tab.page.evaluate(
            """(limit) => [...document.querySelectorAll('body *')]
                 .filter(e => e.getBoundingClientRect().right > limit && e.parentElement.getBoundingClientRect().right <= limit)
                 .slice(0, 5).map(e => e.outerHTML.slice(0, 120))""",
            PHONE["width"] + 1,
        )
        pytest.fail(f"{rel} is {width} px wide at {PHONE['width']} px; wide: {wide}")
    assert phone_tab.problems() == []


# --------------------------------------------------------------------------- copy button
CODE_PAGES = [p for p in LANG_PAGES if 'class="highlight' in (SITE / p).read_text(encoding="utf-8")]

# What sphinx-copybutton should put on the clipboard (conf.py: copybutton_exclude drops line
# numbers, prompts and doctest outputs, and the prompt pattern strips ">>> ", "... " and "$ ").
EXPECTED_COPY = """(button) => {
  const target = document.querySelector(button.dataset.clipboardTarget);
  const clone = target.cloneNode(true);
  clone.querySelectorAll('.linenos, .gp, .go').forEach(e => e.remove());
  return {text: clone.innerText, doctest: !!target.querySelector('.gp')};
}"""


@pytest.fixture(scope="session")
def clipboard_tab(new_tab):
    return new_tab(DESKTOP, clipboard=True)


@pytest.mark.parametrize("rel", CODE_PAGES)
def test_copy_button_copies_the_code(clipboard_tab, rel):
    """The first code block's button copies its code, and a doctest's copies it without prompts."""
    tab = clipboard_tab
    tab.open(rel)
    buttons = tab.page.locator("button.copybtn")
    assert buttons.count() > 0, "code on the page but no copy button"
    checked = set()
    for i in range(buttons.count()):
        button = buttons.nth(i)
        expected = button.evaluate(EXPECTED_COPY)
        if expected["doctest"] in checked:
            continue
        checked.add(expected["doctest"])
        tab.page.evaluate("navigator.clipboard.writeText('')")
        button.scroll_into_view_if_needed()
        button.hover()
        button.click()
        tab.page.wait_for_function("navigator.clipboard.readText().then(t => t.length > 0)", timeout=5000)
        copied = tab.page.evaluate("navigator.clipboard.readText()")
        assert copied.rstrip("\n") == expected["text"].rstrip("\n")
        if expected["doctest"]:
            assert ">>> " not in copied
        if len(checked) == 2:
            break
    assert tab.problems() == []


# --------------------------------------------------------------------------- search
# (language, query, pages that must be among the results, the first result if it must be one)
SEARCHES = [
    ("en", "gradcheck", ["auto_gallery/plot_02_gradcheck_anatomy", "tutorials/pitfalls", "verification"], "auto_gallery/plot_02_gradcheck_anatomy"),
    ("en", "mark_dirty", ["tutorials/ctx-lifecycle"], None),
    ("zh_CN", "梯度", ["tutorials/first-function-relu", "tutorials/autograd-graph", "tutorials/ctx-lifecycle"], None),
    ("zh_CN", "反向传播", ["tutorials/first-function-relu", "tutorials/pitfalls"], None),
    ("zh_CN", "gradcheck", ["auto_gallery/plot_02_gradcheck_anatomy", "tutorials/pitfalls", "verification"], "auto_gallery/plot_02_gradcheck_anatomy"),
]


@pytest.fixture(scope="session")
def search_tab(new_tab):
    return new_tab(DESKTOP)


@pytest.mark.parametrize("lang,query,expected,first", SEARCHES, ids=[f"{s[0]}-{s[1]}" for s in SEARCHES])
def test_search_finds_the_pages(search_tab, lang, query, expected, first):
    if lang not in languages():
        pytest.skip(f"no {lang} site")
    tab = search_tab
    tab.open(f"{lang}/search.html?q={quote(query)}")
    # searchtools.js fills the summary line once every result is shown.
    tab.page.wait_for_function(
        "document.querySelector('#search-results .search-summary')?.textContent.trim().length > 0", timeout=15000
    )
    hrefs = tab.page.eval_on_selector_all("#search-results ul.search li > a", "els => els.map(e => e.href)")
    found = [urlsplit(h).path.removeprefix(f"/{lang}/").removesuffix(".html") for h in hrefs]
    assert tab.problems() == []
    missing = [page for page in expected if page not in found]
    assert missing == [], f"search for {query!r} in {lang} found {found}"
    if first:
        assert found[0] == first


# --------------------------------------------------------------------------- root redirect
@pytest.mark.parametrize("locale,lang", [("en-US", "en"), ("zh-CN", "zh_CN"), ("fr-FR", "en")])
def test_root_redirects_by_browser_language(new_tab, locale, lang):
    if lang not in languages():
        pytest.skip(f"no {lang} site")
    tab = new_tab(DESKTOP, locale=locale)
    with tab.page.expect_navigation(url=f"**/{lang}/index.html"):
        tab.page.goto(tab.base_url + "index.html")
    assert tab.problems() == []


# --------------------------------------------------------------------------- screenshots
SHOTS = ["index", "tutorials/first-function-relu", "verification", "tutorials/ctx-lifecycle"]


@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("lang", languages() or ["en"])
def test_screenshots(new_tab, lang, size):
    """A person's look: _build/screenshots/<lang>-<page>-<desktop|phone>.png (top of each page)."""
    tab = new_tab(DESKTOP if size == "desktop" else PHONE, locale=lang.replace("_", "-"))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name in SHOTS:
        tab.open(f"{lang}/{name}.html")
        tab.page.evaluate("document.fonts.ready")
        path = SCREENSHOTS / f"{lang}-{name.split('/')[-1]}-{size}.png"
        tab.page.screenshot(path=str(path))
        assert path.stat().st_size > 10_000, f"{path} looks empty"
    assert tab.problems() == []
