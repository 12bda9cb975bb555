"""Properties of the six activations (forward and backward) over random shapes (0-d, empty,
up to 4-D), dtypes, layouts and special values: reference_nn's values and gradients, torch's
too; rrelu in training mode by its bounds and its own noise."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import minigrad
import minigrad.nn.functional as F
import reference_nn as RN
from prop_helpers import as_tensor, dtypes, laid_out, layouts, seeds, torch

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")    # the references' inf * 0 on specials

shapes = st.lists(st.integers(0, 6), min_size=0, max_size=4).map(tuple)
SPECIALS = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-40, -1e-40, 50.0, -50.0, 1e5, -1e5])
ACTS = {
    "relu": (lambda x: F.relu(x), lambda r: RN.relu(r), lambda t: torch.relu(t)),
    "sigmoid": (F.sigmoid, RN.sigmoid, lambda t: torch.sigmoid(t)),
    "tanh": (F.tanh, RN.tanh, lambda t: torch.tanh(t)),
}


def _input(rng, shape, dtype, specials):
    x = rng.uniform(-3, 3, size=shape)
    if specials and x.size:
        mask = rng.random(shape) < 0.3
        x[mask] = rng.choice(SPECIALS, size=int(mask.sum()))
    return x.astype(dtype)


def _tol(dtype):
    return dict(rtol=4 * np.finfo(dtype).eps, atol=np.finfo(dtype).tiny, equal_nan=True)


def _check(name, mg_fn, ref_fn, torch_fn, x, layout, dtype, rng, extra=()):
    """mg_fn(x_tensor, *extra tensors) vs ref_fn(Ref...) and torch_fn(torch tensors): values and
    the gradient of sum(out * c) for every input."""
    xt = as_tensor(x, layout, requires_grad=True)
    ext = [minigrad.tensor(e, requires_grad=True) for e in extra]
    out = mg_fn(xt, *ext)
    refs = [RN.Ref(x)] + [RN.Ref(e) for e in extra]
    ref = ref_fn(*refs)
    assert out.shape == x.shape and out.dtype == dtype, name
    np.testing.assert_allclose(out.detach().numpy(), ref.value, err_msg=f"{name} forward", **_tol(dtype))
    c = rng.uniform(0.5, 1.5, size=x.shape).astype(dtype)
    (out * minigrad.tensor(c)).sum().backward()
    grads = [xt.grad] + [e.grad for e in ext]
    for i, (g, want) in enumerate(zip(grads, RN.vjp([ref], [c], refs))):
        np.testing.assert_allclose(g.numpy(), want, err_msg=f"{name} grad {i}", rtol=32 * np.finfo(dtype).eps,
                                   # 1 - y*y from a rounded y cancels: an absolute error of a few ulp of |c|
                                   atol=32 * np.finfo(dtype).eps * np.sqrt(x.size + 1),
                                   equal_nan=True)
    if torch is None:
        return
    tin = [torch.from_numpy(np.array(a)).requires_grad_(True) for a in (x,) + tuple(extra)]
    tout = torch_fn(*tin)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-6, atol=1e-30 if
                               dtype == np.float64 else 1e-37, equal_nan=True, err_msg=f"{name} vs torch")
    tout.backward(torch.from_numpy(c))
    for i, (g, t) in enumerate(zip(grads, tin)):
        np.testing.assert_allclose(g.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-6 * np.sqrt(x.size + 1),
                                   equal_nan=True, err_msg=f"{name} grad {i} vs torch")


@given(name=st.sampled_from(sorted(ACTS)), shape=shapes, dtype=dtypes, layout=layouts, specials=st.booleans(),
       seed=seeds)
def test_relu_sigmoid_tanh(name, shape, dtype, layout, specials, seed):
    rng = np.random.default_rng(seed)
    _check(name, *ACTS[name], _input(rng, shape, dtype, specials), layout, dtype, rng)


@given(shape=shapes, slope=st.sampled_from([0.01, 0.0, 0.2, 1.0, -0.5, 3.0]), dtype=dtypes, layout=layouts,
       specials=st.booleans(), seed=seeds)
def test_leaky_relu(shape, slope, dtype, layout, specials, seed):
    rng = np.random.default_rng(seed)
    _check("leaky_relu", lambda x: F.leaky_relu(x, slope), lambda r: RN.leaky_relu(r, slope),
           lambda t: torch.nn.functional.leaky_relu(t, slope), _input(rng, shape, dtype, specials), layout, dtype,
           rng)


@given(shape=shapes, bounds=st.sampled_from([(1 / 8, 1 / 3), (0.0, 0.0), (0.1, 0.9), (-0.5, 0.5), (0.3, 0.3)]),
       dtype=dtypes, layout=layouts, seed=seeds)
def test_rrelu_eval(shape, bounds, dtype, layout, seed):
    rng = np.random.default_rng(seed)
    lo, hi = bounds
    _check("rrelu", lambda x: F.rrelu(x, lo, hi), lambda r: RN.rrelu(r, lo, hi),
           lambda t: torch.nn.functional.rrelu(t, lo, hi), _input(rng, shape, dtype, False), layout, dtype, rng)


@given(shape=st.tuples(st.integers(0, 4), st.integers(1, 4)).flatmap(
           lambda nc: st.lists(st.integers(0, 5), max_size=2).map(lambda rest: nc + tuple(rest))), one_weight=st.booleans(),
       dtype=dtypes, layout=layouts, specials=st.booleans(), seed=seeds)
def test_prelu(shape, one_weight, dtype, layout, specials, seed):
    rng = np.random.default_rng(seed)
    w = rng.uniform(-0.5, 1.0, size=1 if one_weight else shape[1]).astype(dtype)
    x = _input(rng, shape, dtype, specials and one_weight)   # NaN * w sums would make dw NaN either way
    _check("prelu", F.prelu, RN.prelu, torch.nn.functional.prelu if torch else None, x, layout, dtype, rng,
           extra=(w,))


@given(shape=shapes, bounds=st.sampled_from([(1 / 8, 1 / 3), (0.0, 1.0), (0.25, 0.25), (-1.0, 0.5)]),
       dtype=dtypes, layout=layouts, seed=seeds)
def test_rrelu_train(shape, bounds, dtype, layout, seed):
    """out = x for x > 0; out = r x with lower <= r <= upper for x <= 0 (so out between upper*x and
    lower*x), the gradient is that same r, and the same seed draws the same slopes."""
    rng = np.random.default_rng(seed)
    lo, hi = bounds
    x = _input(rng, shape, dtype, False)
    minigrad.manual_seed(seed)
    xt = as_tensor(x, layout, requires_grad=True)
    out = F.rrelu(xt, lo, hi, training=True)
    y = out.detach().numpy()
    pos = x > 0
    np.testing.assert_array_equal(y[pos], x[pos])
    neg = ~pos
    eps = 4 * np.finfo(dtype).eps * np.abs(x[neg])
    assert np.all(y[neg] >= hi * x[neg] - eps) and np.all(y[neg] <= lo * x[neg] + eps)
    c = rng.uniform(0.5, 1.5, size=x.shape).astype(dtype)
    (out * minigrad.tensor(c)).sum().backward()
    slope = xt.grad.numpy() / c
    np.testing.assert_allclose(slope[pos], 1.0, rtol=1e-6)
    assert np.all(slope[neg] >= lo - 1e-6) and np.all(slope[neg] <= hi + 1e-6)
    nz = neg & (x != 0)
    np.testing.assert_allclose(y[nz], x[nz] * xt.grad.numpy()[nz] / c[nz], rtol=1e-5)
    minigrad.manual_seed(seed)
    again = F.rrelu(minigrad.tensor(laid_out(x, "contiguous")), lo, hi, training=True)
    np.testing.assert_array_equal(again.numpy(), y)


@given(name=st.sampled_from(["relu", "leaky_relu", "rrelu"]), shape=shapes, dtype=dtypes, layout=layouts,
       seed=seeds)
def test_inplace_writes_through_any_layout(name, shape, dtype, layout, seed):
    """inplace=True on a strided, transposed or reversed view updates exactly that view."""
    rng = np.random.default_rng(seed)
    x = _input(rng, shape, dtype, True)
    view = laid_out(x, layout)
    t = minigrad.from_numpy(view)
    fn = {"relu": lambda v, **k: F.relu(v, **k), "leaky_relu": lambda v, **k: F.leaky_relu(v, 0.1, **k),
          "rrelu": lambda v, **k: F.rrelu(v, 0.1, 0.3, **k)}[name]
    want = fn(minigrad.tensor(x.copy())).numpy()
    assert fn(t, inplace=True) is t
    np.testing.assert_array_equal(view, want)
    np.testing.assert_array_equal(t.numpy(), want)
