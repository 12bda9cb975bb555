"""minigrad.utils.data (datasets, samplers, default_collate, DataLoader) and minigrad.Generator,
against NumPy references and, where importable, torch.utils.data."""
import collections
import inspect

import numpy as np
import pytest

import minigrad
import minigrad.utils.data
from minigrad.utils.data import (BatchSampler, ConcatDataset, DataLoader, Dataset, RandomSampler, SequentialSampler,
                                 Subset, TensorDataset, default_collate, random_split)


def _torch():
    return pytest.importorskip("torch")


def _xy(n=10):
    x = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    y = np.arange(n, dtype=np.int64) % 3
    return x, y


def _flat(batches, k):
    return np.concatenate([b[k].numpy() for b in batches])


# ----------------------------------------------------------------------------- names
def test_import_paths_and_one_implementation():
    assert minigrad.utils.data is minigrad.utils.data
    assert minigrad.data.DataLoader is DataLoader and minigrad.data.TensorDataset is TensorDataset
    assert minigrad.data.Dataset is Dataset and minigrad.data.random_split is random_split


def test_dataloader_signature_matches_torch():
    torch = _torch()
    ours = inspect.signature(DataLoader.__init__).parameters
    theirs = inspect.signature(torch.utils.data.DataLoader.__init__).parameters
    assert list(ours) == list(theirs)
    for name in theirs:
        assert ours[name].kind == theirs[name].kind, name
        if name not in ("self", "dataset"):
            assert ours[name].default == theirs[name].default, name


def test_random_split_signature_names_match_torch():
    torch = _torch()
    assert list(inspect.signature(random_split).parameters) == \
        list(inspect.signature(torch.utils.data.random_split).parameters)


# ----------------------------------------------------------------------------- datasets
def test_tensor_dataset_rows():
    x, y = _xy()
    ds = TensorDataset(minigrad.tensor(x), minigrad.tensor(y))
    assert len(ds) == 10
    a, b = ds[3]
    np.testing.assert_array_equal(a.numpy(), x[3])
    assert b.item() == y[3]


def test_tensor_dataset_size_mismatch_is_torchs_error():
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(minigrad.zeros(3), minigrad.zeros(4))
    torch = _torch()
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        torch.utils.data.TensorDataset(torch.zeros(3), torch.zeros(4))


def test_subset_concat_and_add():
    x, _ = _xy()
    ds = TensorDataset(minigrad.tensor(x))
    sub = Subset(ds, [7, 2, 5])
    assert len(sub) == 3
    np.testing.assert_array_equal(sub[1][0].numpy(), x[2])
    both = sub + ds
    assert isinstance(both, ConcatDataset) and len(both) == 13
    np.testing.assert_array_equal(both[3][0].numpy(), x[0])
    np.testing.assert_array_equal(both[-1][0].numpy(), x[9])
    with pytest.raises(ValueError, match="absolute value of index should not exceed dataset length"):
        both[-14]


def test_base_dataset_getitem_message():
    with pytest.raises(NotImplementedError, match="Subclasses of Dataset should implement __getitem__."):
        Dataset()[0]


@pytest.mark.parametrize("n, lengths", [(10, [3, 7]), (10, [0.3, 0.3, 0.4]), (7, [0.5, 0.5]),
                                        (11, [0.1, 0.2, 0.7]), (5, [1.0])])
def test_random_split_lengths_and_cover(n, lengths):
    parts = random_split(range(n), lengths, generator=minigrad.Generator().manual_seed(0))
    got = [len(p) for p in parts]
    if all(isinstance(v, int) for v in lengths):
        assert got == lengths
    assert sorted(i for p in parts for i in p) == list(range(n))
    torch = pytest.importorskip("torch")
    want = [len(p) for p in torch.utils.data.random_split(range(n), lengths, generator=torch.Generator().manual_seed(0))]
    assert got == want


def test_random_split_is_seeded():
    a = random_split(range(20), [0.5, 0.5], generator=minigrad.Generator().manual_seed(3))
    b = random_split(range(20), [0.5, 0.5], generator=minigrad.Generator().manual_seed(3))
    c = random_split(range(20), [0.5, 0.5], generator=minigrad.Generator().manual_seed(4))
    assert a[0].indices == b[0].indices and a[0].indices != c[0].indices
    minigrad.manual_seed(1)
    d = random_split(range(20), [10, 10])
    minigrad.manual_seed(1)
    assert random_split(range(20), [10, 10])[1].indices == d[1].indices


