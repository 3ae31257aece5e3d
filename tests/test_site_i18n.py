"""docs/_ext/site_i18n.py's gallery scraper: a figure labelled with a language shows in that language only."""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs" / "_ext"))

import site_i18n  # noqa: E402


def scrape(tmp_path, labels):
    plt.close("all")
    for label in labels:
        fig, ax = plt.subplots()
        ax.set_title(f"title {label or 'none'}")
        if label is not None:
            fig.set_label(label)
    paths = iter(tmp_path / f"img_{i:03d}.png" for i in range(1, 10))
    rst = site_i18n.gallery_figures(None, {"image_path_iterator": paths}, {"src_dir": str(tmp_path)})
    assert not plt.get_fignums()  # closed, as sphinx-gallery's own scraper does
    return rst


def test_one_figure_per_language(tmp_path):
    rst = scrape(tmp_path, ["en", "zh_CN"])
    assert (tmp_path / "img_001.png").is_file() and (tmp_path / "img_002.png").is_file()
    en, zh = rst.split(".. only:: lang_zh_CN")
    assert ".. only:: not lang_zh_CN" in en and "img_001.png" in en and "title en" in en
    assert "img_002.png" in zh and "title zh_CN" in zh and "img_001" not in zh
    assert all(line.startswith("   ") for line in zh.strip("\n").splitlines()[1:] if line.strip())


def test_unlabelled_figures_show_in_every_language(tmp_path):
    rst = scrape(tmp_path, [None, None])
    assert ".. only::" not in rst and "img_001.png" in rst and "img_002.png" in rst
    # an English figure without a translated one is not hidden either
    assert ".. only::" not in scrape(tmp_path, ["en"])
