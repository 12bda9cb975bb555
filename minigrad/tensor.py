"""Tensor: one NumPy array (`.data`) plus what autograd needs (`grad`, `requires_grad`, `grad_fn`).

Methods are one-liners onto an op's Function.apply (minigrad/ops); argument checks that users
can get wrong live here, before the op runs.
"""
import numpy as np

from . import ops
from .autograd import engine, grad_mode
from .ops.reduce import normalize_dims

_FLOATS = (np.float32, np.float64)
_COMPARABLE = (float, int, np.generic, np.ndarray)   # and Tensor, added below the class


def _dtype_name(dt):
    return {np.dtype(np.float32): "Float", np.dtype(np.float64): "Double", np.dtype(np.int64): "Long",
            np.dtype(np.int32): "Int", np.dtype(np.bool_): "Bool"}.get(np.dtype(dt), str(dt))


class Tensor:
    __slots__ = ("_data", "grad", "requires_grad", "_ctx", "_out_idx", "_version", "_hooks", "__weakref__")
    __array_priority__ = 1000   # so ndarray <op> Tensor defers to Tensor's reflected operators

    def __init__(self, data, dtype=None, requires_grad=False):
        if isinstance(data, Tensor):
            data = data._data
        arr = np.array(data, dtype=dtype, copy=True)
        if dtype is None:
            if arr.dtype.kind == "f" and arr.dtype != np.float64:
                arr = arr.astype(np.float32)
            elif arr.dtype.kind == "f" and not isinstance(data, np.ndarray):
                arr = arr.astype(np.float32)   # Python floats -> float32, like torch's default dtype
            elif arr.dtype.kind in "iu":
                arr = arr.astype(np.int64)
        self._init(arr, requires_grad)

    def _init(self, arr, requires_grad=False, ctx=None, idx=0):
        self._data = arr
        self.grad = None
        self._ctx = ctx
        self._out_idx = idx
        self._version = [0]
        self._hooks = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)
        elif ctx is not None:
            self.requires_grad = True

    @classmethod
    def _wrap(cls, arr, ctx=None, idx=0):
        """Make a Tensor around an existing array without copying (the hot path of every op)."""
        t = object.__new__(Tensor)
        t._init(arr if isinstance(arr, np.ndarray) else np.asarray(arr), False, ctx, idx)
        return t

    # ***** properties *****
    @property
    def data(self):
        """This tensor's values as a new Tensor over the same memory, cut from the graph. As in
        PyTorch its version counter is its own, so in-place changes through it are not seen by
        autograd (old-style `p.data.add_(...)` updates)."""
        return Tensor._wrap(self._data)

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(value).__name__}")
        self._data = value._data

    shape = property(lambda self: self._data.shape)
    dtype = property(lambda self: self._data.dtype)
    ndim = property(lambda self: self._data.ndim)
    grad_fn = property(lambda self: self._ctx)
    is_leaf = property(lambda self: self._ctx is None)
    T = property(lambda self: self.permute(*reversed(range(self.ndim))))

    def size(self, dim=None):
        return self._data.shape if dim is None else self._data.shape[normalize_dims(dim, self.ndim)[0]]

    def dim(self):
        return self._data.ndim

    def numel(self):
        return self._data.size

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    # ***** conversion *****
    def numpy(self):
        if self.requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        return self._data if dtype is None else self._data.astype(dtype, copy=False)

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(-1)[0].item()

    def tolist(self):
        return self._data.tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._data.reshape(-1)[0])

    def __repr__(self):
        body = np.array2string(self._data, separator=", ", prefix="tensor(", precision=4,
                               floatmode="maxprec_equal" if self.dtype.kind == "f" else "maxprec")
        if self._data.size == 0:
            body = f"[], size={self.shape}"
        extra = ""
        if self.dtype == np.float64:
            extra += ", dtype=minigrad.float64"
        elif self.dtype == np.bool_:
            extra += ", dtype=minigrad.bool"
        if self._ctx is not None:
            extra += f", grad_fn=<{self._ctx.name()}>"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    def to(self, dtype):
        return self if self.dtype == np.dtype(dtype) else ops.Cast.apply(self, np.dtype(dtype))

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    def long(self):
        return Tensor._wrap(self._data.astype(np.int64))

    # ***** autograd *****
    def requires_grad_(self, requires_grad=True):
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables.")
        self.requires_grad = bool(requires_grad)
        return self

    def backward(self, gradient=None, retain_graph=False):
        """Accumulate d(self)/d(leaf) * gradient into every leaf's .grad."""
        engine.run_backward(self, gradient, retain_graph)

    def detach(self):
        """A tensor sharing this one's data, cut from the graph."""
        t = Tensor._wrap(self._data)
        t._version = self._version
        return t

    def register_hook(self, hook):
        """hook(grad) -> None or a replacement gradient; called when this tensor's gradient is computed."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._ctx is None:
            self._hooks = (self._hooks or []) + [hook]
            return _HookHandle(self, hook, None)
        self._ctx._hooks = (self._ctx._hooks or []) + [(self._out_idx, hook)]
        return _HookHandle(self._ctx, (self._out_idx, hook), "ctx")

    @property
    def _version_number(self):
        return self._version[0]

    # ***** operators: each calls its one definition in minigrad/api (pointwise, comparison) *****
    def __add__(self, o): return self.add(o)
    def __radd__(self, o): return Tensor.add(o, self)
    def __sub__(self, o): return self.sub(o)
    def __rsub__(self, o): return Tensor.sub(o, self)
    def __mul__(self, o): return self.mul(o)
    def __rmul__(self, o): return Tensor.mul(o, self)
    def __truediv__(self, o): return self.div(o)
    def __rtruediv__(self, o): return Tensor.div(o, self)
    def __floordiv__(self, o): return self.floor_divide(o)
    def __rfloordiv__(self, o): return Tensor.floor_divide(o, self)
    def __mod__(self, o): return self.remainder(o)
    def __rmod__(self, o): return Tensor.remainder(o, self)
    def __pow__(self, o): return self.pow(o)
    def __rpow__(self, o): return Tensor.pow(o, self)
    def __neg__(self): return self.neg()
    def __pos__(self): return self.positive()
    def __abs__(self): return self.abs()
    def __matmul__(self, o): return matmul(self, o)
    def __rmatmul__(self, o): return matmul(o, self)
    def __invert__(self):
        if self._data.dtype.kind == "f":
            raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
        return self.bitwise_not()

    def __and__(self, o): return self.bitwise_and(o)
    def __rand__(self, o): return self.bitwise_and(o)
    def __or__(self, o): return self.bitwise_or(o)
    def __ror__(self, o): return self.bitwise_or(o)
    def __xor__(self, o): return self.bitwise_xor(o)
    def __rxor__(self, o): return self.bitwise_xor(o)
    def __iadd__(self, o): return self.add_(o)
    def __isub__(self, o): return self.sub_(o)
    def __imul__(self, o): return self.mul_(o)
    def __itruediv__(self, o): return self.div_(o)

    # comparisons give bool tensors; anything not comparable (None, a string) gives NotImplemented,
    # so `t == None` is False, as in torch
    def __eq__(self, o): return self.eq(o) if isinstance(o, _COMPARABLE) else NotImplemented
    def __ne__(self, o): return self.ne(o) if isinstance(o, _COMPARABLE) else NotImplemented
    def __lt__(self, o): return self.lt(o) if isinstance(o, _COMPARABLE) else NotImplemented
    def __le__(self, o): return self.le(o) if isinstance(o, _COMPARABLE) else NotImplemented
    def __gt__(self, o): return self.gt(o) if isinstance(o, _COMPARABLE) else NotImplemented
    def __ge__(self, o): return self.ge(o) if isinstance(o, _COMPARABLE) else NotImplemented
    __hash__ = object.__hash__

    matmul = __matmul__

    def clone(self): return ops.Clone.apply(self)

    def _write(self, fn):
        """Overwrite data with no autograd (init, zero_, fill_): only allowed where torch allows it."""
        if grad_mode.is_grad_enabled() and self.requires_grad and self._ctx is None:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        fn(self._data)
        self._version[0] += 1
        return self

    def zero_(self): return self._write(lambda a: a.fill(0))
    def fill_(self, value): return self._write(lambda a: a.fill(value))
    def copy_(self, src): return self._write(lambda a: np.copyto(a, np.asarray(src, dtype=a.dtype)))

    def __setitem__(self, index, value):
        index = _index_arrays(index)
        value = value._data if isinstance(value, Tensor) else value
        self._write(lambda a: a.__setitem__(index, value))

    # ***** reductions *****
    def sum(self, dim=None, keepdim=False):
        return ops.Sum.apply(self, normalize_dims(dim, self.ndim), keepdim=keepdim)

    def mean(self, dim=None, keepdim=False):
        if self.dtype.kind != "f":
            raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a floating "
                               f"point or complex dtype. Got: {_dtype_name(self.dtype)}")
        return ops.Mean.apply(self, normalize_dims(dim, self.ndim), keepdim=keepdim)

    def _extreme(self, all_fn, dim_fn, dim, keepdim):
        if self._data.size == 0:
            raise RuntimeError("max(): Expected reduction dim to be specified for input.numel() == 0.")
        if dim is None:
            return all_fn.apply(self)
        d, = normalize_dims(dim, self.ndim)
        return MinMaxResult(*dim_fn.apply(self, d, keepdim=keepdim))

    def max(self, dim=None, keepdim=False):
        """max() -> a scalar tensor; max(dim) -> (values, indices), as torch."""
        return self._extreme(ops.MaxAll, ops.MaxDim, dim, keepdim)

    def min(self, dim=None, keepdim=False):
        return self._extreme(ops.MinAll, ops.MinDim, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        if dim is None:
            return Tensor._wrap(np.asarray(np.argmax(self._data), dtype=np.int64))
        d, = normalize_dims(dim, self.ndim)
        return Tensor._wrap(np.argmax(self._data, axis=d, keepdims=keepdim).astype(np.int64))

    # ***** shape *****
    def reshape(self, *shape):
        shape = _shape_args(shape)
        try:
            out_shape = np.empty(self.shape, dtype=np.bool_).reshape(shape).shape
        except ValueError:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {self._data.size}") from None
        return ops.Reshape.apply(self, out_shape)

    view = reshape

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:
            return self.reshape(1)
        s, e = normalize_dims(start_dim, self.ndim)[0], normalize_dims(end_dim, self.ndim)[0]
        if s > e:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        shape = self.shape[:s] + (int(np.prod(self.shape[s:e + 1])),) + self.shape[e + 1:]
        return ops.Reshape.apply(self, shape)

    def transpose(self, dim0, dim1):
        d0, d1 = (normalize_dims(d, self.ndim)[0] for d in (dim0, dim1))
        return ops.Transpose.apply(self, d0, d1)

    def permute(self, *dims):
        dims = _shape_args(dims)
        if len(dims) != self.ndim:
            raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match "
                               f"the length of the desired ordering of dimensions i.e. input.dim() = {self.ndim} "
                               f"is not equal to len(dims) = {len(dims)}")
        normalize_dims(dims, self.ndim)   # range and repeat checks
        return ops.Permute.apply(self, tuple(d % self.ndim for d in dims) if self.ndim else ())

    def unsqueeze(self, dim):
        d = normalize_dims(dim, self.ndim + 1)[0]
        return ops.Reshape.apply(self, self.shape[:d] + (1,) + self.shape[d:])

    def squeeze(self, dim=None):
        axes = [a for a in normalize_dims(dim, self.ndim) if self.shape[a] == 1]
        return ops.Reshape.apply(self, tuple(n for a, n in enumerate(self.shape) if a not in axes))

    def expand(self, *shape):
        shape = _shape_args(shape)
        lead = len(shape) - self.ndim
        full = tuple(self.shape[i - lead] if (n == -1 and i >= lead) else n for i, n in enumerate(shape))
        try:
            np.broadcast_shapes(self.shape, full)
        except ValueError:
            raise RuntimeError(f"The expanded size of the tensor {full} must match the existing size "
                               f"{self.shape} at non-singleton dimensions") from None
        return ops.Expand.apply(self, full)

    def contiguous(self):
        return self if self._data.flags.c_contiguous else ops.Clone.apply(self)

    def __getitem__(self, index):
        return ops.GetItem.apply(self, _index_arrays(index))

    def __iter__(self):
        return (self[i] for i in range(len(self)))


_COMPARABLE += (Tensor,)


class MinMaxResult(tuple):
    """(values, indices) from max(dim)/min(dim), like torch.return_types.max."""
    def __new__(cls, values, indices):
        return super().__new__(cls, (values, indices))

    values = property(lambda self: self[0])
    indices = property(lambda self: self[1])


class _HookHandle:
    def __init__(self, owner, entry, kind):
        self._owner, self._entry, self._kind = owner, entry, kind

    def remove(self):
        hooks = self._owner._hooks
        if hooks and self._entry in hooks:
            hooks = [h for h in hooks if h is not self._entry]
            self._owner._hooks = hooks or None


def _shape_args(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _index_arrays(index):
    """Tensors inside an index become their arrays."""
    if isinstance(index, Tensor):
        return index._data
    if isinstance(index, tuple):
        return tuple(i._data if isinstance(i, Tensor) else i for i in index)
    return index


# ***** functions over several tensors *****

def _as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def matmul(a, b):
    """numpy.matmul semantics with autograd."""
    a, b = _as_tensor(a), _as_tensor(b)
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D")
    ka = a.shape[-1]
    kb = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if ka != kb:
        raise RuntimeError(f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be multiplied "
                           f"({ka} != {kb})")
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {a.dtype} != {b.dtype}")
    try:
        if a.ndim > 2 or b.ndim > 2:     # (broadcast_shapes costs ~3 us; plain matrices need none)
            np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise RuntimeError(f"matmul: batch dimensions of {tuple(a.shape)} and {tuple(b.shape)} cannot be "
                           f"broadcast") from None
    return ops.MatMul.apply(a, b)


def _check_same(tensors, name):
    if not tensors:
        raise RuntimeError(f"{name}(): expected a non-empty list of Tensors")
    tensors = [_as_tensor(t) for t in tensors]
    dtypes = {t.dtype for t in tensors}
    if len(dtypes) > 1:
        raise RuntimeError(f"{name}(): expected all tensors to have the same dtype, got {sorted(map(str, dtypes))}")
    return tensors


def cat(tensors, dim=0):
    tensors = _check_same(list(tensors), "cat")
    d = normalize_dims(dim, tensors[0].ndim)[0]
    ref = tensors[0].shape
    for i, t in enumerate(tensors):
        if t.ndim != len(ref) or any(t.shape[k] != ref[k] for k in range(len(ref)) if k != d):
            raise RuntimeError(f"cat(): Sizes of tensors must match except in dimension {d}. Expected shape "
                               f"{tuple(ref)} (except dim {d}) but got {tuple(t.shape)} for tensor number {i}")
    return ops.Cat.apply(*tensors, dim=d)


def stack(tensors, dim=0):
    tensors = _check_same(list(tensors), "stack")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {tuple(tensors[0].shape)} at "
                               f"entry 0 and {tuple(t.shape)} at entry {i}")
    d = normalize_dims(dim, tensors[0].ndim + 1)[0]
    return ops.Stack.apply(*tensors, dim=d)


__all__ = ["Tensor", "matmul", "cat", "stack"]

# The autograd modules need the Tensor class but are imported before it exists. (sys.modules,
# because `minigrad.autograd.gradcheck` the attribute is the function, not the module.)
import sys as _sys  # noqa: E402

for _name in ("engine", "function", "gradcheck"):
    _sys.modules[f"{__package__}.autograd.{_name}"].Tensor = Tensor