@pytest.mark.parametrize("lengths, exc, msg", [
    ([3, 3], ValueError, "Sum of input lengths does not equal the length of the input dataset!"),
    ([1.5, -0.5], ValueError, "Fraction at index 0 is not between 0 and 1"),
])
def test_random_split_errors_match_torch(lengths, exc, msg):
    with pytest.raises(exc, match=msg):
        random_split(range(10), lengths)
    torch = _torch()
    with pytest.raises(exc, match=msg):
        torch.utils.data.random_split(range(10), lengths)


# ----------------------------------------------------------------------------- samplers
def test_samplers_match_torch():
    torch = _torch()
    data = list(range(7))
    assert list(SequentialSampler(data)) == list(torch.utils.data.SequentialSampler(data))
    for drop_last in (False, True):
        ours = BatchSampler(SequentialSampler(data), 3, drop_last)
        theirs = torch.utils.data.BatchSampler(torch.utils.data.SequentialSampler(data), 3, drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)


def test_random_sampler_permutes_and_samples():
    g = minigrad.Generator().manual_seed(0)
    order = list(RandomSampler(range(10), generator=g))
    assert sorted(order) == list(range(10)) and order != list(range(10))
    long = list(RandomSampler(range(4), num_samples=10, generator=g))
    assert len(long) == 10 and sorted(long[:4]) == [0, 1, 2, 3] and sorted(long[4:8]) == [0, 1, 2, 3]
    repl = list(RandomSampler(range(3), replacement=True, num_samples=50, generator=g))
    assert len(repl) == 50 and set(repl) <= {0, 1, 2}


@pytest.mark.parametrize("make, exc, msg", [
    (lambda m: m.BatchSampler(range(3), 0, False), ValueError, "batch_size should be a positive integer value"),
    (lambda m: m.BatchSampler(range(3), 2, 1), ValueError, "drop_last should be a boolean value"),
    (lambda m: m.RandomSampler(range(3), replacement=1), TypeError, "replacement should be a boolean value"),
    (lambda m: m.RandomSampler(range(3), num_samples=0), ValueError, "num_samples should be a positive integer"),
])
def test_sampler_errors_match_torch(make, exc, msg):
    with pytest.raises(exc, match=msg):
        make(minigrad.utils.data)
    torch = _torch()
    with pytest.raises(exc, match=msg):
        make(torch.utils.data)


# ----------------------------------------------------------------------------- collate
Point = collections.namedtuple("Point", "a b")

SAMPLES = [
    [(np.arange(3, dtype=np.float32), 1), (np.arange(3, dtype=np.float32) + 1, 2)],
    [{"x": 1.5, "y": np.int32(4), "name": "a"}, {"x": 2.5, "y": np.int32(5), "name": "b"}],
    [[np.float64(1.0), True], [np.float64(2.0), False]],
    [Point(1, 2.0), Point(3, 4.0)],
]


def _structure(obj):
    """(type name, dtype, values) tree of a batch, library-neutral."""
    if hasattr(obj, "numpy") and hasattr(obj, "dtype"):
        return ("tensor", str(obj.dtype).replace("torch.", "").replace("minigrad.", ""), obj.numpy().tolist())
    if isinstance(obj, dict):
        return {k: _structure(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [_structure(v) for v in obj])
    return obj


@pytest.mark.parametrize("batch", SAMPLES, ids=["tuple", "dict", "list", "namedtuple"])
def test_default_collate_matches_torch(batch):
    ours = _structure(default_collate(batch))
    torch = _torch()
    assert ours == _structure(torch.utils.data.default_collate(batch))


def test_default_collate_numpy_reference_and_errors():
    x, y = default_collate([(np.ones(2), 3), (np.zeros(2), 4)])
    np.testing.assert_array_equal(x.numpy(), [[1, 1], [0, 0]])
    assert y.dtype == np.int64 and y.tolist() == [3, 4]
    stacked = default_collate([minigrad.tensor([1.0, 2.0]), minigrad.tensor([3.0, 4.0])])
    np.testing.assert_array_equal(stacked.numpy(), [[1, 2], [3, 4]])
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors, numpy arrays, numbers"):
        default_collate([object(), object()])
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [1]])


