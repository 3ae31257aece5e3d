"""The backward graph autograd records, walked through ``grad_fn.next_functions`` and drawn.

``walk(output)`` lists the nodes reachable from a tensor's ``grad_fn`` and the edges between
them; ``draw_graph(output)`` draws them with matplotlib (no graphviz): one box per node, named
after its class, arrows in the direction gradients flow, from the output at the top down to the
leaves' ``AccumulateGrad`` nodes.  It works for any graph, including your own Functions' nodes.

>>> import torch
>>> a = torch.tensor(2.0, requires_grad=True)
>>> nodes, edges = walk(a * a + a)
>>> [type(n).__name__ for n in nodes]
['AddBackward0', 'MulBackward0', 'AccumulateGrad']
>>> len(edges)  # a reaches AccumulateGrad three times: twice through the product, once directly
4
>>> fig = draw_graph(a * a + a, names={"a": a})
>>> type(fig).__name__
'Figure'
"""

from __future__ import annotations

import torch

__all__ = ["walk", "draw_graph"]

TEXTS = {
    "en": {
        "title": "Backward graph of {}, found by walking next_functions",
        "legend": "arrows: the direction gradients flow",
        "made": "makes {}",
        "leaf": "leaf {}",
    },
    "zh_CN": {
        "title": "沿 next_functions 遍历得到的 {} 的反向图",
        "legend": "箭头：梯度流动的方向",
        "made": "生成 {}",
        "leaf": "叶子 {}",
    },
}


def walk(root) -> tuple[list, list[tuple]]:
    """Every node reachable from ``root`` (root first) and the edges between them, breadth first.

    Args:
        root: a tensor with a ``grad_fn``, or a graph node itself.

    Returns:
        ``(nodes, edges)``: the nodes in the order found, and one ``(parent, child)`` pair per
        entry of a node's ``next_functions`` (an input used twice gives two edges).
    """
    if isinstance(root, torch.Tensor):
        if root.grad_fn is None:
            raise ValueError("the tensor has no grad_fn: it is a leaf or was computed without gradients")
        root = root.grad_fn
    nodes, edges, todo = [root], [], [root]
    while todo:
        node = todo.pop(0)
        for child, _ in node.next_functions:
            if child is None:  # an input that does not need a gradient
                continue
            edges.append((node, child))
            if child not in nodes:
                nodes.append(child)
                todo.append(child)
    return nodes, edges


def _layers(nodes: list, edges: list) -> dict:
    """(depth, spread): depth = longest distance from the root (nodes[0]), spread within a depth."""
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
    return {node: (d, (len(col) - 1) / 2 - i) for d, col in columns.items() for i, node in enumerate(col)}


def draw_graph(output, names: dict | None = None, *, lang: str = "en", title: str | None = None):
    """Draw the backward graph of ``output``: a matplotlib ``Figure`` (not registered with pyplot).

    Args:
        output: the tensor whose graph is drawn (usually a loss), or its ``grad_fn``.
        names: optional ``{name: tensor}``: the node that made a tensor is noted "makes name",
            a leaf's ``AccumulateGrad`` node "leaf name".  The first name whose tensor is
            ``output`` goes in the title.
        lang: the language of the title, legend and notes: ``"en"`` or ``"zh_CN"`` (Chinese needs
            a CJK font: :func:`customgrad.plotting.use_cjk_font`).
        title: replaces the default title.

    Returns:
        The figure; save it with ``fig.savefig(...)`` or display it in a notebook.
    """
    from matplotlib.figure import Figure

    text = TEXTS[lang]
    names = names or {}
    nodes, edges = walk(output)
    root_name = next((n for n, t in names.items() if t is output), "the output")
    notes = {}
    for node in nodes:
        for name, tensor in names.items():
            if getattr(node, "variable", None) is tensor:
                notes[node] = text["leaf"].format(name)
            elif tensor.grad_fn is node:
                notes[node] = text["made"].format(name)
    labels = {node: type(node).__name__ for node in nodes}

    layers = _layers(nodes, edges)
    pos = {node: (2.8 * spread, -depth) for node, (depth, spread) in layers.items()}
    depth = max(-y for _, y in pos.values())
    xs = [x for x, _ in pos.values()]
    width = max(xs) - min(xs)
    fig = Figure(figsize=(max(1.2 * width + 4.0, 6.0), 1.2 + 1.05 * depth), layout="constrained")
    ax = fig.add_subplot()
    boxes = {}
    for node, (x, y) in pos.items():
        face = "#eaf2e3" if labels[node] == "AccumulateGrad" else "#e8eef7"
        boxes[node] = ax.text(
            x, y, labels[node], ha="center", va="center", fontsize=11, family="monospace",
            bbox=dict(boxstyle="round,pad=0.35", fc=face, ec="#34495e"),
        )
        if node in notes:
            ax.annotate(
                notes[node], xy=(0.0, 0.5), xycoords=boxes[node], xytext=(-8, 0), textcoords="offset points",
                ha="right", va="center", fontsize=11, color="#34495e",
            )
    for parent, child in edges:  # from the bottom of one box to the top of the next
        ax.annotate(
            "", xy=(0.5, 1.0), xycoords=boxes[child], xytext=(0.5, 0.0), textcoords=boxes[parent],
            arrowprops=dict(arrowstyle="-|>", color="#c0392b", lw=1.6, shrinkA=3, shrinkB=3),
        )
    ax.set_xlim(min(xs) - 2.0, max(xs) + 2.0)
    ax.set_ylim(-depth - 0.35, 0.35)
    ax.set_title(title if title is not None else text["title"].format(root_name), fontsize=12)
    ax.text(0.0, 0.0, text["legend"], transform=ax.transAxes, fontsize=10, color="#c0392b")
    ax.axis("off")
    return fig
