"""Strategies and input layouts shared by the property tests."""
import numpy as np
from hypothesis import strategies as st

import minigrad

LAYOUTS = ("contiguous", "transposed", "strided", "flipped")
dtypes = st.sampled_from([np.float32, np.float64])
layouts = st.sampled_from(LAYOUTS)
seeds = st.integers(0, 2**32 - 1)


value_kinds = st.sampled_from(["uniform", "ties", "specials"])


def values(rng, shape, dtype, kind="uniform"):
    """Random values. "ties": small integers, so equal maxima and exact zeros occur;
    "specials": about one in five is NaN, +inf or -inf."""
    if kind == "ties":
        return rng.integers(-3, 4, size=shape).astype(dtype)
    x = rng.uniform(-2, 2, size=shape).astype(dtype)
    if kind == "specials":
        mask = rng.random(shape) < 0.2
        x[mask] = rng.choice(np.array([np.nan, np.inf, -np.inf], dtype), size=int(mask.sum()))
    return x


def laid_out(a, layout):
    """The same values as `a` in another memory layout (a NumPy view, not C-contiguous unless
    'contiguous' or the array is too small to tell): the two last axes stored transposed, every
    axis taken with step 2 out of a bigger array, or the last axis stored reversed."""
    if layout == "contiguous" or a.ndim == 0:
        return a.copy(order="C")     # (ascontiguousarray would make a 0-d array 1-d)
    if layout == "transposed":
        axes = list(range(a.ndim))
        if a.ndim >= 2:
            axes[-2], axes[-1] = axes[-1], axes[-2]
        return a.transpose(axes).copy().transpose(axes)      # always a copy, never `a` itself
    if layout == "strided":
        big = np.zeros(tuple(2 * n for n in a.shape), a.dtype)
        view = big[tuple(slice(None, None, 2) for _ in a.shape)]
        view[...] = a
        return view
    if layout == "flipped":
        return a[..., ::-1].copy()[..., ::-1]
    raise ValueError(layout)


def as_pair(v):
    """An int or a pair argument as (h, w)."""
    return (v, v) if isinstance(v, int) else tuple(v)


def as_tensor(a, layout, requires_grad=False):
    """A minigrad Tensor sharing the laid-out array (from_numpy keeps its strides)."""
    view = laid_out(a, layout)
    assert np.array_equal(view, a, equal_nan=True)
    t = minigrad.from_numpy(view)
    if requires_grad:
        t.requires_grad_(True)
    return t


try:
    import torch
except ImportError:  # the NumPy references still run
    torch = None
