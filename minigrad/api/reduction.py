"""Reductions (sum mean prod std var norm max min ... cumsum): dim/keepdim as PyTorch.

`dim` is an int, a tuple of ints, or None (and, as in torch, an empty tuple) for every dim.
Integer and bool inputs of sum/prod/cumsum/cumprod give int64, as torch.
"""
import builtins
from collections import namedtuple

import numpy as np

from .. import ops
from ..ops.reduce import normalize_dim, normalize_dims
from ..tensor import Tensor, _dtype_name
from ._bind import FUNCTIONS, op
from ._operands import floating

# (values, indices) from max(dim)/min(dim)/median(dim), like torch.return_types.max
MinMaxResult = namedtuple("MinMaxResult", ["values", "indices"])


def _dims(dim, ndim):
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return tuple(range(ndim))
    return normalize_dims(dim, ndim)


def _one_dim(name, dim, ndim):
    if isinstance(dim, builtins.bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")
    return normalize_dim(dim, ndim)


def _accumulating(input, dtype):
    """The input a sum-like op works on: cast to `dtype` if given (torch casts before the op);
    integers and bools accumulate in int64."""
    if dtype is not None:
        return input.to(dtype)
    if input._data.dtype.kind in "biu" and input._data.dtype != np.int64:
        return Tensor._wrap(input._data.astype(np.int64))
    return input


def _require_float(name, input):
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"{name}(): could not infer output dtype. Input dtype must be either a floating "
                           f"point or complex dtype. Got: {_dtype_name(input._data.dtype)}")


def _check_nonempty(name, input, axes):
    if input._data.size == 0:
        if len(axes) == input.ndim:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                               f"Specify the reduction dim with the 'dim' argument.")
        for a in axes:
            if input.shape[a] == 0:
                raise IndexError(f"{name}(): Expected reduction dim {a} to have non-zero size.")


# ***** sums and moments *****

@op()
def sum(input, dim=None, keepdim=False, *, dtype=None):
    x = _accumulating(input, dtype) if dtype is not None or input._data.dtype.kind in "biu" else input
    return ops.Sum.apply(x, _dims(dim, x.ndim), keepdim=keepdim)


@op()
def mean(input, dim=None, keepdim=False, *, dtype=None):
    x = input if dtype is None else input.to(dtype)
    _require_float("mean", x)
    return ops.Mean.apply(x, _dims(dim, x.ndim), keepdim=keepdim)


@op()
def prod(input, dim=None, keepdim=False, *, dtype=None):
    x = _accumulating(input, dtype)
    return ops.Prod.apply(x, None if dim is None else _one_dim("prod", dim, x.ndim), keepdim=keepdim)


def _moments(name, input, dim, unbiased, keepdim, correction, take_sqrt):
    if isinstance(dim, builtins.bool):       # std(x, False): the legacy (input, unbiased) form
        dim, unbiased = None, dim
    if unbiased is not None:
        if correction is not None:
            raise TypeError(f"{name}() received an invalid combination of arguments: unbiased and correction "
                            f"cannot both be given")
        correction = 1 if unbiased else 0
    if input._data.dtype.kind != "f":
        raise RuntimeError("std and var only support floating point and complex dtypes")
    return ops.Var.apply(input, _dims(dim, input.ndim), 1 if correction is None else correction,
                         keepdim=keepdim, take_sqrt=take_sqrt)


@op()
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """torch.var: divides by N - correction (1 by default; unbiased=False means 0)."""
    return _moments("var", input, dim, unbiased, keepdim, correction, False)


@op()
def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _moments("std", input, dim, unbiased, keepdim, correction, True)


@op()
def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """Vector p-norm over `dim` (all dims by default); 'fro' is the 2-norm."""
    if out is not None:
        raise NotImplementedError("norm(): out= is not supported by minigrad")
    x = input if dtype is None else input.to(dtype)
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. "
                           f"Got {_dtype_name(x._data.dtype)}")
    if isinstance(p, str):
        if p == "nuc":
            raise NotImplementedError("norm(p='nuc') is not supported by minigrad")
        if p != "fro":
            raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
        if dim is not None and not isinstance(dim, (int, np.integer)) and len(dim) not in (0, 2):
            raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dim))}")
        p = 2
    elif p is None:
        p = 2
    return ops.Norm.apply(x, float(p), _dims(dim, x.ndim), keepdim=keepdim)


