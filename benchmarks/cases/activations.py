"""Activations on a (64, 32, 56, 56) float32 tensor (6.4 M elements): forward, and forward +
backward with a given upstream gradient, minigrad vs the NumPy expression vs torch CPU.
NumPy has no autograd: its f+b column is the forward expression plus the hand-written backward.
`bytes` counts one read and one write per element (fwd) for the bandwidth floor (BENCHMARKS.md).
"""
import numpy as np

import minigrad
import minigrad.nn.functional as F
from benchmarks.common import Case, torch


def _np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


_NP_RNG = np.random.default_rng(0)


def _np_rrelu_train(x, lower=1 / 8, upper=1 / 3):
    """-> (y, slopes): one uniform slope per element where x <= 0 (as F.rrelu(training=True));
    the slopes come back because the backward multiplies by the same ones."""
    r = np.where(x > 0, x.dtype.type(1), _NP_RNG.uniform(lower, upper, x.shape).astype(x.dtype))
    return x * r, r


_SPECS = {   # name: (minigrad fn, numpy fwd, numpy bwd(x, y, g), torch fn or module factory)
    "ReLU": (F.relu, lambda x: np.maximum(x, 0), lambda x, y, g: np.where(y > 0, g, 0),
             lambda: torch.nn.functional.relu),
    "LeakyReLU(0.01)": (lambda x: F.leaky_relu(x, 0.01), lambda x: np.where(x > 0, x, 0.01 * x),
                        lambda x, y, g: np.where(x > 0, g, 0.01 * g),
                        lambda: (lambda x: torch.nn.functional.leaky_relu(x, 0.01))),
    "Sigmoid": (F.sigmoid, _np_sigmoid, lambda x, y, g: g * (1 - y) * y, lambda: torch.sigmoid),
    "Tanh": (F.tanh, np.tanh, lambda x, y, g: g * (1 - y * y), lambda: torch.tanh),
    "PReLU(1)": (None, lambda x: np.where(x > 0, x, 0.25 * x),
                 lambda x, y, g: (np.where(x > 0, g, 0.25 * g), np.sum(np.where(x > 0, 0, x * g))),
                 lambda: torch.nn.PReLU()),
    "RReLU train": (lambda x: F.rrelu(x, training=True), _np_rrelu_train, lambda x, yr, g: g * yr[1],
                    lambda: (lambda x: torch.nn.functional.rrelu(x, training=True))),
}


def _case_pair(name, shape):
    mg_fn, np_fwd, np_bwd, torch_fn = _SPECS[name]
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    g = rng.uniform(0.5, 1.5, shape).astype(np.float32)
    nbytes = 2 * x.nbytes
    prelu = minigrad.nn.PReLU() if name.startswith("PReLU") else None
    mg_fn = mg_fn or prelu
    xm, gm = minigrad.tensor(x), minigrad.tensor(g)
    xmg = minigrad.tensor(x, requires_grad=True)

    def mg_fwd():
        return mg_fn(xm)

    def mg_fb():
        xmg.grad = None
        if prelu is not None:
            prelu.weight.grad = None
        mg_fn(xmg).backward(gm)

    tf = tfb = None
    if torch is not None:
        tfn = torch_fn()
        xt, gt = torch.from_numpy(x), torch.from_numpy(g)
        xtg = torch.from_numpy(x.copy()).requires_grad_(True)

        def tf():
            with torch.no_grad():
                return tfn(xt)

        def tfb():
            xtg.grad = None
            tfn(xtg).backward(gt)

    def nf():
        return np_fwd(x)

    def nfb():
        return np_bwd(x, np_fwd(x), g)

    def check():
        y = mg_fwd().detach().numpy()
        if name.startswith("RReLU"):
            neg = x <= 0
            y_np, _ = np_fwd(x)
            for out in (y, y_np):         # random slopes: both are held to the same bounds
                slopes = out[neg] / x[neg]
                assert slopes.min() >= 1 / 8 - 1e-6 and slopes.max() <= 1 / 3 + 1e-6
                np.testing.assert_array_equal(out[~neg], x[~neg])
        else:
            with np.errstate(over="ignore"):
                want = np_fwd(x.astype(np.float64))
            np.testing.assert_allclose(y, want, rtol=1e-6, atol=1e-7)

    fwd = Case("activations", f"{name} fwd", mg_fwd, nf, tf, check, bytes=nbytes)
    fb = Case("activations", f"{name} fwd+bwd", mg_fb, nfb, tfb, check, bytes=3 * nbytes)
    return [fwd, fb]


def cases(quick=False):
    shape = (4, 8, 16, 16) if quick else (64, 32, 56, 56)
    return [c for name in _SPECS for c in _case_pair(name, shape)]
