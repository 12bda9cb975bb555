"""Operands of element-wise ops: type checks and torch's dtype promotion, shared by pointwise.py
and comparison.py.

Promotion (torch's rules, with one deliberate exception):
- categories bool < integer < float; the higher category wins; a Python number only widens a
  tensor of a lower category (int tensor + 2.5 -> float32, float64 tensor + 2.5 -> float64);
- a 0-d tensor does not widen a dimensioned tensor of the same category (float32 * 0-d float64
  -> float32);
- NOTE: float32 meeting float64, both dimensioned, is an error rather than torch's silent upcast
  (DESIGN.md: no silent float64 network).
"""
import numpy as np

from .. import _dtype, ops
from ..tensor import Tensor, _dtype_name

_RANK = {"b": 0, "i": 1, "u": 1, "f": 2}
# concrete types, so the isinstance check on the hot path stays cheap
SCALARS = (float, int, np.generic, np.ndarray)


def type_error(fn_name, arg, position, value):
    return TypeError(f"{fn_name}(): argument '{arg}' (position {position}) must be Tensor, "
                     f"not {type(value).__name__}")


def check_tensor(value, fn_name, arg="input", position=1):
    if not isinstance(value, Tensor):
        raise type_error(fn_name, arg, position, value)
    return value


def floating(input, fn_name):
    """input as a float tensor: the ops torch computes in float take int and bool tensors in the
    default dtype (float32 unless set_default_dtype changed it)."""
    if not isinstance(input, Tensor):
        raise type_error(fn_name, "input", 1, input)
    if input._data.dtype.kind == "f":
        return input
    return Tensor._wrap(input._data.astype(_dtype.get_default_dtype().dtype))


def cast(t, dtype):
    return t if t._data.dtype == dtype else ops.Cast.apply(t, dtype)


def operands(t, other, fn_name, arg="other", position=2):
    """(t, other) converted to one dtype; t is a Tensor, other a Tensor, number or array
    (returned as an array)."""
    dt = t._data.dtype
    if isinstance(other, Tensor):
        if other._data.dtype == dt:
            return t, other
        return _promote_tensors(t, other)
    if isinstance(other, SCALARS):
        if dt.kind == "f":
            return t, np.asarray(other, dtype=dt)
        return _promote_scalar(t, other)
    raise type_error(fn_name, arg, position, other)


def _promote_scalar(t, value):
    dt = t._data.dtype
    arr = np.asarray(value)
    if _RANK.get(arr.dtype.kind, 3) <= _RANK[dt.kind]:
        return t, arr.astype(dt)
    if arr.dtype.kind == "f":
        # a Python float is torch's default dtype; a NumPy array keeps its own
        dtype = arr.dtype if isinstance(value, np.ndarray) else _dtype.get_default_dtype().dtype
    else:
        dtype = np.dtype(np.int64)
    return cast(t, dtype), arr.astype(dtype)


def _promote_tensors(a, b):
    da, db = a._data.dtype, b._data.dtype
    ra, rb = _RANK[da.kind], _RANK[db.kind]
    if ra != rb:
        dtype = da if ra > rb else db
    elif (a._data.ndim == 0) != (b._data.ndim == 0):
        dtype = db if a._data.ndim == 0 else da
    elif ra == 2:
        raise RuntimeError(f"expected both operands to have the same dtype, but got {_dtype_name(da)} "
                           f"and {_dtype_name(db)} (convert one with .float() or .double())")
    else:
        dtype = np.promote_types(da, db)
    return cast(a, dtype), cast(b, dtype)


def broadcast_error(shape_a, shape_b):
    """torch's message for shapes that do not broadcast (naming the first dim, from the right),
    followed by both shapes."""
    n = max(len(shape_a), len(shape_b))
    a = (1,) * (n - len(shape_a)) + tuple(shape_a)
    b = (1,) * (n - len(shape_b)) + tuple(shape_b)
    for dim in reversed(range(n)):
        if a[dim] != b[dim] and a[dim] != 1 and b[dim] != 1:
            return RuntimeError(f"The size of tensor a ({a[dim]}) must match the size of tensor b ({b[dim]}) "
                                f"at non-singleton dimension {dim} (shapes {tuple(shape_a)} and {tuple(shape_b)})")
    return RuntimeError(f"shapes {tuple(shape_a)} and {tuple(shape_b)} cannot be broadcast together")


def apply_binary(fn, a, b, *args):
    """fn.apply(a, b, *args), with NumPy's broadcast ValueError turned into torch's RuntimeError."""
    try:
        return fn.apply(a, b, *args)
    except ValueError as exc:
        if "broadcast" not in str(exc):
            raise RuntimeError(str(exc)) from None
        raise broadcast_error(np.shape(a), np.shape(b)) from None
