"""Plots of a function and its autograd derivative, Jacobians by backward passes, Chinese labels.

The tutorials and gallery scripts of the site use these, and so can a downloaded copy of them:
everything here needs only torch and matplotlib (imported when a figure is drawn).

Derivatives here always come from autograd, so for a customgrad function they are computed by
that Function's own ``backward``; nothing is differentiated by hand.

>>> import torch
>>> from customgrad.plotting import analytical_jacobian, numerical_jacobian
>>> x = torch.tensor([1.0, -2.0], dtype=torch.float64)
>>> analytical_jacobian(torch.relu, x)
tensor([[1., 0.],
        [0., 0.]], dtype=torch.float64)
>>> torch.allclose(numerical_jacobian(torch.relu, x, 1e-6), analytical_jacobian(torch.relu, x))
True
"""

from __future__ import annotations

import warnings
from pathlib import Path

import torch

__all__ = [
    "value_and_derivative",
    "plot_family",
    "plot_curves",
    "print_differences",
    "plot_panels",
    "analytical_jacobian",
    "numerical_jacobian",
    "use_cjk_font",
    "png",
    "Bilingual",
    "BilingualFigure",
    "plot_bars",
]

CJK_FAMILY = "Noto Sans SC"


def value_and_derivative(fn, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``fn(x)`` and its elementwise derivative, by one backward pass through ``fn``.

    Example:
        >>> import torch
        >>> y, dy = value_and_derivative(torch.relu, torch.tensor([-1.0, 2.0]))
        >>> y, dy
        (tensor([0., 2.]), tensor([0., 1.]))
    """
    x = x.detach().clone().requires_grad_()
    y = fn(x)
    (dy,) = torch.autograd.grad(y.sum(), x)
    return y.detach(), dy.detach()


_FAMILY_TEXT = {
    "en": {"torch": "torch (dashed)", "derivative": "f'(x), by autograd"},
    "zh_CN": {"torch": "torch（虚线）", "derivative": "f'(x)，由自动微分求得"},
}


def plot_family(title: str, members: dict, x: torch.Tensor, lang: str = "en"):
    """Draw each member's function and derivative, ours solid and torch's dashed on top.

    Args:
        title: the figure's title.
        members: maps a label to ``(ours, theirs)``, two callables of one tensor.
        x: the grid, a 1-D tensor.
        lang: ``"en"`` or ``"zh_CN"``, the language of the axis titles and legend; the figure's
            label is set to it, so the site shows it on that language's pages only (Chinese
            needs :func:`use_cjk_font` first).

    Returns:
        The figure (made with pyplot, so sphinx-gallery collects it) and, per label, the largest
        difference in value and in derivative.
    """
    import matplotlib.pyplot as plt

    text = _FAMILY_TEXT[lang]
    fig, (ax_f, ax_d) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
    fig.set_label(lang)
    diffs = {}
    xs = x.numpy()
    for i, (label, (ours, theirs)) in enumerate(members.items()):
        color = f"C{i}"
        y, dy = value_and_derivative(ours, x)
        y_ref, dy_ref = value_and_derivative(theirs, x)
        ax_f.plot(xs, y.numpy(), color=color, lw=2.2, label=label)
        ax_d.plot(xs, dy.numpy(), color=color, lw=2.2, label=label)
        ax_f.plot(xs, y_ref.numpy(), color="black", lw=0.9, ls="--")
        ax_d.plot(xs, dy_ref.numpy(), color="black", lw=0.9, ls="--")
        diffs[label] = ((y - y_ref).abs().max().item(), (dy - dy_ref).abs().max().item())
    ax_f.plot([], [], color="black", lw=0.9, ls="--", label=text["torch"])
    for ax, name in ((ax_f, "f(x)"), (ax_d, text["derivative"])):
        ax.axhline(0, color="0.6", lw=0.6)
        ax.axvline(0, color="0.6", lw=0.6)
        ax.set_xlabel("x")
        ax.set_title(name)
        ax.grid(alpha=0.3)
    ax_f.legend(fontsize=8, loc="upper left")
    fig.suptitle(title)
    return fig, diffs


def plot_curves(title: str, curves: dict, xlabel: str, ylabel: str, logy: bool = False, *, logx: bool = False,
                dashed=(), lang: str | None = None):
    """Draw several curves on one pair of axes: training losses, two learning curves that should agree.

    Args:
        title: the figure's title.
        curves: maps a label to its values: a sequence of numbers (a list, or a 1-D tensor), drawn
            against its index 0, 1, 2 ..., or a pair ``(x, y)`` of such sequences.
        xlabel, ylabel: the axis labels (Chinese needs :func:`use_cjk_font` first).
        logy, logx: logarithmic axes.
        dashed: labels drawn thin, dashed and black on top of the others, so that a curve lying
            exactly on another one stays visible (``plot_family`` draws torch's curves this way).
        lang: ``"en"`` or ``"zh_CN"``, set as the figure's label, as in :func:`plot_family`, so a
            gallery script shows it on that language's pages only (the texts are the caller's).

    Returns:
        The figure (made with pyplot; :func:`png` turns it into an image and closes it).

    Example:
        >>> fig = plot_curves("loss", {"plain": [1.0, 1.0], "ours": [1.0, 0.25]}, "step", "loss")
        >>> [line.get_label() for line in fig.axes[0].get_lines()]
        ['plain', 'ours']
        >>> fig = plot_curves("loss", {"ours": [3.0, 1.5], "torch": [3.0, 1.5]}, "step", "loss",
        ...                   logy=True, dashed=("torch",), lang="en")
        >>> [line.get_linestyle() for line in fig.axes[0].get_lines()], fig.get_label()
        (['-', '--'], 'en')
        >>> import matplotlib.pyplot as plt
        >>> plt.close("all")
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.6), layout="constrained")
    if lang is not None:
        fig.set_label(lang)
    solid = [label for label in curves if label not in dashed]
    for i, label in enumerate(solid + [label for label in curves if label in dashed]):
        values = curves[label]
        if isinstance(values, tuple):
            xs, ys = (v.tolist() if isinstance(v, torch.Tensor) else list(v) for v in values)
        else:
            ys = values.tolist() if isinstance(values, torch.Tensor) else list(values)
            xs = range(len(ys))
        if label in dashed:
            ax.plot(xs, ys, color="black", lw=0.9, ls="--", label=label)
        else:
            ax.plot(xs, ys, color=f"C{i}", lw=2, label=label)
    if logy:
        ax.set_yscale("log")
    if logx:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
    ax.set_title(title)
    return fig
    ax.legend(fontsize=9)
    ax.set_title(title)
    return fig


