"""minigrad.save / load: round trips, no pickle, atomic writes, corrupt files."""
import os

import numpy as np
import pytest

import minigrad
import minigrad.nn as nn
from minigrad import optim


def test_round_trip_model_and_optimizer(tmp_path):
    model = nn.Sequential(nn.BatchNorm2d(2))
    p = next(model.parameters())
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    p.grad = minigrad.ones(2)
    opt.step()
    path = os.path.join(tmp_path, "ckpt.npz")
    minigrad.save({"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 3}, path)
    ck = minigrad.load(path)
    assert ck["epoch"] == 3
    model2 = nn.Sequential(nn.BatchNorm2d(2))
    model2.load_state_dict(ck["model"])
    np.testing.assert_array_equal(next(model2.parameters()).detach().numpy(), p.detach().numpy())
    opt2 = optim.SGD(model2.parameters(), lr=0.5, momentum=0.9)
    opt2.load_state_dict(ck["optim"])
    assert opt2.param_groups[0]["lr"] == 0.1
    np.testing.assert_array_equal(opt2.state[next(model2.parameters())]["momentum_buffer"], np.ones(2))


def test_file_is_plain_npz_without_pickle(tmp_path):
    path = os.path.join(tmp_path, "c.npz")
    minigrad.save({"w": np.arange(3.0)}, path)
    with np.load(path, allow_pickle=False) as f:
        assert "__minigrad__" in f.files


def test_truncated_and_foreign_files_raise(tmp_path):
    path = os.path.join(tmp_path, "c.npz")
    minigrad.save({"w": np.zeros(1000)}, path)
    with open(path, "r+b") as f:
        f.truncate(200)
    with pytest.raises(ValueError, match="not a valid minigrad checkpoint"):
        minigrad.load(path)
    foreign = os.path.join(tmp_path, "f.npz")
    np.savez(foreign, x=np.zeros(2))
    with pytest.raises(ValueError, match="not a valid minigrad checkpoint"):
        minigrad.load(foreign)
    with pytest.raises(TypeError, match="cannot store an object of type set"):
        minigrad.save({"bad": {1, 2}}, path)


def test_write_is_atomic(tmp_path, monkeypatch):
    path = os.path.join(tmp_path, "c.npz")
    minigrad.save({"w": np.ones(3)}, path)

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", boom)
    with pytest.raises(OSError, match="disk full"):
        minigrad.save({"w": np.zeros(3)}, path)
    monkeypatch.undo()
    np.testing.assert_array_equal(minigrad.load(path)["w"], np.ones(3))   # old file intact
    assert [f for f in os.listdir(tmp_path) if f.startswith(".minigrad-")] == []   # no temp file left
