"""customgrad.autograd_graph: the walk finds what autograd recorded, and the drawing shows it."""

from __future__ import annotations

import matplotlib
import pytest
import torch

import customgrad.functional as CF
from customgrad.autograd_graph import draw_graph, walk
from customgrad.plotting import use_cjk_font

matplotlib.use("Agg")


def example():
    a = torch.tensor(3.0, requires_grad=True)
    b = torch.tensor(-0.5, requires_grad=True)
    c = a * b
    d = c + a
    e = CF.relu(d)
    L = e**2
    return dict(a=a, b=b, c=c, d=d, e=e, L=L)


def test_walk_finds_every_node_and_edge():
    t = example()
    nodes, edges = walk(t["L"])
    assert nodes[0] is t["L"].grad_fn
    assert len(nodes) == 6 and len(edges) == 6
    leaf_a = next(n for n in nodes if getattr(n, "variable", None) is t["a"])
    assert sum(child is leaf_a for _, child in edges) == 2  # a is used twice
    assert type(t["e"].grad_fn).__name__ in {type(n).__name__ for n in nodes}
    assert walk(t["L"].grad_fn) == (nodes, edges)  # a node works as well as a tensor


def test_walk_skips_inputs_without_gradient():
    a = torch.tensor(2.0, requires_grad=True)
    nodes, edges = walk(a * torch.tensor(3.0))
    assert [type(n).__name__ for n in nodes] == ["MulBackward0", "AccumulateGrad"]
    assert len(edges) == 1


def test_walk_of_a_leaf_says_why_it_fails():
    with pytest.raises(ValueError, match="no grad_fn"):
        walk(torch.tensor(1.0, requires_grad=True))


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_draw_graph_labels_every_node(lang):
    use_cjk_font()
    t = example()
    fig = draw_graph(t["L"], names=t, lang=lang)
    texts = [x.get_text() for x in fig.axes[0].texts]
    nodes, _ = walk(t["L"])
    for node in nodes:
        assert type(node).__name__ in texts
    notes = {"en": ["leaf a", "leaf b", "makes L", "makes e", "makes d", "makes c"],
             "zh_CN": ["叶子 a", "叶子 b", "生成 L", "生成 e", "生成 d", "生成 c"]}[lang]
    assert set(notes) <= set(texts)
    assert "L" in fig.axes[0].get_title()
    arrows = [x for x in fig.axes[0].texts if x.get_text() == "" and getattr(x, "arrow_patch", None)]
    assert len(arrows) == 6  # one per edge
    fig.savefig(__import__("io").BytesIO(), format="png")  # draws without error


def test_draw_graph_of_your_own_function():
    class Double(torch.autograd.Function):
        @staticmethod
        def forward(x):
            return 2 * x

        @staticmethod
        def setup_context(ctx, inputs, output):
            pass

        @staticmethod
        def backward(ctx, g):
            return 2 * g

    x = torch.ones(2, requires_grad=True)
    fig = draw_graph(Double.apply(x).sum(), title="mine")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "DoubleBackward" in texts and "AccumulateGrad" in texts
    assert fig.axes[0].get_title() == "mine"