def print_differences(diffs: dict) -> None:
    """One line per member: the largest ``|ours - torch|`` in value and in derivative.

    Example:
        >>> print_differences({"relu": (0.0, 0.0)})
        function                 max |f diff|  max |df diff|
        relu                                0              0
    """
    print(f"{'function':22} {'max |f diff|':>14} {'max |df diff|':>14}")
    for label, (d_f, d_df) in diffs.items():
        print(f"{label:22} {d_f:14.3g} {d_df:14.3g}")


def plot_panels(x, panels: dict, xlabel: str, *, title: str | None = None, logy=(), logx: bool = False,
                lang: str = "en"):
    """Line plots side by side on one x axis: one panel per entry of ``panels``, one line per series.

    For measurements taken at a few points (per layer of a network, per depth of a stack): each
    point is marked, and a series keeps its colour in every panel.

    Args:
        x: the x values, numbers, or labels (strings), drawn as evenly spaced ticks.
        panels: maps a panel's title to ``{series label: values}``, one value per entry of ``x``.
        xlabel: the x axis label, below every panel.
        title: the figure's title.
        logy: titles of the panels drawn with a logarithmic y axis.
        logx: a base-2 logarithmic x axis, for values that double (depths 1, 2, 4, ...).
        lang: the figure's label, so the site shows it on that language's pages only; the caller
            writes the titles and labels in that language (Chinese needs :func:`use_cjk_font`).

    Returns:
        The figure (made with pyplot, so sphinx-gallery collects it).

    Example:
        >>> fig = plot_panels([1, 2, 4], {"bytes": {"plain": [1, 2, 4], "checkpointed": [1, 1, 1]}}, "depth")
        >>> [line.get_label() for line in fig.axes[0].get_lines()]
        ['plain', 'checkpointed']
    """
    import matplotlib.pyplot as plt

    width = min(5.5 * len(panels), 13.0)  # three panels or more share the width of two and a bit
    fig, axes = plt.subplots(1, len(panels), figsize=(width, 4.0), layout="constrained", squeeze=False)
    fig.set_label(lang)
    labels = list(x)
    positions = range(len(labels)) if any(isinstance(v, str) for v in labels) else labels
    colours = {}
    for ax, (name, series) in zip(axes[0], panels.items()):
        for label, values in series.items():
            colour = colours.setdefault(label, f"C{len(colours)}")
            ax.plot(positions, list(values), "o-", color=colour, lw=1.8, ms=4, label=label)
        if positions is not labels:
            ax.set_xticks(list(positions), labels)
        if logx:
            ax.set_xscale("log", base=2)
            ax.set_xticks(labels, [str(v) for v in labels])
        if name in logy:
            ax.set_yscale("log")
        ax.set_title(name)
        ax.set_xlabel(xlabel)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


