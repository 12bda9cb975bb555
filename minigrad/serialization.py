"""minigrad.save / minigrad.load: checkpoints that never hold code.

The path's suffix picks the format save() writes; load() reads what the bytes are:
- .safetensors (minigrad/_safetensors.py): a flat dict of tensors, as the safetensors package.
- .pt / .pth (minigrad/_torch_zip.py): PyTorch's zip checkpoint, read by torch.load(weights_only=True);
  torch's own files load without torch, through an unpickler that resolves only a whitelist.
- anything else, and file objects: minigrad's .npz, below.

The .npz format: the object (nested dicts and OrderedDicts with any keys, lists, tuples, Tensors,
NumPy arrays and scalars, dtypes, numbers, strings, None) is split into a JSON skeleton, stored
as the entry "__minigrad__", and its arrays, stored as entries "a0", "a1", ... Every container and
leaf keeps its type (a Tensor comes back a Tensor, an ndarray an ndarray, a tuple a tuple, an int
key an int key), and an object stored twice comes back as one object, as torch.save keeps sharing.
np.load runs with allow_pickle=False, so loading a file cannot execute anything. Writes to a
path (every format) go to a temporary file in the same folder, then os.replace: a crash never
leaves a half-written checkpoint under the real name.
"""
import functools
import io
import json
import os
import pickle   # only as save()'s default pickle_module, for torch's signature; never called
import tempfile
import zipfile
from collections import OrderedDict

import numpy as np

from . import _dtype, _safetensors, _torch_zip
from .tensor import Tensor

_FORMAT = "minigrad-checkpoint-2"
_READABLE = (_FORMAT, "minigrad-checkpoint-1")   # version 1 had no Tensor, scalar, dtype or sharing nodes


class _Encoder:
    def __init__(self):
        self.arrays = {}
        self.seen = {}   # id(Tensor or ndarray) -> its node, so shared objects are stored once

    def array_key(self, arr):
        key = f"a{len(self.arrays)}"
        self.arrays[key] = arr
        return key

    def encode(self, obj):
        if isinstance(obj, (Tensor, np.ndarray)):
            node = self.seen.get(id(obj))
            if node is None:
                node = self.seen[id(obj)] = self.encode_array(obj)
            return node
        if obj is None or isinstance(obj, (bool, int, float, str)):
            return obj
        if isinstance(obj, np.generic):
            return {"__scalar__": self.array_key(np.asarray(obj))}
        if isinstance(obj, (np.dtype, _dtype.dtype)):
            return {"__dtype__": np.dtype(obj).str}
        if isinstance(obj, dict):
            pairs = [[self.encode(k), self.encode(v)] for k, v in obj.items()]
            return {"__odict__" if isinstance(obj, OrderedDict) else "__dict__": pairs}
        if type(obj) in (list, tuple):
            return {"__list__" if type(obj) is list else "__tuple__": [self.encode(v) for v in obj]}
        raise TypeError(f"minigrad.save: cannot store an object of type {type(obj).__name__} (only dicts, lists, "
                        "tuples, Tensors, NumPy arrays, numbers, strings and None: minigrad never pickles)")

    def encode_array(self, obj):
        if isinstance(obj, np.ndarray):
            return {"__array__": self.array_key(obj)}
        return {"__tensor__": self.array_key(obj._data), "requires_grad": bool(obj.requires_grad),
                "parameter": type(obj).__name__ == "Parameter"}


class _MapLocationError(Exception):
    """Carries an exception raised by a map_location callable through load()'s file checks."""


