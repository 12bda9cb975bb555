"""PyTorch's checkpoint format (torch.save since 1.6), read and written without torch.

A .pt file is a zip of uncompressed records under one folder <archive>/: data.pkl, a protocol-2
pickle of the object whose tensors are calls of torch._utils._rebuild_tensor_v2(storage, offset,
size, stride, requires_grad, hooks) and whose storages are persistent ids
('storage', torch.FloatStorage, key, location, numel) naming the raw bytes in data/<key>;
byteorder ("little"), version ("3\\n"), .format_version, .storage_alignment and
.data/serialization_id. Every record starts on a 64-byte boundary, as torch aligns them.

Reading never imports torch and never runs code from the file: the unpickler resolves only the
handful of globals a checkpoint needs (OrderedDict, the two rebuild functions, storage types,
dtypes, Size, device) to local stand-ins, and refuses any other one with
pickle.UnpicklingError naming it, before anything of it runs. Writing uses Python's own pickler
with those globals emitted by name, so torch.load(..., weights_only=True) accepts the file.
"""
import io
import os
import pickle
import zipfile
from collections import OrderedDict

import numpy as np

from . import _dtype
from ._device import device as _device
from ._size import Size
from .tensor import Tensor

_STORAGES = {"FloatStorage": "f4", "DoubleStorage": "f8", "LongStorage": "i8", "IntStorage": "i4",
             "ShortStorage": "i2", "CharStorage": "i1", "ByteStorage": "u1", "BoolStorage": "b1"}
_STORAGE_OF = {np.dtype(code): name for name, code in _STORAGES.items()}
_REFUSED_STORAGES = {"HalfStorage": "float16", "BFloat16Storage": "bfloat16", "ComplexFloatStorage": "complex64",
                     "ComplexDoubleStorage": "complex128", "UInt16Storage": "uint16", "UInt32Storage": "uint32",
                     "UInt64Storage": "uint64"}
_DTYPE_NAMES = {"float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool",
                "float", "double", "half", "long", "int", "short"}
_ALIGN = 64


class RefusedGlobal(pickle.UnpicklingError):
    """The file names a global outside the checkpoint whitelist; nothing of it ran."""


class _Unsupported(TypeError):
    """A well-formed file holding a dtype minigrad does not compute in."""


class _DeviceError(RuntimeError):
    """A storage saved on an accelerator, loaded without map_location: torch's error."""


# ***** reading *****
class _StorageType:
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name


def _rebuild_parameter(data, requires_grad, backward_hooks, *rest):
    from .nn.parameter import Parameter
    return Parameter(data, requires_grad=requires_grad)


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, zf, prefix, byteorder, map_location, place):
        super().__init__(file)
        self.zf, self.prefix, self.byteorder = zf, prefix, byteorder
        self.map_location, self.place = map_location, place
        self.storages = {}

    def find_class(self, module, name):
        if (module, name) == ("collections", "OrderedDict"):
            return OrderedDict
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return self.rebuild_tensor
        if module == "torch._utils" and name == "_rebuild_parameter":
            return _rebuild_parameter
        if module == "torch":
            if name in _STORAGES:
                return _StorageType(name)
            if name in _REFUSED_STORAGES:
                raise _Unsupported(f"the checkpoint holds {_REFUSED_STORAGES[name]} tensors (torch.{name}); minigrad "
                                   f"computes in float32/float64: convert them before saving (e.g. "
                                   f"{{k: v.float() for k, v in state_dict.items()}})")
            if name in _DTYPE_NAMES:
                return getattr(_dtype, name)
            if name == "Size":
                return Size
            if name == "device":
                return _device
        raise RefusedGlobal(f"refusing to load the global {module}.{name}: a weights checkpoint needs only tensors, "
                            f"storages, dtypes and OrderedDict, and minigrad never runs code from a file")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"
                and isinstance(pid[1], _StorageType) and isinstance(pid[2], str) and isinstance(pid[3], str)
                and type(pid[4]) is int):
            raise ValueError(f"unexpected persistent id {pid!r}")
        _, kind, key, location, numel = pid
        if location.split(":")[0] != "cpu" and self.map_location is None:
            raise _DeviceError("Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is "
                               "False. If you are running on a CPU-only machine, please use torch.load with "
                               "map_location=torch.device('cpu') to map your storages to the CPU.")
        dtype = np.dtype(_STORAGES[kind.name]).newbyteorder(self.byteorder)
        got = self.storages.get(key)
        if got is None:
            raw = self.zf.read(f"{self.prefix}data/{key}")
            if len(raw) != numel * dtype.itemsize:
                raise ValueError(f"storage {key} has {len(raw)} bytes, {numel} x {kind.name} needs "
                                 f"{numel * dtype.itemsize}")
            got = self.storages[key] = np.frombuffer(raw, dtype)
        if got.dtype != dtype or got.size != numel:
            raise ValueError(f"storage {key} is referenced with two different types or sizes")
        return got

    def rebuild_tensor(self, storage, storage_offset, size, stride, requires_grad, backward_hooks, *metadata):
        if not (isinstance(storage, np.ndarray) and _is_index(storage_offset) and isinstance(size, tuple)
                and isinstance(stride, tuple) and len(size) == len(stride)
                and all(map(_is_index, size)) and all(map(_is_index, stride))):
            raise ValueError("malformed tensor record")
        numel = int(np.prod(size, dtype=object))
        last = storage_offset + sum((n - 1) * s for n, s in zip(size, stride)) if numel else storage_offset - 1
        if last >= storage.size:
            raise ValueError(f"tensor of size {size}, stride {stride}, offset {storage_offset} reaches past its "
                             f"storage of {storage.size} elements")
        native = storage.dtype.newbyteorder("=")
        if numel == 0:
            arr = np.empty(size, native)
        else:
            view = np.lib.stride_tricks.as_strided(storage[storage_offset:], size,
                                                   [s * storage.itemsize for s in stride], writeable=False)
            arr = np.array(view, dtype=native, order="C")
        t = Tensor._wrap(arr)
        if requires_grad is True:
            t.requires_grad_(True)
        return self.place(t, self.map_location)


