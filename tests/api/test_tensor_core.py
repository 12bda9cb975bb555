"""The Tensor's core surface: Size, shape queries, conversions, autograd flags, memory layout, repr."""
import numpy as np
import pytest

import minigrad


def _torch():
    return pytest.importorskip("torch")


# ***** Size and shape queries *****

def test_size_is_a_tuple_that_prints_like_torch():
    x = minigrad.zeros(2, 3)
    s = x.size()
    assert isinstance(s, minigrad.Size) and isinstance(s, tuple) and s == (2, 3) and x.shape == s
    assert repr(s) == str(s) == "minigrad.Size([2, 3])" and repr(minigrad.tensor(1.0).shape) == "minigrad.Size([])"
    assert isinstance(s[1:], minigrad.Size) and s[1:] == (3,) and s[0] == 2 and isinstance(s[0], int)
    assert isinstance(s + (4,), minigrad.Size) and s + (4,) == (2, 3, 4) and s.numel() == 6
    assert x.size(1) == 3 and x.size(-1) == 3 and x.size(dim=0) == 2


def test_size_like_torch():
    torch = _torch()
    t, m = torch.zeros(2, 3), minigrad.zeros(2, 3)
    for f in (lambda x: x.size(), lambda x: x.shape, lambda x: x.shape[1:], lambda x: x.shape + (4,),
              lambda x: x[0, 0].shape):
        assert repr(f(m)).replace("minigrad.", "torch.") == repr(f(t))
    with pytest.raises(IndexError) as t_err:
        t.size(5)
    with pytest.raises(IndexError) as m_err:
        m.size(5)
    assert str(m_err.value) == str(t_err.value)


def test_dim_numel_len():
    x = minigrad.zeros(4, 2, 3)
    assert x.dim() == x.ndimension() == x.ndim == 3 and x.numel() == x.nelement() == 24 and len(x) == 4
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(minigrad.tensor(1.0))


# ***** conversions *****

def test_item_tolist_numpy():
    assert minigrad.tensor([[2.5]]).item() == 2.5 and isinstance(minigrad.tensor(3).item(), int)
    assert minigrad.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]] and minigrad.tensor(1.5).tolist() == 1.5
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted to Scalar"):
        minigrad.tensor([1.0, 2.0]).item()
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="Can't call numpy\\(\\) on Tensor that requires grad"):
        x.numpy()
    a = x.numpy(force=True)
    assert isinstance(a, np.ndarray) and a.tolist() == [1.0, 2.0]


def test_index_conversion():
    assert [10, 20, 30][minigrad.tensor(1)] == 20
    with pytest.raises(TypeError):
        [1, 2][minigrad.tensor(1.0)]


@pytest.mark.parametrize("value,spec", [(1.5, "+.2f"), (2.0, ".3e"), (3, "d"), (0.25, "")])
def test_format_like_torch(value, spec):
    torch = _torch()
    assert format(minigrad.tensor(value), spec) == format(torch.tensor(value), spec) == format(value, spec)


def test_format_of_many_elements():
    torch = _torch()
    assert format(minigrad.tensor([1.5, 2.0]), "") == str(minigrad.tensor([1.5, 2.0])) == "tensor([1.5000, 2.0000])"
    assert f"{minigrad.tensor(0.123456):.3f}" == "0.123"
    with pytest.raises(TypeError):
        format(torch.tensor([1.5, 2.0]), ".2f")
    with pytest.raises(TypeError, match="unsupported format string passed to Tensor.__format__"):
        format(minigrad.tensor([1.5, 2.0]), ".2f")


# ***** autograd surface *****

def test_clone_detach_and_flags():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert x.is_leaf and not y.is_leaf
    c = y.clone(memory_format=None)
    assert c.grad_fn is not None and c.data_ptr() != y.data_ptr()
    d = y.detach()
    assert d.is_leaf and not d.requires_grad and d.data_ptr() == y.data_ptr()
    z = x * 3
    assert z.detach_() is z and z.is_leaf and not z.requires_grad and z.grad_fn is None
    w = minigrad.tensor([1.0])
    assert w.requires_grad_() is w and w.requires_grad and w.requires_grad_(False) is w and not w.requires_grad
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require gradients"):
        minigrad.tensor([1]).requires_grad_()


def test_retain_grad():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    assert not y.retains_grad
    y.retain_grad()
    y.retain_grad()   # twice is once
    assert y.retains_grad and not x.retains_grad
    z = y * 3
    (z.sum()).backward()
    np.testing.assert_allclose(y.grad.numpy(), [3.0, 3.0])
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 12.0])
    assert z.grad is None
    x.grad.zero_()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])
    x.retain_grad()   # a leaf: no-op
    with pytest.raises(RuntimeError, match="can't retain_grad on Tensor that has requires_grad=False"):
        minigrad.tensor([1.0]).retain_grad()


