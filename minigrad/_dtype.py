"""minigrad.dtype: PyTorch's dtype objects over NumPy's.

`minigrad.float32` prints as `minigrad.float32` (torch's style) but stays a drop-in NumPy dtype
for the code underneath: it compares and hashes equal to `np.dtype("float32")`, forwards NumPy's
attributes (`.kind`, `.name`, `.char`) and NumPy accepts it wherever a dtype is expected through
its `.dtype` attribute (`np.zeros(2, dtype=minigrad.float32)`).
"""
import builtins

import numpy as np


class dtype:
    __slots__ = ("_name", "dtype", "is_floating_point", "is_signed", "is_complex", "itemsize", "_legacy")

    def __init__(self, name, np_dtype, legacy):
        self._name = name
        self.dtype = np.dtype(np_dtype)          # the NumPy dtype, found by NumPy as `.dtype`
        self.is_floating_point = self.dtype.kind == "f"
        self.is_signed = self.dtype.kind in "fi"
        self.is_complex = False
        self.itemsize = self.dtype.itemsize
        self._legacy = legacy                    # "Float" as in torch.FloatTensor

    def __repr__(self):
        return f"minigrad.{self._name}"

    __str__ = __repr__

    def __eq__(self, other):
        if isinstance(other, dtype):
            return self is other
        if isinstance(other, np.dtype) or (isinstance(other, type) and issubclass(other, np.generic)):
            return self.dtype == other
        return NotImplemented

    def __hash__(self):
        return hash(self.dtype)   # so dicts keyed by NumPy dtypes find it

    @property
    def __numpy_dtype__(self):   # NumPy 2's protocol: found at once, where `.dtype` alone costs ~5 us
        return self.dtype

    def __getattr__(self, name):   # only reached for names not defined above: NumPy's
        if name.startswith("__"):   # protocol probes fail fast
            raise AttributeError(name)
        return getattr(self.dtype, name)

    def __reduce__(self):
        return (_by_name, (self._name,))

    def to_real(self):
        return self

    def to_complex(self):
        raise RuntimeError(f"minigrad has no complex dtypes (got {self})")


float32 = dtype("float32", np.float32, "Float")
float64 = dtype("float64", np.float64, "Double")
float16 = dtype("float16", np.float16, "Half")
int64 = dtype("int64", np.int64, "Long")
int32 = dtype("int32", np.int32, "Int")
int16 = dtype("int16", np.int16, "Short")
int8 = dtype("int8", np.int8, "Char")
uint8 = dtype("uint8", np.uint8, "Byte")
bool = dtype("bool", np.bool_, "Bool")
float, double, half, long, int, short = float32, float64, float16, int64, int32, int16

DTYPES = (float32, float64, float16, int64, int32, int16, int8, uint8, bool)
_BY_NP = {d.dtype: d for d in DTYPES}
_BY_LEGACY = {d._legacy + "Tensor": d for d in DTYPES}
# Python's own types as torch reads them (dtype=float is float64, as in NumPy and torch)
_PYTHON = {builtins.float: float64, builtins.int: int64, builtins.bool: bool}
_UNSUPPORTED = (float16,)

__all__ = ["dtype", "float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool",
           "float", "double", "half", "long", "int", "short", "get_default_dtype", "set_default_dtype",
           "is_floating_point"]


def _by_name(name):
    return globals()[name]


def legacy_name(np_dtype):
    """torch's word for a dtype in messages ("Float", "Long"); NumPy's name for the others."""
    d = _BY_NP.get(np.dtype(np_dtype))
    return str(np.dtype(np_dtype)) if d is None else d._legacy


def from_numpy_dtype(np_dtype):
    """The minigrad dtype of an array (NumPy's own dtype for the few minigrad does not name)."""
    return _BY_NP.get(np_dtype, np_dtype)


def as_dtype(d):
    """Anything a user passes as `dtype=` (minigrad dtype, NumPy dtype or type, Python type,
    "FloatTensor"-style name) -> the minigrad dtype. Refuses the dtypes minigrad cannot compute in."""
    if isinstance(d, dtype):
        out = d
    elif d in _PYTHON:
        out = _PYTHON[d]
    elif isinstance(d, builtins.str) and d.rsplit(".", 1)[-1] in _BY_LEGACY:
        out = _BY_LEGACY[d.rsplit(".", 1)[-1]]
    else:
        try:
            out = _BY_NP[np.dtype(d)]
        except (TypeError, KeyError):
            raise TypeError(f"dtype must be a minigrad.dtype (e.g. minigrad.float32), got {d!r}") from None
    if out in _UNSUPPORTED:
        raise TypeError(f"minigrad supports float32 and float64 floating point tensors only, not {out}")
    return out


def np_dtype(d, default=None):
    """`dtype=` argument -> NumPy dtype; None -> `default` (the default dtype when not given)."""
    if d is None:
        return (default or _default).dtype
    return as_dtype(d).dtype


# ***** default dtype (process-wide, as in torch) *****
_default = float32


def get_default_dtype():
    return _default


def set_default_dtype(d):
    """The dtype of Python floats and of factories without `dtype=`: float32 or float64."""
    global _default
    d = as_dtype(d)
    if not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _default = d


def is_floating_point(input):
    return input._data.dtype.kind == "f"


def legacy_type_name(d):
    """'minigrad.FloatTensor' for float32, as torch's x.type()."""
    return f"minigrad.{d._legacy}Tensor"
