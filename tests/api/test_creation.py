"""Creation functions: values, dtypes, shapes, memory sharing and errors, against NumPy and torch."""
import math

import numpy as np
import pytest

import minigrad


def _torch():
    return pytest.importorskip("torch")


def _same(m, t):
    """A minigrad tensor equals a torch tensor: dtype, shape, values."""
    assert str(m.dtype).replace("minigrad.", "torch.") == str(t.dtype)
    assert tuple(m.shape) == tuple(t.shape)
    np.testing.assert_allclose(m.numpy(), t.numpy(), rtol=1e-6, atol=1e-7)


# ***** tensor / as_tensor / from_numpy *****

DATA = [1.5, [1, 2], [True, False], [[1.0, 2.0], [3.0, 4.0]], 7, True, [], [[1, 2.5]],
        np.arange(3, dtype=np.float64), np.arange(3, dtype=np.int32), np.array([1, 2], np.uint8)]


@pytest.mark.parametrize("data", DATA, ids=str)
def test_tensor_infers_dtype_like_torch(data):
    torch = _torch()
    _same(minigrad.tensor(data), torch.tensor(data))


def test_tensor_dtypes_without_torch():
    assert minigrad.tensor(1.5).dtype is minigrad.float32 and minigrad.tensor(1.5).shape == ()
    assert minigrad.tensor([1, 2]).dtype is minigrad.int64
    assert minigrad.tensor(np.zeros(2)).dtype is minigrad.float64   # an ndarray keeps its dtype
    assert minigrad.tensor([1, 2], dtype=minigrad.float64).dtype is minigrad.float64
    assert minigrad.tensor([[1, 2]], dtype=np.int32).shape == (1, 2)


def test_tensor_copies():
    a = np.zeros(3, np.float32)
    t = minigrad.tensor(a)
    a[0] = 1
    assert t[0].item() == 0
    src = minigrad.tensor([1.0, 2.0])
    copy = minigrad.tensor(src)
    src.add_(1)
    assert copy.tolist() == [1.0, 2.0]


def test_tensor_of_tensors():
    parts = [minigrad.tensor(1.0), minigrad.tensor(2.5)]
    t = minigrad.tensor(parts)
    assert t.tolist() == [1.0, 2.5] and t.dtype is minigrad.float32
    rows = minigrad.tensor([minigrad.tensor([1, 2]), minigrad.tensor([3, 4])])
    assert rows.shape == (2, 2) and rows.dtype is minigrad.int64
    assert minigrad.tensor([minigrad.tensor(1.0, dtype=minigrad.float64)]).dtype is minigrad.float64


def test_tensor_of_tensors_like_torch():
    torch = _torch()
    _same(minigrad.tensor([minigrad.tensor(1.0), minigrad.tensor(2.5)]), torch.tensor([torch.tensor(1.0), torch.tensor(2.5)]))


def test_tensor_requires_grad_and_errors():
    t = minigrad.tensor([1.0], requires_grad=True)
    assert t.requires_grad and t.is_leaf
    with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype can require gradients"):
        minigrad.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="Could not infer dtype"):
        minigrad.tensor(["a"])
    with pytest.raises(RuntimeError, match="CPU only"):
        minigrad.tensor([1.0], device="cuda")


def test_tensor_requires_grad_int_message_like_torch():
    torch = _torch()
    with pytest.raises(RuntimeError) as t_err:
        torch.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError) as m_err:
        minigrad.tensor([1, 2], requires_grad=True)
    assert str(m_err.value) == str(t_err.value)


def test_as_tensor_shares_when_it_can():
    a = np.arange(3, dtype=np.float32)
    t = minigrad.as_tensor(a)
    a[0] = 9
    assert t[0].item() == 9
    assert minigrad.as_tensor(a, dtype=minigrad.float32)._data is a
    c = minigrad.as_tensor(a, dtype=minigrad.float64)   # a different dtype is a copy
    a[1] = 7
    assert c.dtype is minigrad.float64 and c[1].item() == 1
    x = minigrad.tensor([1.0])
    assert minigrad.as_tensor(x) is x and minigrad.as_tensor([1, 2]).dtype is minigrad.int64
    assert minigrad.as_tensor(x, dtype=minigrad.float64).dtype is minigrad.float64


