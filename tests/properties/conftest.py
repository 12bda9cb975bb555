"""Hypothesis profiles for the property tests, and the input layouts they draw.

HYPOTHESIS_PROFILE=ci (default): 200 examples per property, no deadline (a shared 2-core
machine has slow moments); =long: 5000 examples, for a soak run before a release.
"""
import os

import numpy as np
from hypothesis import HealthCheck, settings, strategies as st

import minigrad

# The autouse seed/thread fixture in tests/conftest.py is function-scoped; it only restores
# state the properties set themselves, so running it once per test (not per example) is fine.
_common = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
               print_blob=True)
settings.register_profile("ci", max_examples=200, **_common)
settings.register_profile("long", max_examples=5000, **_common)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

LAYOUTS = ("contiguous", "transposed", "strided", "flipped")
dtypes = st.sampled_from([np.float32, np.float64])
layouts = st.sampled_from(LAYOUTS)
seeds = st.integers(0, 2**32 - 1)


def values(rng, shape, dtype, ties=False):
    """Random values; `ties` draws small integers so equal maxima and exact zeros occur."""
    if ties:
        return rng.integers(-3, 4, size=shape).astype(dtype)
    return rng.uniform(-2, 2, size=shape).astype(dtype)


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
