"""Ops that write their temporaries in place give bit for bit what the plain NumPy expression of
their formula gives (the in-place forms only save full-size arrays, never change a rounding)."""
import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F

DTYPES = [np.float32, np.float64]


def run(fn, *arrays, seed=1):
    """fn's output and each input's gradient for a random output gradient, as arrays."""
    ts = [minigrad.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*ts)
    g = np.random.default_rng(seed).standard_normal(out.shape).astype(arrays[0].dtype)
    out.backward(minigrad.tensor(g))
    return out.detach().numpy(), g, [t.grad.numpy() for t in ts]


def rand(dtype, *shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_batch_norm_training(dtype):
    x, w, b = rand(dtype, 4, 3, 5, 5), rand(dtype, 3, seed=1), rand(dtype, 3, seed=2)
    out, g, (gx, gw, gb) = run(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), x, w, b)
    axes, shape, n = (0, 2, 3), (1, 3, 1, 1), x.size // 3
    mean, var = x.mean(axis=axes), x.var(axis=axes)
    inv = (1.0 / np.sqrt(var + 1e-5)).astype(dtype).reshape(shape)
    xhat = (x - mean.reshape(shape)) * inv
    np.testing.assert_array_equal(out, xhat * w.reshape(shape) + b.reshape(shape))
    gxhat = g * w.reshape(shape)
    want = (inv / n) * (n * gxhat - gxhat.sum(axis=axes, keepdims=True)
                        - xhat * (gxhat * xhat).sum(axis=axes, keepdims=True))
    np.testing.assert_array_equal(gx, want)
    np.testing.assert_array_equal(gw, (g * xhat).sum(axis=axes))
    np.testing.assert_array_equal(gb, g.sum(axis=axes))


@pytest.mark.parametrize("dtype", DTYPES)
def test_layer_norm(dtype):
    x, w, b = rand(dtype, 3, 4, 6), rand(dtype, 4, 6, seed=1), rand(dtype, 4, 6, seed=2)
    out, g, (gx, _, _) = run(lambda x, w, b: F.layer_norm(x, (4, 6), w, b), x, w, b)
    axes, n = (1, 2), 24
    mean = x.mean(axis=axes, keepdims=True)
    inv = 1.0 / np.sqrt(((x - mean) ** 2).mean(axis=axes, keepdims=True) + 1e-5)
    xhat = (x - mean) * inv
    np.testing.assert_array_equal(out, xhat * w + b)
    gxhat = g * w
    want = (inv / n) * (n * gxhat - gxhat.sum(axis=axes, keepdims=True)
                        - xhat * (gxhat * xhat).sum(axis=axes, keepdims=True))
    np.testing.assert_array_equal(gx, want)


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_family(dtype):
    x = rand(dtype, 5, 7)
    out, g, (gx,) = run(lambda x: F.log_softmax(x, 1), x)
    shifted = x - x.max(axis=1, keepdims=True)
    want = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    np.testing.assert_array_equal(out, want)
    np.testing.assert_array_equal(gx, g - np.exp(want) * g.sum(axis=1, keepdims=True))
    out, g, (gx,) = run(lambda x: F.softmax(x, 0), x)
    e = np.exp(x - x.max(axis=0, keepdims=True))
    want = e / e.sum(axis=0, keepdims=True)
    np.testing.assert_array_equal(out, want)
    np.testing.assert_array_equal(gx, want * (g - (g * want).sum(axis=0, keepdims=True)))
    out, g, (gx,) = run(lambda x: minigrad.logsumexp(x, 1), x)
    np.testing.assert_array_equal(gx, g[:, None] * np.exp(x - out[:, None]))


@pytest.mark.parametrize("dtype", DTYPES)
def test_sub_div_abs(dtype):
    a, b = rand(dtype, 4, 5), rand(dtype, 5, seed=1)
    _, g, (_, gb) = run(lambda a, b: a - b, a, b)
    np.testing.assert_array_equal(gb, (-g).sum(axis=0))
    _, g, (ga, gb) = run(lambda a, b: a / b, a, b)
    np.testing.assert_array_equal(ga, g / b)
    np.testing.assert_array_equal(gb, (-g * a / (b * b)).sum(axis=0))
    _, g, (ga,) = run(lambda a: a.abs(), a)
    np.testing.assert_array_equal(ga, g * np.sign(a))


def test_constant_pad_and_its_gradient():
    x = rand(np.float32, 2, 3, 4)
    out, g, (gx,) = run(lambda x: F.pad(x, (1, 2, 0, 1), value=0.5), x)
    np.testing.assert_array_equal(out, np.pad(x, ((0, 0), (0, 1), (1, 2)), constant_values=0.5))
    np.testing.assert_array_equal(gx, g[:, :3, 1:5])
    out, g, (gx,) = run(lambda x: F.pad(x, (-1, 2, 1, -1)), x)      # crops too
    np.testing.assert_array_equal(out, np.pad(x[:, :2, 1:], ((0, 0), (1, 0), (0, 2))))
    want = np.zeros_like(x)
    want[:, :2, 1:] = g[:, 1:, :3]
    np.testing.assert_array_equal(gx, want)


def test_einsum_gradient_without_summed_subscripts():
    a, b = rand(np.float64, 3, 4), rand(np.float64, 4, 5, seed=1)
    _, g, (ga, gb) = run(lambda a, b: minigrad.einsum("ij,jk->ik", a, b), a, b)
    np.testing.assert_array_equal(ga, np.einsum("ik,jk->ij", g, b))
    np.testing.assert_array_equal(gb, np.einsum("ik,ij->jk", g, a))


def test_zero_dim_inputs_keep_working():
    """A ufunc on 0-d arrays returns a scalar, which cannot be written in place."""
    x = np.asarray(1.5)
    for fn, want in ((lambda t: F.softmax(t, 0), 1.0), (lambda t: F.log_softmax(t, 0), 0.0)):
        out, g, (gx,) = run(fn, x)
        assert out.shape == () and out == want and gx.shape == () and gx == 0.0
    out, g, (ga, gb) = run(lambda a, b: a / b, x, np.asarray(2.5))
    np.testing.assert_array_equal(gb, -g * 1.5 / (2.5 * 2.5))
    _, g, (ga,) = run(lambda a: a.abs(), np.asarray(-1.5))
    np.testing.assert_array_equal(ga, -g)
