"""minigrad.dtype, minigrad.device, conversions between dtypes, Module.to."""
import pickle

import numpy as np
import pytest

import minigrad

NAMES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]
ALIASES = {"float": "float32", "double": "float64", "half": "float16", "long": "int64", "int": "int32",
           "short": "int16"}


def _torch():
    return pytest.importorskip("torch")


@pytest.fixture
def default_dtype_restored():
    yield
    minigrad.set_default_dtype(minigrad.float32)


# ***** dtype objects *****

@pytest.mark.parametrize("name", NAMES)
def test_dtype_prints_compares_and_hashes_as_numpy(name):
    d = getattr(minigrad, name)
    np_d = np.dtype(np.bool_ if name == "bool" else name)
    assert isinstance(d, minigrad.dtype)
    assert repr(d) == str(d) == f"minigrad.{name}"
    assert d == np_d and np_d == d and d == np_d.type and hash(d) == hash(np_d)
    assert {np_d: "found"}[d] == "found"
    assert d.kind == np_d.kind and d.name == np_d.name and d.type is np_d.type and d.char == np_d.char
    assert d.itemsize == np_d.itemsize and d.is_floating_point == (np_d.kind == "f")
    assert np.zeros(2, dtype=d).dtype == np_d and np.dtype(d) == np_d and np.ones(1).astype(d).dtype == np_d
    assert pickle.loads(pickle.dumps(d)) is d


@pytest.mark.parametrize("alias,name", ALIASES.items())
def test_aliases_are_the_same_objects(alias, name):
    assert getattr(minigrad, alias) is getattr(minigrad, name)


def test_dtypes_differ_from_each_other_and_from_other_objects():
    assert minigrad.float32 != minigrad.float64 and minigrad.int64 != minigrad.int32
    assert minigrad.float32 != np.float64 and minigrad.float32 != None  # noqa: E711
    assert minigrad.float32 != "cpu" and minigrad.float32 != 1.0


@pytest.mark.parametrize("name", NAMES)
def test_dtype_matches_torch(name):
    torch = _torch()
    d, t = getattr(minigrad, name), getattr(torch, name)
    assert repr(d).replace("minigrad.", "torch.") == repr(t)
    assert d.is_floating_point == t.is_floating_point and d.itemsize == t.itemsize
    assert d.is_signed == t.is_signed


def test_tensor_dtype_is_the_singleton():
    assert minigrad.tensor([1.0]).dtype is minigrad.float32
    assert minigrad.tensor([1]).dtype is minigrad.int64
    assert minigrad.tensor([True]).dtype is minigrad.bool
    x = minigrad.tensor([1.0], dtype=minigrad.float64)
    assert x.dtype is minigrad.float64 and x.dtype == np.float64 and x.dtype.kind == "f"


def test_default_dtype(default_dtype_restored):
    assert minigrad.get_default_dtype() is minigrad.float32
    minigrad.set_default_dtype(minigrad.float64)
    assert minigrad.get_default_dtype() is minigrad.float64
    assert minigrad.tensor([1.5]).dtype is minigrad.float64 and minigrad.zeros(2).dtype is minigrad.float64
    assert minigrad.arange(0.0, 1.0, 0.5).dtype is minigrad.float64 and minigrad.tensor([1]).dtype is minigrad.int64
    assert minigrad.tensor([1.0], dtype=minigrad.float32) * 2.0 is not None
    assert repr(minigrad.tensor([1.5])) == "tensor([1.5000])"   # the default dtype is never printed
    assert repr(minigrad.tensor([1.5], dtype=minigrad.float32)) == "tensor([1.5000], dtype=minigrad.float32)"
    assert (minigrad.tensor([1, 2]) * 0.5).dtype is minigrad.float64   # int tensor meets a Python float
    with pytest.raises(TypeError, match="only floating-point types are supported as the default type"):
        minigrad.set_default_dtype(minigrad.int64)
    with pytest.raises(TypeError, match="float32 and float64"):
        minigrad.set_default_dtype(minigrad.float16)
    assert minigrad.get_default_dtype() is minigrad.float64