def test_from_numpy_shares_both_ways():
    a = np.arange(4, dtype=np.float32)
    t = minigrad.from_numpy(a)
    t.add_(1)                    # in-place op on the tensor shows in the array
    np.testing.assert_array_equal(a, [1, 2, 3, 4])
    a[0] = -1                    # and a write to the array shows in the tensor
    assert t[0].item() == -1
    t.mul_(2)
    np.testing.assert_array_equal(a, [-2, 4, 6, 8])
    assert t.numpy() is a
    for dt in (np.float64, np.int64, np.int32, np.uint8, np.bool_):
        assert minigrad.from_numpy(np.zeros(2, dt)).dtype == dt


def test_from_numpy_errors_like_torch():
    torch = _torch()
    with pytest.raises(TypeError, match="expected np.ndarray"):
        minigrad.from_numpy([1, 2])
    with pytest.raises(TypeError):
        torch.from_numpy([1, 2])
    for bad in (np.array(["a"]), np.zeros(2, np.complex64)):
        with pytest.raises(TypeError, match="can't convert np.ndarray"):
            minigrad.from_numpy(bad)


def test_is_tensor_and_numel():
    x = minigrad.zeros(2, 3)
    assert minigrad.is_tensor(x) and not minigrad.is_tensor(np.zeros(2)) and not minigrad.is_tensor(1.0)
    assert minigrad.numel(x) == 6 and minigrad.numel(minigrad.tensor(1.0)) == 1


# ***** factories *****

FACTORIES = ["zeros", "ones", "empty"]


@pytest.mark.parametrize("name", FACTORIES)
@pytest.mark.parametrize("size", [(2, 3), ((2, 3),), ([2, 3],), (0,), ()], ids=str)
def test_factory_sizes_and_dtypes(name, size):
    f = getattr(minigrad, name)
    shape = size[0] if size and isinstance(size[0], (tuple, list)) else size
    x = f(*size)
    assert x.shape == tuple(shape) and x.dtype is minigrad.float32 and not x.requires_grad
    y = f(*size, dtype=minigrad.int64, device="cpu")
    assert y.dtype is minigrad.int64
    assert f(*size, dtype=minigrad.float64, requires_grad=True).requires_grad
    assert f(minigrad.Size(shape)).shape == tuple(shape)
    if name != "empty":
        np.testing.assert_array_equal(x.numpy(), getattr(np, name)(shape))


@pytest.mark.parametrize("name", FACTORIES)
def test_factory_bad_sizes_like_torch(name):
    torch = _torch()
    for bad, exc in [((-1,), RuntimeError), ((2.5,), TypeError), (("a",), TypeError)]:
        with pytest.raises(exc):
            getattr(torch, name)(*bad)
        with pytest.raises(exc):
            getattr(minigrad, name)(*bad)


@pytest.mark.parametrize("fill,dtype", [(1, None), (True, None), (1.5, None), (2, minigrad.float64),
                                        (2.7, minigrad.int32), (minigrad.tensor(3.0), None)], ids=str)
def test_full_dtype_inference_like_torch(fill, dtype):
    torch = _torch()
    t_fill = torch.tensor(fill.item()) if isinstance(fill, minigrad.Tensor) else fill
    t_dtype = None if dtype is None else getattr(torch, str(dtype).split(".")[1])
    _same(minigrad.full((2, 3), fill, dtype=dtype), torch.full((2, 3), t_fill, dtype=t_dtype))


def test_full_without_torch():
    x = minigrad.full((2,), 7)
    assert x.dtype is minigrad.int64 and x.tolist() == [7, 7]
    assert minigrad.full([3], True).dtype is minigrad.bool and minigrad.full((1,), 0.5).dtype is minigrad.float32
    assert minigrad.full((2, 2), 1.0, requires_grad=True).requires_grad


ARANGES = [(5,), (1, 4), (1.0, 4), (0, 1, 0.3), (0, 1, 0.1), (0.5, 2.5, 0.5), (10, 0, -3), (1, 2.5, 0.5), (0, 0),
           (-1.5, 1.0, 0.25), (0, 10, 3), (3, 1, -1)]


@pytest.mark.parametrize("args", ARANGES, ids=str)
def test_arange_like_torch(args):
    torch = _torch()
    _same(minigrad.arange(*args), torch.arange(*args))
    _same(minigrad.arange(*args, dtype=minigrad.float64), torch.arange(*args, dtype=torch.float64))