# ----------------------------------------------------------------------------- DataLoader
def test_dataloader_batches_match_torch():
    x, y = _xy(10)
    loader = DataLoader(TensorDataset(minigrad.tensor(x), minigrad.tensor(y)), batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and len(loader.dataset) == 10 and loader.batch_size == 4
    assert isinstance(batches[0], list) and len(batches[0]) == 2   # a batch of tuples is a list, as in torch
    np.testing.assert_array_equal(_flat(batches, 0), x)
    np.testing.assert_array_equal(_flat(batches, 1), y)
    torch = _torch()
    tl = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y)), batch_size=4)
    assert len(tl) == len(loader)
    assert [_structure(b) for b in batches] == [_structure(b) for b in tl]


def test_dataloader_drop_last_and_subset_fast_path():
    x, y = _xy(10)
    ds = TensorDataset(minigrad.tensor(x), minigrad.tensor(y))
    loader = DataLoader(ds, batch_size=4, drop_last=True)
    assert len(loader) == 2 and [b[0].shape[0] for b in loader] == [4, 4]
    sub = Subset(ds, [9, 0, 4])
    (bx, by), = list(DataLoader(sub, batch_size=3))
    np.testing.assert_array_equal(bx.numpy(), x[[9, 0, 4]])
    np.testing.assert_array_equal(by.numpy(), y[[9, 0, 4]])