def test_set_default_dtype_int_raises_like_torch():
    torch = _torch()
    with pytest.raises(TypeError) as t_err:
        torch.set_default_dtype(torch.int64)
    with pytest.raises(TypeError) as m_err:
        minigrad.set_default_dtype(minigrad.int64)
    assert str(m_err.value) == str(t_err.value)


@pytest.mark.parametrize("dtype,name", [(minigrad.float32, "Float"), (minigrad.float64, "Double"),
                                        (minigrad.int64, "Long"), (minigrad.int32, "Int"), (minigrad.int16, "Short"),
                                        (minigrad.int8, "Char"), (minigrad.uint8, "Byte"), (minigrad.bool, "Bool")])
def test_type_names_and_conversion(dtype, name):
    x = minigrad.tensor([1, 0, 2]).to(dtype)
    assert x.dtype is dtype and x.type() == f"minigrad.{name}Tensor"
    assert x.type(minigrad.float64).dtype is minigrad.float64
    assert x.type(f"minigrad.{name}Tensor").dtype is dtype
    assert x.element_size() == np.dtype(dtype).itemsize
    assert x.is_floating_point() == minigrad.is_floating_point(x) == (name in ("Float", "Double"))


def test_type_names_match_torch():
    torch = _torch()
    for d in ("float32", "float64", "int64", "int32", "int16", "int8", "uint8", "bool"):
        t = torch.tensor([1, 0]).to(getattr(torch, d))
        m = minigrad.tensor([1, 0]).to(getattr(minigrad, d))
        assert m.type().replace("minigrad.", "torch.") == t.type()
        assert m.element_size() == t.element_size()


def test_conversion_methods_values():
    x = minigrad.tensor([1.7, -2.5, 0.0])
    np.testing.assert_array_equal(x.int().numpy(), np.array([1, -2, 0], np.int32))
    assert x.int().dtype is minigrad.int32 and x.long().dtype is minigrad.int64
    np.testing.assert_array_equal(x.bool().numpy(), [True, True, False])
    assert x.double().dtype is minigrad.float64 and x.double().float().dtype is minigrad.float32
    assert x.float() is x and x.to(minigrad.float32) is x
    assert x.byte().dtype is minigrad.uint8 and x.short().dtype is minigrad.int16 and x.char().dtype is minigrad.int8


def test_conversion_methods_match_torch():
    torch = _torch()
    data = [1.7, -2.5, 0.0, 3.0]
    for meth in ("int", "long", "bool", "double", "float", "short", "char"):
        t, m = getattr(torch.tensor(data), meth)(), getattr(minigrad.tensor(data), meth)()
        assert str(m.dtype).replace("minigrad", "torch") == str(t.dtype)
        np.testing.assert_array_equal(m.numpy(), t.numpy())


@pytest.mark.parametrize("make", [lambda: minigrad.tensor([1.0]).half(), lambda: minigrad.zeros(2, dtype=minigrad.half),
                                  lambda: minigrad.tensor([1.0]).to(minigrad.float16),
                                  lambda: minigrad.tensor([1.0], dtype=minigrad.float16),
                                  lambda: minigrad.from_numpy(np.zeros(2, np.float16))])
def test_float16_refused_clearly(make):
    with pytest.raises(TypeError, match="float32 and float64|float64, float32"):
        make()


def test_bad_dtype_argument():
    with pytest.raises(TypeError, match="dtype must be a minigrad.dtype"):
        minigrad.zeros(2, dtype="cpu")


def test_python_types_as_dtypes_like_torch():
    assert minigrad.zeros(2, dtype=float).dtype is minigrad.float64   # as torch
    assert minigrad.zeros(2, dtype=int).dtype is minigrad.int64
    assert minigrad.zeros(2, dtype=bool).dtype is minigrad.bool
    assert minigrad.zeros(2, dtype=np.float32).dtype is minigrad.float32


