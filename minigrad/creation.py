"""Ways to make a tensor: from data, from NumPy (zero copy), the factories and their `_like`
and `x.new_*` forms. Signatures are torch's; `device=` accepts the CPU only (minigrad/_device.py)."""
import builtins
import math

import numpy as np

from . import _device, _dtype
from ._alloc import check_alloc
from . import random as _random
from .tensor import Tensor, _unwrap

__all__ = ["tensor", "as_tensor", "from_numpy", "is_tensor", "numel", "zeros", "ones", "empty", "full",
           "arange", "linspace", "logspace", "eye", "rand", "randn", "randint", "randperm", "normal",
           "zeros_like", "ones_like", "empty_like", "full_like", "rand_like", "randn_like", "randint_like"]

_NUMPY_TYPES = ("float64, float32, float16, int64, int32, int16, int8, uint8, and bool")


def _size(size, name="size", itemsize=8):
    """Varargs sizes `zeros(2, 3)` or one sequence `zeros((2, 3))` -> a tuple of ints, refused
    (RuntimeError) when that many elements of `itemsize` bytes cannot exist (see _alloc)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for pos, n in enumerate(size):
        if isinstance(n, builtins.bool) or not isinstance(n, (builtins.int, np.integer)):
            raise TypeError(f"{name} must be a tuple of ints, but got {type(n).__name__} in {tuple(size)!r}")
        if n < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {n}: {list(size)}")
        if n >= 2**63:
            raise TypeError(f"{name} failed to unpack the object at pos {pos + 1} with error \"Overflow when "
                            f"unpacking long long\"")
    size = tuple(builtins.int(n) for n in size)
    check_alloc(size, itemsize)
    return size


def _make(arr, requires_grad, device=None):
    _device.as_device(device)
    t = Tensor._wrap(arr)
    if requires_grad:
        if arr.dtype.kind != "f":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t.requires_grad = True
    return t


def _is_int(v):
    return isinstance(v, (builtins.int, np.integer)) and not isinstance(v, (builtins.bool, np.bool_))


# ***** from data *****

def _array(data, dtype):
    """torch.tensor's dtype rules on NumPy: an ndarray (or Tensor) keeps its dtype; Python
    floats take the default dtype, ints int64, bools bool."""
    if dtype is not None:
        return np.array(_unwrap(data), dtype=_dtype.np_dtype(dtype))
    if isinstance(data, Tensor):
        return data._data.copy()
    arr = np.array(_unwrap(data))
    if isinstance(data, (np.ndarray, np.generic)):
        if arr.dtype not in _dtype._BY_NP or arr.dtype == np.float16:
            raise TypeError(f"can't convert np.ndarray of type {arr.dtype}. The only supported types are: "
                            f"{_NUMPY_TYPES.replace('float16, ', '')}.")
        return arr
    if arr.dtype.kind == "f" and not _holds_tensor(data):
        return arr.astype(_dtype.get_default_dtype().dtype)
    if arr.dtype.kind in "iu" and arr.dtype != np.int64 and not _holds_tensor(data):
        return arr.astype(np.int64)
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"Could not infer dtype of {type(data).__name__}")
    return arr


def _holds_tensor(data):
    if isinstance(data, (Tensor, np.ndarray)):
        return True
    return isinstance(data, (list, tuple)) and builtins.any(_holds_tensor(d) for d in data)


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of `data` (numbers, nested lists, arrays, tensors)."""
    return _make(_array(data, dtype), requires_grad, device)


