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
        assert ("numpy_ms" in r) or ("torch_ms" in r) or r["family"] in ("overhead", "training")
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