def test_cast_is_differentiable():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    y = x.double()
    assert y.dtype is minigrad.float64 and y.grad_fn is not None
    (y * y).sum().backward()
    assert x.grad.dtype is minigrad.float32
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])
    for to_int in (x.long(), x.int(), x.bool(), x.to(minigrad.int64)):   # as torch: out of the graph
        assert not to_int.requires_grad and to_int.grad_fn is None


# ***** devices *****

def test_device_objects():
    for d in (minigrad.device("cpu"), minigrad.device(type="cpu"), minigrad.device(minigrad.device("cpu"))):
        assert d.type == "cpu" and d.index is None and repr(d) == "device(type='cpu')" and str(d) == "cpu"
    d0 = minigrad.device("cpu:0")
    assert d0.index == 0 and repr(d0) == "device(type='cpu', index=0)" and str(d0) == "cpu:0"
    assert minigrad.device("cpu", 0) == d0 and d0 != minigrad.device("cpu")
    assert minigrad.device("cpu") == minigrad.device("cpu") and hash(minigrad.device("cpu")) == hash(minigrad.device("cpu"))
    assert pickle.loads(pickle.dumps(d0)) == d0


def test_device_objects_match_torch():
    torch = _torch()
    for args in (("cpu",), ("cpu:0",), ("cpu", 0)):
        t, m = torch.device(*args), minigrad.device(*args)
        assert (repr(m), str(m), m.type, m.index) == (repr(t), str(t), t.type, t.index)
    # torch.device never equals a plain string; compare .type instead
    assert (minigrad.device("cpu") == "cpu") == (torch.device("cpu") == "cpu")


@pytest.mark.parametrize("name", ["cuda", "cuda:0", "mps", "xpu", "meta"])
def test_other_devices_refused_at_once(name):
    with pytest.raises(RuntimeError, match="CPU only"):
        minigrad.device(name)
    with pytest.raises(RuntimeError, match="CPU only"):
        minigrad.zeros(2, device=name)
    with pytest.raises(RuntimeError, match="CPU only"):
        minigrad.tensor([1.0]).to(name)


def test_bad_device_strings_like_torch():
    torch = _torch()
    for bad in ("foo", "cpu:x"):
        with pytest.raises(RuntimeError):
            torch.device(bad)
        with pytest.raises(RuntimeError):
            minigrad.device(bad)
    with pytest.raises(RuntimeError, match="Invalid device string: 'cpu:x'"):
        minigrad.device("cpu:x")


def test_tensor_device_and_cpu():
    x = minigrad.tensor([1.0, 2.0])
    assert x.device == minigrad.device("cpu") and repr(x.device) == "device(type='cpu')"
    assert x.is_cuda is False and x.is_cpu is True and x.cpu() is x
    with pytest.raises(RuntimeError, match="CPU only"):
        x.cuda()


def test_to_overloads():
    x = minigrad.tensor([1.0, 2.0])
    assert x.to("cpu") is x and x.to(minigrad.device("cpu")) is x and x.to(device="cpu") is x
    assert x.to(minigrad.float64).dtype is minigrad.float64
    assert x.to("cpu", minigrad.float64).dtype is minigrad.float64
    assert x.to("cpu", dtype=minigrad.int64).dtype is minigrad.int64
    assert x.to(device="cpu", dtype=minigrad.float64).dtype is minigrad.float64
    assert x.to(minigrad.tensor([1], dtype=minigrad.int32)).dtype is minigrad.int32
    assert x.to(device="cpu", dtype=minigrad.float32, copy=False) is x
    y = x.to(minigrad.float32, copy=True)
    assert y is not x and y.dtype is minigrad.float32
    y._data[0] = 5
    assert x[0].item() == 1.0
    with pytest.raises(TypeError, match="unexpected keyword"):
        x.to(dvice="cpu")


