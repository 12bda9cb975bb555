"""Shape ops (views, reshapes, joins, splits): NumPy reference, torch parity, gradcheck, views, errors.

Each case is written once as `fn(lib, *tensors)` so the same line runs on minigrad and on torch.
"""
import numpy as np
import pytest

import minigrad
from minigrad.api import FUNCTIONS
from tests.api.op_cases import case_tests, raises_like_torch
from tests.helpers import HAVE_TORCH, torch

A = (2, 3, 4)
# (id, input shapes, fn(lib, *tensors), NumPy reference on the arrays)
CASES = [
    ("view", [A], lambda L, x: x.view(4, 6), lambda a: a.reshape(4, 6)),
    ("view_infer", [A], lambda L, x: x.view((-1, 4)), lambda a: a.reshape(-1, 4)),
    ("view_as", [A], lambda L, x: x.view_as(L.zeros(6, 4)), lambda a: a.reshape(6, 4)),
    ("reshape_fn", [A], lambda L, x: L.reshape(x, (3, -1)), lambda a: a.reshape(3, -1)),
    ("reshape_copy", [A], lambda L, x: x.transpose(0, 2).reshape(4, 6), lambda a: a.swapaxes(0, 2).reshape(4, 6)),
    ("reshape_as", [A], lambda L, x: x.reshape_as(L.zeros(24)), lambda a: a.reshape(24)),
    ("flatten", [A], lambda L, x: L.flatten(x), lambda a: a.reshape(-1)),
    ("flatten_1", [A], lambda L, x: x.flatten(1), lambda a: a.reshape(2, 12)),
    ("flatten_neg", [A], lambda L, x: x.flatten(-3, -2), lambda a: a.reshape(6, 4)),
    ("flatten_0d", [()], lambda L, x: x.flatten(), lambda a: a.reshape(1)),
    ("unflatten", [A], lambda L, x: x.unflatten(2, (2, 2)), lambda a: a.reshape(2, 3, 2, 2)),
    ("unflatten_infer", [A], lambda L, x: L.unflatten(x, -1, (-1, 2)), lambda a: a.reshape(2, 3, 2, 2)),
    ("squeeze_all", [(1, 3, 1)], lambda L, x: x.squeeze(), lambda a: a.reshape(3)),
    ("squeeze_dim", [(1, 3, 1)], lambda L, x: L.squeeze(x, -1), lambda a: a.reshape(1, 3)),
    ("squeeze_tuple", [(1, 3, 1)], lambda L, x: x.squeeze((0, 2)), lambda a: a.reshape(3)),
    ("squeeze_noop", [(1, 3, 1)], lambda L, x: x.squeeze(1), lambda a: a),
    ("unsqueeze", [A], lambda L, x: x.unsqueeze(0), lambda a: a[None]),
    ("unsqueeze_last", [A], lambda L, x: L.unsqueeze(x, -1), lambda a: a[..., None]),
    ("permute", [A], lambda L, x: x.permute(2, 0, 1), lambda a: a.transpose(2, 0, 1)),
    ("permute_list", [A], lambda L, x: x.permute([1, 0, 2]), lambda a: a.transpose(1, 0, 2)),
    ("permute_fn", [A], lambda L, x: L.permute(x, (2, 1, -3)), lambda a: a.transpose(2, 1, 0)),
    ("transpose", [A], lambda L, x: x.transpose(0, 2), lambda a: a.swapaxes(0, 2)),
    ("transpose_fn", [A], lambda L, x: L.transpose(x, -1, 0), lambda a: a.swapaxes(0, 2)),
    ("swapaxes", [A], lambda L, x: L.swapaxes(x, 0, 1), lambda a: a.swapaxes(0, 1)),
    ("swapdims", [A], lambda L, x: x.swapdims(1, 2), lambda a: a.swapaxes(1, 2)),
    ("movedim", [A], lambda L, x: L.movedim(x, 0, -1), lambda a: np.moveaxis(a, 0, -1)),
    ("movedim_tuple", [A], lambda L, x: x.movedim((0, 1), (2, 0)), lambda a: np.moveaxis(a, (0, 1), (2, 0))),
    ("moveaxis", [A], lambda L, x: L.moveaxis(x, -1, 1), lambda a: np.moveaxis(a, -1, 1)),
    ("expand", [(3, 1)], lambda L, x: x.expand(2, 3, 4), lambda a: np.broadcast_to(a, (2, 3, 4))),
    ("expand_keep", [(3, 1)], lambda L, x: x.expand(-1, 5), lambda a: np.broadcast_to(a, (3, 5))),
    ("expand_as", [(3, 1)], lambda L, x: x.expand_as(L.zeros(2, 3, 2)), lambda a: np.broadcast_to(a, (2, 3, 2))),
    ("repeat", [A], lambda L, x: x.repeat(2, 1, 3), lambda a: np.tile(a, (2, 1, 3))),
    ("repeat_more_dims", [(3, 2)], lambda L, x: x.repeat((2, 1, 2)), lambda a: np.tile(a, (2, 1, 2))),
    ("contiguous", [A], lambda L, x: x.transpose(0, 1).contiguous(), lambda a: a.swapaxes(0, 1)),
    ("cat", [A, (2, 1, 4)], lambda L, x, y: L.cat([x, y], 1), lambda a, b: np.concatenate([a, b], 1)),
    ("concat", [A, A], lambda L, x, y: L.concat((x, y), -1), lambda a, b: np.concatenate([a, b], -1)),
    ("concatenate", [A, (1, 3, 4)], lambda L, x, y: L.concatenate([x, y], axis=0),
     lambda a, b: np.concatenate([a, b], 0)),
    ("stack", [A, A], lambda L, x, y: L.stack([x, y], 1), lambda a, b: np.stack([a, b], 1)),
    ("stack_last", [A, A], lambda L, x, y: L.stack((x, y), dim=-1), lambda a, b: np.stack([a, b], -1)),
    ("split", [A], lambda L, x: L.split(x, 3, 2), lambda a: (a[..., :3], a[..., 3:])),
    ("split_sections", [A], lambda L, x: x.split([1, 2], 1), lambda a: (a[:, :1], a[:, 1:])),
    ("split_method", [A], lambda L, x: x.split(1), lambda a: (a[:1], a[1:])),
    ("chunk", [A], lambda L, x: x.chunk(2, 1), lambda a: (a[:, :2], a[:, 2:])),
    ("chunk_fn", [(7,)], lambda L, x: L.chunk(x, 3), lambda a: (a[:3], a[3:6], a[6:])),
    ("narrow", [A], lambda L, x: x.narrow(2, 1, 2), lambda a: a[..., 1:3]),
    ("narrow_neg", [A], lambda L, x: L.narrow(x, -1, -3, 2), lambda a: a[..., 1:3]),
]