def _is_index(v):
    return type(v) is int and v >= 0


def _check_tree(obj, seen=None):
    """What unpickling built holds only checkpoint values (BUILD could have set odd attributes)."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, dict):
        for k, v in obj.items():
            _check_tree(k, seen)
            _check_tree(v, seen)
    elif type(obj) in (list, tuple, Size):
        for v in obj:
            _check_tree(v, seen)
    elif isinstance(obj, Tensor):
        if type(obj._data) is not np.ndarray:
            raise ValueError("malformed tensor")
    elif not (obj is None or type(obj) in (bool, int, float, str, bytes, _dtype.dtype, _device)):
        raise ValueError(f"unexpected {type(obj).__name__} in the checkpoint")


def archive_prefix(names):
    """The '<archive>/' folder holding data.pkl, or None when the zip is not a torch checkpoint."""
    for name in names:
        head, _, tail = name.rpartition("/")
        if tail == "data.pkl" and head and "/" not in head:
            return head + "/"
    return None


def load(f, map_location, place):
    """place(tensor, map_location) -> the tensor to keep (map_location's callable form)."""
    try:
        zf = zipfile.ZipFile(f)
        prefix = archive_prefix(zf.namelist())
        if prefix is None:
            raise ValueError("no <archive>/data.pkl record")
        names = set(zf.namelist())
        order = zf.read(prefix + "byteorder").decode() if prefix + "byteorder" in names else "little"
        if order not in ("little", "big"):
            raise ValueError(f"byteorder {order!r}")
        unpickler = _Unpickler(io.BytesIO(zf.read(prefix + "data.pkl")), zf, prefix,
                               "<" if order == "little" else ">", map_location, place)
        obj = unpickler.load()
        _check_tree(obj)
        return obj
    except (RefusedGlobal, _Unsupported, _DeviceError):
        raise
    except Exception as exc:   # any malformed byte sequence: one clear error, nothing half-loaded
        raise ValueError(f"{type(exc).__name__}: {exc}") from None


# ***** writing *****
class _Ref:
    """A global written by name (GLOBAL opcode) without importing it: torch need not be installed."""
    __slots__ = ("module", "name")
    _made = {}

    def __new__(cls, module, name):
        ref = cls._made.get((module, name))
        if ref is None:   # one object per name, so the pickler's memo writes repeats as BINGET, as torch does
            ref = cls._made[(module, name)] = super().__new__(cls)
            ref.module, ref.name = module, name
        return ref

    def __call__(self, *args):   # pickle requires a reduce function to be callable
        raise TypeError(f"{self.module}.{self.name} is only a name to write")


class _Storage:
    __slots__ = ("key", "array", "kind")

    def __init__(self, key, array):
        self.key, self.array = key, array
        self.kind = _Ref("torch", _STORAGE_OF[array.dtype.newbyteorder("=")])


class _Plain:
    """A Parameter's data, pickled as a plain tensor inside _rebuild_parameter."""
    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array


class _Pickler(pickle._Pickler):   # the pure-Python pickler: its dispatch table can be extended
    dispatch = pickle._Pickler.dispatch.copy()

    def __init__(self, file):
        super().__init__(file, protocol=2)
        self.storages = {}   # id(root array) -> _Storage

    def save_ref(self, ref):
        self.write(pickle.GLOBAL + f"{ref.module}\n{ref.name}\n".encode("utf-8"))
        self.memoize(ref)

    dispatch[_Ref] = save_ref

    def save_dtype(self, d):
        self.save(_Ref("torch", d._name))

    dispatch[_dtype.dtype] = save_dtype

    def persistent_id(self, obj):
        if type(obj) is _Storage:
            return ("storage", obj.kind, obj.key, "cpu", obj.array.size)
        return None

    def reducer_override(self, obj):
        if type(obj) in (type(None), bool, int, float, str, list, tuple, dict, OrderedDict, _Ref, _dtype.dtype) \
                or obj is OrderedDict:   # the class, as the reduce function of its instances
            return NotImplemented
        if isinstance(obj, Tensor) and type(obj).__name__ == "Parameter":
            return (_Ref("torch._utils", "_rebuild_parameter"),
                    (_Plain(obj._data), bool(obj.requires_grad), OrderedDict()))
        if isinstance(obj, (Tensor, np.ndarray, _Plain)):
            arr = obj.array if type(obj) is _Plain else obj._data if isinstance(obj, Tensor) else obj
            storage, offset, stride = self.storage_of(arr)
            grad = isinstance(obj, Tensor) and bool(obj.requires_grad)
            return (_Ref("torch._utils", "_rebuild_tensor_v2"),
                    (storage, offset, tuple(arr.shape), stride, grad, OrderedDict()))
        if type(obj) is Size:
            return (_Ref("torch", "Size"), (tuple(obj),))
        if type(obj) is _device:
            return (_Ref("torch", "device"), (str(obj),))
        if type(obj) in _NUMPY_SCALARS:
            return NotImplemented
        raise TypeError(f"minigrad.save: cannot store an object of type {type(obj).__name__} in a .pt file "
                        "(only dicts, lists, tuples, Tensors, NumPy arrays, numbers, strings, dtypes and None: "
                        "minigrad never pickles code)")

    def storage_of(self, arr):
        """(storage, offset, stride in elements): views of one saved array share its storage, as in torch."""
        if arr.dtype.newbyteorder("=") not in _STORAGE_OF:
            raise TypeError(f"minigrad.save: cannot write a tensor of dtype {arr.dtype} to a .pt file")
        root = arr
        while isinstance(root.base, np.ndarray):
            root = root.base
        item = arr.itemsize
        offset = arr.__array_interface__["data"][0] - root.__array_interface__["data"][0]
        if (root is not arr and arr.size and root.dtype == arr.dtype and root.flags.c_contiguous
                and offset >= 0 and offset % item == 0 and all(s >= 0 and s % item == 0 for s in arr.strides)):
            offset, strides = offset // item, tuple(s // item for s in arr.strides)
        else:
            root, offset = np.ascontiguousarray(arr), 0
            strides = tuple(int(np.prod(arr.shape[i + 1:])) for i in range(arr.ndim))
        storage = self.storages.get(id(root))
        if storage is None:
            storage = self.storages[id(root)] = _Storage(str(len(self.storages)), root)
        return storage, offset, strides

    def save_numpy_scalar(self, obj):   # e.g. an lr computed with NumPy: torch's loader refuses NumPy objects
        self.save(obj.item())


_NUMPY_SCALARS = (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
                  np.float16, np.float32, np.float64)
for _t in _NUMPY_SCALARS:
    _Pickler.dispatch[_t] = _Pickler.save_numpy_scalar


def _write_aligned(zf, f, name, data):
    """One stored record whose bytes start on a 64-byte boundary (torch's 'FB' padding field)."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    zip64 = 20 if len(data) * 1.05 > zipfile.ZIP64_LIMIT else 0
    start = f.tell() + 30 + len(name.encode("utf-8")) + zip64 + 4
    pad = -start % _ALIGN
    info.extra = b"FB" + pad.to_bytes(2, "little") + b"Z" * pad
    zf.writestr(info, data)


def save(obj, f, archive):
    """Write obj to the seekable binary file f in torch's zip format, records under archive/."""
    pkl = io.BytesIO()
    pickler = _Pickler(pkl)
    pickler.dump(obj)
    records = [("data.pkl", pkl.getvalue()), (".format_version", b"1"), (".storage_alignment", b"64"),
               ("byteorder", b"little")]
    for storage in pickler.storages.values():
        little = storage.array.astype(storage.array.dtype.newbyteorder("<"), copy=False)
        records.append((f"data/{storage.key}", little.reshape(-1).view(np.uint8).data))
    serial = str(int.from_bytes(os.urandom(17), "little")).zfill(40)[:40]
    records += [("version", b"3\n"), (".data/serialization_id", serial.encode())]
    with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as zf:
        for name, data in records:
            _write_aligned(zf, f, f"{archive}/{name}", data)