def as_tensor(data, dtype=None, device=None):
    """Like `tensor`, but no copy when `data` already is a tensor or an array of that dtype."""
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or _dtype.np_dtype(dtype) == data.dtype):
        _array(data[:0], None)   # dtype check only
        return _make(data, False, device)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(ndarray):
    """A tensor sharing memory with `ndarray` (no copy): writes to one show in the other."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    if ndarray.dtype not in _dtype._BY_NP or ndarray.dtype == np.float16:
        raise TypeError(f"can't convert np.ndarray of type numpy.{ndarray.dtype}. The only supported types are: "
                        f"{_NUMPY_TYPES.replace('float16, ', '')}.")
    return Tensor._wrap(ndarray)


def is_tensor(obj):
    return isinstance(obj, Tensor)


def numel(input):
    return input._data.size


# ***** factories *****

def zeros(*size, dtype=None, layout=None, device=None, requires_grad=False):
    dt = _dtype.np_dtype(dtype)
    return _make(np.zeros(_size(size, itemsize=dt.itemsize), dt), requires_grad, device)


def ones(*size, dtype=None, layout=None, device=None, requires_grad=False):
    dt = _dtype.np_dtype(dtype)
    return _make(np.ones(_size(size, itemsize=dt.itemsize), dt), requires_grad, device)


def empty(*size, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False,
          memory_format=None):
    dt = _dtype.np_dtype(dtype)
    return _make(np.empty(_size(size, itemsize=dt.itemsize), dt), requires_grad, device)


def _fill_dtype(fill_value):
    """torch.full's inference: bool -> bool, int -> int64, float -> the default dtype."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if isinstance(fill_value, (builtins.bool, np.bool_)):
        return _dtype.bool
    return _dtype.int64 if _is_int(fill_value) else None


def full(size, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False):
    default = _fill_dtype(fill_value)
    value = fill_value.item() if isinstance(fill_value, Tensor) else fill_value
    dt = _dtype.np_dtype(dtype, default)
    return _make(np.full(_size((size,), itemsize=dt.itemsize), value, dt), requires_grad, device)


def arange(start=0, end=None, step=1, *, dtype=None, layout=None, device=None, requires_grad=False):
    """[start, end) in steps; int64 when all three are ints, else the default dtype. The length
    is ceil((end - start) / step), as torch computes it (in double)."""
    if end is None:
        start, end = 0, start
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if step == 0 or step != step:   # NaN too: torch's wording
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    ints = builtins.all(_is_int(v) for v in (start, end, step))
    dt = _dtype.np_dtype(dtype, _dtype.int64 if ints else None)
    if ints:
        n = -((start - end) // step)
    else:
        q = (end - start) / step
        if not math.isfinite(q) or q >= 2**63:
            raise RuntimeError("invalid size, possible overflow?")
        n = math.ceil(q)
    check_alloc((n,), max(dt.itemsize, 8))   # built in int64/float64 first, then cast
    return _make((start + np.arange(n, dtype=np.float64) * step).astype(dt) if not ints
                 else np.arange(start, start + n * step, step, dtype=np.int64).astype(dt, copy=False),
                 requires_grad, device)


def linspace(start, end, steps, *, dtype=None, layout=None, device=None, requires_grad=False):
    _check_steps(steps, "linspace")
    return _make(np.linspace(start, end, steps).astype(_dtype.np_dtype(dtype), copy=False), requires_grad, device)


def logspace(start, end, steps, base=10.0, *, dtype=None, layout=None, device=None,
             requires_grad=False):
    _check_steps(steps, "logspace")
    return _make(np.logspace(start, end, steps, base=base).astype(_dtype.np_dtype(dtype), copy=False), requires_grad, device)


def _check_steps(steps, name):
    if not _is_int(steps):
        raise TypeError(f"{name}(): argument 'steps' must be int, not {type(steps).__name__}")
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")


def eye(n, m=None, *, dtype=None, layout=None, device=None, requires_grad=False):
    m = n if m is None else m
    for name, v in (("n", n), ("m", m)):
        if v < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {v}")
    return _make(np.eye(n, m, dtype=_dtype.np_dtype(dtype)), requires_grad, device)


# ***** random factories: minigrad's one generator (minigrad.manual_seed) *****

def rand(*size, generator=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False):
    """U[0, 1)."""
    arr = _random.numpy_rng(generator).random(_size(size), dtype=np.float64)
    return _make(arr.astype(_dtype.np_dtype(dtype), copy=False), requires_grad, device)


def randn(*size, generator=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False):
    """N(0, 1)."""
    arr = _random.numpy_rng(generator).standard_normal(_size(size))
    return _make(arr.astype(_dtype.np_dtype(dtype), copy=False), requires_grad, device)


def randint(low=0, high=None, size=None, *, generator=None, dtype=None, layout=None, device=None,
            requires_grad=False):
    """Integers uniform in [low, high): randint(high, size) or randint(low, high, size); int64."""
    if size is None:    # randint(high, size)
        low, high, size = 0, low, high
    if size is None:
        raise TypeError("randint() missing required argument 'size'")
    if high is None or low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    arr = _random.numpy_rng(generator).integers(low, high, _size((size,)), dtype=np.int64)
    return _make(arr.astype(_dtype.np_dtype(dtype, _dtype.int64), copy=False), requires_grad, device)


def randperm(n, *, generator=None, dtype=None, layout=None, device=None, requires_grad=False,
             pin_memory=False):
    if isinstance(n, builtins.bool) or not isinstance(n, (builtins.int, np.integer)):
        raise TypeError(f"randperm(): argument 'n' (position 1) must be int, not {type(n).__name__}")
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    arr = _random.numpy_rng(generator).permutation(builtins.int(n))
    return _make(arr.astype(_dtype.np_dtype(dtype, _dtype.int64), copy=False), requires_grad, device)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, layout=None, device=None,
           requires_grad=False):
    """N(mean, std): tensors mean/std give the shape (broadcast); numbers need `size`."""
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    if np.any(np.asarray(s) < 0):
        raise RuntimeError("normal expects all elements of std >= 0.0")
    if size is not None:
        shape = _size((size,))
    elif isinstance(mean, Tensor) or isinstance(std, Tensor):
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
    else:
        raise TypeError("normal() received an invalid combination of arguments: give `size` with float mean and std")
    like = next((t.dtype for t in (mean, std) if isinstance(t, Tensor)), None)
    arr = m + s * _random.numpy_rng(generator).standard_normal(shape)
    return _make(np.asarray(arr).astype(_dtype.np_dtype(dtype, like), copy=False), requires_grad, device)


