"""customgrad.verify: it must catch every deliberately broken Function and name the mistake,
and pass a correct Function (the library's ReLU) on every check."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as TF

import broken_functions as B
import customgrad
from customgrad.functions import ReLUFunction
from customgrad.twins import TWINS
from customgrad.verify import CHECKS, NA, VerificationError, saved_for_backward, verify, verify_all, verify_twin


def x64():
    return (torch.randn(4, 5, dtype=torch.float64) * 3).requires_grad_()


# Function, its inputs, torch's twin, the checks that must fail, and (check, words) the report must contain.
BROKEN = [
    pytest.param(B.WrongBackward, lambda: (x64(),), torch.relu,
                 {"backward", "gradcheck", "func.grad", "edge values", "shapes"},
                 ("gradcheck", "backward disagrees with finite differences"), id="wrong-backward"),
    pytest.param(B.WrongGradientCount, lambda: (x64(), x64()), torch.mul, None,
                 ("gradients", "wrong number of gradients: WrongGradientCountBackward returned 1 gradient for "
                  "2 forward inputs; no gradient for 'y'"), id="wrong-number-of-gradients"),
    pytest.param(B.MissingNone, lambda: (x64(), 0.1), TF.leaky_relu, None,
                 ("gradients", "missing None for input(s) 'negative_slope'"), id="missing-none"),
    pytest.param(B.TensorOnCtx, lambda: (x64(),), torch.relu, {"ctx tensors"},
                 ("ctx tensors", "tensor stored on ctx outside save_for_backward: ctx.output (float64 [4, 5])"),
                 id="tensor-on-ctx"),
    pytest.param(B.InplaceWithoutMarkDirty, lambda: (x64(),), torch.relu, {"in-place", "forward AD"},
                 ("in-place", "input 0 modified in place without ctx.mark_dirty"), id="inplace-without-mark-dirty"),
    pytest.param(B.ModifiesGradOutput, lambda: (x64(),), torch.relu, {"grad_output", "gradgradcheck", "func.grad"},
                 ("grad_output", "backward modified grad_output 0 in place"), id="modifies-grad-output"),
    pytest.param(B.NaiveSoftplus, lambda: (x64(),), TF.softplus, {"edge values"},
                 ("edge values", "float32 output: overflow (inf/nan where the reference is finite) at x=100"),
                 id="overflow-softplus"),
    pytest.param(B.NaiveMish, lambda: (x64(),), TF.mish, {"edge values"},
                 ("edge values", "float32 gradient: overflow (inf/nan where the reference is finite) at x=100"),
                 id="overflow-mish"),
    pytest.param(B.OnceDifferentiable, lambda: (x64(),), torch.relu, {"gradgradcheck"},
                 ("gradgradcheck", "no double backward: backward is @once_differentiable"), id="once-differentiable"),
    pytest.param(B.DetachedBackward, lambda: (x64(),), torch.square, {"gradgradcheck"},
                 ("gradgradcheck", "no double backward: the gradients backward returns are not differentiable"),
                 id="detached-backward"),
    pytest.param(B.SavesInputAndOutput, lambda: (x64(),), torch.relu, {"saved"},
                 ("saved", "saves more than the reference: 2 tensors, 320 B (reference: 1 tensor, 160 B)"),
                 id="saves-too-much"),
    pytest.param(B.NoJvp, lambda: (x64(),), torch.relu, {"forward AD"},
                 ("forward AD", "no forward-mode AD: the Function defines no jvp()"), id="no-jvp"),
    pytest.param(B.OldStyle, lambda: (x64(),), torch.relu, {"vmap", "func.grad"},
                 ("vmap", "torch.func needs forward() without ctx plus setup_context()"), id="old-style-forward"),
]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("function, inputs, reference, failing, named", BROKEN)
def test_broken_function_is_caught_and_named(function, inputs, reference, failing, named):
    report = verify(function.apply, *inputs(), reference=reference, kinks=(0.0,), compile_backend=None)
    check, words = named
    assert not report.ok
    assert report[check].failed, str(report)
    assert words in report[check].detail, str(report)
    assert words in str(report) and check in str(report)
    if failing is not None:
        assert {c.name for c in report.failures} == failing, str(report)
    with pytest.raises(VerificationError, match=check):
        report.raise_if_failed()


def test_a_broken_backward_fails_every_check_that_needs_it_and_points_to_the_cause():
    report = verify(B.MissingNone.apply, x64(), 0.1, reference=TF.leaky_relu, compile_backend=None)
    assert report["forward"].passed and report["vmap"].passed
    assert report["gradcheck"].detail == "backward raises (see gradients)"


def test_strict_raises_with_the_failing_checks_listed():
    with pytest.raises(VerificationError) as info:
        verify(B.TensorOnCtx.apply, x64(), reference=torch.relu, compile_backend=None, strict=True)
    message = str(info.value)
    assert "ctx tensors" in message and "ctx.output" in message and "1 failed" in message


def test_relu_passes_every_check_including_compile():
    report = verify_twin("relu")
    assert report.ok, str(report)
    assert [c.name for c in report] == list(CHECKS)
    assert not [c for c in report if c.status == NA], str(report)
    assert "marked dirty" in report["in-place"].detail
    assert report.saved_bytes == report.reference_saved_bytes == 4 * 5 * 8


def test_relu_apply_with_a_reference_passes():
    report = customgrad.verify(ReLUFunction.apply, x64(), False, reference=lambda x, _: torch.relu(x),
                               kinks=(0.0,), compile_backend=None, strict=True)
    assert report.name == "ReLUFunction"
    assert report["compile"].status == NA


def test_without_reference_the_reference_checks_are_not_applicable():
    report = verify(ReLUFunction.apply, x64(), False, compile_backend=None)
    assert report.ok
    assert {c.name for c in report if c.status == NA} == {"forward", "backward", "compile", "edge values", "shapes"}


def test_plain_torch_callable_has_no_ctx_to_inspect():
    report = verify(torch.relu, x64(), reference=TF.relu, compile_backend=None)
    assert report.ok
    assert report["gradients"].status == NA and report["ctx tensors"].status == NA


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_inputs_are_left_untouched():
    x = x64()
    before, version = x.detach().clone(), x._version
    verify(B.InplaceWithoutMarkDirty.apply, x, reference=torch.relu, compile_backend=None)
    assert torch.equal(x.detach(), before) and x._version == version and x.grad is None


def test_fullgraph_makes_a_graph_break_fail_and_names_it():
    # Dynamo cannot trace a Function that defines jvp (torch 2.13): one graph break, reported by name.
    report = verify(ReLUFunction.apply, x64(), False, checks=["compile"], fullgraph=True)
    assert report["compile"].failed
    assert "graph break" in report["compile"].detail and report.graph_breaks


def test_checks_can_be_chosen_and_unknown_names_are_refused():
    report = verify(ReLUFunction.apply, x64(), False, checks=["gradcheck"])
    assert report["gradcheck"].passed and report["vmap"].detail == "not run"
    with pytest.raises(ValueError, match="unknown check"):
        verify(ReLUFunction.apply, x64(), False, checks=["gradcheckk"])


def test_text_and_html_views():
    report = verify(B.OnceDifferentiable.apply, x64(), reference=torch.relu, compile_backend=None)
    text, page = str(report), report._repr_html_()
    assert text.splitlines()[0] == report.summary()
    for name in CHECKS:
        assert name in text and name in page
    assert "✗ failed" in page and "once_differentiable" in page


def test_saved_for_backward_counts_tensors_and_bytes():
    x = torch.randn(1000, requires_grad=True)
    assert saved_for_backward(lambda t: ReLUFunction.apply(t, False), x) == (1, 4000)
    assert saved_for_backward(TF.silu, x) == (1, 4000)


def test_matrix_over_every_registered_function_passes():
    matrix = verify_all(compile_backend=None)
    assert matrix.ok, str(matrix)
    text, page = str(matrix), matrix._repr_html_()
    for twin in TWINS.values():
        assert twin.function.__name__ in text and twin.function.__name__ in page


def test_public_names():
    assert customgrad.verify is verify
    assert callable(customgrad.bench.run)
