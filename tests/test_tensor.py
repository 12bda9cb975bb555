"""Tensor construction, dtypes, conversion, repr, comparisons, random generator."""
import numpy as np
import pytest

import minigrad
from minigrad import Tensor


def test_default_dtypes():
    assert minigrad.tensor([1.0, 2.0]).dtype == np.float32
    assert minigrad.tensor([1, 2]).dtype == np.int64
    assert minigrad.tensor(np.zeros(2)).dtype == np.float64          # a float64 array stays float64
    assert minigrad.tensor(np.zeros(2, np.float32)).dtype == np.float32
    assert minigrad.tensor([1.0], dtype=minigrad.float64).dtype == np.float64
    assert minigrad.zeros(2, 3).dtype == np.float32 and minigrad.zeros(2, 3).shape == (2, 3)
    assert minigrad.arange(5).dtype == np.int64 and minigrad.arange(0.0, 1.0, 0.5).dtype == np.float32


def test_tensor_copies_but_from_numpy_shares():
    a = np.arange(3.0)
    t = minigrad.tensor(a)
    s = minigrad.from_numpy(a)
    a[0] = 7
    assert t.detach().numpy()[0] == 0 and s.detach().numpy()[0] == 7
    with pytest.raises(TypeError, match="expected np.ndarray"):
        minigrad.from_numpy([1, 2])


def test_factories():
    assert minigrad.ones(2, 2).numpy().sum() == 4
    assert minigrad.full((2, 3), 1.5).numpy().tolist() == [[1.5] * 3] * 2
    assert minigrad.empty((4,)).shape == (4,)
    assert minigrad.zeros((2, 3), requires_grad=True).requires_grad
    assert minigrad.arange(1, 7, 2).tolist() == [1, 3, 5]
    with pytest.raises(RuntimeError, match="negative dimension"):
        minigrad.zeros(-1)


def test_integer_tensors_never_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        minigrad.tensor([1, 2], requires_grad=True)


def test_manual_seed_reproducible():
    minigrad.manual_seed(123)
    a = minigrad.randn(5).numpy().copy()
    b = minigrad.rand(5).numpy().copy()
    minigrad.manual_seed(123)
    np.testing.assert_array_equal(a, minigrad.randn(5).numpy())
    np.testing.assert_array_equal(b, minigrad.rand(5).numpy())
    r = minigrad.rand(10000).numpy()
    assert 0 <= r.min() and r.max() < 1
    with pytest.raises(TypeError):
        minigrad.manual_seed("x")


def test_counter_stream_offsets_advance():
    minigrad.manual_seed(5)
    assert minigrad.random.next_offset(10) == (5, 0)
    assert minigrad.random.next_offset(3) == (5, 10)
    minigrad.manual_seed(5)
    assert minigrad.random.next_offset(1) == (5, 0)


def test_conversions():
    t = minigrad.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert t.shape == (2, 2) and t.ndim == 2 and t.size() == (2, 2) and t.size(1) == 2 and t.numel() == 4
    assert np.asarray(t).dtype == np.float32
    assert minigrad.tensor(3.5).item() == 3.5 and float(minigrad.tensor([2.0])) == 2.0
    assert t.T.tolist() == [[1.0, 3.0], [2.0, 4.0]]
    assert t.double().dtype == np.float64 and t.long().dtype == np.int64
    with pytest.raises(RuntimeError, match="4 elements cannot be converted"):
        t.item()
    with pytest.raises(RuntimeError, match="requires grad"):
        minigrad.ones(2, requires_grad=True).numpy()


def test_repr_like_torch():
    assert repr(minigrad.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(minigrad.tensor([1.0, 2.0], requires_grad=True)) == "tensor([1., 2.], requires_grad=True)"
    x = minigrad.tensor([1.0], requires_grad=True)
    assert repr(x * 2) == "tensor([2.], grad_fn=<MulBackward0>)"
    assert "dtype=minigrad.float64" in repr(minigrad.tensor(np.zeros(1)))
    assert repr(minigrad.tensor([1, 2])) == "tensor([1, 2])"


def test_comparisons_are_plain_bool_tensors():
    x = minigrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for r in (x > 1.5, x >= 2, x < 2, x <= 2, x == 2, x != 2):
        assert isinstance(r, Tensor) and r.dtype == np.bool_ and not r.requires_grad and r.grad_fn is None
    assert (x > 1.5).tolist() == [False, True, True]


def test_mixed_float_dtypes_are_an_error():
    a = minigrad.ones(2)
    b = minigrad.ones(2, dtype=minigrad.float64)
    with pytest.raises(RuntimeError, match="Float and Double"):
        a + b
    # scalars and int tensors adopt the float tensor's dtype
    assert (a + 1.5).dtype == np.float32 and (b * 2).dtype == np.float64
    assert (a + minigrad.tensor([1, 2])).dtype == np.float32
    assert (minigrad.tensor([1, 2]) * 0.5).dtype == np.float32


def test_broadcast_error_names_both_shapes():
    with pytest.raises(RuntimeError, match=r"\(2, 3\).*\(4,\)"):
        minigrad.ones(2, 3) + minigrad.ones(4)


def test_setitem_and_inplace_ops_bump_version():
    t = minigrad.zeros(3)
    v = t._version_number
    t[1] = 5.0
    t.add_(1.0)
    t.mul_(2.0)
    assert t.tolist() == [2.0, 12.0, 2.0]
    assert t._version_number == v + 3


def test_data_is_a_detached_tensor_over_the_same_memory():
    w = minigrad.tensor([1.0, 2.0], requires_grad=True)
    d = w.data
    assert isinstance(d, Tensor) and not d.requires_grad and d.is_leaf
    assert np.shares_memory(d.numpy(), w.detach().numpy())
    # old-style updates: in place through .data on a leaf that requires grad, no autograd error
    (w * 3).sum().backward()
    w.data.sub_(0.1 * w.grad)
    w.data -= 0.1 * w.grad.data
    np.testing.assert_allclose(w.detach().numpy(), [1.0 - 0.6, 2.0 - 0.6], rtol=1e-6)
    assert w.requires_grad and w.is_leaf and w._version_number == 0   # autograd did not see it


def test_data_setter_replaces_values_and_rejects_non_tensors():
    w = minigrad.zeros(2, requires_grad=True)
    w.data = minigrad.ones(3)
    assert w.shape == (3,) and w.requires_grad and w.tolist() == [1.0, 1.0, 1.0]
    with pytest.raises(TypeError, match="Variable data has to be a tensor, but got ndarray"):
        w.data = np.zeros(3)
