"""Softmax, LogSoftmax, ELU, GELU, SiLU, Softplus, Hardtanh, ReLU6 (module and functional):
NumPy references, torch parity (values and gradients), gradcheck, errors, in place, repr."""
import math
import warnings

import numpy as np
import pytest

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from helpers import check_op, needs_torch, torch

_erf = np.vectorize(math.erf)


def _sig(x):
    return 1 / (1 + np.exp(-x))


# name, kwargs, NumPy reference of the forward
CASES = [
    ("elu", {}, lambda x: np.where(x > 0, x, np.expm1(x))),
    ("elu", {"alpha": 0.3}, lambda x: np.where(x > 0, x, 0.3 * np.expm1(x))),
    ("gelu", {}, lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2)))),
    ("gelu", {"approximate": "tanh"},
     lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))),
    ("silu", {}, lambda x: x * _sig(x)),
    ("softplus", {}, lambda x: np.log1p(np.exp(x))),
    ("softplus", {"beta": 2.0, "threshold": 3.0}, lambda x: np.where(2 * x > 3, x, np.log1p(np.exp(2 * x)) / 2)),
    ("hardtanh", {}, lambda x: np.clip(x, -1, 1)),
    ("hardtanh", {"min_val": -0.5, "max_val": 2.0}, lambda x: np.clip(x, -0.5, 2.0)),
    ("relu6", {}, lambda x: np.clip(x, 0, 6)),
]
IDS = [f"{n}-{'-'.join(map(str, k.values()))}" for n, k, _ in CASES]
X = np.concatenate([np.linspace(-8, 8, 33), [0.0, 6.0, -1.0, 1.0]])


@pytest.mark.parametrize("name,kwargs,ref", CASES, ids=IDS)
def test_forward_numpy_reference(name, kwargs, ref, dtype):
    got = getattr(F, name)(minigrad.tensor(X.astype(dtype)), **kwargs)
    assert got.dtype == dtype
    tol = 1e-6 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(got.numpy(), ref(X).astype(dtype), rtol=tol, atol=tol)


def _away_from_kinks(n):
    """n values in [-4, 8] away from the kinks (0, ±1, 6, thresholds), where finite
    differences would straddle two branches."""
    x = np.random.default_rng(0).uniform(-4, 8, 40)
    x = x[np.min(np.abs(x[:, None] - np.array([0, -1, 1, -0.5, 2, 6, 1.5])[None]), axis=1) > 1e-3]
    return minigrad.tensor(x[:n], requires_grad=True)


@pytest.mark.parametrize("name,kwargs,ref", CASES, ids=IDS)
def test_gradcheck(name, kwargs, ref):
    assert minigrad.gradcheck(lambda a: getattr(F, name)(a, **kwargs), (_away_from_kinks(40),))


@pytest.mark.parametrize("name,kwargs,ref", CASES, ids=IDS)
def test_gradgradcheck(name, kwargs, ref):
    assert minigrad.autograd.gradgradcheck(lambda a: getattr(F, name)(a, **kwargs), (_away_from_kinks(8),))


@needs_torch
@pytest.mark.parametrize("shape", [(), (7,), (2, 3, 4)])
@pytest.mark.parametrize("name,kwargs,ref", CASES, ids=IDS)
def test_parity(name, kwargs, ref, shape, dtype):
    tol = dict(atol=1e-6, rtol=1e-5) if dtype == np.float32 else dict(atol=1e-12, rtol=1e-12)
    check_op([shape], lambda x: getattr(torch.nn.functional, name)(x, **kwargs),
             lambda x: getattr(F, name)(x, **kwargs), dtype=dtype, low=-8, high=8,
             grad_atol=tol["atol"] * 10, grad_rtol=tol["rtol"] * 10, **tol)


@needs_torch
@pytest.mark.parametrize("name,kwargs,ref", CASES, ids=IDS)
def test_parity_at_kinks(name, kwargs, ref):
    """The gradient at 0, ±1, 6 and the thresholds takes torch's branch."""
    vals = [np.array([0.0, -0.0, 1.0, -1.0, 6.0, -0.5, 2.0, 1.5, 30.0, -30.0, np.inf, -np.inf])]
    check_op(None, lambda x: getattr(torch.nn.functional, name)(x, **kwargs),
             lambda x: getattr(F, name)(x, **kwargs), vals=vals, dtype=np.float64, atol=1e-15, rtol=1e-15)


