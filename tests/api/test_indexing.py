"""Indexing and sorting ops: NumPy reference, torch parity, gradcheck, ties, errors.

Each case is written once as `fn(lib, *tensors)` so the same line runs on minigrad and on torch.
Random inputs have no ties, so sort/topk indices are compared exactly; ties have their own test.
"""
import numpy as np
import pytest

import minigrad
from minigrad import gradcheck
from minigrad.autograd import gradgradcheck
from tests.api.op_cases import case_tests, inputs, raises_like_torch, squared
from tests.helpers import HAVE_TORCH, check_second_order, first_derivative, torch

IDX = [[2, 0, 2], [1, 1, 0]]        # repeats: gather/index_select gradients must add up
PERM = [[2, 0], [0, 1], [1, 2]]     # distinct per row: scatter's result is well defined


def _scatter_ref(a, idx, src, add=False):
    out = a.copy()
    for i, row in enumerate(idx):
        for j, k in enumerate(row):
            out[i, k] = out[i, k] + src[i, j] if add else src[i, j]
    return out


# (id, input shapes, fn(lib, *tensors), NumPy reference on the arrays)
CASES = [
    ("gather", [(2, 4)], lambda L, x: L.gather(x, 1, L.tensor(IDX)),
     lambda a: np.take_along_axis(a, np.array(IDX), 1)),
    ("gather_dim0_smaller_index", [(3, 4)], lambda L, x: x.gather(0, L.tensor([[2, 0], [1, 2]])),
     lambda a: np.array([[a[2, 0], a[0, 1]], [a[1, 0], a[2, 1]]])),
    ("scatter", [(3, 4), (3, 2)], lambda L, x, s: x.scatter(1, L.tensor(PERM), s),
     lambda a, s: _scatter_ref(a, PERM, s)),
    ("scatter_value", [(3, 4)], lambda L, x: L.scatter(x, 1, L.tensor(PERM), value=1.5),
     lambda a: _scatter_ref(a, PERM, np.full((3, 2), 1.5))),
    ("scatter_add", [(2, 4), (2, 3)], lambda L, x, s: L.scatter_add(x, 1, L.tensor(IDX), s),
     lambda a, s: _scatter_ref(a, IDX, s, add=True)),
    ("index_select", [(3, 4)], lambda L, x: x.index_select(1, L.tensor([3, 0, 3])), lambda a: a[:, [3, 0, 3]]),
    ("index_select_fn", [(3, 4)], lambda L, x: L.index_select(x, 0, L.tensor([2, 2])), lambda a: a[[2, 2]]),
    ("sort", [(3, 5)], lambda L, x: L.sort(x), lambda a: (np.sort(a, -1), np.argsort(a, -1))),
    ("sort_desc_dim0", [(4, 3)], lambda L, x: x.sort(0, descending=True),
     lambda a: (-np.sort(-a, 0), np.argsort(-a, 0))),
    ("sort_stable", [(6,)], lambda L, x: x.sort(stable=True), lambda a: (np.sort(a), np.argsort(a))),
    ("argsort", [(3, 5)], lambda L, x: L.argsort(x, dim=0), lambda a: np.argsort(a, 0)),
    ("argsort_desc", [(3, 5)], lambda L, x: x.argsort(descending=True), lambda a: np.argsort(-a, -1)),
    ("topk", [(3, 6)], lambda L, x: L.topk(x, 2), lambda a: (-np.sort(-a)[:, :2], np.argsort(-a)[:, :2])),
    ("topk_smallest_dim0", [(5, 3)], lambda L, x: x.topk(3, dim=0, largest=False),
     lambda a: (np.sort(a, 0)[:3], np.argsort(a, 0)[:3])),
    ("flip", [(2, 3, 4)], lambda L, x: L.flip(x, (0, 2)), lambda a: a[::-1, :, ::-1]),
    ("flip_method", [(2, 3)], lambda L, x: x.flip(-1), lambda a: a[:, ::-1]),
    ("roll_flat", [(2, 3)], lambda L, x: L.roll(x, 2), lambda a: np.roll(a, 2)),
    ("roll_dims", [(2, 3)], lambda L, x: x.roll((1, -1), (0, 1)), lambda a: np.roll(a, (1, -1), (0, 1))),
    ("tril", [(3, 4)], lambda L, x: L.tril(x), lambda a: np.tril(a)),
    ("tril_batch", [(2, 3, 3)], lambda L, x: x.tril(-1), lambda a: np.tril(a, -1)),
    ("triu", [(4, 3)], lambda L, x: x.triu(1), lambda a: np.triu(a, 1)),
]


(test_forward_matches_numpy, test_values_and_grads_match_torch, test_gradcheck,
 test_gradgradcheck) = case_tests(CASES)

