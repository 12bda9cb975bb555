"""Datasets, DataLoader, the bundled digits and the IDX reader."""
import gzip
import os
import struct

import numpy as np
import pytest

import minigrad
from minigrad.data import DataLoader, TensorDataset, load_digits, load_mnist, read_idx, train_test_split


def test_bundled_digits():
    x, y = load_digits()
    assert x.shape == (1797, 8, 8) and x.dtype == np.float32 and y.dtype == np.int64
    assert 0.0 <= x.min() and x.max() == 1.0
    assert sorted(np.bincount(y)) == sorted(np.bincount(y)) and set(y.tolist()) == set(range(10))
    assert y[:10].tolist() == list(range(10))


def test_dataloader_batches_and_drop_last():
    ds = TensorDataset(np.arange(10, dtype=np.float32).reshape(10, 1), np.arange(10))
    batches = list(DataLoader(ds, batch_size=4))
    assert [b[0].shape[0] for b in batches] == [4, 4, 2]
    assert batches[0][1].tolist() == [0, 1, 2, 3]
    assert len(DataLoader(ds, batch_size=4, drop_last=True)) == 2
    assert [b[0].shape[0] for b in DataLoader(ds, batch_size=4, drop_last=True)] == [4, 4]
    with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
        DataLoader(ds, batch_size=0)


def test_shuffle_is_seeded_and_covers_everything():
    ds = TensorDataset(np.arange(20))
    minigrad.manual_seed(1)
    a = np.concatenate([b[0].numpy() for b in DataLoader(ds, batch_size=6, shuffle=True)])
    minigrad.manual_seed(1)
    b = np.concatenate([b[0].numpy() for b in DataLoader(ds, batch_size=6, shuffle=True)])
    np.testing.assert_array_equal(a, b)
    assert sorted(a.tolist()) == list(range(20)) and a.tolist() != list(range(20))


def test_generic_dataset_is_stacked():
    class Squares(minigrad.data.Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return np.float32(i), i * i

    (x, y), = list(DataLoader(Squares(), batch_size=5))
    assert y.tolist() == [0, 1, 4, 9, 16]


def test_tensor_dataset_length_mismatch():
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):   # torch's type
        TensorDataset(np.zeros(3), np.zeros(4))


def test_split_is_disjoint():
    tr, te = train_test_split(100, 0.25, seed=3)
    assert len(te) == 25 and len(set(tr) | set(te)) == 100


def _write_idx(path, array, code, gz=False):
    header = struct.pack(">BBBB", 0, 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    with (gzip.open if gz else open)(path, "wb") as f:
        f.write(data)


@pytest.mark.parametrize("gz", [False, True])
def test_load_mnist_from_idx_files(tmp_path, gz):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(7, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=7, dtype=np.uint8)
    ext = ".gz" if gz else ""
    _write_idx(os.path.join(tmp_path, "t10k-images-idx3-ubyte" + ext), images, 0x08, gz)
    _write_idx(os.path.join(tmp_path, "t10k-labels-idx1-ubyte" + ext), labels, 0x08, gz)
    x, y = load_mnist(str(tmp_path), kind="test")
    assert x.shape == (7, 28, 28) and x.dtype == np.float32
    np.testing.assert_allclose(x, images / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y, labels)
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        load_mnist(str(tmp_path), kind="train")


def test_idx_reader_rejects_bad_files(tmp_path):
    p = os.path.join(tmp_path, "bad")
    with open(p, "wb") as f:
        f.write(b"\x01\x02\x03\x04rest")
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(p)
    _write_idx(p, np.arange(12, dtype=np.int32).reshape(3, 4), 0x0C)
    np.testing.assert_array_equal(read_idx(p), np.arange(12).reshape(3, 4))
    with open(p, "r+b") as f:
        f.truncate(20)
    with pytest.raises(ValueError, match="payload has"):
        read_idx(p)
