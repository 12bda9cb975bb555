"""The safetensors format, read and written with NumPy alone (no dependency on the package).

Layout: 8 bytes little-endian header length N, N bytes of JSON header
{"__metadata__": {str: str}, name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}},
padded with spaces to a multiple of 8, then the tensors' raw little-endian bytes, back to back.
The writer makes the reference writer's choices, so the bytes are identical to
safetensors.numpy.save: tensors ordered by dtype (the Rust enum's order, largest first, which
keeps every buffer aligned) then by name, compact JSON with raw UTF-8, space padding.
The reader trusts nothing in the file: a header of absurd length, offsets out of bounds, with
gaps or overlaps, or a byte count that disagrees with dtype and shape is refused with
ValueError before any tensor is made.
"""
import json
import struct
from collections import OrderedDict

import numpy as np

_MAX_HEADER = 100_000_000   # the reference reader's limit
_ALIGN = 8

# name -> NumPy dtype, for the dtypes minigrad holds; the order is the reference writer's enum
# order (BOOL first), which it sorts by in reverse
_DTYPES = OrderedDict([("BOOL", "|b1"), ("U8", "|u1"), ("I8", "|i1"), ("I16", "<i2"), ("I32", "<i4"),
                       ("F32", "<f4"), ("F64", "<f8"), ("I64", "<i8")])
_RANK = {name: i for i, name in enumerate(_DTYPES)}
_NAME_OF = {np.dtype(d).newbyteorder("="): name for name, d in _DTYPES.items()}
_REFUSED = {"F16": "float16", "BF16": "bfloat16", "F8_E4M3": "float8", "F8_E5M2": "float8", "F8_E8M0": "float8",
            "F4": "float4", "F6_E2M3": "float6", "F6_E3M2": "float6", "U16": "uint16", "U32": "uint32",
            "U64": "uint64", "C64": "complex64"}


def save(tensors, f, metadata=None):
    """Write a flat dict {str: Tensor or ndarray} to the binary file object f."""
    from .tensor import Tensor
    if not isinstance(tensors, dict):
        raise TypeError(f"minigrad.save: a .safetensors file holds a flat dict of tensors (a state_dict), "
                        f"not a {type(tensors).__name__}")
    arrays = {}
    for name, value in tensors.items():
        if not isinstance(name, str):
            raise TypeError(f"minigrad.save: safetensors keys must be str, got {type(name).__name__} {name!r}")
        if not isinstance(value, (Tensor, np.ndarray)):
            raise TypeError(f"minigrad.save: a .safetensors file holds only tensors; {name!r} is a "
                            f"{type(value).__name__} (save nested checkpoints as .pt or .npz)")
        arr = value._data if isinstance(value, Tensor) else value
        if arr.dtype.newbyteorder("=") not in _NAME_OF:
            raise TypeError(f"minigrad.save: {name!r} has dtype {arr.dtype}, which safetensors in minigrad "
                            f"does not write (supported: {', '.join(_DTYPES)})")
        arrays[name] = arr
    if metadata is not None and not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise TypeError("safetensors metadata must be a dict of str to str")
    order = sorted(arrays, key=lambda n: (-_RANK[_NAME_OF[arrays[n].dtype.newbyteorder("=")]], n))
    header = {} if metadata is None else {"__metadata__": dict(metadata)}
    offset = 0
    for name in order:
        arr = arrays[name]
        header[name] = {"dtype": _NAME_OF[arr.dtype.newbyteorder("=")], "shape": list(arr.shape),
                        "data_offsets": [offset, offset + arr.nbytes]}
        offset += arr.nbytes
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % _ALIGN)
    f.write(struct.pack("<Q", len(text)))
    f.write(text)
    for name in order:
        arr = arrays[name]
        little = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<"), copy=False)
        f.write(little.reshape(-1).view(np.uint8).data)


def _unique_keys(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {k!r} in header")
        out[k] = v
    return out


def _is_index(v):
    return type(v) is int and v >= 0


def read_header(raw):
    """raw: the whole file's bytes -> (metadata, [(name, dtype name, shape, begin, end)] by offset),
    the data start; every rule checked."""
    if len(raw) < 8:
        raise ValueError(f"file of {len(raw)} bytes is shorter than the 8-byte header length")
    n = struct.unpack("<Q", raw[:8])[0]
    if n > _MAX_HEADER or 8 + n > len(raw):
        raise ValueError(f"header length {n} does not fit the file of {len(raw)} bytes")
    try:
        text = bytes(raw[8:8 + n]).decode("utf-8")
        if not text.startswith("{"):
            raise ValueError("header is not a JSON object")
        header = json.loads(text, object_pairs_hook=_unique_keys)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"header is not valid UTF-8 JSON: {exc}") from None
    metadata = header.pop("__metadata__", None)
    if metadata is not None and not (isinstance(metadata, dict)
                                     and all(isinstance(v, str) for v in metadata.values())):
        raise ValueError("__metadata__ must map str to str")
    entries = []
    for name, info in header.items():
        if not (isinstance(info, dict) and set(info) == {"dtype", "shape", "data_offsets"}):
            raise ValueError(f"entry {name!r} must have exactly dtype, shape and data_offsets")
        dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if dtype in _REFUSED:
            raise TypeError(f"{name!r} is stored as {dtype} ({_REFUSED[dtype]}); minigrad computes in float32/"
                            f"float64 and holds {', '.join(_DTYPES)} only: convert it before saving "
                            f"(in PyTorch: {{k: v.float() for k, v in state_dict.items()}})")
        if dtype not in _DTYPES:
            raise ValueError(f"entry {name!r} has unknown dtype {dtype!r}")
        if not (isinstance(shape, list) and all(map(_is_index, shape))):
            raise ValueError(f"entry {name!r} has an invalid shape {shape!r}")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(map(_is_index, offsets))
                and offsets[0] <= offsets[1]):
            raise ValueError(f"entry {name!r} has invalid data_offsets {offsets!r}")
        nbytes = int(np.prod(shape, dtype=object)) * np.dtype(_DTYPES[dtype]).itemsize
        if nbytes != offsets[1] - offsets[0]:
            raise ValueError(f"entry {name!r}: {dtype} of shape {shape} needs {nbytes} bytes, "
                             f"data_offsets {offsets} give {offsets[1] - offsets[0]}")
        entries.append((name, dtype, tuple(shape), offsets[0], offsets[1]))
    entries.sort(key=lambda e: (e[3], e[4]))
    end = 0
    for name, _, _, begin, stop in entries:
        if begin != end:
            raise ValueError(f"entry {name!r} starts at byte {begin}, expected {end}: data overlaps or has a gap")
        end = stop
    if end != len(raw) - 8 - n:
        raise ValueError(f"the tensors cover {end} bytes of data, the file holds {len(raw) - 8 - n}")
    return metadata, entries, 8 + n


def load(raw):
    """raw: the whole file's bytes -> OrderedDict name -> ndarray (native byte order, own memory),
    in the file's order."""
    _, entries, start = read_header(raw)
    out = OrderedDict()
    for name, dtype, shape, begin, end in entries:
        if dtype == "BOOL":   # any nonzero byte is True, as in C; NumPy's bool would keep the byte
            arr = np.frombuffer(raw, np.uint8, end - begin, start + begin) != 0
        else:
            arr = np.frombuffer(raw, _DTYPES[dtype], (end - begin) // np.dtype(_DTYPES[dtype]).itemsize,
                                start + begin).astype(np.dtype(_DTYPES[dtype]).newbyteorder("="))
        out[name] = arr.reshape(shape)
    return out
