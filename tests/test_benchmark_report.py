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
    assert "| goal | met |" in text and "Goals (issue 14)" in text
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
                        "LeNet-28 SGD step (batch 8)", "MaxPool2d(2,2) fwd vs torch channels_last",
                        "digits epoch (64 images, batch 32, Adam)"}, twinless
    # every goal of the issue has its row with a verdict (met / missed; None only without torch)
    with_goal = [(r["case"], g) for r in rows for g in r["goals"]]
    assert len(with_goal) == len(report.GOALS) - 1, with_goal   # LeakyReLU's is for t2 only
    for case, g in with_goal:
        assert g["met"] in (True, False, None) and g["goal"], (case, g)
        assert (g["met"] is None) == (g["measured"] is None), (case, g)
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


def test_every_issue_goal_has_a_case_and_a_verdict():
    """Each goal of report.GOALS names exactly one case (patterns leave the batch size open:
    --quick runs smaller ones), and the verdict follows the measured figure."""
    from benchmarks import report
    names = [(fam, c.name) for fam, mod in report.load_families(None).items() for c in mod.cases(quick=True)]
    for g in report.GOALS:
        assert sum(f == g.family and report.fnmatchcase(n, g.cases) for f, n in names) == 1, g
    rows = [{"family": "pooling", "case": "MaxPool2d(2,2) fwd", "threads": t, "minigrad_ms": 1.0,
             "vs_torch": v, "copy_ms": c} for t, v, c in ((1, 16.0, 0.9), (2, 14.0, 0.5))]
    rows.append({"family": "activations", "case": "LeakyReLU(0.01) fwd", "threads": 1, "minigrad_ms": 1.0,
                 "vs_torch": 0.5})
    got = {(g.kind, r["threads"]): g.met(r) for r in rows for g in report.goals_for(r)}
    assert got == {("x torch", 1): True, ("x copy", 1): True, ("x torch", 2): False, ("x copy", 2): False}
    assert report.goals_for(rows[2]) == []   # LeakyReLU's goal is for 2 threads only
    table = "\n".join(report.goal_table(rows))
    assert "| ≥ 15× torch | pooling: MaxPool2d(2,2) fwd | 16.00× met | 14.00× missed |" in table
    assert "| ≤ 1.25× copy | pooling: MaxPool2d(2,2) fwd | 1.11× met | 2.00× missed |" in table
    assert "| ≥ 1× torch | activations: LeakyReLU(0.01) fwd | (no goal) | not run |" in table
    no_torch = dict(rows[0], vs_torch=None)
    del no_torch["vs_torch"]
    assert [g.met(no_torch) for g in report.goals_for(no_torch)] == [None, True]


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
