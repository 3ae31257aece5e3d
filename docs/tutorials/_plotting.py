"""Figures the tutorials draw from what a real run recorded, in English and in Chinese.

The pages import this module (it sits beside them and the page's folder is the kernel's
working directory).  Nothing here knows about a particular example: the autograd-graph page
hands over the nodes and edges it found by walking ``grad_fn.next_functions``, and the ctx page
hands over the events its hooks recorded.
"""

from __future__ import annotations

import glob
import os
import warnings
from contextlib import contextmanager
from functools import lru_cache

import matplotlib.pyplot as plt
from matplotlib import font_manager

_CJK_NAMES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei",
              "WenQuanYi Zen Hei", "SimHei", "Microsoft YaHei", "PingFang SC", "Noto Sans CJK JP")
_CJK_FILES = ("*CJK*", "*cjk*", "wqy*", "*SourceHan*", "*NotoSansSC*", "SimHei*")


@lru_cache(maxsize=None)
def cjk_font() -> str | None:
    """Return a font family that can draw Simplified Chinese, registering it with matplotlib.

    In the site build, the site's own helper (``cg_figures.use_cjk_font`` in ``docs/_ext``, on
    the kernels' path) registers the pinned font and fails loudly if it is missing.  Run outside
    the build (a downloaded notebook), this looks for a CJK font on the system instead and
    returns ``None`` if there is none: the Chinese figure then shows boxes, the English one is fine.
    """
    try:
        import cg_figures
    except ImportError:
        return _system_cjk_font()
    return cg_figures.use_cjk_font()


def _system_cjk_font() -> str | None:
    known = {f.name for f in font_manager.fontManager.ttflist}
    for name in _CJK_NAMES:
        if name in known:
            return name
    for root in ("/usr/share/fonts", "/usr/local/share/fonts", os.path.expanduser("~/.fonts")):
        for pattern in _CJK_FILES:
            for path in sorted(glob.glob(os.path.join(root, "**", pattern), recursive=True)):
                if path.lower().endswith((".ttf", ".otf", ".ttc")):
                    font_manager.fontManager.addfont(path)
                    return font_manager.FontProperties(fname=path).get_name()
    return None


@contextmanager
def lang_fonts(lang: str):
    """Within this block, new text uses a font that can draw ``lang`` (a CJK one for Chinese)."""
    family = ["DejaVu Sans"]
    if lang != "en" and cjk_font():
        family = ["DejaVu Sans", cjk_font()]  # per-glyph fallback: Latin keeps its usual look
    # Missing glyphs (no CJK font installed) would warn once per character: one note is enough.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        with plt.rc_context({"font.family": family, "axes.unicode_minus": False}):
            yield


def as_png(fig, dpi: int = 144):
    """The figure as an IPython PNG image, and the figure closed.

    Glueing the image rather than the figure works whatever matplotlib backend the kernel
    runs (the site's kernels run Agg, where a glued Figure would show only as text).
    """
    from io import BytesIO

    from IPython.display import Image

    buffer = BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)
    return Image(data=buffer.getvalue(), format="png")


# --- the computational graph -----------------------------------------------------------------

def layered_layout(nodes, edges):
    """Place each node by its longest distance from the root (column) and spread each column.

    ``nodes`` is a list of keys with the root first; ``edges`` a list of ``(parent, child)``
    pairs in the direction gradients flow (root towards leaves).
    """
    depth = {nodes[0]: 0}
    changed = True
    while changed:  # longest-path layering of a DAG: relax until nothing moves
        changed = False
        for parent, child in edges:
            if parent in depth and depth.get(child, -1) < depth[parent] + 1:
                depth[child] = depth[parent] + 1
                changed = True
    columns: dict[int, list] = {}
    for node in nodes:
        columns.setdefault(depth[node], []).append(node)
    pos = {}
    for d, column in columns.items():
        for i, node in enumerate(column):
            pos[node] = (d, (len(column) - 1) / 2 - i)
    return pos