def analytical_jacobian(fn, x: torch.Tensor) -> torch.Tensor:
    """The Jacobian of ``fn`` at ``x`` from backward passes (one per output element).

    Row ``i`` is the gradient of output element ``i``: exactly what the Function's backward returns
    for a ``grad_output`` that is one at ``i`` and zero elsewhere.
    """
    x = x.detach().clone().requires_grad_()
    y = fn(x).reshape(-1)
    rows = [torch.autograd.grad(y[i], x, retain_graph=True)[0].reshape(-1) for i in range(y.numel())]
    return torch.stack(rows).detach()


def numerical_jacobian(fn, x: torch.Tensor, eps: float) -> torch.Tensor:
    """The Jacobian by central differences, column by column, as ``gradcheck`` computes it."""
    x = x.detach()
    flat = x.reshape(-1)
    columns = []
    with torch.no_grad():
        for j in range(flat.numel()):
            step = torch.zeros_like(flat)
            step[j] = eps
            plus = fn((flat + step).reshape(x.shape)).reshape(-1)
            minus = fn((flat - step).reshape(x.shape)).reshape(-1)
            columns.append((plus - minus) / (2 * eps))
    return torch.stack(columns, dim=1)


def _cjk_font_path() -> Path | None:
    """Noto Sans SC from the pip package ``pylopdf-fonts-zh-cn`` (SIL OFL), or None without it."""
    try:
        from pylopdf_fonts_zh_cn import sans_path
    except ImportError:
        return None
    return Path(sans_path())