def test_to_returns_self_like_torch():
    torch = _torch()
    t = torch.tensor([1.0])
    m = minigrad.tensor([1.0])
    for args, kwargs in [((), {"dtype": None}), (("cpu",), {}), ((), {"device": "cpu", "copy": False}),
                         (("cpu", None), {})]:
        assert (t.to(*args, **kwargs) is t) == (m.to(*args, **kwargs) is m)
    assert (t.to(torch.float32, copy=True) is t) == (m.to(minigrad.float32, copy=True) is m)


def test_accelerator_queries():
    assert minigrad.cuda.is_available() is False and minigrad.cuda.device_count() == 0
    assert minigrad.backends.mps.is_available() is False and minigrad.accelerator.is_available() is False
    minigrad.backends.cudnn.benchmark = True   # scripts set it; harmless here
    minigrad.set_default_device("cpu")
    minigrad.set_default_device(None)
    assert minigrad.get_default_device() == minigrad.device("cpu")
    with pytest.raises(RuntimeError, match="CPU only"):
        minigrad.set_default_device("cuda")
    with pytest.raises(RuntimeError, match="no CUDA device"):
        minigrad.cuda.current_device()


def test_device_agnostic_script_runs():
    device = minigrad.device("cuda" if minigrad.cuda.is_available() else "cpu")
    net = minigrad.nn.Linear(3, 2).to(device)
    out = net(minigrad.randn(4, 3, device=device).to(device))
    assert out.device == device


# ***** Module.to / float / double / half *****

def test_module_dtype_conversion_in_place():
    net = minigrad.nn.Sequential(minigrad.nn.Conv2d(3, 4, 1), minigrad.nn.BatchNorm2d(4))
    params = list(net.parameters())
    before = [p.detach().numpy().copy() for p in params]
    opt = minigrad.optim.SGD(net.parameters(), lr=0.1)
    assert net.double() is net
    assert [p is q for p, q in zip(net.parameters(), params)] == [True] * len(params)
    assert all(p.dtype is minigrad.float64 for p in net.parameters())
    assert net[1].running_mean.dtype is minigrad.float64
    assert net[1].num_batches_tracked.dtype is minigrad.int64   # integer buffers keep their dtype
    for p, b in zip(net.parameters(), before):
        np.testing.assert_array_equal(p.detach().numpy(), b)
    net(minigrad.randn(5, 3, 2, 2, dtype=minigrad.float64)).sum().backward()
    opt.step()   # the optimizer built before the conversion updates the converted parameters
    assert not np.array_equal(params[0].detach().numpy(), before[0])
    assert net.float() is net and all(p.dtype is minigrad.float32 for p in net.parameters())
    assert params[0].grad.dtype is minigrad.float32
    assert net.to("cpu") is net and net.cpu() is net and net.to(minigrad.float64) is net
    assert net.to("cpu", minigrad.float32) is net and params[0].dtype is minigrad.float32
    assert net.to(minigrad.zeros(1, dtype=minigrad.float64)) is net and params[0].dtype is minigrad.float64


def test_module_to_refusals():
    net = minigrad.nn.Linear(2, 2)
    with pytest.raises(TypeError, match="float32 and float64"):
        net.half()
    with pytest.raises(TypeError, match="nn.Module.to only accepts floating point or complex dtypes"):
        net.to(minigrad.int64)
    with pytest.raises(RuntimeError, match="CPU only"):
        net.to("cuda")
    with pytest.raises(RuntimeError, match="CPU only"):
        net.cuda()


def test_module_to_int_matches_torch_message():
    torch = _torch()
    with pytest.raises(TypeError) as t_err:
        torch.nn.Linear(2, 2).to(torch.int64)
    with pytest.raises(TypeError) as m_err:
        minigrad.nn.Linear(2, 2).to(minigrad.int64)
    assert str(m_err.value).replace("minigrad.", "torch.") == str(t_err.value)
