"""customgrad.bench on a tiny sweep: the numbers are there, consistent, and reported (no timing is asserted).

And customgrad.textbook: each textbook Function is correct, so the bench's textbook column times correct code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch

from customgrad import bench
from customgrad.textbook import TEXTBOOK
from customgrad.twins import TWINS

TINY = dict(min_run_time=0.002, repeats=2)


@pytest.fixture(scope="module")
def result():
    return bench.run(ops=["relu"], sizes=[1000, 2000], **TINY)


def test_every_timing_is_there_and_positive(result):
    assert result.ops == ["relu"] and result.impls == [bench.OURS, bench.BUILTIN, bench.TEXTBOOK_IMPL]
    for impl in result.impls:
        for phase in bench.PHASES:
            for size in result.sizes:
                t = result.timing("relu", impl, phase, size)
                assert t.seconds > 0 and t.spread >= 0 and t.repeats == 2
    assert set(result.copy) == {1000, 2000} and result.floor > 0
    assert result.ratio("relu", "forward", 1000) == pytest.approx(
        result.seconds("relu", bench.OURS, "forward", 1000) / result.seconds("relu", bench.BUILTIN, "forward", 1000))


def test_median_and_spread_of_the_repeats():
    assert bench._summary([1.0, 3.0, 2.0]) == (2.0, 1.0)
    assert bench._summary([2.0]) == (2.0, 0.0)


def test_overhead_floor_bytes_and_targets(result):
    over = result.overhead_us("relu")
    assert over["size"] == 1000 and over["extra"] == pytest.approx(over["ours"] - over["built-in"])
    assert over["floor"] == pytest.approx(result.floor * 1e6)
    assert over["above_floor"] == pytest.approx(over["ours"] - over["floor"])
    assert over["textbook"] > 0 and "compiled" not in over
    size = result.meta["saved_size"]  # the largest size up to 1e6
    assert size == 2000 and result.saved["relu"] == {"ours": 4 * size, "built-in": 4 * size, "textbook": 4 * size}
    assert result.saved_by_size["relu"][1000] == {"ours": 4000, "built-in": 4000}
    # No size reaches 1e6 here, so only the bytes target is judged, and the table's rows have no status.
    assert [(t["op"], t["target"], t["passed"]) for t in result.targets()] == [
        ("relu", "bytes saved <= built-in", True)]
    assert result.status("relu", 1000) == "-"


def _fake(ours: dict, compiled: dict | None = None) -> bench.BenchResult:
    result = bench.BenchResult(meta={"saved_size": 10**6}, sizes=sorted(ours), phases=["forward+backward"])
    for size, seconds in ours.items():
        result.timings += [bench.Timing("relu", bench.OURS, "forward+backward", size, seconds, 0.05),
                           bench.Timing("relu", bench.BUILTIN, "forward+backward", size, 1.0, 0.02)]
        if compiled:
            result.timings.append(bench.Timing("relu", bench.COMPILED, "forward+backward", size, compiled[size]))
    return result


def test_time_targets_are_judged_at_each_large_size_against_1_25x():
    assert bench.TARGETS["default"] == 1.25 and bench.COMPILED_TARGET == 1.0
    result = _fake({10**5: 3.0, 10**6: 1.2, 10**7: 1.3}, compiled={10**5: 9.0, 10**6: 1.0, 10**7: 1.1})
    rows = {(t["impl"], t["size"]): t for t in result.targets()}
    assert set(rows) == {(bench.OURS, 10**6), (bench.OURS, 10**7), (bench.COMPILED, 10**6), (bench.COMPILED, 10**7)}
    assert rows[bench.OURS, 10**6]["passed"] and rows[bench.OURS, 10**6]["why"] is None
    miss = rows[bench.OURS, 10**7]
    assert not miss["passed"] and miss["value"] == pytest.approx(1.3) and "1e+07" in miss["measured"]
    assert "1300.00 ms vs 1000.00 ms, spread 5%" in miss["why"]
    assert rows[bench.COMPILED, 10**6]["passed"] and not rows[bench.COMPILED, 10**7]["passed"]
    assert result.status("relu", 10**5) == "-" and result.status("relu", 10**6) == "PASS"
    assert result.status("relu", 10**7) == "MISS: time 1.30x, compiled 1.10x"


def test_more_bytes_saved_than_the_built_in_is_a_miss():
    result = _fake({10**6: 1.0})
    result.saved["relu"] = {"ours": 8, "built-in": 4}
    result.saved_by_size["relu"] = {10**6: {"ours": 8, "built-in": 4}}
    (row,) = [t for t in result.targets() if t["target"].startswith("bytes")]
    assert not row["passed"] and "4 bytes more" in row["why"]
    assert result.status("relu", 10**6).startswith("MISS") and "bytes" in result.status("relu", 10**6)


def test_text_and_json_reports(result):
    text = str(result)
    for words in ("[forward+backward, microseconds per call]", "textbook ratio", "[forward]", "[backward]",
                  "per-call overhead", "floor (EmptyFunction apply + backward)", "bytes saved", "PASS", "spread"):
        assert words in text
    data = json.loads(json.dumps(result.to_json()))
    assert data["meta"]["device"] in ("cpu", "cuda") and len(data["timings"]) == 3 * 3 * 2
    assert data["floor"] > 0 and data["targets_limits"] == {"default": 1.25, "compiled": 1.0, "min_size": 10**6}
    assert {"seconds", "spread", "repeats"} <= set(data["timings"][0])


def test_compiled_column_with_a_quick_backend():
    # The eager backend goes through Dynamo (fullgraph) without inductor's slow first compile.
    result = bench.run(ops=["silu"], sizes=[1000, 3000], phases=["forward+backward"], compile="eager",
                       textbook=False, **TINY)
    assert result.impls == [bench.OURS, bench.BUILTIN, bench.COMPILED, bench.COMPILED_BUILTIN]
    assert result.meta["compile_backend"] == "eager" and result.meta["compile_seconds"]["silu"] > 0
    assert result.ratio("silu", "forward+backward", 3000, bench.COMPILED) > 0
    assert result.ratio("silu", "forward+backward", 3000, bench.COMPILED_BUILTIN) > 0
    assert "compiled ratio" in str(result) and "compiled built-in ratio" in str(result)
    assert "textbook" not in result.overhead_us("silu") and bench.COMPILED_BUILTIN in result.overhead_us("silu")


def test_a_compiled_miss_names_what_the_compiler_makes_of_the_built_in():
    result = bench.BenchResult(meta={}, sizes=[1000, 10**6], phases=["forward+backward"])
    for impl, small, big in ((bench.OURS, 40e-6, 1e-3), (bench.BUILTIN, 20e-6, 1e-3),
                             (bench.COMPILED, 120e-6, 1.5e-3), (bench.COMPILED_BUILTIN, 110e-6, 1.4e-3)):
        for size, seconds in ((1000, small), (10**6, big)):
            result.timings.append(bench.Timing("relu", impl, "forward+backward", size, seconds))
    (row,) = [t for t in result.targets() if t["impl"] == bench.COMPILED]
    assert not row["passed"] and "torch.compile of the built-in: 1.40x" in row["why"]
    assert "fixed cost at 1e+03: +100 us" in row["why"]


def test_a_failed_compile_is_a_miss_and_the_sweep_goes_on():
    def broken(graph, example_inputs):
        raise RuntimeError("no compiler here")

    result = bench.run(ops=["relu", "tanh"], sizes=[1000, 10**6], phases=["forward+backward"], compile=broken,
                       textbook=False, explain_misses=False, min_run_time=0.002, repeats=1)
    assert "no compiler here" in result.meta["compile_errors"]["relu"] and result.meta["compile_backend"] == "broken"
    assert result.seconds("tanh", bench.OURS, "forward+backward", 10**6) > 0
    assert result.seconds("relu", bench.COMPILED, "forward+backward", 1000) is None
    (row,) = [t for t in result.targets() if t["op"] == "relu" and t["impl"] == bench.COMPILED]
    assert not row["passed"] and "no compiler here" in row["why"]
    assert "compile failed" in result.status("relu", 10**6) and "COMPILE FAILED" in str(result)


def test_main_writes_text_and_json(tmp_path, capsys):
    bench.main(["--ops", "relu", "--sizes", "1000", "--min-run-time", "0.002", "--repeats", "1",
                "--no-compile", "--quiet", "--out", str(tmp_path)])
    assert "relu" in (tmp_path / "bench.txt").read_text()
    data = json.loads((tmp_path / "bench.json").read_text())
    assert data["sizes"] == [1000] and data["phases"] == ["forward+backward"]
    assert "bench" not in capsys.readouterr().err  # --quiet: no progress bar


def test_progress_bar_and_no_profiler_lines(tmp_path):
    """The command line shows a tqdm bar on stderr, and none of Kineto's USDT/STAGE lines from the profiler."""
    code = ("import customgrad.bench as b, torch; "
            "b.main(['--ops', 'relu', '--sizes', '1000', '--min-run-time', '0.002', '--repeats', '1', "
            "'--no-compile', '--out', %r]); "
            "b.hotspots(torch.relu, torch.randn(10, requires_grad=True), iterations=1)")
    env = {k: v for k, v in os.environ.items() if k != "KINETO_LOG_LEVEL"}
    out = subprocess.run([sys.executable, "-c", code % str(tmp_path)], capture_output=True, text=True,
                         env=env, cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))), check=True)
    assert "op x size" in out.stderr and "left]" in out.stderr
    assert "USDT" not in out.stderr + out.stdout and "profiler_start" not in out.stderr + out.stdout