(test_forward_matches_numpy, test_values_and_grads_match_torch, test_gradcheck,
 test_gradgradcheck) = case_tests(CASES)


def test_function_and_method_are_one_definition():
    for name in ("flatten", "unflatten", "squeeze", "unsqueeze", "transpose", "movedim", "chunk", "narrow"):
        assert getattr(minigrad, name) is FUNCTIONS[name] is getattr(minigrad.Tensor, name)
    assert minigrad.swapdims is minigrad.transpose and minigrad.concat is minigrad.cat
    assert not hasattr(minigrad, "view") and not hasattr(minigrad.Tensor, "cat")


# ***** views share memory and the version counter *****

VIEWS = [
    ("view", lambda x: x.view(12)),
    ("reshape", lambda x: x.reshape(4, 3)),
    ("flatten", lambda x: x.flatten()),
    ("unflatten", lambda x: x.unflatten(1, (2, 2))),
    ("transpose", lambda x: x.transpose(0, 1)),
    ("permute", lambda x: x.permute(1, 0)),
    ("T", lambda x: x.T),
    ("movedim", lambda x: x.movedim(0, 1)),
    ("narrow", lambda x: x.narrow(1, 1, 2)),
    ("squeeze", lambda x: x.unsqueeze(0).squeeze(0)),
    ("unsqueeze", lambda x: x.unsqueeze(1)),
    ("split", lambda x: x.split(2, 1)[1]),
    ("chunk", lambda x: x.chunk(3, 0)[0]),
]