@needs_torch
@pytest.mark.parametrize("dim", [0, 1, -1, None])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_modules_parity(name, dim):
    cls = {"softmax": "Softmax", "log_softmax": "LogSoftmax"}[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_op([(3, 5)], lambda x: getattr(torch.nn, cls)(dim)(x), lambda x: getattr(nn, cls)(dim)(x),
                 dtype=np.float64, atol=1e-12, rtol=1e-12)


def test_softmax_module_reference_and_dtype():
    x = np.random.default_rng(1).normal(size=(4, 3)).astype(np.float32)
    e = np.exp(x - x.max(1, keepdims=True))
    want = e / e.sum(1, keepdims=True)
    np.testing.assert_allclose(nn.Softmax(dim=1)(minigrad.tensor(x)).numpy(), want, rtol=1e-6)
    np.testing.assert_allclose(nn.LogSoftmax(dim=1)(minigrad.tensor(x)).numpy(), np.log(want), rtol=1e-5, atol=1e-6)
    y = F.softmax(minigrad.tensor(x), 1, dtype=minigrad.float64)
    assert y.dtype == np.float64
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        nn.Softmax()(minigrad.tensor(x))
    assert not isinstance(nn.LogSoftmax(), nn.Softmax)


REPRS = ["Softmax()", "Softmax(1)", "LogSoftmax(dim=0)", "ELU()", "ELU(0.5, True)", "GELU()", "GELU('tanh')",
         "SiLU()", "SiLU(True)", "Softplus()", "Softplus(2, 10)", "Hardtanh()", "Hardtanh(-2, 2, True)", "ReLU6()",
         "ReLU6(True)"]
WANT_REPRS = ["Softmax(dim=None)", "Softmax(dim=1)", "LogSoftmax(dim=0)", "ELU(alpha=1.0)",
              "ELU(alpha=0.5, inplace=True)", "GELU(approximate='none')", "GELU(approximate='tanh')", "SiLU()",
              "SiLU(inplace=True)", "Softplus(beta=1.0, threshold=20.0)", "Softplus(beta=2, threshold=10)",
              "Hardtanh(min_val=-1.0, max_val=1.0)", "Hardtanh(min_val=-2, max_val=2, inplace=True)", "ReLU6()",
              "ReLU6(inplace=True)"]


@pytest.mark.parametrize("expr,want", zip(REPRS, WANT_REPRS))
def test_repr(expr, want):
    assert repr(eval("nn." + expr)) == want
    if torch is not None:
        assert repr(eval("torch.nn." + expr)) == want


@pytest.mark.parametrize("name", ["elu", "silu", "hardtanh", "relu6"])
def test_inplace_second_derivatives(name):
    assert minigrad.autograd.gradgradcheck(lambda a: getattr(F, name)(a * 1.0, inplace=True) * a,
                                           (_away_from_kinks(6),))


@pytest.mark.parametrize("name", ["elu", "silu", "hardtanh", "relu6"])
def test_inplace(name):
    x = minigrad.tensor([-2.0, 0.5, 7.0])
    want = getattr(F, name)(x).numpy()
    out = getattr(F, name)(x, inplace=True)
    assert out is x and np.array_equal(x.numpy(), want)
    leaf = minigrad.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        getattr(F, name)(leaf, inplace=True)
    # on a non-leaf the graph runs through the op
    a = minigrad.tensor([-2.0, 0.5, 3.0], requires_grad=True)
    b = a * 1.0
    getattr(F, name)(b, inplace=True).sum().backward()
    c = minigrad.tensor(a.detach().numpy(), requires_grad=True)
    getattr(F, name)(c).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), c.grad.numpy())


def test_errors():
    x = minigrad.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh."):
        F.gelu(x, approximate="foo")
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh."):
        nn.GELU("foo")(x)
    with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
        F.hardtanh(x, 2, 1)
    with pytest.raises(AssertionError, match=r"max_val \(1\) must be greater than min_val \(2\)"):
        nn.Hardtanh(2, 1)
    for name in ("elu", "silu", "softplus", "gelu"):
        with pytest.raises(NotImplementedError):
            getattr(F, name)(minigrad.tensor([1, 2]))
        if torch is not None:
            with pytest.raises(NotImplementedError):
                getattr(torch.nn.functional, name)(torch.tensor([1, 2]))
    with pytest.raises(TypeError, match="must be Tensor"):
        F.elu([1.0])


def test_hardtanh_deprecated_names():
    with pytest.warns(FutureWarning, match="min_value"):
        m = nn.Hardtanh(min_value=-3.0)
    assert m.min_val == -3.0
