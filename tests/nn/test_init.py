"""minigrad.nn.init against torch.nn.init's formulas: gains, fans, bounds/standard deviations of
the draws, in-place writes (version bump, no autograd), seeding, and torch's errors."""
import math

import numpy as np
import pytest

import minigrad
from minigrad.nn import init
from helpers import HAVE_TORCH, needs_torch, torch


def _param(*shape, dtype=np.float32):
    return minigrad.tensor(np.zeros(shape, dtype), requires_grad=True)


@pytest.mark.parametrize("name,param,want", [
    ("linear", None, 1), ("conv2d", None, 1), ("sigmoid", None, 1), ("tanh", None, 5 / 3),
    ("relu", None, math.sqrt(2)), ("leaky_relu", None, math.sqrt(2 / (1 + 0.01 ** 2))),
    ("leaky_relu", math.sqrt(5), math.sqrt(1 / 3)), ("selu", None, 0.75)])
def test_calculate_gain(name, param, want):
    assert init.calculate_gain(name, param) == pytest.approx(want, rel=1e-15)
    if HAVE_TORCH:
        assert init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param))


def test_gain_and_fan_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity foo"):
        init.calculate_gain("foo")
    with pytest.raises(ValueError, match="negative_slope x not a valid number"):
        init.calculate_gain("leaky_relu", "x")
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(_param(3))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(_param(3, 4), mode="fan_avg")


def test_fans():
    assert init._calculate_fan_in_and_fan_out(_param(5, 4)) == (4, 5)
    assert init._calculate_fan_in_and_fan_out(_param(64, 2, 3, 3)) == (18, 576)


@pytest.mark.parametrize("fn,kwargs,kind,scale", [
    (init.uniform_, dict(a=-2.0, b=3.0), "uniform", (-2.0, 3.0)),
    (init.kaiming_uniform_, dict(a=math.sqrt(5)), "uniform", 1 / math.sqrt(50)),    # Linear's default
    (init.kaiming_uniform_, dict(nonlinearity="relu", mode="fan_out"), "uniform", math.sqrt(6 / 40)),
    (init.xavier_uniform_, dict(gain=2.0), "uniform", 2.0 * math.sqrt(6 / 90)),
    (init.normal_, dict(mean=1.0, std=0.5), "normal", (1.0, 0.5)),
    (init.kaiming_normal_, dict(nonlinearity="relu"), "normal", (0.0, math.sqrt(2 / 50))),
    (init.xavier_normal_, dict(), "normal", (0.0, math.sqrt(2 / 90))),
])
def test_random_initialisers_have_torchs_distribution(fn, kwargs, kind, scale):
    t = _param(40, 50, dtype=np.float64)
    v0 = t._version[0]
    assert fn(t, **kwargs) is t
    assert t._version[0] == v0 + 1 and t.requires_grad and t.grad_fn is None
    x = t.detach().numpy()
    if kind == "uniform":
        lo, hi = scale if isinstance(scale, tuple) else (-scale, scale)
        assert lo <= x.min() < lo + 0.01 * (hi - lo) and hi - 0.01 * (hi - lo) < x.max() <= hi
        assert abs(x.mean() - (lo + hi) / 2) < 0.03 * (hi - lo)
    else:
        mean, std = scale
        assert abs(x.mean() - mean) < 0.1 * std and abs(x.std() - std) < 0.05 * std


def test_constants_dtype_and_seed():
    t = _param(2, 3)
    init.constant_(t, 0.25)
    assert t.dtype == np.float32 and np.all(t.detach().numpy() == 0.25)
    init.ones_(t)
    assert np.all(t.detach().numpy() == 1)
    init.zeros_(t)
    assert not t.detach().numpy().any()
    minigrad.manual_seed(3)
    a = init.normal_(_param(5)).detach().numpy().copy()
    minigrad.manual_seed(3)
    np.testing.assert_array_equal(init.normal_(_param(5)).detach().numpy(), a)


def test_zero_element_tensor_warns():
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        init.kaiming_uniform_(_param(0, 3))


@needs_torch
def test_kaiming_bound_matches_torch_linear_init():
    """torch's Linear(100, 1000) weight lies within 1/√100; so does ours (SPEC §6)."""
    w = _param(1000, 100)
    init.kaiming_uniform_(w, a=math.sqrt(5))
    tw = torch.empty(1000, 100)
    torch.nn.init.kaiming_uniform_(tw, a=math.sqrt(5))
    assert abs(np.abs(w.detach().numpy()).max() - tw.abs().max().item()) < 1e-3