@pytest.mark.parametrize("make", [v[1] for v in VIEWS], ids=[v[0] for v in VIEWS])
def test_inplace_change_through_a_view_shows_in_the_base(make):
    base = minigrad.arange(12.0).reshape(3, 4)
    view = make(base)
    view.add_(100.0)
    changed = base.numpy() >= 100
    assert changed.sum() == view.numel() and base._version_number == view._version_number == 1
    if HAVE_TORCH:   # the same elements change in torch, and the counter is shared there too
        tb = torch.arange(12.0).reshape(3, 4)
        tv = make(tb)
        tv.add_(100.0)
        np.testing.assert_array_equal(changed, (tb >= 100).numpy())
        assert tb._version == tv._version
    base.zero_()
    assert not view.numpy().any() and view._version_number == 2


def test_view_of_a_graph_tensor_is_checked_by_autograd():
    x = minigrad.ones(2, 3, dtype=minigrad.float64, requires_grad=True)
    y = x * 2
    z = y.exp()            # saves its output
    z.transpose(0, 1).mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_view_of_non_contiguous_raises_reshape_copies():
    x = minigrad.arange(6.0).reshape(2, 3)
    with pytest.raises(RuntimeError, match=r"view size is not compatible .* Use \.reshape\(\.\.\.\) instead\."):
        x.transpose(0, 1).view(-1)
    y = x.transpose(0, 1).reshape(-1)
    y.add_(1.0)
    assert x.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]] and x._version_number == 0
    if HAVE_TORCH:
        with pytest.raises(RuntimeError, match="view size is not compatible"):
            torch.arange(6.0).reshape(2, 3).t().view(-1)


def test_contiguity():
    x = minigrad.zeros(2, 3)
    assert x.is_contiguous() and x.contiguous() is x
    t = x.transpose(0, 1)
    assert not t.is_contiguous() and t.contiguous().is_contiguous()
    assert not x[:, :1].expand(2, 4).is_contiguous()


def test_repeat_gradient_sums_over_tiles():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    x.repeat(3, 2).sum().backward()
    assert x.grad.tolist() == [6.0, 6.0]


def test_split_of_an_empty_dim_and_uneven_chunks_match_torch():
    assert [t.shape for t in minigrad.zeros(0).chunk(3)] == [(0,)] * 3
    assert [t.shape for t in minigrad.zeros(0).split(2)] == [(0,)]
    assert [t.shape[0] for t in minigrad.zeros(6).chunk(4)] == [2, 2, 2]
    assert [t.shape[0] for t in minigrad.zeros(5).chunk(3)] == [2, 2, 1]


def test_cat_dtypes_legacy_empty_and_non_tensors():
    x = minigrad.ones(2, 3)
    assert minigrad.cat([minigrad.zeros(0), x]).shape == (2, 3)   # torch skips legacy (0,) tensors
    assert minigrad.cat([x, minigrad.ones(2, 3, dtype=minigrad.int64)]).dtype == np.float32
    with pytest.raises(RuntimeError, match="expected all tensors to have the same dtype"):
        minigrad.cat([x, x.double()])          # minigrad's rule: no silent float32 -> float64
    with pytest.raises(TypeError, match="expected Tensor as element 1 in argument 0, but got int"):
        minigrad.cat([x, 1])