def test_progress_callable_gets_a_line_per_step():
    lines = []
    bench.run(ops=["relu"], sizes=[1000], phases=["forward"], textbook=False, progress=lines.append, **TINY)
    assert lines == ["copy and floor", "relu 1e+03"]


def test_measure_any_callable():
    x = torch.randn(100, requires_grad=True)
    times = bench.measure(torch.tanh, x, phases=["forward", "backward"], min_run_time=0.005, repeats=2)
    assert set(times) == {"forward", "backward"} and all(t > 0 for t in times.values())
    assert bench.floor_time(100, min_run_time=0.005) > 0


def test_compare_times_each_implementation_on_the_same_inputs():
    x = torch.randn(100, requires_grad=True)
    times = bench.compare({"tanh": torch.tanh, "relu": torch.relu}, x, min_run_time=0.002, repeats=2)
    assert list(times) == ["tanh", "relu"] and all(t > 0 for t in times.values())
    forward = bench.compare({"exp": torch.exp}, x, phase="forward", min_run_time=0.002, repeats=1)
    assert list(forward) == ["exp"] and forward["exp"] > 0


def test_fresh_buffers_counts_what_each_backward_allocates():
    x = torch.randn(1000, requires_grad=True)
    # The textbook ReLU: a bool mask (1 byte each), then the float product.
    assert bench.fresh_buffers(TEXTBOOK["relu"], x) == [("gt", 1000), ("mul", 4000)]
    # customgrad's: torch's one-pass kernel in a plain backward (ops/_fused.py) ...
    assert bench.fresh_buffers(TWINS["relu"].ours, x) == [("threshold_backward", 4000)]
    # ... and its formula when autograd records the backward: one float derivative, then the product.
    y = TWINS["relu"].ours(x)
    grad = torch.ones_like(y, requires_grad=True)
    recorded = bench.fresh_buffers(lambda t: torch.autograd.grad(y, x, grad, create_graph=True)[0], x, phase="forward")
    assert [name for name, _ in recorded] == ["empty_like", "mul"]
    # In place and out= allocate nothing; forward is recorded too.
    buffer = torch.empty(1000)
    assert bench.fresh_buffers(lambda t: torch.mul(t.detach(), 2, out=buffer), x, phase="forward") == []
    assert bench.fresh_buffers(lambda t: t * 2, x, phase="forward") == [("mul", 4000)]
    assert bench.fresh_buffers(lambda t: t * 2, x, phase="forward", min_numel=2000) == []


