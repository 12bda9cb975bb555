"""Data: the bundled 8x8 digits, a reader for MNIST-style IDX files, and (re-exported from
minigrad.utils.data, where they are defined) the datasets and the DataLoader."""
import gzip
import os
import struct

import numpy as np

from ..utils.data import DataLoader, Dataset, Subset, TensorDataset, random_split

__all__ = ["Dataset", "TensorDataset", "Subset", "DataLoader", "random_split", "load_digits", "load_mnist", "read_idx",
           "train_test_split"]

_HERE = os.path.dirname(os.path.abspath(__file__))


def load_digits():
    """The 1,797 8x8 handwritten digits bundled with minigrad (UCI, via scikit-learn; see
    DIGITS_LICENSE.txt). Returns (images float32 (1797, 8, 8) scaled to [0, 1], labels int64)."""
    with np.load(os.path.join(_HERE, "digits.npz")) as f:
        return (f["images"].astype(np.float32) / 16.0), f["labels"].astype(np.int64)


def train_test_split(n, test_fraction=0.2, seed=0):
    """Index arrays (train, test) of a seeded random split of range(n)."""
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    perm = np.random.default_rng(seed).permutation(n)
    n_test = int(round(n * test_fraction))
    return np.sort(perm[n_test:]), np.sort(perm[:n_test])


_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
               0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def read_idx(path):
    """Read one IDX file (optionally .gz): the MNIST format, magic 0x0000<type><ndim>."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        head = f.read(4)
        if len(head) != 4 or head[0] != 0 or head[1] != 0 or head[2] not in _IDX_DTYPES:
            raise ValueError(f"{path}: not an IDX file (bad magic number {head!r})")
        dtype, ndim = np.dtype(_IDX_DTYPES[head[2]]), head[3]
        dims_raw = f.read(4 * ndim)
        if len(dims_raw) != 4 * ndim:
            raise ValueError(f"{path}: truncated IDX header")
        dims = struct.unpack(f">{ndim}I", dims_raw)
        data = f.read()
    expected = int(np.prod(dims)) * dtype.itemsize
    if len(data) != expected:
        raise ValueError(f"{path}: IDX payload has {len(data)} bytes, expected {expected} for shape {dims}")
    return np.frombuffer(data, dtype=dtype).reshape(dims).astype(dtype.newbyteorder("="))


def load_mnist(path, kind="train"):
    """MNIST or Fashion-MNIST from a folder holding the standard IDX files (gzipped or not):
    {train,t10k}-images-idx3-ubyte and {train,t10k}-labels-idx1-ubyte.
    Returns (images float32 (N, 28, 28) in [0, 1], labels int64 (N,))."""
    if kind not in ("train", "test"):
        raise ValueError(f"kind must be 'train' or 'test', got {kind!r}")
    prefix = "train" if kind == "train" else "t10k"

    def find(stem):
        for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
            p = os.path.join(path, name)
            if os.path.exists(p):
                return p
        raise FileNotFoundError(f"load_mnist: no {stem}[.gz] in {path}")

    images = read_idx(find(f"{prefix}-images-idx3-ubyte"))
    labels = read_idx(find(f"{prefix}-labels-idx1-ubyte"))
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(f"load_mnist: images {images.shape} and labels {labels.shape} do not match")
    return images.astype(np.float32) / 255.0, labels.astype(np.int64)
