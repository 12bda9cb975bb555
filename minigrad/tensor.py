"""Tensor: one NumPy array (`.data`) plus what autograd needs (`grad`, `requires_grad`, `grad_fn`).

Methods are one-liners onto an op's Function.apply (minigrad/ops); argument checks that users
can get wrong live here, before the op runs.
"""
import weakref

import numpy as np

from . import _device, _dtype, ops
from ._size import Size
from ._tensor_str import tensor_repr
from .autograd import engine, grad_mode
from .autograd.function import check_inplace
from .ops.movement import _is_advanced
from .ops.reduce import normalize_dim

_COMPARABLE = (float, int, np.generic, np.ndarray)   # and Tensor, added below the class


_dtype_name = _dtype.legacy_name


class Tensor:
    __slots__ = ("_data", "grad", "requires_grad", "_ctx", "_out_idx", "_version", "_hooks", "_inference",
                 "__weakref__")
    __array_priority__ = 1000   # so ndarray <op> Tensor defers to Tensor's reflected operators

    def __init__(self, *args, dtype=None, device=None, requires_grad=False):
        """torch.Tensor's legacy constructor: `Tensor(2, 3)` (uninitialised, of that size),
        `Tensor([1, 2])` (the data in the default dtype, float32), `Tensor(t)` (same memory).
        Prefer `minigrad.tensor(data)`, which infers the dtype. `dtype=`/`requires_grad=` are
        minigrad's additions."""
        _device.as_device(device)
        dt = _dtype.np_dtype(dtype)
        if len(args) == 1 and isinstance(args[0], Tensor):
            arr = args[0]._data if dtype is None else args[0]._data.astype(dt, copy=False)
        elif not args:
            arr = np.empty((0,), dt)
        elif all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in args):
            arr = np.empty(args, dt)
        elif len(args) == 1 and isinstance(args[0], Size):
            arr = np.empty(tuple(args[0]), dt)
        elif len(args) == 1 and isinstance(args[0], (list, tuple, np.ndarray)):
            arr = np.array(_unwrap(args[0]), dtype=dt)
        else:
            raise TypeError(f"new(): data must be a sequence (got {', '.join(type(a).__name__ for a in args)})")
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

    shape = property(lambda self: Size(self._data.shape))
    dtype = property(lambda self: _dtype.from_numpy_dtype(self._data.dtype))
    device = property(lambda self: _device.CPU)
    is_cuda = property(lambda self: False)
    is_cpu = property(lambda self: True)
    ndim = property(lambda self: self._data.ndim)
    grad_fn = property(lambda self: self._ctx)
    is_leaf = property(lambda self: self._ctx is None)
    T = property(lambda self: self.permute(*reversed(range(self.ndim))))

    def size(self, dim=None):
        return Size(self._data.shape) if dim is None else self._data.shape[normalize_dim(dim, self.ndim)]

    def dim(self):
        return self._data.ndim

    ndimension = dim

    def numel(self):
        return self._data.size

    nelement = numel

    def element_size(self):
        return self._data.itemsize

    def stride(self, dim=None):
        """Steps between neighbours along each dim, in elements (NumPy counts bytes)."""
        steps = tuple(s // self._data.itemsize for s in self._data.strides)
        return steps if dim is None else steps[normalize_dim(dim, self.ndim)]

    def data_ptr(self):
        return self._data.__array_interface__["data"][0]

    def storage_offset(self):
        """Elements between the start of the memory this tensor views and its first element."""
        base = self._data
        while isinstance(base.base, np.ndarray):
            base = base.base
        return (self.data_ptr() - base.__array_interface__["data"][0]) // self._data.itemsize

    def is_floating_point(self):
        return self._data.dtype.kind == "f"

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    # ***** conversion *****
    def numpy(self, *, force=False):
        """The array itself (same memory). `force=True` also works on a tensor that requires grad."""
        if self.requires_grad and not force:
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

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._data.reshape(-1)[0])

    def __format__(self, format_spec):
        """As torch: a one-element tensor formats its value (f"{loss:.3f}"); others print whole."""
        if self._data.size == 1 and self.ndim == 0:
            return format(self.item(), format_spec)
        if format_spec:
            raise TypeError("unsupported format string passed to Tensor.__format__")
        return str(self)

    def __repr__(self):
        return tensor_repr(self, _dtype.get_default_dtype())

    def to(self, *args, **kwargs):
        """to(dtype) / to(device, dtype=None) / to(other) / to(device=, dtype=, copy=False):
        self when nothing changes (as torch), else a converted tensor that autograd follows."""
        dtype, copy = _parse_to(args, kwargs)
        if dtype is not None and dtype != self._data.dtype:
            if dtype.kind != "f":   # integer results are outside autograd, as in torch
                return Tensor._wrap(self._data.astype(dtype))
            return ops.Cast.apply(self, dtype)
        return self.clone() if copy else self

    def type(self, dtype=None, non_blocking=False):
        """No argument: the legacy type name ('minigrad.FloatTensor'); else `to(dtype)`."""
        if dtype is None:
            return _dtype.legacy_type_name(self.dtype)
        return self.to(_dtype.as_dtype(dtype))

    def cpu(self, memory_format=None):
        return self

    def cuda(self, device=None, non_blocking=False, memory_format=None):
        raise RuntimeError("minigrad runs on the CPU only: there is no CUDA device "
                           "(minigrad.cuda.is_available() is False)")

    def float(self, memory_format=None):
        return self.to(_dtype.float32)

    def double(self, memory_format=None):
        return self.to(_dtype.float64)

    def half(self, memory_format=None):
        return self.to(_dtype.float16)

    def long(self, memory_format=None):
        return self.to(_dtype.int64)

    def int(self, memory_format=None):
        return self.to(_dtype.int32)

    def short(self, memory_format=None):
        return self.to(_dtype.int16)

    def char(self, memory_format=None):
        return self.to(_dtype.int8)

    def byte(self, memory_format=None):
        return self.to(_dtype.uint8)

    def bool(self, memory_format=None):
        return self.to(_dtype.bool)

    # ***** autograd *****
    def requires_grad_(self, requires_grad=True):
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables.")
        self.requires_grad = bool(requires_grad)
        return self

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) * gradient into every leaf's .grad (only `inputs`' if given)."""
        engine.backward(self, gradient, retain_graph, create_graph, inputs)

    def detach(self):
        """A tensor sharing this one's data, cut from the graph."""
        t = Tensor._wrap(self._data)
        t._version = self._version
        return t

    def detach_(self):
        """Cut this tensor from the graph, in place: it becomes a leaf that requires no grad."""
        self._ctx, self._out_idx, self.requires_grad = None, 0, False
        return self

    def retain_grad(self):
        """Keep this non-leaf's gradient in `.grad` after backward (leaves keep theirs anyway)."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._ctx is None or self.retains_grad:
            return
        self.register_hook(_GradRetainer(self))

    @property
    def retains_grad(self):
        hooks = self._ctx._hooks if self._ctx is not None else None
        return any(idx == self._out_idx and isinstance(h, _GradRetainer) and h.tensor() is self
                   for idx, h in hooks or ())

    def is_inference(self):
        """True for a tensor made inside minigrad.inference_mode (the slot is set only then)."""
        return getattr(self, "_inference", False)

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
    def __matmul__(self, o): return Tensor.matmul(self, o)    # minigrad/api/linalg.py
    def __rmatmul__(self, o): return Tensor.matmul(o, self)
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

    def clone(self, *, memory_format=None): return ops.Clone.apply(self)

    def _write(self, fn):
        """Overwrite data with no autograd (init, zero_, fill_): only allowed where torch allows it."""
        if grad_mode.is_grad_enabled():
            check_inplace(self)
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

    # ***** indexing (the named shape and indexing ops live in api/shape.py, api/indexing.py) *****
    def __getitem__(self, index):
        index = _index_arrays(index)
        if _is_advanced(index):
            return ops.GetItem.apply(self, index)
        return ops.Slice.apply(self, index)   # a view: it shares self's version counter

    def __iter__(self):
        return (self[i] for i in range(len(self)))


_COMPARABLE += (Tensor,)


class _GradRetainer:
    """The hook behind retain_grad: accumulates the gradient into its (weakly held) tensor."""
    def __init__(self, tensor):
        self.tensor = weakref.ref(tensor)

    def __call__(self, grad):
        t = self.tensor()
        if t is not None:
            t.grad = Tensor._wrap(grad._data.copy()) if t.grad is None else Tensor._wrap(t.grad._data + grad._data)


def _parse_to(args, kwargs):
    """Tensor.to's overloads -> (NumPy dtype or None, copy). Devices are checked and dropped:
    the CPU is the only one."""
    kwargs = dict(kwargs)
    dtype, copy = kwargs.pop("dtype", None), kwargs.pop("copy", False)
    device = kwargs.pop("device", None)
    kwargs.pop("non_blocking", None), kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
    args = list(args)
    if args and isinstance(args[0], Tensor):
        dtype = args.pop(0).dtype
    elif args and not isinstance(args[0], (str, _device.device, int, type(None))):
        dtype = args.pop(0)                        # to(dtype, non_blocking=False, copy=False)
    elif args:
        device = args.pop(0)                       # to(device, dtype=None, non_blocking=False, copy=False)
        if args and not isinstance(args[0], bool):
            dtype = args.pop(0)
    if len(args) > 2:
        raise TypeError(f"to() received too many positional arguments: {len(args)} extra")
    if len(args) == 2:
        copy = args[1]
    _device.as_device(device)
    return (None if dtype is None else _dtype.as_dtype(dtype).dtype), copy


def _unwrap(data):
    """Tensors inside nested lists become their arrays (np.array then reads them as values)."""
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, (list, tuple)):
        return [_unwrap(d) for d in data]
    return data


class _HookHandle:
    def __init__(self, owner, entry, kind):
        self._owner, self._entry, self._kind = owner, entry, kind

    def remove(self):
        hooks = self._owner._hooks
        if hooks and self._entry in hooks:
            hooks = [h for h in hooks if h is not self._entry]
            self._owner._hooks = hooks or None


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


__all__ = ["Tensor"]

# The autograd modules need the Tensor class but are imported before it exists. (sys.modules,
# because `minigrad.autograd.gradcheck` the attribute is the function, not the module.)
import sys as _sys  # noqa: E402

for _name in ("engine", "function", "gradcheck", "tensor_engine"):
    _sys.modules[f"{__package__}.autograd.{_name}"].Tensor = Tensor