def use_cjk_font() -> str | None:
    """Let matplotlib draw Chinese labels; returns the CJK family name, or None without the font.

    The font is Noto Sans SC from the pip package ``pylopdf-fonts-zh-cn`` (the site's
    requirements pin it).  It is put behind DejaVu Sans, so Latin text keeps matplotlib's usual
    look and each Chinese character falls back to Noto Sans SC.  Without the package, figures are
    still drawn (Chinese characters as boxes) and matplotlib's missing-glyph warnings are silenced.
    Safe to call twice.

    Example:
        >>> use_cjk_font() in ("Noto Sans SC", None)
        True
    """
    from matplotlib import font_manager, rcParams

    path = _cjk_font_path()
    if path is None:
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        return None
    if not any(Path(f.fname) == path for f in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(str(path))
    # A list of families is a per-glyph fallback chain (the generic "sans-serif" is not).
    rcParams["font.family"] = ["DejaVu Sans", CJK_FAMILY]
    return CJK_FAMILY


def png(fig, dpi: int = 144):
    """The figure as an ``IPython.display.Image`` (PNG), whatever matplotlib's backend.

    For notebooks: the image can be displayed or glued into a page.  A figure made with pyplot
    is closed, so it is not shown a second time at the end of the cell.
    """
    from io import BytesIO

    from IPython.display import Image

    buffer = BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return Image(data=buffer.getvalue(), format="png")


class Bilingual:
    """Text in English and in Chinese; the site shows the one of the page's language.

    A gallery script prints what it measured; printed output is shared by every language.  Make
    the last expression of a cell a ``Bilingual`` instead: sphinx-gallery shows its HTML, and the
    site's stylesheet hides the paragraph whose ``lang`` is not the page's.  Outside the site it
    prints as the English text.

    Example:
        >>> note = Bilingual(["Two sentences.", "Both measured."], ["两句话。", "都是测得的。"])
        >>> print(note)
        Two sentences.
        Both measured.
    """

    def __init__(self, english: list[str], chinese: list[str]):
        self.english, self.chinese = list(english), list(chinese)

    def __str__(self) -> str:
        return "\n".join(self.english)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        import html

        def block(lang: str, lines: list[str]) -> str:
            body = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
            return f'<div class="cg-bilingual" lang="{lang}">{body}</div>'

        return block("en", self.english) + block("zh-CN", self.chinese)


def plot_bars(panels: dict, xlabel: str, title: str = "", lines: dict | None = None, fmt: str = "{:.0f}",
              lang: str = "en", height: float | None = None):
    """Horizontal bar charts side by side, one panel per entry of ``panels``, each bar labelled with its value.

    For timings on the site's pages: one panel per size or per operation, one bar per way of
    writing it, and reference times (a floor, the built-in) as dashed vertical lines.

    Args:
        panels: maps a panel title to ``{bar label: value}``; bars are drawn top to bottom in order.
        xlabel: the label of every panel's value axis.
        title: the figure's title (none if empty).
        lines: maps a panel title to ``{line label: value}``: vertical lines, one style per label in
            every panel, named in one legend under the panels.
        fmt: the format of the number written at the end of each bar.
        lang: ``"en"`` or ``"zh_CN"``: the figure's label, so the site shows it on that
            language's pages (Chinese needs :func:`use_cjk_font` first).
        height: the figure's height in inches (default: from the number of bars).

    Returns:
        The figure, made with pyplot.

    Example:
        >>> fig = plot_bars({"1e3 elements": {"a": 3.0, "b": 5.0}}, "microseconds", lines={"1e3 elements": {"floor": 1.0}})
        >>> [ax.get_title() for ax in fig.axes], fig.get_label()
        (['1e3 elements'], 'en')
        >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    import matplotlib.pyplot as plt

    lines = lines or {}
    # One style per line label, the same in every panel, so one legend under the panels serves them all.
    labels_in_order = list(dict.fromkeys(label for panel in lines.values() for label in panel))
    style = {label: ["--", ":", "-."][k % 3] for k, label in enumerate(labels_in_order)}
    most = max(len(bars) for bars in panels.values())
    fig, axes = plt.subplots(1, len(panels), figsize=(5.4 * len(panels), height or 1.4 + 0.42 * most),
                             layout="constrained", squeeze=False)
    fig.set_label(lang)
    handles = {}
    for ax, (name, bars) in zip(axes[0], panels.items()):
        labels, values = list(bars), list(bars.values())
        ys = range(len(labels))
        ax.barh(ys, values, color=[f"C{i}" for i in ys], height=0.65)
        ax.set_yticks(list(ys), labels)
        ax.invert_yaxis()
        top = max(values + list(lines.get(name, {}).values()))
        for y, v in zip(ys, values):
            ax.text(v + top * 0.01, y, fmt.format(v), va="center", fontsize=8, zorder=3,
                    bbox=dict(facecolor="white", edgecolor="none", pad=0.6))
        for label, v in lines.get(name, {}).items():
            handles[label] = ax.axvline(v, color="black", ls=style[label], lw=1.2, label=label)
        ax.set_xlim(0, top * 1.18)
        ax.set(xlabel=xlabel, title=name)
        ax.grid(axis="x", alpha=0.3)
    if handles:
        fig.legend(list(handles.values()), list(handles), loc="outside lower center", ncol=len(handles), fontsize=8,
                   frameon=False)
    if title:
        fig.suptitle(title)
    return fig


class BilingualFigure:
    """A figure drawn twice, in English and in Chinese; the site shows the one of the page's language.

    For a figure that exists only on some builds (a GPU measurement, made when the build machine
    has one), so that no ``{glue:figure}`` can name it in the page's text: make it the last
    expression of a cell.  Its HTML holds both images, inline as PNG data, each in a block with
    its ``lang``, and the site's stylesheet hides the one that is not the page's, as for
    :class:`Bilingual`.  Elsewhere it shows as the English image.  The figures are closed.

    Example:
        >>> import matplotlib.pyplot as plt
        >>> both = BilingualFigure(plt.figure(), plt.figure(), alt_en="A figure", alt_zh="一张图")
        >>> both._repr_html_().count("<img"), both._repr_png_()[:4] == b"\\x89PNG"
        (2, True)
    """

    def __init__(self, english, chinese, alt_en: str, alt_zh: str, dpi: int = 144):
        self.english, self.chinese = png(english, dpi).data, png(chinese, dpi).data
        self.alt_en, self.alt_zh = alt_en, alt_zh

    def _repr_png_(self) -> bytes:
        return self.english

    def _repr_html_(self) -> str:
        import base64
        import html

        def block(lang: str, data: bytes, alt: str) -> str:
            src = "data:image/png;base64," + base64.b64encode(data).decode()
            return (f'<div class="cg-bilingual" lang="{lang}"><img src="{src}" alt="{html.escape(alt)}" '
                    f'style="max-width: 100%"></div>')

        return block("en", self.english, self.alt_en) + block("zh-CN", self.chinese, self.alt_zh)