SECOND_ORDER = ["gather", "gather_dim0_smaller_index", "scatter", "scatter_value", "scatter_add", "index_select",
                "sort_desc_dim0", "topk", "topk_smallest_dim0"]


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_second_derivatives_match_torch(name):
    _, shapes, fn, _ = next(c for c in CASES if c[0] == name)
    check_second_order(shapes, squared(fn))


def test_third_derivatives():
    """The backward of a selection is an IndexPut, whose gradient is the selection again."""
    x = minigrad.tensor(inputs([(3, 4)])[0], requires_grad=True)
    for fn in (lambda t: t.gather(1, minigrad.tensor(PERM)) ** 3, lambda t: t.sort(0).values ** 3,
               lambda t: t.scatter(1, minigrad.tensor(PERM), t[:, :2] ** 2) ** 2, lambda t: t.diag() ** 3):
        assert gradgradcheck(first_derivative(fn), [x])


def test_scatter_src_larger_than_index():
    # torch's own backward fails here ("invalid gradient at index 1 - got [3, 2] but expected
    # shape compatible with [3, 3]"); minigrad gives the uncovered part of src a zero gradient
    x, src = inputs([(3, 4), (3, 3)])
    out = minigrad.tensor(x).scatter(1, minigrad.tensor(PERM), minigrad.tensor(src))
    np.testing.assert_array_equal(out.numpy(), _scatter_ref(x, PERM, src))
    leaves = [minigrad.tensor(a, requires_grad=True) for a in (x, src)]
    assert gradcheck(lambda a, s: a.scatter(1, minigrad.tensor(PERM), s), leaves)
    leaves[1].grad = None
    a, s = leaves
    a.scatter(1, minigrad.tensor(PERM), s).sum().backward()
    assert s.grad.tolist() == [[1.0, 1.0, 0.0]] * 3


def test_sort_and_topk_return_named_tuples():
    x = minigrad.tensor([[3.0, 1.0, 2.0]])
    values, indices = x.sort()
    assert x.sort().values.tolist() == values.tolist() == [[1.0, 2.0, 3.0]]
    assert x.sort().indices.tolist() == indices.tolist() == [[1, 2, 0]] and indices.dtype == np.int64
    assert x.topk(1).indices.tolist() == [[0]] and x.topk(1)[0].tolist() == [[3.0]]
    assert not indices.requires_grad


def test_ties_sort_stably_in_both_directions():
    x = minigrad.tensor([2, 1, 2, 1])
    assert x.sort().indices.tolist() == [1, 3, 0, 2]
    assert x.sort(descending=True).indices.tolist() == [0, 2, 1, 3]
    assert x.argsort(descending=True).tolist() == [0, 2, 1, 3]
    assert x.topk(2).indices.tolist() == [0, 2] and x.topk(2, largest=False).indices.tolist() == [1, 3]
    if HAVE_TORCH:   # torch's stable sort gives these indices; for the default (unstable) only values agree
        t = torch.tensor([2, 1, 2, 1])
        assert t.sort(stable=True).indices.tolist() == [1, 3, 0, 2]
        assert t.sort(stable=True, descending=True).indices.tolist() == [0, 2, 1, 3]
        assert t.topk(2).values.tolist() == x.topk(2).values.tolist()


def test_nan_sorts_as_the_largest_value():
    x = [1.0, float("nan"), 0.0]
    m = minigrad.tensor(x)
    assert m.sort().indices.tolist() == [2, 0, 1] and m.sort(descending=True).indices.tolist() == [1, 0, 2]
    assert m.topk(2).indices.tolist() == [1, 0] and m.topk(2, largest=False).indices.tolist() == [2, 0]
    if HAVE_TORCH:
        t = torch.tensor(x)
        assert t.sort().indices.tolist() == [2, 0, 1] and t.sort(descending=True).indices.tolist() == [1, 0, 2]
        assert t.topk(2).indices.tolist() == [1, 0] and t.topk(2, largest=False).indices.tolist() == [2, 0]


def test_zero_diminputs():
    x = minigrad.tensor(5.0)
    assert x.sort().values.item() == 5.0 and x.sort().indices.shape == ()
    assert x.topk(1).values.shape == () and x.argsort().item() == 0
    assert x.gather(0, minigrad.tensor(0)).item() == 5.0
    assert x.index_select(0, minigrad.tensor([0])).shape == ()
    assert x.flip(0).item() == 5.0


