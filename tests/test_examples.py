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
