"""Figure helpers that pages and gallery scripts import (``docs/_ext`` is on their PYTHONPATH).

``use_cjk_font()`` registers Noto Sans SC (pinned pip package ``pylopdf-fonts-zh-cn``, SIL OFL)
with matplotlib and puts it behind DejaVu Sans, so Latin text keeps matplotlib's usual look and
every Chinese character falls back to Noto Sans SC instead of rendering as a box.

Every page is executed once for all languages, so a figure with Chinese labels is drawn in the
same run as its English twin; the page shows one or the other with ``{only} lang_zh_CN``.
"""

from __future__ import annotations

from pathlib import Path

CJK_FAMILY = "Noto Sans SC"


def cjk_font_path() -> Path:
    """The OpenType file of Noto Sans SC, from the pinned pip package."""
    try:
        from pylopdf_fonts_zh_cn import sans_path
    except ImportError as err:  # a clear message instead of boxes in a figure
        raise RuntimeError(
            "No CJK font: install the site's requirements (`make html` does; the font is the pip "
            "package pylopdf-fonts-zh-cn, pinned in requirements.txt)."
        ) from err
    return Path(sans_path())


def use_cjk_font() -> str:
    """Let matplotlib draw Chinese labels; returns the CJK family name.  Safe to call twice."""
    from matplotlib import font_manager, rcParams

    path = cjk_font_path()
    if not any(Path(f.fname) == path for f in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(str(path))
    # A list of families is a per-glyph fallback chain (the generic "sans-serif" is not).
    rcParams["font.family"] = ["DejaVu Sans", CJK_FAMILY]
    return CJK_FAMILY
