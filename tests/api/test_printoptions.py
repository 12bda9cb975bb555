"""minigrad.set_printoptions: torch's options and profiles, and their effect on repr(tensor)."""
import math

import numpy as np
import pytest

import minigrad

try:
    import torch
except ImportError:
    torch = None


@pytest.fixture(autouse=True)
def _default_options():
    yield
    minigrad.set_printoptions(profile="default")
    if torch is not None:
        torch.set_printoptions(profile="default")


ARRAYS = [
    np.array([1.123456789, -2.5, 3.0], np.float32),
    np.array([1e-6, 1.0, 12345.678], np.float32),   # default dtype: no suffix, whose length differs
    np.array([1.0, 2.0, 3.0], np.float32),
    np.arange(30, dtype=np.int64),
    np.linspace(-1, 1, 60, dtype=np.float32).reshape(6, 10),
    np.arange(2000, dtype=np.float32) / 7,
    np.zeros(3, np.float32),
]
OPTIONS = [
    dict(precision=2), dict(precision=8), dict(threshold=5), dict(threshold=5, edgeitems=1),
    dict(linewidth=30), dict(sci_mode=True), dict(sci_mode=False), dict(profile="short"),
    dict(profile="full"), dict(profile="short", precision=6),
]


def test_precision_reference():
    minigrad.set_printoptions(precision=2)
    assert repr(minigrad.tensor([1.12345])) == "tensor([1.12])"
    minigrad.set_printoptions(threshold=5)
    assert repr(minigrad.arange(10)) == "tensor([0, 1, 2,  ..., 7, 8, 9])"
    minigrad.set_printoptions(profile="default")
    assert repr(minigrad.tensor([1.12345])) == "tensor([1.1235])"
    assert repr(minigrad.arange(10)) == "tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])"


def test_sci_mode_forced_and_profiles_reference():
    minigrad.set_printoptions(sci_mode=True)
    assert repr(minigrad.tensor([1.5, 20.0])) == "tensor([1.5000e+00, 2.0000e+01])"
    minigrad.set_printoptions(sci_mode=False)
    assert repr(minigrad.tensor([1e-6, 1.0])) == "tensor([0.0000, 1.0000])"
    minigrad.set_printoptions(profile="short")
    assert minigrad.get_printoptions() == dict(precision=2, threshold=1000, edgeitems=2, linewidth=80,
                                               sci_mode=None)
    minigrad.set_printoptions(profile="full")
    assert minigrad.get_printoptions()["threshold"] == math.inf
    assert "..." not in repr(minigrad.arange(5000))


def test_unknown_profile_is_ignored_and_options_round_trip():
    minigrad.set_printoptions(precision=3, profile="no-such-profile")
    opts = minigrad.get_printoptions()
    assert opts == dict(precision=3, threshold=1000, edgeitems=3, linewidth=80, sci_mode=None)
    minigrad.set_printoptions(profile="default")
    minigrad.set_printoptions(**opts)
    assert minigrad.get_printoptions() == opts


@pytest.mark.parametrize("opts", OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
def test_repr_matches_torch(opts):
    if torch is None:
        pytest.skip("torch not installed")
    minigrad.set_printoptions(**opts)
    torch.set_printoptions(**opts)
    for arr in ARRAYS:
        assert repr(minigrad.tensor(arr)) == repr(torch.tensor(arr)).replace("torch.", "minigrad."), (opts, arr.shape)
    if "profile" in opts:
        from torch._tensor_str import get_printoptions
        assert minigrad.get_printoptions() == get_printoptions()
