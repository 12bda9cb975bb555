"""Comparisons and tests of values (eq lt isnan allclose ...): plain bool results, never part of a
graph. The operators `==`, `<`, ... in tensor.py call these."""
import numpy as np

from ..tensor import Tensor, _dtype_name
from ._bind import op
from ._operands import SCALARS, broadcast_error, check_tensor, type_error


def _compare(ufunc, input, other, name, numbers=True):
    check_tensor(input, name)
    if isinstance(other, Tensor):
        other = other._data
    elif not (numbers and isinstance(other, SCALARS)):
        raise type_error(name, "other", 2, other)
    try:
        return Tensor._wrap(ufunc(input._data, other))
    except ValueError:
        raise broadcast_error(input._data.shape, np.shape(other)) from None


def _comparison(ufunc, *names):
    def compare(input, other):
        return _compare(ufunc, input, other, names[0])
    compare.__name__ = compare.__qualname__ = names[0]
    compare.__module__ = __name__
    return op(*names)(compare)


eq = _comparison(np.equal, "eq")
ne = _comparison(np.not_equal, "ne", "not_equal")
lt = _comparison(np.less, "lt", "less")
le = _comparison(np.less_equal, "le", "less_equal")
gt = _comparison(np.greater, "gt", "greater")
ge = _comparison(np.greater_equal, "ge", "greater_equal")


# ***** tests of values *****

@op()
def isnan(input):
    return Tensor._wrap(np.isnan(check_tensor(input, "isnan")._data))


@op()
def isinf(input):
    return Tensor._wrap(np.isinf(check_tensor(input, "isinf")._data))


@op()
def isfinite(input):
    return Tensor._wrap(np.isfinite(check_tensor(input, "isfinite")._data))


def _close_pair(input, other, name):
    check_tensor(input, name)
    check_tensor(other, name, "other", 2)
    a, b = input._data, other._data
    if a.dtype != b.dtype:
        raise RuntimeError(f"{_dtype_name(a.dtype)} did not match {_dtype_name(b.dtype)}")
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise broadcast_error(a.shape, b.shape) from None
    return a, b


@op()
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|input - other| <= atol + rtol * |other|, element-wise (infinities of one sign are close)."""
    a, b = _close_pair(input, other, "isclose")
    return Tensor._wrap(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


@op()
def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """isclose everywhere, as a Python bool."""
    a, b = _close_pair(input, other, "allclose")
    return bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


@op()
def equal(input, other):
    """True if both have the same shape and the same values (dtypes may differ), as a Python bool."""
    check_tensor(input, "equal")
    check_tensor(other, "equal", "other", 2)
    return input._data.shape == other._data.shape and bool(np.array_equal(input._data, other._data))


# ***** logic: any dtype, non-zero is True *****

@op(inplace=True)
def logical_and(input, other):
    return _compare(np.logical_and, input, other, "logical_and", numbers=False)


@op(inplace=True)
def logical_or(input, other):
    return _compare(np.logical_or, input, other, "logical_or", numbers=False)


@op(inplace=True)
def logical_xor(input, other):
    return _compare(np.logical_xor, input, other, "logical_xor", numbers=False)


@op(inplace=True)
def logical_not(input):
    return Tensor._wrap(np.logical_not(check_tensor(input, "logical_not")._data))


# ***** bitwise: integers and bools (for bools the same as logical; `~mask`, `a & b`) *****

def _bitwise(ufunc, input, other, name):
    dtypes = [check_tensor(input, name)._data.dtype]
    if other is not None:
        dtypes.append(other._data.dtype if isinstance(other, Tensor) else np.asarray(other).dtype)
    for dtype in dtypes:
        if dtype.kind not in "biu":
            raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{_dtype_name(dtype)}'")
    if other is None:
        return Tensor._wrap(ufunc(input._data))
    return _compare(ufunc, input, other, name)


@op(inplace=True)
def bitwise_not(input):
    return _bitwise(np.invert, input, None, "bitwise_not")


@op(inplace=True)
def bitwise_and(input, other):
    return _bitwise(np.bitwise_and, input, other, "bitwise_and")


@op(inplace=True)
def bitwise_or(input, other):
    return _bitwise(np.bitwise_or, input, other, "bitwise_or")


@op(inplace=True)
def bitwise_xor(input, other):
    return _bitwise(np.bitwise_xor, input, other, "bitwise_xor")
