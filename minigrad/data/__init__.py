"""Data: datasets, a DataLoader, the bundled 8x8 digits and a reader for MNIST-style IDX files."""
import gzip
import os
import struct

import numpy as np

from .. import random as _random
from ..creation import tensor
from ..tensor import Tensor

__all__ = ["Dataset", "TensorDataset", "DataLoader", "load_digits", "load_mnist", "read_idx", "train_test_split"]

_HERE = os.path.dirname(os.path.abspath(__file__))


class Dataset:
    """Anything with __len__ and __getitem__(i) -> a sample (a tuple of arrays/Tensors)."""

    def __len__(self):
        raise NotImplementedError

    def __getitem__(self, index):
        raise NotImplementedError


class TensorDataset(Dataset):
    """Samples are the i-th rows of equally long tensors (or arrays)."""

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        sizes = {len(t) for t in tensors}
        if len(sizes) != 1:
            raise ValueError(f"Size mismatch between tensors: first dimensions are "
                             f"{[len(t) for t in tensors]}")
        self.tensors = tuple(t if isinstance(t, Tensor) else tensor(t) for t in tensors)

    def __len__(self):
        return len(self.tensors[0])

    def __getitem__(self, index):
        return tuple(Tensor._wrap(t._data[index]) for t in self.tensors)


class DataLoader:
    """Batches of a dataset. shuffle draws a new permutation every epoch from minigrad's generator
    (so manual_seed makes it reproducible). A TensorDataset is batched by fancy indexing (one
    NumPy gather per tensor), other datasets by stacking their samples."""

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False):
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        self.dataset, self.batch_size, self.shuffle, self.drop_last = dataset, batch_size, shuffle, drop_last

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self):
        n = len(self.dataset)
        order = _random.numpy_rng().permutation(n) if self.shuffle else np.arange(n)
        for start in range(0, n, self.batch_size):
            idx = order[start:start + self.batch_size]
            if self.drop_last and len(idx) < self.batch_size:
                return
            if isinstance(self.dataset, TensorDataset):
                yield tuple(Tensor._wrap(t._data[idx]) for t in self.dataset.tensors)
            else:
                samples = [self.dataset[int(i)] for i in idx]
                yield tuple(Tensor._wrap(np.stack([np.asarray(s[k]) for s in samples]))
                            for k in range(len(samples[0])))


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
