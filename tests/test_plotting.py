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
