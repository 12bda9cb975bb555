"""The activation examples run on a tiny budget and write their PNG (skipped without matplotlib)."""
import os
import subprocess
import sys

import pytest

pytest.importorskip("matplotlib")
EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


def _run(script, *args):
    return subprocess.run([sys.executable, os.path.join(EXAMPLES, script), *args], capture_output=True,
                          text=True, timeout=120, check=True).stdout


def test_activation_curves(tmp_path):
    out = tmp_path / "curves.png"
    stdout = _run("activation_curves.py", "--out", str(out), "--points", "41")
    assert out.stat().st_size > 1000 and "wrote" in stdout


def test_vanishing_gradients(tmp_path):
    out = tmp_path / "vanishing.png"
    stdout = _run("vanishing_gradients.py", "--out", str(out), "--depth", "6", "--width", "16", "--batch", "32")
    assert out.stat().st_size > 1000
    for name in ("sigmoid", "tanh", "relu", "leaky_relu", "prelu"):
        assert name in stdout
    rows = [line.split() for line in stdout.splitlines() if line.strip()[:1].isdigit()]
    assert len(rows) == 6 and all(float(v) > 0 for row in rows for v in row[1:])


def test_curves_derivatives_come_from_autograd():
    sys.path.insert(0, EXAMPLES)
    try:
        import activation_curves
    finally:
        sys.path.remove(EXAMPLES)
    data = activation_curves.curves(points=13)           # x = -6, -5, ..., 6
    x, y, dy = data["Sigmoid"]
    s = 1 / (1 + __import__("numpy").exp(-x.astype("float64")))
    assert abs(dy - s * (1 - s)).max() < 1e-6
    assert list(data["ReLU"][2]) == [0] * 7 + [1] * 6      # 0 at x = 0 (torch)
