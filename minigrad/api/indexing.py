"""Indexing and sorting ops: gather scatter scatter_add index_select sort argsort topk flip roll tril triu.

Index tensors are checked (dtype, shape, every value in range) before NumPy sees them: torch
rejects a negative index where NumPy would silently count from the end.

Ties in sort/argsort/topk: minigrad always sorts stably (equal elements keep their order, for
descending too), which is one of the orders torch's `stable=False` may return.
"""
from collections import namedtuple

import numpy as np

from .. import ops
from ..ops.indexing import argsort as _argsort_array
from ..tensor import Tensor
from ._bind import method, op
from .shape import _dim, distinct_dims, int_tuple, sizes_arg

# torch.return_types.sort / topk: tuples whose items are also named
sort_result = namedtuple("sort", ["values", "indices"])
topk_result = namedtuple("topk", ["values", "indices"])


def _index_array(index, name):
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index._data.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")
    return index._data


def _check_range(index, size, dim, message="index {v} is out of bounds for dimension {dim} with size {size}"):
    if index.size and (index.min() < 0 or index.max() >= size):
        flat = index.reshape(-1)
        v = flat[np.argmax((flat < 0) | (flat >= size))]
        raise RuntimeError(message.format(v=v, dim=dim, size=size))


def _as_1d(t):
    """torch treats a 0-d input or index of gather/scatter as 1-d."""
    return t.reshape(1) if t.ndim == 0 else t


# ***** gather / scatter / index_select *****

@op()
def gather(input, dim, index, *, sparse_grad=False):
    """out[i][j] = input[i][index[i][j]] (dim=1); the gradient adds back into the picked places."""
    d = _dim(dim, input.ndim)
    idx = _index_array(index, "gather")
    if max(idx.ndim, 1) != max(input.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    if input.ndim == 0 or idx.ndim == 0:
        return gather(_as_1d(input), d, _as_1d(index)).reshape(idx.shape)
    for k in range(input.ndim):
        if k != d and idx.shape[k] > input.shape[k]:
            raise RuntimeError(f"Size does not match at dimension {k} expected index {list(idx.shape)} to be no "
                               f"larger than self {list(input.shape)} apart from dimension {d}")
    _check_range(idx, input.shape[d], d)
    return ops.Gather.apply(input, d, idx)


def _scatter(input, dim, index, src, add):
    d = _dim(dim, input.ndim)
    idx = _index_array(index, "scatter")
    if max(idx.ndim, 1) != max(input.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    is_tensor = isinstance(src, Tensor)
    if is_tensor:
        if src._data.dtype != input._data.dtype:
            raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
        if max(src.ndim, 1) != max(input.ndim, 1):
            raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    if input.ndim == 0 or idx.ndim == 0:
        src = _as_1d(src) if is_tensor else src
        return _scatter(_as_1d(input), d, _as_1d(index), src, add).reshape(input.shape)
    src_shape = src.shape if is_tensor else idx.shape
    if any((k != d and i > n) or i > s for k, (i, n, s) in enumerate(zip(idx.shape, input.shape, src_shape))):
        raise RuntimeError(f"Expected index {list(idx.shape)} to be no larger than self {list(input.shape)} apart "
                           f"from dimension {d}" + (f" and to be no larger size than src {list(src.shape)}"
                                                    if is_tensor else ""))
    _check_range(idx, input.shape[d], d)
    return ops.Scatter.apply(input, src, d, idx, add=add)


@op(inplace=True)
def scatter(input, dim, index, src=None, *, value=None):
    """input with input[i][index[i][j]] = src[i][j] (dim=1); `src` may be a number (`value`).
    Where an index repeats, the last write wins (torch leaves it unspecified)."""
    if src is None and value is None:
        raise TypeError("scatter() missing 1 required positional argument: 'src'")
    return _scatter(input, dim, index, value if src is None else src, add=False)


@op(inplace=True)
def scatter_add(input, dim, index, src):
    return _scatter(input, dim, index, src, add=True)


@op()
def index_select(input, dim, index):
    d = _dim(dim, input.ndim)
    if not isinstance(index, Tensor) or index._data.dtype not in (np.int64, np.int32):
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    idx = index._data.reshape(-1)
    if input.ndim == 0:
        if idx.size != 1:
            raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {idx.size} value(s)")
        return index_select(input.reshape(1), 0, index).reshape(())
    if input.ndim == 1 and idx.size and (idx.min() < 0 or idx.max() >= input.shape[0]):
        raise IndexError("index out of range in self")   # torch's 1-D path raises its own error
    _check_range(idx, input.shape[d], d, "INDICES element is out of DATA bounds, id={v} axis_dim={size}")
    return ops.IndexSelect.apply(input, d, idx)


# ***** sorting *****

@op()
def sort(input, dim=-1, descending=False, stable=False):
    """(values, indices) along dim; NaN sorts as the largest value. Always stable (see above)."""
    d = _dim(dim, input.ndim)
    if input.ndim == 0:
        values, indices = sort(input.reshape(1), 0, descending)
        return sort_result(values.reshape(()), indices.reshape(()))
    return sort_result(*ops.SortAlong.apply(input, d, descending))


@op()
def argsort(input, dim=-1, descending=False, stable=False):
    d = _dim(dim, input.ndim)
    if input.ndim == 0:
        return Tensor._wrap(np.zeros((), dtype=np.int64))
    return Tensor._wrap(_argsort_array(input._data, d, descending).astype(np.int64, copy=False))


@op()
def topk(input, k, dim=None, largest=True, sorted=True):
    """The k largest (or smallest) along dim (default: the last) as (values, indices), always in
    sorted order (torch leaves the order open for sorted=False). Ties go to the lower index."""
    d = _dim(-1 if dim is None else dim, input.ndim)
    if not 0 <= k <= (input.shape[d] if input.ndim else 1):
        raise RuntimeError("selected index k out of range")
    if input.ndim == 0:
        values, indices = topk(input.reshape(1), k, 0, largest)
        return topk_result(values.reshape(()), indices.reshape(())) if k else topk_result(values, indices)
    return topk_result(*ops.SortAlong.apply(input, d, largest, k))


# ***** reordering copies *****

@op(method=False)
def flip(input, dims):
    axes = distinct_dims(dims, input.ndim)
    return ops.Clone.apply(input) if input.ndim == 0 else ops.Flip.apply(input, axes)


@method("flip")
def flip_method(self, *dims):
    return flip(self, sizes_arg(dims, "flip", "dims"))


@op()
def roll(input, shifts, dims=None):
    shifts = int_tuple(shifts, "roll", "shifts")
    given = () if dims is None else int_tuple(dims, "roll", "dims")
    if len(shifts) != (1 if dims is None else len(given)):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(given)}")
    axes = None if dims is None else tuple(_dim(a, input.ndim) for a in given)
    return ops.Roll.apply(input, shifts, axes)


def _triangle(input, diagonal, upper):
    if input.ndim < 2:
        raise RuntimeError(f"{'triu' if upper else 'tril'}: input tensor must have at least 2 dimensions")
    return ops.Triangle.apply(input, diagonal, upper)


@op(inplace=True)
def tril(input, diagonal=0):
    return _triangle(input, diagonal, upper=False)


@op(inplace=True)
def triu(input, diagonal=0):
    return _triangle(input, diagonal, upper=True)
