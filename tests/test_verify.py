"""customgrad.verify: it must catch every deliberately broken Function and name the mistake,
and pass a correct Function (the library's ReLU) on every check."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as TF

import broken_functions as B
import customgrad
from customgrad.functions import ReLUFunction
from customgrad.report import VerifyMatrix
from customgrad.twins import TWINS
from customgrad.verify import CHECKS, NA, VerificationError, saved_for_backward, verify, verify_all, verify_twin

FAILED, UNSUPPORTED, WARNING = "failed", "unsupported", "warning"


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
    pytest.param(B.DetachedBackward, lambda: (x64(),), torch.square, {"gradgradcheck"},
                 ("gradgradcheck", "no double backward: the gradients backward returns are not differentiable"),
                 id="detached-backward"),
    pytest.param(B.NeedsInputGradTypo, lambda: (x64(), x64()), torch.mul, {"gradcheck"},
                 ("gradcheck", "with only input(s) 0 requiring grad"), id="needs-input-grad-typo"),
    pytest.param(B.MissingConjugate, lambda: (torch.randn(4, 5, dtype=torch.complex128, requires_grad=True),),
                 torch.square, {"backward", "gradcheck", "func.grad"},
                 ("gradcheck", "backward disagrees with finite differences"), id="missing-conjugate"),
]

# A correct Function without a capability, or with a legal cost: ok, and the report says so and how to add it.
NOT_OFFERED = [
    pytest.param(B.OnceDifferentiable, torch.relu, "gradgradcheck", UNSUPPORTED,
                 "no double backward: backward is @once_differentiable; to add it", id="once-differentiable"),
    pytest.param(B.NoJvp, torch.relu, "forward AD", UNSUPPORTED,
                 "define a jvp staticmethod and save what it needs with ctx.save_for_forward", id="no-jvp"),
    pytest.param(B.OldStyle, torch.relu, "vmap", UNSUPPORTED,
                 "torch.func needs forward() without ctx plus setup_context()", id="old-style-forward"),
    pytest.param(B.SavesInputAndOutput, torch.relu, "saved", WARNING,
                 "saves more than the reference: 2 tensors, 320 B (reference: 1 tensor, 160 B)", id="saves-too-much"),
    pytest.param(B.NanToZeroReLU, torch.relu, "edge values", WARNING,
                 "differs only where the reference is nan/inf: float32 output", id="nan-to-zero"),
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


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("function, reference, check, status, words", NOT_OFFERED)
def test_a_capability_not_offered_or_a_cost_is_not_a_failure(function, reference, check, status, words):
    report = verify(function.apply, x64(), reference=reference, kinks=(0.0,), compile_backend=None)
    assert report.ok, str(report)
    assert report[check].status == status, str(report)
    assert words in report[check].detail, str(report)
    assert status in str(report) and status in report._repr_html_()
    verify(function.apply, x64(), reference=reference, compile_backend=None, strict=True)


def test_a_first_order_function_is_ok_and_told_how_to_add_jvp_and_vmap():
    report = verify(B.FirstOrderReLU.apply, x64(), reference=torch.relu, kinks=(0.0,), compile_backend=None)
    assert report.ok, str(report)
    assert {c.name for c in report.unsupported} == {"forward AD", "vmap"}, str(report)
    assert "define a jvp staticmethod" in report["forward AD"].detail
    assert "set generate_vmap_rule = True" in report["vmap"].detail
    assert "2 unsupported" in report.summary()


def test_strict_raises_on_a_required_capability_only():
    x = x64()
    verify(B.FirstOrderReLU.apply, x, compile_backend=None, strict=True)
    with pytest.raises(VerificationError, match="forward AD: unsupported: no forward-mode AD"):
        verify(B.FirstOrderReLU.apply, x, compile_backend=None, strict=True, require=("forward_ad", "vmap"))
    verify(B.ReLUWithJvp.apply, x, compile_backend=None, strict=True, require=("forward_ad", "vmap"))
    with pytest.raises(ValueError, match="unknown capability"):
        verify(B.ReLUWithJvp.apply, x, compile_backend=None, require=("fwd",))


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


def test_no_custom_function_in_the_graph_is_a_failure():
    report = verify(torch.relu, x64(), reference=TF.relu, compile_backend=None)
    assert not report.ok and [c.name for c in report.failures] == ["autograd.Function"], str(report)
    assert "no custom autograd.Function in the graph" in report["autograd.Function"].detail
    assert report["gradients"].status == NA and report["ctx tensors"].status == NA


def test_forward_passed_instead_of_apply_is_a_failure_naming_apply():
    report = verify(B.ReLUWithJvp.forward, x64(), compile_backend=None)
    assert not report.ok
    assert "pass MyFunction.apply, not MyFunction.forward" in report["autograd.Function"].detail


def test_no_tensor_input_is_a_failure():
    report = verify(lambda a: torch.tensor(a) * 2, 3.0, compile_backend=None)
    assert [c.name for c in report.failures] == ["autograd.Function"], str(report)
    assert "no tensor input" in report["autograd.Function"].detail


@pytest.mark.parametrize("fn, options, words", [
    (B.ReLUWithJvp, {}, r"not the class ReLUWithJvp: call verify\(ReLUWithJvp.apply"),
    (42, {}, "takes a callable such as MyFunction.apply, not int"),
    (B.ReLUWithJvp.apply, {"checks": "gradcheck"}, r"checks=\['gradcheck'\]"),
    (B.ReLUWithJvp.apply, {"require": "vmap"}, r"require=\('vmap',\)"),
], ids=["class", "not-callable", "checks-string", "require-string"])
def test_bad_calls_are_refused_up_front_naming_the_fix(fn, options, words):
    with pytest.raises(TypeError, match=words):
        verify(fn, x64(), compile_backend=None, **options)


def test_a_function_over_a_dim_is_not_fed_elementwise_edge_cases():
    x = x64()
    report = verify(B.Softmax.apply, x, 1, reference=torch.softmax, compile_backend=None)
    assert report.ok, str(report)
    assert report["edge values"].status == NA and "not elementwise" in report["edge values"].detail
    assert report["backward"].passed and report["gradcheck"].passed


def test_complex_inputs_are_checked_as_complex():
    z = torch.randn(4, 5, dtype=torch.complex128, requires_grad=True)
    report = verify(B.ComplexSquare.apply, z, reference=torch.square, compile_backend=None)
    assert report.ok, str(report)
    assert "complex128" in report["gradcheck"].detail
    assert verify(B.MissingConjugate.apply, z.to(torch.complex64), compile_backend=None)["gradcheck"].failed


def test_non_finite_gradients_where_the_output_is_finite_fail_without_a_reference():
    x = torch.tensor([-100.0, -1.0, 0.0, 2.0], requires_grad=True)
    report = verify(B.NaiveSigmoid.apply, x, compile_backend=None)
    assert not report.ok
    assert report["finite gradients"].failed, str(report)
    assert "gradient of input 0 is nan at index [0] (input -100)" in report["finite gradients"].detail
    assert verify(B.NaiveSigmoid.apply, x64(), compile_backend=None).ok


def test_the_global_random_state_is_left_as_it_was():
    x = x64()
    before = torch.get_rng_state()
    verify(B.ReLUWithJvp.apply, x, reference=torch.relu, compile_backend=None)
    assert torch.equal(torch.get_rng_state(), before)


def test_a_numeric_mismatch_gives_the_input_both_values_in_full_and_ulps():
    x = torch.tensor([[0.5, -1.0], [3.3, 2.0]], dtype=torch.float32, requires_grad=True)
    report = verify(B.SlightlyOff.apply, x, reference=torch.relu, compile_backend=None)
    detail = report["forward"].detail
    assert report["forward"].failed
    assert "3 of 4 element(s) differ; worst at index [1, 0] (input 3.29999995): 3.30032992 vs reference " \
           "3.29999995" in detail, detail
    assert "ulp of float32" in detail
    edge = report["edge values"].detail
    assert "x=100 (100.010002 vs reference 100" in edge, edge


def test_a_graph_break_for_a_custom_jvp_under_fullgraph_is_unsupported():
    report = verify(B.ReLUWithJvp.apply, x64(), checks=["compile"], fullgraph=True)
    assert report.ok and report["compile"].status == UNSUPPORTED, str(report)
    assert "call a variant without jvp while torch.compiler.is_compiling()" in report["compile"].detail
    assert report.graph_breaks
    assert verify(B.FirstOrderReLU.apply, x64(), checks=["compile"], fullgraph=True)["compile"].passed


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_inputs_are_left_untouched():
    x = x64()
    before, version = x.detach().clone(), x._version
    verify(B.InplaceWithoutMarkDirty.apply, x, reference=torch.relu, compile_backend=None)
    assert torch.equal(x.detach(), before) and x._version == version and x.grad is None


def test_checks_can_be_chosen_and_unknown_names_are_refused():
    report = verify(ReLUFunction.apply, x64(), False, checks=["gradcheck"])
    assert report["gradcheck"].passed and report["vmap"].detail == "not run"
    with pytest.raises(ValueError, match="unknown check"):
        verify(ReLUFunction.apply, x64(), False, checks=["gradcheckk"])


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_text_and_html_views():
    report = verify(B.ModifiesGradOutput.apply, x64(), reference=torch.relu, compile_backend=None)
    text, page = str(report), report._repr_html_()
    assert text.splitlines()[0] == report.summary()
    for name in CHECKS:
        assert name in text and name in page
    assert "✗ failed" in page and "grad_output 0 in place" in page


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


def test_the_matrix_shows_unsupported_and_warning_cells_and_counts_them():
    reports = [verify(f.apply, x64(), reference=torch.relu, compile_backend=None)
               for f in (B.FirstOrderReLU, B.SavesInputAndOutput)]
    matrix = VerifyMatrix(reports)
    text, page = str(matrix), matrix._repr_html_()
    assert matrix.ok
    assert matrix.counts()[UNSUPPORTED] == 2 and matrix.counts()[WARNING] >= 1
    assert "○" in text and "! 2 tensors, 320 B" in text
    assert "2 unsupported" in page and "warning(s)" in page