def test_generic_dataset_custom_collate_and_unbatched():
    class Squares(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return {"x": np.full(2, i, dtype=np.float32), "y": i * i}

    b = next(iter(DataLoader(Squares(), batch_size=5)))
    assert b["y"].tolist() == [0, 1, 4, 9, 16] and b["x"].shape == (5, 2)
    assert next(iter(DataLoader(Squares(), batch_size=2, collate_fn=len))) == 2
    single = list(DataLoader(Squares(), batch_size=None))
    assert len(single) == 5 and isinstance(single[2]["x"], minigrad.Tensor) and single[2]["y"] == 4


def test_shuffle_with_generator_and_with_manual_seed():
    ds = TensorDataset(minigrad.tensor(np.arange(20)))

    def epoch(**kw):
        return _flat(list(DataLoader(ds, batch_size=6, shuffle=True, **kw)), 0).tolist()

    a = epoch(generator=minigrad.Generator().manual_seed(0))
    assert a == epoch(generator=minigrad.Generator().manual_seed(0))
    assert a != epoch(generator=minigrad.Generator().manual_seed(1))
    assert sorted(a) == list(range(20)) and a != list(range(20))
    minigrad.manual_seed(5)
    b = epoch()
    minigrad.manual_seed(5)
    assert b == epoch()
    g = minigrad.Generator().manual_seed(0)
    loader = DataLoader(ds, batch_size=20, shuffle=True, generator=g)
    assert _flat(list(loader), 0).tolist() != _flat(list(loader), 0).tolist()   # a new order each epoch


def test_num_workers_runs_in_process():
    x, y = _xy(9)
    seen = []
    loader = DataLoader(TensorDataset(minigrad.tensor(x), minigrad.tensor(y)), batch_size=4, num_workers=2,
                        worker_init_fn=seen.append, persistent_workers=True, prefetch_factor=3, pin_memory=True)
    np.testing.assert_array_equal(_flat(list(loader), 0), x)
    assert seen == [0] and loader.prefetch_factor == 3


@pytest.mark.parametrize("kwargs, msg", [
    ({"num_workers": -1}, "num_workers option should be non-negative"),
    ({"timeout": -1}, "timeout option should be non-negative"),
    ({"prefetch_factor": 2}, "prefetch_factor option could only be specified in multiprocessing"),
    ({"persistent_workers": True}, "persistent_workers option needs num_workers > 0"),
    ({"sampler": [0, 1], "shuffle": True}, "sampler option is mutually exclusive with shuffle"),
    ({"batch_sampler": [[0, 1]], "batch_size": 2}, "batch_sampler option is mutually exclusive with batch_size"),
    ({"batch_size": None, "drop_last": True}, "batch_size=None option disables auto-batching"),
    ({"batch_size": 0}, "batch_size should be a positive integer value, but got batch_size=0"),
    ({"multiprocessing_context": "spawn"}, "multiprocessing_context can only be used with multi-process loading"),
])
def test_dataloader_errors_match_torch(kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        DataLoader(list(range(4)), **kwargs)
    torch = _torch()
    with pytest.raises(ValueError, match=msg):
        torch.utils.data.DataLoader(list(range(4)), **kwargs)


def test_dataloader_attributes_frozen_and_batch_sampler():
    loader = DataLoader(list(range(6)), batch_sampler=[[0, 5], [1]])
    assert loader.batch_size is None and [b.tolist() for b in loader] == [[0, 5], [1]] and len(loader) == 2
    with pytest.raises(ValueError, match="batch_size attribute should not be set after DataLoader is initialized"):
        loader.batch_size = 3


# ----------------------------------------------------------------------------- Generator
def test_generator_seed_state_and_randperm():
    g = minigrad.Generator()
    assert g.manual_seed(7) is g and g.initial_seed() == 7
    state = g.get_state()
    assert isinstance(state, minigrad.Tensor) and state.dtype == np.uint8
    a = minigrad.randperm(10, generator=g)
    g.set_state(state)
    b = minigrad.randperm(10, generator=g)
    assert a.dtype == np.int64 and sorted(a.tolist()) == list(range(10)) and a.tolist() == b.tolist()
    s = g.seed()
    assert g.initial_seed() == s
    assert minigrad.manual_seed(3) is minigrad.default_generator and minigrad.initial_seed() == 3
    assert minigrad.Generator().manual_seed(-1).initial_seed() == 2 ** 64 - 1   # torch's wrap-around


def test_global_rng_state_round_trip():
    state = minigrad.get_rng_state()
    a = minigrad.rand(4).numpy().copy()
    minigrad.set_rng_state(state)
    np.testing.assert_array_equal(minigrad.rand(4).numpy(), a)


@pytest.mark.parametrize("args, exc, msg", [
    ((-1,), RuntimeError, "Trying to create tensor with negative dimension -1"),
    ((2.0,), TypeError, r"randperm\(\): argument 'n' \(position 1\) must be int, not float"),
])
def test_randperm_errors_match_torch(args, exc, msg):
    with pytest.raises(exc, match=msg):
        minigrad.randperm(*args)
    torch = _torch()
    with pytest.raises(exc, match=msg):
        torch.randperm(*args)


# ----------------------------------------------------------------------------- iterable datasets
def _stream(lib, n):
    class Stream(lib.utils.data.IterableDataset):
        def __iter__(self):
            return iter([(np.float32(i), i % 2) for i in range(n)])

        def __len__(self):
            return n

    return Stream()


@pytest.mark.parametrize("kwargs", [{"batch_size": 3}, {"batch_size": 3, "drop_last": True}, {"batch_size": None}])
def test_iterable_dataset_batches_match_torch(kwargs):
    loader = DataLoader(_stream(minigrad, 7), **kwargs)
    batches = [_structure(b) for b in loader]
    n_batches = {3: 3, None: 7}[kwargs["batch_size"]] - (1 if kwargs.get("drop_last") else 0)
    assert len(batches) == len(loader) == n_batches
    torch = _torch()
    tl = torch.utils.data.DataLoader(_stream(torch, 7), **kwargs)
    assert len(tl) == len(loader)
    assert batches == [_structure(b) for b in tl]


def test_iterable_dataset_chain_and_errors():
    both = _stream(minigrad, 2) + _stream(minigrad, 3)
    assert isinstance(both, minigrad.utils.data.ChainDataset) and len(list(both)) == 5 and len(both) == 5
    with pytest.raises(AssertionError, match="ConcatDataset does not support IterableDataset"):
        ConcatDataset([_stream(minigrad, 2)])
    for kwargs, msg in (({"shuffle": True}, "expected unspecified shuffle option"),
                        ({"sampler": [0]}, "expected unspecified sampler option")):
        with pytest.raises(ValueError, match=f"DataLoader with IterableDataset: {msg}"):
            DataLoader(_stream(minigrad, 2), **kwargs)
        torch = _torch()
        with pytest.raises(ValueError, match=f"DataLoader with IterableDataset: {msg}"):
            torch.utils.data.DataLoader(_stream(torch, 2), **kwargs)