class _Decoder:
    def __init__(self, arrays, map_location):
        self.arrays, self.map_location, self.made = arrays, map_location, {}

    def decode(self, node):
        if not isinstance(node, dict):
            return node
        kind = next(iter(node), None)
        body = node[kind]
        if kind in ("__tensor__", "__array__"):
            obj = self.made.get(body)
            if obj is None:
                obj = self.made[body] = self.make_tensor(node) if kind == "__tensor__" else self.arrays[body]
            return obj
        if kind == "__scalar__":
            return self.arrays[body][()]
        if kind == "__dtype__":
            return _dtype.as_dtype(np.dtype(body))
        if kind in ("__dict__", "__odict__"):
            return (OrderedDict if kind == "__odict__" else dict)((self.decode(k), self.decode(v)) for k, v in body)
        if kind == "__list__":
            return [self.decode(v) for v in body]
        if kind == "__tuple__":
            return tuple(self.decode(v) for v in body)
        raise ValueError(f"unknown node {sorted(node)}")

    def make_tensor(self, node):
        arr = self.arrays[node["__tensor__"]]
        if arr.dtype.kind not in "biufc":   # an edited entry: no Tensor holds strings or records
            raise ValueError(f"array {node['__tensor__']} has dtype {arr.dtype}, which no Tensor holds")
        t = Tensor._wrap(arr)
        if node.get("parameter"):
            from .nn.parameter import Parameter
            t = Parameter(t, requires_grad=node["requires_grad"])
        elif node["requires_grad"]:
            t.requires_grad_(True)
        return _place(t, self.map_location)


def _place(t, map_location):
    """map_location's callable form is asked where each tensor goes; None keeps it."""
    if callable(map_location) and not isinstance(map_location, (str, dict)):
        try:
            moved = map_location(t, "cpu")
        except Exception as exc:   # the user's error, not the file's: load() re-raises it as is
            raise _MapLocationError(exc) from exc
        t = t if moved is None else moved
    return t


def _is_path(f):
    return isinstance(f, (str, os.PathLike))


