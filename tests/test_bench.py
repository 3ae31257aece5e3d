"""customgrad.bench on a tiny sweep: the numbers are there, consistent, and reported."""

from __future__ import annotations

import json

import pytest
import torch

from customgrad import bench


@pytest.fixture(scope="module")
def result():
    return bench.run(ops=["relu"], sizes=[1000, 2000], min_run_time=0.005, repeats=1)


def test_every_timing_is_there_and_positive(result):
    assert result.ops == ["relu"]
    for impl in (bench.OURS, bench.BUILTIN):
        for phase in bench.PHASES:
            for size in result.sizes:
                assert result.seconds("relu", impl, phase, size) > 0
    assert set(result.copy) == {1000, 2000}
    assert result.ratio("relu", "forward", 1000) == pytest.approx(
        result.seconds("relu", bench.OURS, "forward", 1000) / result.seconds("relu", bench.BUILTIN, "forward", 1000))


def test_overhead_bytes_and_targets(result):
    over = result.overhead_us("relu")
    assert over["size"] == 1000 and over["extra"] == pytest.approx(over["ours"] - over["built-in"])
    size = result.meta["saved_size"]  # the largest size up to 1e6
    assert size == 2000 and result.saved["relu"] == {"ours": 4 * size, "built-in": 4 * size}
    # No size reaches 1e6 here, so only the bytes target is judged.
    assert [(t["op"], t["target"], t["passed"]) for t in result.targets()] == [
        ("relu", "bytes saved <= built-in", True)]


def test_time_targets_are_judged_from_large_sizes():
    result = bench.BenchResult(meta={}, sizes=[10**6, 10**7], phases=["forward+backward"])
    for size, ours in ((10**6, 1.2), (10**7, 1.3)):
        result.timings += [bench.Timing("relu", bench.OURS, "forward+backward", size, ours),
                           bench.Timing("relu", bench.BUILTIN, "forward+backward", size, 1.0)]
    (target,) = result.targets()
    assert not target["passed"] and target["value"] == pytest.approx(1.3) and "1e+07" in target["measured"]


def test_text_and_json_reports(result, tmp_path):
    text = str(result)
    for words in ("[forward]", "[backward]", "[forward+backward]", "per-call overhead", "bytes saved", "PASS"):
        assert words in text
    data = json.loads(json.dumps(result.to_json()))
    assert data["meta"]["device"] in ("cpu", "cuda") and len(data["timings"]) == 2 * 3 * 2


def test_main_writes_text_and_json(tmp_path, capsys):
    bench.main(["--ops", "relu", "--sizes", "1000", "--phases", "forward", "--min-run-time", "0.005",
                "--repeats", "1", "--out", str(tmp_path)])
    assert "relu" in (tmp_path / "bench.txt").read_text()
    assert json.loads((tmp_path / "bench.json").read_text())["sizes"] == [1000]


def test_measure_any_callable():
    x = torch.randn(100, requires_grad=True)
    times = bench.measure(torch.tanh, x, phases=["forward", "backward"], min_run_time=0.005)
    assert set(times) == {"forward", "backward"} and all(t > 0 for t in times.values())


def test_hotspots_name_the_operators_that_take_the_time():
    x = torch.randn(1000, requires_grad=True)
    spots = bench.hotspots(torch.relu, x, top=2, iterations=2)
    assert len(spots) == 2 and all(isinstance(name, str) and ms >= 0 for name, ms in spots)
    assert any("relu" in name or "threshold" in name or "clamp" in name for name, _ in spots)
