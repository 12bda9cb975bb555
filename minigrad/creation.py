"""Ways to make a tensor: from data, from NumPy (zero copy), and the usual factories."""
import builtins

import numpy as np

from . import random as _random
from .tensor import Tensor

__all__ = ["tensor", "from_numpy", "zeros", "ones", "empty", "full", "arange", "rand", "randn",
           "zeros_like", "ones_like", "rand_like", "randn_like", "float32", "float64", "int64", "bool"]

float32, float64, int64, bool = np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.int64), np.dtype(np.bool_)


def _dtype(dtype, default=float32):
    return np.dtype(default if dtype is None else dtype)


def _size(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for n in size:
        if isinstance(n, builtins.bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"size must be a sequence of ints, got {size!r}")
        if n < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {n}: {list(size)}")
    return tuple(int(n) for n in size)


def _make(arr, requires_grad):
    t = Tensor._wrap(arr)
    return t.requires_grad_(True) if requires_grad else t


def tensor(data, dtype=None, requires_grad=False):
    """A new tensor holding a copy of `data`. Floats default to float32 (a float64 ndarray stays
    float64), integers to int64."""
    return Tensor(data, dtype=dtype, requires_grad=requires_grad)


def from_numpy(array):
    """A tensor sharing memory with `array` (no copy): writes to one show in the other."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    return Tensor._wrap(array)


def zeros(*size, dtype=None, requires_grad=False):
    return _make(np.zeros(_size(size), _dtype(dtype)), requires_grad)


def ones(*size, dtype=None, requires_grad=False):
    return _make(np.ones(_size(size), _dtype(dtype)), requires_grad)


def empty(*size, dtype=None, requires_grad=False):
    return _make(np.empty(_size(size), _dtype(dtype)), requires_grad)


def full(size, fill_value, dtype=None, requires_grad=False):
    default = int64 if isinstance(fill_value, (int, np.integer)) and not isinstance(fill_value, builtins.bool) else float32
    return _make(np.full(_size((size,)), fill_value, _dtype(dtype, default)), requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
    return _make(np.arange(start, end, step, dtype=_dtype(dtype, int64 if ints else float32)), requires_grad)


def rand(*size, dtype=None, requires_grad=False):
    """U[0, 1) from minigrad's generator (manual_seed)."""
    return _make(_random.numpy_rng().random(_size(size), dtype=np.float64).astype(_dtype(dtype)), requires_grad)


def randn(*size, dtype=None, requires_grad=False):
    """N(0, 1) from minigrad's generator (manual_seed)."""
    return _make(_random.numpy_rng().standard_normal(_size(size)).astype(_dtype(dtype)), requires_grad)


def zeros_like(t, dtype=None, requires_grad=False):
    return zeros(*t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def ones_like(t, dtype=None, requires_grad=False):
    return ones(*t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def rand_like(t, dtype=None, requires_grad=False):
    return rand(*t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def randn_like(t, dtype=None, requires_grad=False):
    return randn(*t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)
