"""The benchmark report runs, checks every result before timing it, and prints a sane table."""
import json
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def test_report_quick(tmp_path, capsys):
    from benchmarks import report
    out_json = os.path.join(tmp_path, "r.json")
    rep = report.main(["--quick", "--threads", "1", "--repeats", "1", "--json", out_json])
    text = capsys.readouterr().out
    assert "| family | case | t | minigrad ms" in text and "FMA peak GFLOP/s" in text
    rows = rep["rows"]
    families = {r["family"] for r in rows}
    assert {"overhead"} <= families
    for r in rows:
        assert r["checked"] is True            # every minigrad result was verified before timing
        assert r["minigrad_ms"] > 0
        # a NumPy column, or the case's stated reason it has none (shown in the table instead)
        assert ("numpy_ms" in r) != bool(r.get("no_numpy_twin")), r
    twinless = {r["case"] for r in rows if "no_numpy_twin" in r}
    assert twinless <= {"10 tiny ops fwd+bwd (1 element)", "MLP 64-32-10 step (batch 16)",
                        "LeNet-28 SGD step (batch 8)", "MaxPool2d(2,2) fwd vs torch channels_last"}, twinless
    assert {"gemm", "conv", "pooling", "activations"} <= {r["family"] for r in rows if "numpy_ms" in r}
    assert "no NumPy twin" in text
    lim = rep["limits"]["1"] if "1" in rep["limits"] else rep["limits"][1]
    assert lim["bandwidth_gbs"] > 0.1 and lim["fma_peak_gflops"] > 0.1
    with open(out_json) as f:
        assert json.load(f)["rows"]


def test_report_rejects_unknown_family():
    from benchmarks import report
    with pytest.raises(SystemExit, match="unknown families"):
        report.main(["--quick", "--only", "nope"])


def test_a_case_without_a_check_is_refused(monkeypatch):
    from benchmarks import report
    from benchmarks.common import Case

    class Fake:
        @staticmethod
        def cases(quick=False):
            return [Case("fake", "unchecked", lambda: None)]

    monkeypatch.setattr(report, "load_families", lambda only: {"fake": Fake})
    with pytest.raises(RuntimeError, match="must check minigrad against a reference"):
        report.main(["--quick", "--threads", "1", "--json", os.devnull])


def test_a_case_without_numpy_twin_must_say_why(monkeypatch):
    from benchmarks import report
    from benchmarks.common import Case

    class Fake:
        @staticmethod
        def cases(quick=False):
            return [Case("fake", "twinless", lambda: None, check=lambda: None)]

    monkeypatch.setattr(report, "load_families", lambda only: {"fake": Fake})
    with pytest.raises(RuntimeError, match="needs a NumPy twin or, without one, a no_numpy_twin reason"):
        report.main(["--quick", "--threads", "1", "--json", os.devnull])


@pytest.mark.parametrize("twin", ["np_linear", "np_conv2d"])
def test_layer_cases_check_minigrad_against_their_numpy_twin(monkeypatch, twin):
    """Without torch the NumPy twin is the only reference: a wrong twin must fail the check."""
    from benchmarks.cases import conv
    good = getattr(conv, twin)
    monkeypatch.setattr(conv, twin, lambda x, w, b, *a: good(x, w, b, *a) + 1e-2)
    fwd = next(c for c in conv.cases(quick=True) if c.name.startswith(twin[3:].capitalize()) and c.name.endswith("fwd"))
    with pytest.raises(AssertionError):
        fwd.check()


def test_page_faults_benchmark_quick(capsys):
    from benchmarks import page_faults
    runs = page_faults.main(["--quick", "--rounds", "1", "--repeats", "2"])
    text = capsys.readouterr().out
    assert "LeNet-28 SGD step" in text and "MaxPool2d(2,2) fwd+bwd" in text
    cached, plain = runs["cache"][0], runs["numpy"][0]
    assert cached["_stats"]["installed"] and cached["_stats"]["hits"] > 0
    assert not plain["_stats"]["installed"] and plain["_stats"]["hits"] == 0
    for name, figures in cached.items():
        if name != "_stats":
            faults, wall_ms, cpu_ms = figures
            assert faults >= 0 and wall_ms > 0 and cpu_ms >= 0