def test_retain_grad_like_torch():
    torch = _torch()
    out = []
    for lib in (torch, minigrad):
        x = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        y = x.exp() * x
        y.retain_grad()
        (y * lib.tensor([1.0, 2.0, 3.0])).sum().backward(retain_graph=True)
        first = y.grad.numpy().copy()
        (y * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
        out.append((first, y.grad.numpy().copy(), x.grad.numpy().copy(), y.retains_grad, x.retains_grad))
    for t, m in zip(*out):
        np.testing.assert_allclose(m, t, rtol=1e-6)


# ***** memory layout *****

def test_stride_data_ptr_storage_offset():
    x = minigrad.zeros(2, 3)
    assert x.stride() == (3, 1) and x.stride(0) == 3 and x.stride(-1) == 1
    assert x.T.stride() == (1, 3)
    row = x[1]
    assert row.storage_offset() == 3 and x.storage_offset() == 0
    assert row.data_ptr() == x.data_ptr() + 3 * x.element_size()
    assert minigrad.zeros(4, dtype=minigrad.float64)[1:].storage_offset() == 1


def test_stride_like_torch():
    torch = _torch()
    t, m = torch.zeros(2, 3, 4), minigrad.zeros(2, 3, 4)
    for f in (lambda x: x.stride(), lambda x: x.permute(2, 0, 1).stride(), lambda x: x[:, 1].stride(),
              lambda x: x[1].storage_offset(), lambda x: x[1, 2].storage_offset(), lambda x: x.stride(1)):
        assert f(m) == f(t)


# ***** repr *****

REPR_CASES = [
    ([0.5, 0.25], {}), ([1.0, 2.0], {}), ([0.5, 1.23456], {}), ([1e5, 1e-3], {}), ([1e-5, 1.0], {}),
    ([1e9, 1.0], {}), ([1.0, float("nan"), float("inf")], {}), ([0.0, -0.0], {}), ([[1.5, -2.0], [3.0, 4.25]], {}),
    ([[[1.0]]], {}), (3.0, {}), (-0.5, {}), ([1, 2, -30], {}), ([True, False], {}), ([1.0, 2.0], {"dtype": "float64"}),
    ([1, 2], {"dtype": "int32"}), ([1, 2], {"dtype": "uint8"}), ([], {}), ([], {"dtype": "int64"}),
    ([1.5, 2.0], {"requires_grad": True}), (list(range(2000)), {}), ([[float(i) for i in range(30)]] * 3, {}),
    ([[0.1 * i for i in range(12)]] * 40, {}), ([123456.789, 0.5], {}), ([1e-3, 2e-3], {}),
]


@pytest.mark.parametrize("data,kwargs", REPR_CASES, ids=lambda v: str(v)[:30])
def test_repr_like_torch(data, kwargs):
    torch = _torch()
    t_kwargs = {k: getattr(torch, v) if k == "dtype" else v for k, v in kwargs.items()}
    m_kwargs = {k: getattr(minigrad, v) if k == "dtype" else v for k, v in kwargs.items()}
    t, m = torch.tensor(data, **t_kwargs), minigrad.tensor(data, **m_kwargs)
    assert repr(m) == repr(t).replace("torch.", "minigrad.")


def test_repr_of_shapes_and_graphs_like_torch():
    torch = _torch()
    for lib_pair in [(torch, minigrad)]:
        outs = []
        for lib in lib_pair:
            x = lib.tensor([1.0, 2.0], requires_grad=True)
            outs.append([repr(lib.zeros(0, 3)), repr(x * 2), repr(x * 2 + 1), repr(x.exp()),
                         repr(lib.zeros(2, 0, dtype=lib.float64)), repr(lib.ones(2, 1, 1)), repr(lib.tensor(True))])
        assert [s.replace("minigrad.", "torch.") for s in outs[1]] == outs[0]


def test_repr_without_torch():
    assert repr(minigrad.tensor([0.5, 0.25])) == "tensor([0.5000, 0.2500])"
    assert repr(minigrad.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(minigrad.tensor([1e5, 1e-3])) == "tensor([1.0000e+05, 1.0000e-03])"
    assert repr(minigrad.tensor([1.0], dtype=minigrad.float64)) == "tensor([1.], dtype=minigrad.float64)"
    assert repr(minigrad.tensor([1, 2], dtype=minigrad.int32)) == "tensor([1, 2], dtype=minigrad.int32)"
    assert repr(minigrad.tensor([True])) == "tensor([True])"
    x = minigrad.tensor([1.0], requires_grad=True)
    assert repr(x) == "tensor([1.], requires_grad=True)" and repr(x * 2) == "tensor([2.], grad_fn=<MulBackward0>)"
    assert repr(minigrad.zeros(0, 3)) == "tensor([], size=(0, 3))"
    assert repr(minigrad.nn.Parameter(minigrad.ones(1))) == "Parameter containing:\ntensor([1.], requires_grad=True)"