# ***** _like: the shape (and by default dtype) of `input` *****

def _like(factory, input, dtype, *args, **kwargs):
    return factory(*args, input._data.shape, dtype=input.dtype if dtype is None else dtype, **kwargs)


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return _like(zeros, input, dtype, device=device, requires_grad=requires_grad)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return _like(ones, input, dtype, device=device, requires_grad=requires_grad)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return _like(empty, input, dtype, device=device, requires_grad=requires_grad)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return full(input._data.shape, fill_value, dtype=input.dtype if dtype is None else dtype, device=device,
                requires_grad=requires_grad)


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return _like(rand, input, dtype, device=device, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return _like(randn, input, dtype, device=device, requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None, requires_grad=False,
                 memory_format=None):
    """randint_like(input, high) or randint_like(input, low, high)."""
    if high is None:
        low, high = 0, low
    return randint(low, high, input._data.shape, dtype=input.dtype if dtype is None else dtype, device=device,
                   requires_grad=requires_grad)


# ***** x.new_*: x's dtype unless told otherwise *****

def _new(factory):
    def method(self, *args, dtype=None, device=None, requires_grad=False, **kwargs):
        return factory(*args, dtype=self.dtype if dtype is None else dtype, device=device,
                       requires_grad=requires_grad, **kwargs)
    method.__name__ = method.__qualname__ = "new_" + factory.__name__
    method.__doc__ = f"minigrad.{factory.__name__}(...) with this tensor's dtype unless `dtype=` says otherwise."
    return method


Tensor.new_zeros = _new(zeros)
Tensor.new_ones = _new(ones)
Tensor.new_empty = _new(empty)
Tensor.new_full = _new(full)
Tensor.new_tensor = _new(tensor)