# ***** errors: torch's type, minigrad checked against torch's message *****
ERRORS = [
    (lambda L, x: x.view(4, 4), RuntimeError, r"shape '\[4, 4\]' is invalid for input of size 6"),
    (lambda L, x: x.view(-1, -1), RuntimeError, "only one dimension can be inferred"),
    (lambda L, x: x.reshape(-2, 3), RuntimeError, r"invalid shape dimension -2 at index 0 of shape \[-2, 3\]"),
    (lambda L, x: x.flatten(1, 0), RuntimeError, "start_dim cannot come after end_dim"),
    (lambda L, x: x.unflatten(1, (2, 2)), RuntimeError,
     r"Provided sizes \[2, 2\] don't multiply up to the size of dim 1 \(3\)"),
    (lambda L, x: x.expand(2, 4), RuntimeError,
     r"expanded size of the tensor \(4\) must match the existing size \(3\) at non-singleton dimension 1"),
    (lambda L, x: x.expand(3), RuntimeError, r"number of sizes provided \(1\) must be greater or equal"),
    (lambda L, x: x.expand(-1, 2, 3), RuntimeError, "isn't allowed in a leading, non-existing dimension 0"),
    (lambda L, x: x.repeat(2), RuntimeError, "Number of dimensions of repeat dims can not be smaller"),
    (lambda L, x: x.repeat(-1, 2), RuntimeError, r"negative dimension -2: \[-2, 6\]"),
    (lambda L, x: x.squeeze(2), IndexError, r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"),
    (lambda L, x: x.squeeze((0, 0)), RuntimeError, "dim 0 appears multiple times in the list of dims"),
    (lambda L, x: x.unsqueeze(3), IndexError, r"range of \[-3, 2\], but got 3"),
    (lambda L, x: x.permute(0), RuntimeError, "input.dim\\(\\) = 2 is not equal to len\\(dims\\) = 1"),
    (lambda L, x: x.permute(0, 0), RuntimeError, "duplicate dims are not allowed"),
    (lambda L, x: x.transpose(0, 2), IndexError, "Dimension out of range"),
    (lambda L, x: x.movedim((0, 1), (0,)), RuntimeError, "should contain the same number of dims as destination"),
    (lambda L, x: x.movedim((0, 0), (0, 1)), RuntimeError, r"repeated dim in `source` \(\[0, 0\]\)"),
    (lambda L, x: x.chunk(0), RuntimeError, "chunk expects `chunks` to be greater than 0, got: 0"),
    (lambda L, x: x.split(0), RuntimeError, "split_size can only be 0 if dimension size is 0"),
    (lambda L, x: x.split(-1), RuntimeError, "split expects split_size be non-negative"),
    (lambda L, x: x.split([1, 3], 1), RuntimeError, r"split_sizes to sum exactly to 3 .* split_sizes=\[1, 3\]"),
    (lambda L, x: x.split([4, -1], 1), RuntimeError, "only non-negative entries"),
    (lambda L, x: x.narrow(1, 2, 2), RuntimeError, r"start \(2\) \+ length \(2\) exceeds dimension size \(3\)\."),
    (lambda L, x: x.narrow(1, 0, -1), RuntimeError, "length must be non-negative"),
    (lambda L, x: x.narrow(1, 4, 0), IndexError, r"start out of range \(expected to be in range of \[-3, 3\], but got 4\)"),
    (lambda L, x: L.cat([x, L.zeros(2, 2)]), RuntimeError,
     "Sizes of tensors must match except in dimension 0. Expected size 3 but got size 2 for tensor number 1"),
    (lambda L, x: L.cat([x, L.zeros(3)]), RuntimeError, "Tensors must have same number of dimensions: got 2 and 1"),
    (lambda L, x: L.cat([x, x], 2), IndexError, "Dimension out of range"),
    (lambda L, x: L.cat([]), ValueError, "expected a non-empty list of Tensors"),
    (lambda L, x: L.cat([L.tensor(1.0), L.tensor(2.0)]), RuntimeError,
     r"zero-dimensional tensor \(at position 0\) cannot be concatenated"),
    (lambda L, x: L.stack([x, L.zeros(2, 2)]), RuntimeError,
     r"stack expects each tensor to be equal size, but got \[2, 3\] at entry 0 and \[2, 2\] at entry 1"),
    (lambda L, x: L.stack([]), RuntimeError, "stack expects a non-empty TensorList"),
    (lambda L, x: L.stack([x, x], 3), IndexError, "Dimension out of range"),
]


@pytest.mark.parametrize("fn, exc, match", ERRORS, ids=[e[2][:40] for e in ERRORS])
def test_errors_match_torch(fn, exc, match):
    raises_like_torch(fn, exc, match)
