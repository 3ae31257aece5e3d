"""customgrad.ctx_timeline: the recorded order is autograd's, and the Function is left as it was."""

from __future__ import annotations

import matplotlib
import pytest
import torch

from customgrad.ctx_timeline import draw_timeline, record
from customgrad.plotting import use_cjk_font

matplotlib.use("Agg")


class MyReLU(torch.autograd.Function):
    @staticmethod
    def forward(x):
        return x.clamp(min=0)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return torch.where(y <= 0, 0, grad_output)

    @staticmethod
    def jvp(ctx, tangent):
        (y,) = ctx.saved_tensors
        return torch.where(y <= 0, 0, tangent)


class ForwardModeReLU(MyReLU):
    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)
        ctx.save_for_forward(output)


class Combined(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.mark_non_differentiable  # attribute access passes through the proxy
        ctx.save_for_backward(x)
        ctx.scale = 3.0
        return x * 3.0

    @staticmethod
    def backward(ctx, grad_output):
        assert ctx.scale == 3.0
        return grad_output * ctx.scale


def test_order_of_a_forward_and_backward_pass():
    x = torch.randn(3, 4, requires_grad=True)
    t = record(MyReLU, x)
    assert [e.what for e in t.events] == [
        "apply", "forward", "setup_context", "save_for_backward", "pack",
        "backward_call", "backward", "unpack", "saved_tensors", "return", "accumulate",
    ]
    assert [e.phase for e in t.events] == ["forward"] * 5 + ["backward"] * 6
    assert [e.lane for e in t.events][:4] == ["code", "function", "function", "ctx"]
    assert t.events[4].details == {"nbytes": 48}
    assert t.events[6].details == {"shape": (3, 4)}
    assert t.ctx_ids["setup_context"] == t.ctx_ids["backward"] == id(t.output.grad_fn)
    assert torch.equal(x.grad, (x > 0).float())


def test_the_function_is_restored():
    before = dict(MyReLU.__dict__)
    record(MyReLU, torch.randn(2, requires_grad=True))
    assert dict(MyReLU.__dict__) == before
    before = dict(ForwardModeReLU.__dict__)
    record(ForwardModeReLU, torch.randn(2, requires_grad=True), jvp=True)
    assert dict(ForwardModeReLU.__dict__) == before
    assert "jvp" not in ForwardModeReLU.__dict__  # inherited from MyReLU, and still
    # Combined inherits setup_context and jvp from torch: they stay inherited.
    record(Combined, torch.randn(2, requires_grad=True))
    assert "setup_context" not in Combined.__dict__ and "jvp" not in Combined.__dict__


def test_restored_after_an_error():
    before = dict(MyReLU.__dict__)
    with pytest.raises(TypeError):
        record(MyReLU, torch.randn(2, requires_grad=True), "one input too many")
    assert dict(MyReLU.__dict__) == before


def test_forward_mode():
    t = record(ForwardModeReLU, torch.randn(3, requires_grad=True), backward=False, jvp=True)
    jvp = [e.what for e in t.events if e.phase == "jvp" and (e.lane != "ctx" or e.what == "save_for_forward")]
    assert jvp == ["jvp_call", "forward", "setup_context", "save_for_forward", "jvp", "return"]
    assert t.ctx_ids["jvp"]


def test_combined_forward_with_ctx():
    x = torch.randn(2, requires_grad=True)
    t = record(Combined, x)
    whats = [e.what for e in t.events]
    assert whats[:4] == ["apply", "forward", "save_for_backward", "pack"]
    assert "backward" in whats and whats[-1] == "accumulate"
    assert torch.equal(x.grad, torch.full((2,), 3.0))


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_draw(lang):
    use_cjk_font()
    t = record(MyReLU, torch.randn(3, requires_grad=True))
    fig = draw_timeline(t, "MyReLU", lang=lang)
    ax = fig.axes[0]
    labels = [x.get_text() for x in ax.texts]
    assert ("y = MyReLU.apply(x)" in labels) and len(ax.get_xticks()) == len(t.events)
    assert ("pack: 12 bytes" if lang == "en" else "打包：12 字节") in labels
    assert "MyReLU" in ax.get_title()
    lanes = [x.get_text() for x in ax.get_yticklabels()]
    assert lanes == (["ctx and saved tensors", "the Function", "your code"] if lang == "en" else ["ctx 与保存的张量", "autograd 函数", "你的代码"])
    fig.savefig(__import__("io").BytesIO(), format="png")