def save(obj, f, pickle_module=pickle, pickle_protocol=2, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False):
    """Write obj (model.state_dict(), optimizer.state_dict(), a dict of both with epoch numbers,
    a Tensor, a list, ...) to f: a path (str or os.PathLike) or a writable binary file object.

    The suffix of a path picks the format: ".safetensors" (a flat dict of tensors only), ".pt" or
    ".pth" (PyTorch's zip format, which torch.load reads), else minigrad's .npz (also for file objects).
    Unlike torch.save, no class is pickled: an object of any other class (a whole nn.Module, a
    user class) raises TypeError naming its type; save its state_dict() instead.
    pickle_module and the other keyword arguments exist for torch's signature and are ignored.
    """
    fmt = _format_of(f)
    if fmt == "safetensors":
        write = functools.partial(_safetensors.save, obj)
    elif fmt == "torch":
        stem = os.path.splitext(os.path.basename(os.fspath(f)))[0] if _is_path(f) else "archive"
        write = functools.partial(_torch_zip.save, obj, archive=stem)
    else:
        enc = _Encoder()
        skeleton = json.dumps({"format": _FORMAT, "object": enc.encode(obj)})
        entries = dict(__minigrad__=np.frombuffer(skeleton.encode(), dtype=np.uint8), **enc.arrays)
        write = functools.partial(np.savez, **entries)
    if not _is_path(f):
        if fmt == "torch" and not f.seekable():   # zip records are aligned by their file position
            buf = io.BytesIO()
            write(buf)
            f.write(buf.getvalue())
        else:
            write(f)
        return
    path = os.fspath(f)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise RuntimeError(f"Parent directory {folder} does not exist.")
    fd, tmp = tempfile.mkstemp(prefix=".minigrad-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _format_of(f):
    """The format a path's suffix asks for: .safetensors, .pt/.pth (torch's zip) or minigrad's .npz."""
    suffix = os.path.splitext(os.fspath(f))[1].lower() if _is_path(f) else ""
    return {".safetensors": "safetensors", ".pt": "torch", ".pth": "torch"}.get(suffix, "npz")


def _check_map_location(map_location):
    """Only the CPU exists: any other target device is torch's error on a CPU-only machine."""
    if map_location is None or callable(map_location) and not isinstance(map_location, (str, dict)):
        return
    targets = map_location.values() if isinstance(map_location, dict) else [map_location]
    for target in targets:
        name = str(getattr(target, "type", target))
        if name.split(":")[0] != "cpu":
            raise RuntimeError("Attempting to deserialize object on a CUDA device but torch.cuda.is_available() "
                               "is False. If you are running on a CPU-only machine, please use torch.load with "
                               "map_location=torch.device('cpu') to map your storages to the CPU.")


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """Read what save() or torch.save wrote, or a .safetensors file, from a path or a readable,
    seekable binary file object. A PyTorch file's pickle may name only tensors, storages, dtypes
    and OrderedDict: any other global raises pickle.UnpicklingError before anything runs.

    Every Tensor is on the CPU; map_location may be None, "cpu", a cpu device, a dict mapping
    to "cpu", or a callable(tensor, "cpu") returning the tensor to use. Any other device raises
    RuntimeError. The file never holds code, so weights_only=True and False behave alike;
    mmap and pickle arguments are accepted and ignored. A truncated or foreign file raises
    ValueError naming the file; float16/bfloat16 tensors raise TypeError.
    """
    _check_map_location(map_location)
    name = os.fspath(f) if _is_path(f) else getattr(f, "name", repr(f))
    if _is_path(f):
        with open(f, "rb") as fh:
            return _load(fh, name, _format_of(f), map_location)
    return _load(f, name, "npz", map_location)


def _load(f, name, fmt, map_location):
    """The format is what the bytes say (a .pt written by an older minigrad is an .npz), except
    that a .safetensors path is always read as one, so its corruption is reported as such."""
    start = f.tell()
    head = f.read(9)
    f.seek(start)
    kind = {"safetensors": "safetensors file", "torch": "PyTorch checkpoint"}.get(fmt, "minigrad checkpoint")
    try:
        if fmt == "safetensors" or (len(head) == 9 and head[8:9] == b"{"):
            kind = "safetensors file"
            arrays = _safetensors.load(f.read())
            return OrderedDict((k, _place(Tensor._wrap(a), map_location)) for k, a in arrays.items())
        if head[:4] == b"PK\x03\x04" and _torch_zip.archive_prefix(zipfile.ZipFile(f).namelist()):
            kind = "PyTorch checkpoint"
            f.seek(start)
            return _torch_zip.load(f, map_location, _place)
        if head[:1] == b"\x80":
            raise ValueError("it is a pickle: PyTorch's legacy format (before 1.6) is not read; re-save it with a "
                             "recent torch.save")
        f.seek(start)
        npz = np.load(f, allow_pickle=False)
        if not isinstance(npz, np.lib.npyio.NpzFile):   # a bare .npy file
            raise ValueError("not a zip archive of arrays")
        with npz:
            if "__minigrad__" not in npz.files:
                raise ValueError("no minigrad header")
            meta = json.loads(npz["__minigrad__"].tobytes().decode())
            if not isinstance(meta, dict) or meta.get("format") not in _READABLE:
                raise ValueError(f"unknown format {meta.get('format') if isinstance(meta, dict) else meta!r}")
            arrays = {k: npz[k] for k in npz.files if k != "__minigrad__"}
        try:   # an edited skeleton (unknown node, missing array entry, bad dtype) fails here, still named
            return _Decoder(arrays, map_location).decode(meta["object"])
        except (TypeError, AttributeError, StopIteration) as exc:
            raise ValueError(f"{type(exc).__name__}: {exc}") from None
    except FileNotFoundError:
        raise
    except _MapLocationError as exc:
        raise exc.args[0] from None
    except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile, json.JSONDecodeError,
            UnicodeDecodeError) as exc:
        raise ValueError(f"minigrad.load: {name} is not a valid {kind} (truncated, edited or written by "
                         f"something else): {exc}") from None