def test_page_faults_of_a_fresh_buffer_and_of_a_reused_one():
    pytest.importorskip("resource")
    x = torch.randn(2**23)  # 32 MiB: glibc maps a buffer this large fresh from the system every time
    out = torch.empty_like(x)
    fresh = bench.page_faults(lambda: torch.mul(x, 2), calls=3)
    reused = bench.page_faults(lambda: torch.mul(x, 2, out=out), calls=3)
    assert fresh > reused >= 0


def test_hotspots_name_the_operators_that_take_the_time():
    x = torch.randn(1000, requires_grad=True)
    spots = bench.hotspots(torch.relu, x, top=2, iterations=2)
    assert len(spots) == 2 and all(isinstance(name, str) and ms >= 0 for name, ms in spots)
    assert any("relu" in name or "threshold" in name or "clamp" in name for name, _ in spots)


# --- the textbook Functions are correct -------------------------------------------------------------------


def test_every_benchmarked_op_has_a_textbook_function():
    assert {t.name for t in bench.benchmarkable()} <= set(TEXTBOOK)


@pytest.mark.parametrize("name", sorted(TEXTBOOK))
def test_textbook_matches_torch_in_value_and_gradient(name):
    twin = TWINS[name]
    torch.manual_seed(0)
    args, kwargs = twin.sample(torch.float64)
    ours, theirs = TEXTBOOK[name](*args, **kwargs), twin.reference(*args, **kwargs)
    torch.testing.assert_close(ours, theirs)
    wrt = [a for a in args if isinstance(a, torch.Tensor) and a.requires_grad]
    grad = torch.randn_like(theirs)
    torch.testing.assert_close(torch.autograd.grad(ours, wrt, grad), torch.autograd.grad(theirs, wrt, grad))
    assert torch.autograd.gradcheck(lambda *a: TEXTBOOK[name](*a, **kwargs), args)


def test_textbook_gelu_tanh_and_softplus_threshold():
    x = (torch.randn(50, dtype=torch.float64) * 10).requires_grad_()
    for f, g in ((lambda t: TEXTBOOK["gelu"](t, approximate="tanh"),
                  lambda t: torch.nn.functional.gelu(t, approximate="tanh")),
                 (lambda t: TEXTBOOK["softplus"](t, beta=0.5, threshold=3.0),
                  lambda t: torch.nn.functional.softplus(t, beta=0.5, threshold=3.0))):
        torch.testing.assert_close(f(x), g(x))
        torch.testing.assert_close(torch.autograd.grad(f(x).sum(), x), torch.autograd.grad(g(x).sum(), x))