def draw_graph(nodes, edges, labels, notes, texts, lang):
    """Draw the backward graph found by walking ``next_functions``.

    ``labels[node]`` is the node's class name, ``notes[node]`` a short line under it (the
    tensor it produced or the leaf it feeds), ``texts`` the language's title and legend.
    """
    pos = layered_layout(nodes, edges)
    columns = 1 + max(x for x, _ in pos.values())
    rows = 1 + 2 * max(abs(y) for _, y in pos.values())
    with lang_fonts(lang):
        fig, ax = plt.subplots(figsize=(max(2.0 * columns, 6.0), 1.0 + 1.0 * rows), layout="constrained")
        boxes = {}
        for node, (x, y) in pos.items():
            face = "#eaf2e3" if labels[node] == "AccumulateGrad" else "#e8eef7"
            boxes[node] = ax.text(x, y, labels[node], ha="center", va="center", fontsize=9.5,
                                  family="monospace", bbox=dict(boxstyle="round,pad=0.35", fc=face, ec="#34495e"))
            ax.text(x, y - 0.22, notes[node], ha="center", va="top", fontsize=10, color="#34495e")
        for parent, child in edges:  # arrows run from box edge to box edge
            ax.annotate("", xy=(0.0, 0.5), xycoords=boxes[child], xytext=(1.0, 0.5), textcoords=boxes[parent],
                        arrowprops=dict(arrowstyle="-|>", color="#c0392b", lw=1.6, shrinkA=4, shrinkB=4))
        ax.set_xlim(-0.7, columns - 0.3)
        ax.set_ylim(-rows / 2 - 0.1, rows / 2 - 0.2)
        ax.set_title(texts["title"], fontsize=11)
        ax.text(0.0, 0.0, texts["legend"], transform=ax.transAxes, fontsize=9, color="#c0392b")
        ax.axis("off")
    return fig


# --- the ctx timeline ------------------------------------------------------------------------

def draw_timeline(events, lanes, texts, lang, spans=()):
    """Draw recorded events in order, one row per lane.

    ``events`` is a list of ``(lane, label)`` in the order they happened; ``lanes`` the lane
    names top to bottom; ``texts`` the language's title and axis label; ``spans`` optional
    ``(first, last, label)`` event ranges shaded in the background (forward, backward).
    """
    row = {lane: len(lanes) - 1 - i for i, lane in enumerate(lanes)}
    with lang_fonts(lang):
        fig, ax = plt.subplots(figsize=(9, 1.5 + 1.1 * len(lanes)), layout="constrained")
        for i in range(len(lanes)):
            ax.axhline(i, color="#d5d8dc", lw=1, zorder=0)
        previous = None
        for step, (lane, label) in enumerate(events):
            y = row[lane]
            ax.plot(step, y, "o", ms=9, color="#2e86c1", zorder=3)
            ax.text(step, y + 0.15, label, rotation=30, ha="left", va="bottom", fontsize=9.5, zorder=4,
                    bbox=dict(boxstyle="square,pad=0.1", fc="white", ec="none", alpha=0.85))
            if previous is not None:
                ax.annotate("", xy=(step, y), xytext=previous,
                            arrowprops=dict(arrowstyle="->", color="#7f8c8d", lw=1, shrinkA=6, shrinkB=6))
            previous = (step, y)
        for k, (first, last, label) in enumerate(spans):
            ax.axvspan(first - 0.4, last + 0.4, color=("#fdf2e9", "#eaf2f8")[k % 2], zorder=-1)
            ax.text((first + last) / 2, -0.45, label, ha="center", va="bottom", fontsize=9, color="#5d6d7e")
        ax.set_yticks(range(len(lanes)), lanes[::-1])
        ax.set_xticks(range(len(events)))
        ax.set_xlim(-0.5, len(events) + 1.0)
        ax.set_ylim(-0.55, len(lanes) - 1 + 1.3)
        ax.set_xlabel(texts["xlabel"])
        ax.set_title(texts["title"])
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    return fig
