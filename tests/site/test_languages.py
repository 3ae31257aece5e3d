"""Text the build writes itself is in the page's language: the gallery index's thumbnails (raw HTML
that sphinx-gallery writes from the English scripts), gallery figures drawn per language, the footer."""

from __future__ import annotations

import re

from sitecheck import SITE, languages, require_site_for_module

require_site_for_module()

CJK = re.compile(r"[\u3400-\u9fff]")


def test_gallery_thumbnails_are_translated():
    if "zh_CN" not in languages():
        return
    index = (SITE / "zh_CN" / "auto_gallery" / "index.html").read_text(encoding="utf-8")
    titles = re.findall(r'<div class="sphx-glr-thumbnail-title">([^<]*)</div>', index)
    tooltips = re.findall(r'data-tooltip="([^"]*)"', index)
    assert titles and len(tooltips) == len(titles)
    assert all(CJK.search(t) for t in titles + tooltips), titles + tooltips
    # ... and each title is the one of the page it links to
    for page in re.findall(r'href="(plot_[^"#]+\.html)', index):
        html = (SITE / "zh_CN" / "auto_gallery" / page).read_text(encoding="utf-8")
        title = re.search(r"<h1>([^<]*)", html).group(1).strip()
        assert title in titles, (page, title, titles)


def test_gallery_figures_per_language():
    """plot_02 draws each figure twice (fig.set_label): each language shows its own."""
    if "zh_CN" not in languages():
        return
    shown = {}
    for lang in ("en", "zh_CN"):
        html = (SITE / lang / "auto_gallery" / "plot_02_gradcheck_anatomy.html").read_text(encoding="utf-8")
        shown[lang] = re.findall(r'<img src="[^"]*/(sphx_glr_plot_02[^"]*)"[^>]*alt="([^"]*)"', html)
    assert len(shown["en"]) == len(shown["zh_CN"]) == 2
    assert not {img for img, _ in shown["en"]} & {img for img, _ in shown["zh_CN"]}
    assert all(CJK.search(alt) for _, alt in shown["zh_CN"]) and not any(CJK.search(alt) for _, alt in shown["en"])


def test_footer_translated():
    if "zh_CN" not in languages():
        return
    html = (SITE / "zh_CN" / "index.html").read_text(encoding="utf-8")
    footer = re.search(r'<p class="copyright">(.*?)</p>', html, re.S).group(1)
    assert "版权所有" in footer and "Copyright" not in footer
