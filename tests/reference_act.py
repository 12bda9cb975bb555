"""Readable NumPy twins of minigrad._C.act: same names, inputs as arrays, outputs returned.

Smooth functions are evaluated in float64 and rounded once (the "truth" the kernels are held
to within a few ulp); piecewise-linear ones use the same float operations as the kernels, so
those compare exactly.
"""
import numpy as np

# ***** forward *****


def sigmoid_forward(x):
    with np.errstate(over="ignore"):
        return (1.0 / (1.0 + np.exp(-x.astype(np.float64)))).astype(x.dtype)


def tanh_forward(x):
    return np.tanh(x.astype(np.float64)).astype(x.dtype)


def relu_forward(x):
    return np.where(x <= 0, x.dtype.type(0), x)     # NaN stays NaN


def leaky_relu_forward(x, slope):
    return np.where(x > 0, x, x * x.dtype.type(slope))


def _outer(x, channels, inner):
    """x.size // (channels * inner), also for an empty x (where reshape cannot infer -1)."""
    return x.size // max(channels * inner, 1)


def prelu_forward(x, weight, channels, inner):
    """x viewed as (outer, channels, inner); weight[c] is channel c's slope."""
    x3 = x.reshape(_outer(x, channels, inner), channels, inner)
    return np.where(x3 > 0, x3, x3 * weight.reshape(1, channels, 1)).reshape(x.shape)


# ***** the counter-based stream of counter_rng.h *****
_GAMMA = np.uint64(0x9E3779B97F4A7C15)


def _mix64(z):
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def uniform(seed, counters):
    """mg_uniform(seed, counter) for an array of counters: uniform doubles in [0, 1)."""
    with np.errstate(over="ignore"):
        key = _mix64(np.array(seed, dtype=np.uint64) + _GAMMA)
        bits = _mix64(key + (np.asarray(counters, dtype=np.uint64) + np.uint64(1)) * _GAMMA)
    return ((bits >> np.uint64(12)) | np.uint64(0x3FF0000000000000)).view(np.float64) - 1.0


def rrelu_forward(x, lower, upper, seed, offset):
    """Returns (out, noise): x <= 0 gets r = lower + (upper - lower) * u(seed, offset + i)."""
    u = uniform(seed, offset + np.arange(x.size, dtype=np.uint64))
    r = (lower + (upper - lower) * u).astype(x.dtype).reshape(x.shape)
    neg = x <= 0
    return np.where(neg, x * r, x), np.where(neg, r, x.dtype.type(1))


# ***** backward *****


def sigmoid_backward(grad, result):
    return grad * (1 - result) * result


def tanh_backward(grad, result):
    return grad * (1 - result * result)


def relu_backward(grad, result):
    return np.where(result <= 0, grad.dtype.type(0), grad)


def leaky_relu_backward(grad, x, slope):
    return np.where(x > 0, grad, grad * grad.dtype.type(slope))


def rrelu_backward(grad, noise):
    return grad * noise


def prelu_backward(grad, x, weight, channels, inner):
    """Returns (grad_input, grad_weight); grad_weight summed in float64, then rounded."""
    outer = _outer(x, channels, inner)
    g3, x3 = grad.reshape(outer, channels, inner), x.reshape(outer, channels, inner)
    w = weight.reshape(1, channels, 1)
    dx = np.where(x3 > 0, g3, w * g3).reshape(x.shape)
    contrib = np.where(x3 > 0, 0.0, x3.astype(np.float64) * g3.astype(np.float64))
    return dx, contrib.sum(axis=(0, 2)).astype(weight.dtype)
