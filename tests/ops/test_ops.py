"""Every differentiable Tensor op: values vs NumPy, float64 gradcheck and gradgradcheck, torch
parity of values, gradients and second derivatives (when installed)."""
import numpy as np
import pytest

import minigrad
from minigrad import gradcheck
from minigrad.autograd import gradgradcheck
from tests.helpers import check_op, check_second_order, needs_torch, torch


def leaf(*shape, low=-2.0, high=2.0, seed=0):
    rng = np.random.default_rng(seed)
    return minigrad.tensor(rng.uniform(low, high, size=shape), dtype=np.float64, requires_grad=True)


# (name, shapes, fn usable by both libraries, positive inputs?)
UNARY_BINARY = [
    ("add", [(3, 4), (3, 4)], lambda a, b: a + b, False),
    ("add_broadcast", [(3, 1, 4), (2, 1)], lambda a, b: a + b, False),
    ("radd_scalar", [(3,)], lambda a: 2.5 + a, False),
    ("sub_broadcast", [(4,), (3, 4)], lambda a, b: a - b, False),
    ("rsub_scalar", [(3,)], lambda a: 1.0 - a, False),
    ("mul_broadcast", [(2, 3, 4), (1, 4)], lambda a, b: a * b, False),
    ("div_broadcast", [(2, 3), (3,)], lambda a, b: a / b, True),
    ("rdiv_scalar", [(3,)], lambda a: 2.0 / a, True),
    ("pow_scalar", [(3, 2)], lambda a: a ** 3, False),
    ("pow_frac", [(3, 2)], lambda a: a ** 0.5, True),
    ("pow_tensor", [(3,), (3,)], lambda a, b: a ** b, True),
    ("rpow", [(3,)], lambda a: 2.0 ** a, False),
    ("neg", [(2, 3)], lambda a: -a, False),
    ("exp", [(2, 3)], lambda a: a.exp(), False),
    ("log", [(2, 3)], lambda a: a.log(), True),
    ("sqrt", [(2, 3)], lambda a: a.sqrt(), True),
    ("abs", [(2, 3)], lambda a: a.abs(), False),
    ("clamp", [(4, 3)], lambda a: a.clamp(-0.5, 0.7), False),
    ("clamp_min", [(4, 3)], lambda a: a.clamp(min=0.1), False),
    ("sum_all", [(2, 3)], lambda a: a.sum(), False),
    ("sum_dim", [(2, 3, 4)], lambda a: a.sum(1), False),
    ("sum_dims_keep", [(2, 3, 4)], lambda a: a.sum((0, 2), keepdim=True), False),
    ("mean_all", [(2, 3)], lambda a: a.mean(), False),
    ("mean_neg_dim", [(2, 3, 4)], lambda a: a.mean(-1), False),
    ("max_all", [(2, 3)], lambda a: a.max(), False),
    ("min_all", [(2, 3)], lambda a: a.min(), False),
    ("max_dim", [(3, 4)], lambda a: a.max(1)[0], False),
    ("min_dim_keep", [(3, 4)], lambda a: a.min(0, keepdim=True)[0], False),
    ("reshape", [(2, 6)], lambda a: a.reshape(3, 4) * 1.5, False),
    ("view_infer", [(2, 6)], lambda a: a.view(-1, 2), False),
    ("transpose", [(2, 3, 4)], lambda a: a.transpose(0, 2), False),
    ("permute", [(2, 3, 4)], lambda a: a.permute(1, 2, 0), False),
    ("T", [(2, 3)], lambda a: a.T, False),
    ("flatten", [(2, 3, 4)], lambda a: a.flatten(1), False),
    ("unsqueeze", [(2, 3)], lambda a: a.unsqueeze(1), False),
    ("squeeze", [(2, 1, 3)], lambda a: a.squeeze(1), False),
    ("squeeze_all", [(1, 3, 1)], lambda a: a.squeeze(), False),
    ("expand", [(3, 1)], lambda a: a.expand(2, 3, 4), False),
    ("getitem_basic", [(4, 5)], lambda a: a[1:3, ::2], False),
    ("getitem_int", [(4, 5)], lambda a: a[2], False),
    ("getitem_neg_step", [(4, 5)], lambda a: a[:, -2], False),
    ("matmul_2d", [(3, 4), (4, 5)], lambda a, b: a @ b, False),
    ("matmul_vec_mat", [(4,), (4, 5)], lambda a, b: a @ b, False),
    ("matmul_mat_vec", [(3, 4), (4,)], lambda a, b: a @ b, False),
    ("matmul_vec_vec", [(4,), (4,)], lambda a, b: a @ b, False),
    ("matmul_batched_broadcast", [(2, 1, 3, 4), (5, 4, 2)], lambda a, b: a @ b, False),
    ("clone", [(3,)], lambda a: a.clone() * 2, False),
]


