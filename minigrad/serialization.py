"""minigrad.save / minigrad.load: state dicts and optimizer states as .npz, never pickled code.

The object (nested dicts, lists, tuples, arrays, Tensors, numbers, strings, None) is split into
a JSON skeleton, stored as the entry "__minigrad__", and its arrays, stored as entries "a0",
"a1", ... np.load runs with allow_pickle=False, so loading a file cannot execute anything.
Writes go to a temporary file in the same folder, then os.replace: a crash never leaves a
half-written checkpoint under the real name.
"""
import json
import os
import tempfile
import zipfile

import numpy as np

from .tensor import Tensor

_FORMAT = "minigrad-checkpoint-1"


def _encode(obj, arrays):
    if isinstance(obj, Tensor):
        obj = obj._data
    if isinstance(obj, np.ndarray):
        key = f"a{len(arrays)}"
        arrays[key] = obj
        return {"__array__": key}
    if isinstance(obj, np.generic):
        obj = obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, dict):
        return {"__dict__": [[_encode(k, arrays), _encode(v, arrays)] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        return {"__list__" if isinstance(obj, list) else "__tuple__": [_encode(v, arrays) for v in obj]}
    raise TypeError(f"minigrad.save: cannot store an object of type {type(obj).__name__} "
                    "(only dicts, lists, tuples, arrays, Tensors, numbers, strings and None)")


def _decode(node, arrays):
    if isinstance(node, dict):
        if "__array__" in node:
            return arrays[node["__array__"]]
        if "__dict__" in node:
            return {_decode(k, arrays): _decode(v, arrays) for k, v in node["__dict__"]}
        if "__list__" in node:
            return [_decode(v, arrays) for v in node["__list__"]]
        if "__tuple__" in node:
            return tuple(_decode(v, arrays) for v in node["__tuple__"])
        raise ValueError(f"unknown node {sorted(node)}")
    return node


def save(obj, path):
    """Write obj (e.g. model.state_dict(), optimizer.state_dict(), or a dict of both) to path."""
    arrays = {}
    skeleton = json.dumps({"format": _FORMAT, "object": _encode(obj, arrays)})
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".minigrad-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, __minigrad__=np.frombuffer(skeleton.encode(), dtype=np.uint8), **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def load(path):
    """Read what save() wrote. A truncated or foreign file raises ValueError naming the file."""
    try:
        with np.load(path, allow_pickle=False) as f:
            if "__minigrad__" not in f.files:
                raise ValueError("no minigrad header")
            meta = json.loads(f["__minigrad__"].tobytes().decode())
            if meta.get("format") != _FORMAT:
                raise ValueError(f"unknown format {meta.get('format')!r}")
            arrays = {k: f[k] for k in f.files if k != "__minigrad__"}
    except FileNotFoundError:
        raise
    except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile, json.JSONDecodeError,
            UnicodeDecodeError) as exc:
        raise ValueError(f"minigrad.load: {path} is not a valid minigrad checkpoint (truncated or written by "
                         f"something else): {exc}") from None
    return _decode(meta["object"], arrays)