def test_inplace_forms_write_into_the_tensor():
    x = minigrad.zeros(2, 3)
    assert x.scatter_(1, minigrad.tensor([[2], [0]]), 7.0) is x
    assert x.tolist() == [[0.0, 0.0, 7.0], [7.0, 0.0, 0.0]] and x._version_number == 1
    x.scatter_add_(1, minigrad.tensor([[2, 2]]), minigrad.ones(1, 2))
    assert x.tolist()[0] == [0.0, 0.0, 9.0]
    y = minigrad.ones(3, 3)
    y.triu_(1)
    assert y.tolist() == [[0.0, 1.0, 1.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]]
    y.fill_(1.0)
    y.tril_()
    assert y.tolist() == [[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [1.0, 1.0, 1.0]]


def test_negative_indices_are_rejected_not_wrapped():
    x = minigrad.arange(6.0).reshape(2, 3)
    with pytest.raises(RuntimeError, match="index -1 is out of bounds for dimension 1 with size 3"):
        x.gather(1, minigrad.tensor([[-1], [0]]))
    with pytest.raises(RuntimeError, match="index -1 is out of bounds"):
        x.scatter(1, minigrad.tensor([[0], [-1]]), 1.0)
    with pytest.raises(RuntimeError, match="id=-1 axis_dim=3"):
        x.index_select(1, minigrad.tensor([-1]))


def test_int32_index_is_accepted_as_torch_2_13_does():
    x = minigrad.arange(6.0).reshape(2, 3)
    idx = minigrad.tensor([[2], [1]], dtype=np.int32)
    assert x.gather(1, idx).tolist() == [[2.0], [4.0]]
    assert x.index_select(1, minigrad.tensor([0], dtype=np.int32)).tolist() == [[0.0], [3.0]]


I64 = "int64"
ERRORS = [
    (lambda L, x: x.gather(1, L.tensor([[3]])), RuntimeError, "index 3 is out of bounds for dimension 1 with size 3"),
    (lambda L, x: x.gather(1, L.tensor([[0.0]])), RuntimeError, "gather\\(\\): Expected dtype int32/int64 for index"),
    (lambda L, x: x.gather(1, L.tensor([0])), RuntimeError,
     "Index tensor must have the same number of dimensions as input tensor"),
    (lambda L, x: x.gather(1, L.zeros(3, 1, dtype=getattr(L, I64))), RuntimeError,
     r"Size does not match at dimension 0 expected index \[3, 1\] to be no larger than self \[2, 3\] apart from "
     r"dimension 1"),
    (lambda L, x: x.gather(2, L.tensor([[0]])), IndexError, "Dimension out of range"),
    (lambda L, x: x.scatter(1, L.tensor([[3]]), L.ones(1, 1)), RuntimeError, "index 3 is out of bounds"),
    (lambda L, x: x.scatter(1, L.tensor([[0.0]]), 1.0), RuntimeError, "scatter\\(\\): Expected dtype int32/int64"),
    (lambda L, x: x.scatter(1, L.tensor([0]), x), RuntimeError,
     "Index tensor must have the same number of dimensions as self tensor"),
    (lambda L, x: x.scatter(1, L.tensor([[0]]), L.ones(1, 1, dtype=L.float64)), RuntimeError,
     r"scatter\(\): Expected self.dtype to be equal to src.dtype"),
    (lambda L, x: x.scatter(1, L.zeros(2, 2, dtype=getattr(L, I64)), L.ones(1, 1)), RuntimeError,
     r"Expected index \[2, 2\] to be no larger than self \[2, 3\] apart from dimension 1 and to be no larger "
     r"size than src \[1, 1\]"),
    (lambda L, x: x.scatter_add(1, L.tensor([[3]]), L.ones(1, 1)), RuntimeError, "index 3 is out of bounds"),
    (lambda L, x: x.index_select(1, L.tensor([3])), RuntimeError, "id=3 axis_dim=3"),
    (lambda L, x: x.index_select(1, L.tensor([0.0])), RuntimeError, "Expected dtype int32 or int64 for index"),
    (lambda L, x: x.index_select(1, L.tensor([[0]])), IndexError, "Index is supposed to be a vector"),
    (lambda L, x: x.topk(4), RuntimeError, "selected index k out of range"),
    (lambda L, x: x.topk(-1), RuntimeError, "selected index k out of range"),
    (lambda L, x: x.topk(1, dim=2), IndexError, "Dimension out of range"),
    (lambda L, x: x.sort(2), IndexError, "Dimension out of range"),
    (lambda L, x: x.argsort(-3), IndexError, "Dimension out of range"),
    (lambda L, x: x.flip(0, 0), RuntimeError, "dim 0 appears multiple times in the list of dims"),
    (lambda L, x: x.flip(2), IndexError, "Dimension out of range"),
    (lambda L, x: x.roll((1, 2), (0,)), RuntimeError, "shifts and dimensions must align. shifts: 2, dims:1"),
    (lambda L, x: x.roll((1, 2)), RuntimeError, "shifts and dimensions must align. shifts: 2, dims:0"),
    (lambda L, x: L.zeros(3).tril(), RuntimeError, "tril: input tensor must have at least 2 dimensions"),
    (lambda L, x: L.zeros(3).triu(), RuntimeError, "triu: input tensor must have at least 2 dimensions"),
]


@pytest.mark.parametrize("fn, exc, match", ERRORS, ids=[e[2][:40] for e in ERRORS])
def test_errors_match_torch(fn, exc, match):
    raises_like_torch(fn, exc, match)