@pytest.mark.parametrize("name,shapes,fn,positive", UNARY_BINARY, ids=[c[0] for c in UNARY_BINARY])
def test_gradcheck(name, shapes, fn, positive):
    low, high = (0.5, 2.0) if positive else (-2.0, 2.0)
    inputs = [leaf(*s, low=low, high=high, seed=i) for i, s in enumerate(shapes)]
    assert gradcheck(fn, inputs)


@pytest.mark.parametrize("name,shapes,fn,positive", UNARY_BINARY, ids=[c[0] for c in UNARY_BINARY])
def test_gradgradcheck(name, shapes, fn, positive):
    """Second derivatives through create_graph=True, by finite differences of the first."""
    low, high = (0.5, 2.0) if positive else (-2.0, 2.0)
    inputs = [leaf(*s, low=low, high=high, seed=i) for i, s in enumerate(shapes)]
    assert gradgradcheck(fn, inputs)


class _NP(np.ndarray):
    """An ndarray that answers the Tensor methods the cases above call, each as its NumPy
    definition: the cases' forward values then need no torch."""
    def _t(self, a):
        return np.asarray(a).view(_NP)

    def exp(self): return self._t(np.exp(self))
    def log(self): return self._t(np.log(self))
    def sqrt(self): return self._t(np.sqrt(self))
    def abs(self): return self._t(np.abs(self))
    def clone(self): return self._t(self.copy())
    def clamp(self, min=None, max=None): return self._t(np.clip(self, min, max))
    def view(self, *shape): return self._t(np.reshape(self, shape))
    def permute(self, *dims): return self._t(np.transpose(self, dims))
    def flatten(self, start): return self._t(np.reshape(self, self.shape[:start] + (-1,)))
    def unsqueeze(self, d): return self._t(np.expand_dims(self, d))
    def expand(self, *shape): return self._t(np.broadcast_to(self, shape))
    def transpose(self, d0, d1): return self._t(np.swapaxes(self, d0, d1))

    def squeeze(self, dim=None):
        return self._t(np.squeeze(np.asarray(self), dim))

    def sum(self, dim=None, keepdim=False):
        return self._t(np.sum(np.asarray(self), axis=dim, keepdims=keepdim))

    def mean(self, dim=None, keepdim=False):
        return self._t(np.mean(np.asarray(self), axis=dim, keepdims=keepdim))

    def max(self, dim=None, keepdim=False):
        a = np.asarray(self)
        return self._t(a.max()) if dim is None else (self._t(a.max(axis=dim, keepdims=keepdim)),)

    def min(self, dim=None, keepdim=False):
        a = np.asarray(self)
        return self._t(a.min()) if dim is None else (self._t(a.min(axis=dim, keepdims=keepdim)),)