def test_arange_length_and_errors():
    for start, end, step in [(0, 1, 0.3), (0, 1, 0.1), (-1.5, 1.0, 0.25)]:
        assert len(minigrad.arange(start, end, step)) == math.ceil((end - start) / step)
    assert minigrad.arange(5).dtype is minigrad.int64 and minigrad.arange(5.0).dtype is minigrad.float32
    np.testing.assert_array_equal(minigrad.arange(2, 11, 3).numpy(), np.arange(2, 11, 3))
    assert minigrad.arange(start=1, end=3).tolist() == [1, 2]
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        minigrad.arange(0, 1, 0)
    with pytest.raises(RuntimeError, match="upper bound and lower bound inconsistent with step sign"):
        minigrad.arange(1, 0, 1)


@pytest.mark.parametrize("args", [(0, 1, 5), (-2, 3.5, 7), (1, 1, 1), (0, 1, 0), (3, -3, 4)], ids=str)
def test_linspace_logspace_like_torch(args):
    torch = _torch()
    _same(minigrad.linspace(*args), torch.linspace(*args))
    _same(minigrad.logspace(*args), torch.logspace(*args))
    _same(minigrad.logspace(*args, base=2.0), torch.logspace(*args, base=2.0))
    _same(minigrad.linspace(*args, dtype=minigrad.float64), torch.linspace(*args, dtype=torch.float64))