@op()
def logsumexp(input, dim, keepdim=False):
    x = floating(input, "logsumexp")
    return ops.LogSumExp.apply(x, _dims(dim, x.ndim), keepdim=keepdim)


# ***** extremes *****

def _extreme(name, input, dim, keepdim, all_op, dim_op):
    """max()/min()/median(): no dim -> a 0-d tensor; an int dim -> (values, indices)."""
    if dim is None:
        _check_nonempty(name, input, tuple(range(input.ndim)))
        return all_op.apply(input, tuple(range(input.ndim)))
    d = _one_dim(name, dim, input.ndim)
    _check_nonempty(name, input, (d,))
    return MinMaxResult(*dim_op.apply(input, d, keepdim=keepdim))


@op()
def max(input, dim=None, keepdim=False):
    """max(input) -> the largest value; max(input, dim) -> (values, indices); max(input, other)
    -> the element-wise maximum."""
    if isinstance(dim, Tensor):
        return FUNCTIONS["maximum"](input, dim)
    return _extreme("max", input, dim, keepdim, ops.Amax, ops.MaxDim)


@op()
def min(input, dim=None, keepdim=False):
    if isinstance(dim, Tensor):
        return FUNCTIONS["minimum"](input, dim)
    return _extreme("min", input, dim, keepdim, ops.Amin, ops.MinDim)


@op()
def median(input, dim=None, keepdim=False):
    """The lower of the two middle values (torch's median, not NumPy's average)."""
    if dim is None and input._data.size == 0:
        return Tensor._wrap(np.array(np.nan, dtype=input._data.dtype))
    return _extreme("median", input, dim, keepdim, ops.MedianAll, ops.MedianDim)


def _amax_amin(name, fn, input, dim, keepdim):
    axes = _dims(dim, input.ndim)
    _check_nonempty(name, input, axes)
    return fn.apply(input, axes, keepdim=keepdim)


@op()
def amax(input, dim=None, keepdim=False):
    """The largest value over `dim`; ties share the gradient evenly (max(dim) gives it to one)."""
    return _amax_amin("amax", ops.Amax, input, dim, keepdim)


@op()
def amin(input, dim=None, keepdim=False):
    return _amax_amin("amin", ops.Amin, input, dim, keepdim)


def _arg(name, fn, input, dim, keepdim):
    if input._data.size == 0 and dim is None:
        raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
    d = None if dim is None else _one_dim(name, dim, input.ndim)
    if d is not None and input.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    return Tensor._wrap(np.asarray(fn(input._data, axis=d, keepdims=keepdim), dtype=np.int64))


@op()
def argmax(input, dim=None, keepdim=False):
    return _arg("argmax", np.argmax, input, dim, keepdim)


@op()
def argmin(input, dim=None, keepdim=False):
    return _arg("argmin", np.argmin, input, dim, keepdim)


# ***** logical (bool results, no graph) *****

@op()
def all(input, dim=None, keepdim=False):
    return Tensor._wrap(np.asarray(np.all(input._data, axis=_dims(dim, input.ndim), keepdims=keepdim)))


@op()
def any(input, dim=None, keepdim=False):
    return Tensor._wrap(np.asarray(np.any(input._data, axis=_dims(dim, input.ndim), keepdims=keepdim)))


# ***** cumulative *****

def _cumulative(name, fn, input, dim, dtype):
    x = _accumulating(input, dtype)
    d = _one_dim(name, dim, x.ndim)
    return fn.apply(x, d) if x.ndim else x.clone()


@op()
def cumsum(input, dim, *, dtype=None):
    return _cumulative("cumsum", ops.Cumsum, input, dim, dtype)


@op()
def cumprod(input, dim, *, dtype=None):
    """Its gradient is exact also where the input holds zeros (see ops.Cumprod)."""
    return _cumulative("cumprod", ops.Cumprod, input, dim, dtype)
