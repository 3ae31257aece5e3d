"""customgrad.plotting: derivatives by autograd, Jacobians, the figure helpers, the CJK font."""

from __future__ import annotations

import builtins

import matplotlib
import pytest
import torch

import customgrad.functional as CF
from customgrad import plotting

matplotlib.use("Agg")


def test_jacobians_agree():
    x = torch.randn(2, 3, dtype=torch.float64)
    fn = lambda t: CF.tanh(t) * 2  # noqa: E731
    a = plotting.analytical_jacobian(fn, x)
    n = plotting.numerical_jacobian(fn, x, 1e-6)
    assert a.shape == (6, 6)
    torch.testing.assert_close(a, n, rtol=1e-6, atol=1e-8)


def test_plot_family_reports_differences(capsys):
    import matplotlib.pyplot as plt

    x = torch.linspace(-2, 2, 41, dtype=torch.float64)
    fig, diffs = plotting.plot_family("relu", {"relu": (CF.relu, torch.relu)}, x)
    assert diffs == {"relu": (0.0, 0.0)}
    assert fig in map(plt.figure, plt.get_fignums())  # pyplot owns it: sphinx-gallery collects it
    plt.close(fig)
    plotting.print_differences(diffs)
    assert "relu" in capsys.readouterr().out


def test_png_closes_the_figure():
    pytest.importorskip("IPython")
    import matplotlib.pyplot as plt

    fig = plt.figure()
    image = plotting.png(fig)
    assert image.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert fig.number not in plt.get_fignums()


def test_cjk_font_when_installed():
    pytest.importorskip("pylopdf_fonts_zh_cn")
    assert plotting.use_cjk_font() == "Noto Sans SC"
    assert matplotlib.rcParams["font.family"] == ["DejaVu Sans", "Noto Sans SC"]


def test_cjk_font_missing_degrades(monkeypatch):
    real_import = builtins.__import__

    def no_font(name, *args, **kwargs):
        if name == "pylopdf_fonts_zh_cn":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_font)
    with matplotlib.rc_context():
        assert plotting.use_cjk_font() is None


def test_plot_bars_draws_one_panel_per_entry_with_its_lines():
    import matplotlib.pyplot as plt

    panels = {"small": {"a": 2.0, "b": 4.0, "c": 1.0}, "large": {"a": 20.0, "b": 10.0}}
    fig = plotting.plot_bars(panels, "us", title="t", lines={"small": {"floor": 0.5, "built-in": 1.5}}, lang="zh_CN")
    assert fig.get_label() == "zh_CN" and fig._suptitle.get_text() == "t"
    small, large = fig.axes
    assert [small.get_title(), large.get_title()] == ["small", "large"]
    assert [p.get_width() for p in small.patches] == [2.0, 4.0, 1.0]
    assert [t.get_text() for t in small.get_yticklabels()] == ["a", "b", "c"]
    assert [t.get_text() for t in small.texts] == ["2", "4", "1"]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["floor", "built-in"]
    assert [line.get_linestyle() for line in small.lines] == ["--", ":"]
    assert small.get_legend() is None and large.get_legend() is None and len(large.patches) == 2
    plt.close(fig)


def test_bilingual_figure_holds_both_images_and_closes_the_figures():
    pytest.importorskip("IPython")
    import base64

    import matplotlib.pyplot as plt

    en, zh = plt.figure(), plt.figure()
    both = plotting.BilingualFigure(en, zh, alt_en='times "per call"', alt_zh="每次调用的耗时")
    assert en.number not in plt.get_fignums() and zh.number not in plt.get_fignums()
    page = both._repr_html_()
    assert page.count('class="cg-bilingual"') == 2 and 'lang="en"' in page and 'lang="zh-CN"' in page
    assert 'alt="times &quot;per call&quot;"' in page and 'alt="每次调用的耗时"' in page
    assert base64.b64encode(both._repr_png_()).decode() in page.split('lang="zh-CN"')[0]


def test_plot_curves_one_line_per_label():
    import matplotlib.pyplot as plt

    fig = plotting.plot_curves("loss", {"a": [3.0, 2.0, 1.0], "b": torch.tensor([1.0, 0.5])}, "step", "loss",
                               logy=True)
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["a", "b"]
    assert list(lines[1].get_ydata()) == [1.0, 0.5]
    assert fig.axes[0].get_yscale() == "log"
    plt.close(fig)


def test_plot_panels_one_line_per_series_in_each_panel():
    import matplotlib.pyplot as plt

    fig = plotting.plot_panels(
        [1, 2, 4], {"bytes": {"plain": [1, 2, 4], "checkpointed": [1, 1, 1]}, "time": {"plain": [3, 2, 1]}},
        "depth", title="costs", logy=("time",), logx=True, lang="zh_CN",
    )
    bytes_ax, time_ax = fig.axes
    assert [line.get_label() for line in bytes_ax.get_lines()] == ["plain", "checkpointed"]
    assert list(bytes_ax.get_lines()[1].get_ydata()) == [1, 1, 1]
    # a series keeps its colour from panel to panel
    assert time_ax.get_lines()[0].get_color() == bytes_ax.get_lines()[0].get_color()
    assert time_ax.get_yscale() == "log" and bytes_ax.get_yscale() == "linear"
    assert bytes_ax.get_xscale() == "log" and fig.get_label() == "zh_CN"
    plt.close(fig)
    labelled = plotting.plot_panels(["fc1", "fc2"], {"std": {"a": [0.5, 0.25]}}, "layer")
    assert [t.get_text() for t in labelled.axes[0].get_xticklabels()] == ["fc1", "fc2"]
    plt.close(labelled)


def test_plot_curves_draws_dashed_on_top():
    import matplotlib.pyplot as plt

    fig = plotting.plot_curves(
        "t", {"torch": torch.tensor([1.0, 0.5]), "ours": ([1.0, 10.0], [1.0, 0.5])},
        "x", "y", logy=True, logx=True, dashed=("torch",), lang="zh_CN",
    )
    (ax,) = fig.axes
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["ours", "torch"]  # the dashed one last, on top
    assert lines[1].get_linestyle() == "--" and lines[0].get_linestyle() == "-"
    assert list(lines[0].get_xdata()) == [1.0, 10.0] and list(lines[1].get_xdata()) == [0, 1]
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert fig.get_label() == "zh_CN"
    assert fig in map(plt.figure, plt.get_fignums())
    plt.close(fig)