@pytest.mark.parametrize("name,shapes,fn,positive", UNARY_BINARY, ids=[c[0] for c in UNARY_BINARY])
def test_every_case_matches_numpy(name, shapes, fn, positive):
    low, high = (0.5, 2.0) if positive else (-2.0, 2.0)
    rng = np.random.default_rng(0)
    arrays = [rng.uniform(low, high, size=s) for s in shapes]
    want = fn(*[a.view(_NP) for a in arrays])
    got = fn(*[minigrad.tensor(a) for a in arrays])
    assert got.shape == np.shape(want)
    np.testing.assert_allclose(got.numpy(), np.asarray(want), rtol=1e-12, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("name,shapes,fn,positive", UNARY_BINARY, ids=[c[0] for c in UNARY_BINARY])
def test_torch_parity(name, shapes, fn, positive):
    low, high = (0.5, 2.0) if positive else (-2.0, 2.0)
    check_op(shapes, fn, low=low, high=high, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name,shapes,fn,positive", UNARY_BINARY, ids=[c[0] for c in UNARY_BINARY])
def test_second_derivatives_match_torch(name, shapes, fn, positive):
    low, high = (0.5, 2.0) if positive else (-2.0, 2.0)
    check_second_order(shapes, lambda L, *xs: fn(*xs), low=low, high=high, rtol=1e-10)


def test_advanced_indexing_scatter_adds_repeats():
    x = minigrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    idx = minigrad.tensor([0, 2, 0, 0])
    y = x[idx]
    assert y.tolist() == [1.0, 3.0, 1.0, 1.0]
    (y * minigrad.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    assert x.grad.tolist() == [8.0, 0.0, 2.0]
    assert gradcheck(lambda t: t[[0, 2, 2], 1:], [leaf(3, 4)])
    assert gradcheck(lambda t: t[np.array([True, False, True])], [leaf(3, 2)])
    # its backward adds into zeros at the index (IndexPut), whose derivative is the indexing again
    assert gradgradcheck(lambda t: t[[0, 2, 2], 1:], [leaf(3, 4)])
    assert gradgradcheck(lambda t: t[np.array([True, False, True])] * t[[0, 0]], [leaf(3, 2)])


def test_cat_and_stack():
    a, b = leaf(2, 3), leaf(1, 3, seed=1)
    assert minigrad.cat([a, b]).shape == (3, 3)
    assert gradcheck(lambda x, y: minigrad.cat([x, y], dim=0), [a, b])
    assert gradgradcheck(lambda x, y: minigrad.cat([x, y], dim=0), [a, b])
    c, d = leaf(2, 3, seed=2), leaf(2, 3, seed=3)
    assert minigrad.stack([c, d], dim=1).shape == (2, 2, 3)
    assert gradcheck(lambda x, y: minigrad.stack([x, y], dim=-1), [c, d])
    assert gradgradcheck(lambda x, y: minigrad.stack([x, y], dim=-1), [c, d])
    with pytest.raises(RuntimeError, match="Sizes of tensors must match except in dimension 0"):
        minigrad.cat([minigrad.ones(2, 3), minigrad.ones(2, 4)])
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        minigrad.stack([minigrad.ones(2), minigrad.ones(3)])


def test_max_dim_returns_values_and_indices_like_torch():
    x = minigrad.tensor([[1.0, 5.0, 5.0], [7.0, 2.0, 7.0]])
    values, indices = x.max(1)
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    assert x.max(dim=1).indices.dtype == np.int64
    assert x.min(0).values.tolist() == [1.0, 2.0, 5.0]
    assert x.argmax(1).tolist() == [1, 0]


def test_max_all_splits_gradient_between_ties():
    x = minigrad.tensor([3.0, 1.0, 3.0], requires_grad=True)
    x.max().backward()
    assert x.grad.tolist() == [0.5, 0.0, 0.5]


def test_clamp_gradient_includes_boundaries():
    x = minigrad.tensor([-1.0, 0.0, 0.5, 1.0, 2.0], requires_grad=True)
    x.clamp(0.0, 1.0).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]


def test_broadcast_gradients_reduce_to_input_shape():
    a = minigrad.ones(3, 1, requires_grad=True)
    b = minigrad.ones(1, 4, requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.shape == (3, 1) and b.grad.shape == (1, 4)
    assert a.grad.tolist() == [[4.0]] * 3 and b.grad.tolist() == [[3.0] * 4]


def test_values_match_numpy():
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal((4, 2)).astype(np.float32)
    ta, tb = minigrad.tensor(a), minigrad.tensor(b)
    np.testing.assert_allclose((ta @ tb).numpy(), a @ b, rtol=1e-5)
    np.testing.assert_allclose(ta.exp().sum(1).numpy(), np.exp(a).sum(1), rtol=1e-6)
    np.testing.assert_array_equal(ta.permute(1, 0).numpy(), a.T)


def test_shape_errors_are_clear():
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x5 and 4x3\)"):
        minigrad.ones(2, 5) @ minigrad.ones(4, 3)
    with pytest.raises(RuntimeError, match="both arguments to matmul need to be at least 1D"):
        minigrad.tensor(1.0) @ minigrad.ones(2)
    with pytest.raises(RuntimeError, match=r"shape '\[5\]' is invalid for input of size 6"):
        minigrad.ones(2, 3).reshape(5)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        minigrad.ones(2, 3).sum(2)
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max'"):
        minigrad.ones(2).clamp()


@needs_torch
def test_reduction_errors_match_torch_types():
    with pytest.raises(IndexError):
        torch.ones(2, 3).sum(2)
    with pytest.raises(IndexError):
        minigrad.ones(2, 3).sum(2)