def test_linspace_logspace_without_torch():
    np.testing.assert_allclose(minigrad.linspace(0, 1, 5).numpy(), [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_allclose(minigrad.logspace(0, 2, 3).numpy(), [1, 10, 100])
    with pytest.raises(RuntimeError, match="number of steps must be non-negative"):
        minigrad.linspace(0, 1, -1)
    with pytest.raises(TypeError, match="steps"):
        minigrad.linspace(0, 1, 2.5)


@pytest.mark.parametrize("args", [(3,), (2, 4), (4, 2), (0,)], ids=str)
def test_eye_like_torch(args):
    torch = _torch()
    _same(minigrad.eye(*args), torch.eye(*args))
    _same(minigrad.eye(*args, dtype=minigrad.int64), torch.eye(*args, dtype=torch.int64))


def test_eye_without_torch():
    np.testing.assert_array_equal(minigrad.eye(2, 3).numpy(), np.eye(2, 3))
    with pytest.raises(RuntimeError, match="n must be greater or equal to 0, got -1"):
        minigrad.eye(-1)


# ***** random factories *****

def test_random_factories_shapes_dtypes_and_ranges():
    r = minigrad.randint(3, 10, (1000,))
    assert r.dtype is minigrad.int64 and r.shape == (1000,) and r.min().item() >= 3 and r.max().item() <= 9
    assert set(minigrad.randint(2, (500,)).tolist()) == {0, 1}
    assert minigrad.randint(0, 5, (2, 2), dtype=minigrad.int32).dtype is minigrad.int32
    p = minigrad.randperm(10)
    assert p.dtype is minigrad.int64 and sorted(p.tolist()) == list(range(10))
    assert minigrad.rand(2, 3).dtype is minigrad.float32 and minigrad.randn((2, 3), dtype=minigrad.float64).dtype is minigrad.float64
    n = minigrad.normal(2.0, 0.5, (20000,))
    assert abs(n.mean().item() - 2.0) < 0.02 and abs(float(np.std(n.numpy())) - 0.5) < 0.02
    m = minigrad.normal(minigrad.zeros(3, dtype=minigrad.float64), 1.0)
    assert m.shape == (3,) and m.dtype is minigrad.float64
    with pytest.raises(RuntimeError, match="random_ expects 'from' to be less than 'to'"):
        minigrad.randint(5, 5, (2,))
    with pytest.raises(RuntimeError, match="normal expects all elements of std >= 0.0"):
        minigrad.normal(0.0, -1.0, (2,))


def test_random_factories_follow_manual_seed():
    minigrad.manual_seed(3)
    a = [minigrad.randint(0, 100, (5,)).tolist(), minigrad.randperm(5).tolist(), minigrad.normal(0.0, 1.0, (3,)).tolist()]
    minigrad.manual_seed(3)
    b = [minigrad.randint(0, 100, (5,)).tolist(), minigrad.randperm(5).tolist(), minigrad.normal(0.0, 1.0, (3,)).tolist()]
    assert a == b


@pytest.mark.parametrize("name,args", [("zeros_like", ()), ("ones_like", ()), ("empty_like", ()), ("full_like", (4,)),
                                       ("rand_like", ()), ("randn_like", ()), ("randint_like", (5,)),
                                       ("randint_like", (2, 5))], ids=str)
def test_like_functions(name, args):
    torch = _torch()
    f = getattr(minigrad, name)
    for dtype in (minigrad.float32, minigrad.float64):
        x = minigrad.zeros(2, 3, dtype=dtype)
        t = torch.zeros(2, 3, dtype=getattr(torch, str(dtype).split(".")[1]))
        m, r = f(x, *args), getattr(torch, name)(t, *args)
        assert m.shape == r.shape and str(m.dtype).replace("minigrad", "torch") == str(r.dtype)
        assert f(x, *args, dtype=minigrad.float64).dtype is minigrad.float64
    if name in ("zeros_like", "ones_like", "full_like"):
        np.testing.assert_array_equal(m.numpy(), r.numpy())
    if name == "randint_like":
        assert m.min().item() >= (args[0] if len(args) == 2 else 0) and m.max().item() < args[-1]
    assert f(x, *args, requires_grad=True).requires_grad if name != "randint_like" else True


def test_like_functions_keep_int_dtypes():
    i = minigrad.tensor([[1, 2, 3]])
    assert minigrad.zeros_like(i).dtype is minigrad.int64 and minigrad.full_like(i, 2.7).tolist() == [[2, 2, 2]]
    assert minigrad.ones_like(i, dtype=minigrad.float32).dtype is minigrad.float32


# ***** legacy constructor and x.new_* *****

def test_legacy_constructor_like_torch():
    torch = _torch()
    for args in [([1, 2],), ([1.5, 2.5],), (np.array([1, 2]),), (np.array([1.0, 2.0]),), ([[True, False]],)]:
        _same(minigrad.Tensor(*args), torch.Tensor(*args))
    for args in [(2, 3), (minigrad.Size([4]),), (0,), ()]:
        t_args = tuple(torch.Size(a) if isinstance(a, minigrad.Size) else a for a in args)
        m, t = minigrad.Tensor(*args), torch.Tensor(*t_args)
        assert m.shape == t.shape and m.dtype is minigrad.float32
    with pytest.raises(TypeError, match="new\\(\\): data must be a sequence \\(got float\\)"):
        minigrad.Tensor(2.5)
    with pytest.raises(TypeError):
        torch.Tensor(2.5)


def test_legacy_constructor_of_a_tensor_shares():
    x = minigrad.tensor([1.0, 2.0], dtype=minigrad.float64)
    y = minigrad.Tensor(x)
    assert y is not x and y.dtype is minigrad.float64 and y.data_ptr() == x.data_ptr()


@pytest.mark.parametrize("dtype", [minigrad.float32, minigrad.float64, minigrad.int32])
def test_new_methods(dtype):
    x = minigrad.zeros(1, dtype=dtype)
    for m in (x.new_ones(2, 3), x.new_ones((2, 3)), x.new_zeros([2, 3]), x.new_empty(2, 3), x.new_full((2, 3), 5)):
        assert m.shape == (2, 3) and m.dtype is dtype
    assert x.new_ones(2).tolist() == [1, 1] and x.new_full((2,), 5).tolist() == [5, 5]
    t = x.new_tensor([1.5, 2.5])
    assert t.dtype is dtype and t.shape == (2,)
    assert x.new_tensor([1, 2], dtype=minigrad.float64).dtype is minigrad.float64
    assert x.new_zeros(2, dtype=minigrad.int64).dtype is minigrad.int64
    assert x.new_ones(2, dtype=minigrad.float64, requires_grad=True).requires_grad


def test_new_methods_like_torch():
    torch = _torch()
    for dt in ("float32", "float64", "int32", "int64"):
        m, t = minigrad.zeros(1, dtype=getattr(minigrad, dt)), torch.zeros(1, dtype=getattr(torch, dt))
        _same(m.new_tensor([1.5, 2.5]), t.new_tensor([1.5, 2.5]))
        _same(m.new_full((2,), 3.7), t.new_full((2,), 3.7))
        _same(m.new_ones(2, 3), t.new_ones(2, 3))
        _same(m.new_zeros((2,)), t.new_zeros((2,)))


def test_random_factories_draw_from_the_generator_given():
    for make in (lambda g: minigrad.rand(3, generator=g), lambda g: minigrad.randn(3, generator=g),
                 lambda g: minigrad.randint(0, 100, (3,), generator=g),
                 lambda g: minigrad.normal(0.0, 1.0, (3,), generator=g)):
        a = make(minigrad.Generator().manual_seed(7))
        minigrad.manual_seed(123)           # the global generator's state must not matter
        b = make(minigrad.Generator().manual_seed(7))
        assert a.tolist() == b.tolist()
        assert make(minigrad.Generator().manual_seed(8)).tolist() != a.tolist()
