"""The examples run in a fresh install (tiny budgets here; the real runs are in the README)."""
import os
import runpy
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "examples"))


def test_demo_runs():
    out = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "demo.py")],
                         capture_output=True, text=True, check=True).stdout
    assert "w = 3.0" in out


def test_train_digits_smoke(tmp_path, capsys):
    import train_digits
    history = train_digits.main(["--epochs", "2", "--max-batches", "6", "--out", str(tmp_path), "--threads", "1"])
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1].startswith("test accuracy: ")
    assert os.path.exists(os.path.join(tmp_path, "lenet_digits.npz"))
    assert history[-1]["loss"] < history[0]["loss"] * 1.5 and len(history) == 2


def test_train_digits_checkpoint_loads_back(tmp_path):
    import minigrad
    import train_digits
    train_digits.main(["--epochs", "1", "--max-batches", "2", "--out", str(tmp_path)])
    ck = minigrad.load(os.path.join(tmp_path, "lenet_digits.npz"))
    model = train_digits.lenet(8)
    model.load_state_dict(ck["model"])


def test_unpool_autoencoder_error_falls(tmp_path):
    import unpool_autoencoder
    errors = unpool_autoencoder.main(["--epochs", "2", "--max-batches", "15", "--out", str(tmp_path)])
    assert errors[-1] < errors[0]


def test_autograd_tour_runs_every_step(tmp_path, capsys):
    import autograd_tour
    autograd_tour.main(["--out", str(tmp_path)])
    out = capsys.readouterr().out
    for title in ("1. A graph", "2. The graph as a picture", "3. Hooks", "4. Your own op", "5. Anomaly mode",
                  "6. Where the time", "7. Gradients of gradients"):
        assert title in out
    assert "MatMulBackward0 saved" in out and "<- w (3, 2) float32" in out          # parameters named
    assert "leaf w receives its gradient" in out                                    # hooks fired
    assert "gradgradcheck (second derivatives, through create_graph): True" in out
    assert "Function 'PowBackward0' returned nan values" in out and "pair_distance_loss" in out
    assert "Conv2dBackward0" in out and "Self CPU time total" in out                 # the profile table
    hv_error = float(out.split("largest difference: ")[1].split()[0])
    assert hv_error < 1e-6
    assert (tmp_path / "graph.dot").read_text().startswith("digraph")
    assert (tmp_path / "trace.json").stat().st_size > 0
