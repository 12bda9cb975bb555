"""minigrad/api/misc.py: NumPy reference, torch parity (values and grads), gradcheck, errors,
and the samplers by their properties (seeded draws repeat, values in range, distinct picks)."""
import warnings

import numpy as np
import pytest

import minigrad
from minigrad.autograd import gradgradcheck
from tests.api.op_cases import case_tests, raises_like_torch, squared
from tests.helpers import HAVE_TORCH, check_second_order, needs_torch, torch

MASK = [[True, False, True], [False, False, True]]


def _meshgrid_ref(*arrays, indexing):
    return np.meshgrid(*arrays, indexing=indexing)


def _nan_to_num_input(L, x):
    # finite random inputs with a NaN and both infinities put in (without a graph)
    bad = L.tensor([[0.0, float("nan"), 0.0], [float("inf"), 0.0, -float("inf")]], dtype=x.dtype)
    return x * L.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]], dtype=x.dtype) + bad


def _nan_to_num_ref(a, **values):
    return np.nan_to_num(a * [[1, 0, 1], [0, 1, 0]] + [[0, np.nan, 0], [np.inf, 0, -np.inf]], **values)


CASES = [
    ("unbind", [(2, 3)], lambda L, x: L.unbind(x), lambda a: tuple(a)),
    ("unbind_dim1_method", [(2, 3)], lambda L, x: x.unbind(1), lambda a: tuple(a.T)),
    ("masked_select", [(2, 3)], lambda L, x: L.masked_select(x, L.tensor(MASK)), lambda a: a[np.array(MASK)]),
    ("masked_select_broadcast", [(3,)], lambda L, x: x.masked_select(L.tensor(MASK)),
     lambda a: np.broadcast_to(a, (2, 3))[np.array(MASK)]),
    ("diag_vector", [(3,)], lambda L, x: L.diag(x), lambda a: np.diag(a)),
    ("diag_vector_offset", [(3,)], lambda L, x: x.diag(-1), lambda a: np.diag(a, -1)),
    ("diag_matrix", [(3, 4)], lambda L, x: L.diag(x), lambda a: np.diag(a)),
    ("diag_matrix_offset", [(3, 4)], lambda L, x: x.diag(2), lambda a: np.diag(a, 2)),
    ("diag_matrix_below", [(4, 3)], lambda L, x: x.diag(-2), lambda a: np.diag(a, -2)),
    ("trace", [(3, 4)], lambda L, x: L.trace(x), lambda a: np.trace(a)),
    ("trace_method", [(3, 3)], lambda L, x: x.trace(), lambda a: np.trace(a)),
    ("tensordot_2", [(2, 3, 4), (3, 4, 5)], lambda L, a, b: L.tensordot(a, b), lambda a, b: np.tensordot(a, b)),
    ("tensordot_0", [(2, 3), (4,)], lambda L, a, b: L.tensordot(a, b, dims=0),
     lambda a, b: np.tensordot(a, b, 0)),
    ("tensordot_lists", [(3, 4, 2), (2, 5, 3)], lambda L, a, b: L.tensordot(a, b, dims=([0, 2], [2, 0])),
     lambda a, b: np.tensordot(a, b, ([0, 2], [2, 0]))),
    ("meshgrid_ij", [(2,), (3,)], lambda L, x, y: L.meshgrid(x, y, indexing="ij"),
     lambda a, b: tuple(_meshgrid_ref(a, b, indexing="ij"))),
    ("meshgrid_xy_three", [(2,), (3,), (4,)], lambda L, x, y, z: L.meshgrid([x, y, z], indexing="xy"),
     lambda a, b, c: tuple(_meshgrid_ref(a, b, c, indexing="xy"))),
    ("hstack", [(2, 3), (2, 1)], lambda L, a, b: L.hstack([a, b]), lambda a, b: np.hstack([a, b])),
    ("hstack_1d", [(2,), (3,)], lambda L, a, b: L.hstack((a, b)), lambda a, b: np.hstack([a, b])),
    ("vstack", [(3,), (2, 3)], lambda L, a, b: L.vstack([a, b]), lambda a, b: np.vstack([a, b])),
    ("nan_to_num_nan", [(2, 3)], lambda L, x: L.nan_to_num(_nan_to_num_input(L, x), 0.5, 1.0, -1.0),
     lambda a: _nan_to_num_ref(a, nan=0.5, posinf=1.0, neginf=-1.0)),
    ("nan_to_num_values", [(2, 3)], lambda L, x: _nan_to_num_input(L, x).nan_to_num(1.0, 2.0, -3.0),
     lambda a: _nan_to_num_ref(a, nan=1.0, posinf=2.0, neginf=-3.0)),
    ("clamp_min", [(2, 3)], lambda L, x: L.clamp_min(x, 0.5), lambda a: np.maximum(a, 0.5)),
    ("clamp_max_method", [(2, 3)], lambda L, x: x.clamp_max(-0.5), lambda a: np.minimum(a, -0.5)),
]

(test_forward_matches_numpy, test_values_and_grads_match_torch, test_gradcheck,
 test_gradgradcheck) = case_tests(CASES)

SECOND_ORDER = ["diag_vector", "diag_vector_offset", "diag_matrix", "diag_matrix_offset", "diag_matrix_below",
                "trace", "clamp_min", "clamp_max_method"]


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_second_derivatives_match_torch(name):
    _, shapes, fn, _ = next(c for c in CASES if c[0] == name)
    check_second_order(shapes, squared(fn))

# moments are sums: compared with a tolerance, not bit for bit
MOMENT_CASES = [
    ("std_mean", lambda L, x: L.std_mean(x), lambda a: (np.std(a, ddof=1), np.mean(a))),
    ("var_mean_dim", lambda L, x: L.var_mean(x, 1, keepdim=True),
     lambda a: (np.var(a, 1, ddof=1, keepdims=True), np.mean(a, 1, keepdims=True))),
    ("std_mean_correction0", lambda L, x: L.std_mean(x, (0, 1), correction=0), lambda a: (np.std(a), np.mean(a))),
]


@pytest.mark.parametrize("name, fn, ref", MOMENT_CASES, ids=[c[0] for c in MOMENT_CASES])
def test_moments(name, fn, ref):
    from tests.helpers import check_op
    a = np.random.default_rng(1).uniform(-2, 2, (3, 4))
    got = fn(minigrad, minigrad.tensor(a))
    assert isinstance(got, tuple) and len(got) == 2
    for g, w in zip(got, ref(a)):
        np.testing.assert_allclose(g.numpy(), w, rtol=1e-12)
    leaves = [minigrad.tensor(a, requires_grad=True)]
    assert minigrad.gradcheck(lambda x: fn(minigrad, x), leaves)
    assert gradgradcheck(lambda x: fn(minigrad, x), leaves)
    if HAVE_TORCH:
        check_op([(3, 4)], lambda x: fn(torch, x), lambda x: fn(minigrad, x))
        check_second_order([(3, 4)], fn)


# ***** index- and count-valued results (no graph) *****

INTS = [[0, 3, 0], [2, 0, 0]]


def test_nonzero_and_count_nonzero():
    x = minigrad.tensor(INTS)
    a = np.array(INTS)
    assert x.nonzero().tolist() == np.argwhere(a).tolist() and x.nonzero().dtype == np.int64
    assert [t.tolist() for t in minigrad.nonzero(x, as_tuple=True)] == [t.tolist() for t in np.nonzero(a)]
    assert minigrad.count_nonzero(x).item() == 2 and x.count_nonzero(0).tolist() == [1, 1, 0]
    assert x.count_nonzero((0, -1)).item() == 2
    assert minigrad.tensor(3.0).nonzero().shape == (1, 0) and minigrad.tensor(0.0).nonzero().shape == (0, 0)
    assert [t.tolist() for t in minigrad.tensor(3.0).nonzero(as_tuple=True)] == [[0]]
    if HAVE_TORCH:
        t = torch.tensor(INTS)
        assert t.nonzero().tolist() == x.nonzero().tolist()
        assert t.count_nonzero(0).tolist() == x.count_nonzero(0).tolist()
        assert torch.tensor(3.0).nonzero().shape == (1, 0)


def test_unique():
    values = [3, 1, 3, 2, 1, 3]
    x = minigrad.tensor(values)
    u, inverse, counts = minigrad.unique(x, return_inverse=True, return_counts=True)
    ref = np.unique(values, return_inverse=True, return_counts=True)
    assert u.tolist() == ref[0].tolist() and inverse.tolist() == ref[1].tolist()
    assert counts.tolist() == ref[2].tolist() and inverse.dtype == counts.dtype == np.int64
    assert x.unique().tolist() == [1, 2, 3] and x.unique(return_counts=True)[1].tolist() == [2, 1, 3]
    assert minigrad.tensor([[2.0, 1.0], [2.0, 5.0]]).unique(return_inverse=True)[1].tolist() == [[1, 0], [1, 2]]
    if HAVE_TORCH:
        tu, ti, tc = torch.unique(torch.tensor(values), return_inverse=True, return_counts=True)
        assert (tu.tolist(), ti.tolist(), tc.tolist()) == (u.tolist(), inverse.tolist(), counts.tolist())
    with pytest.raises(NotImplementedError, match="dim"):
        x.unique(dim=0)


def test_isin():
    x = minigrad.tensor([1, 2, 3, 4])
    assert minigrad.isin(x, minigrad.tensor([2, 4])).tolist() == np.isin([1, 2, 3, 4], [2, 4]).tolist()
    assert minigrad.isin(x, 3).tolist() == [False, False, True, False]
    assert minigrad.isin(x, minigrad.tensor([2, 4]), invert=True).tolist() == [True, False, True, False]
    assert minigrad.isin(1, x).tolist() is True   # a number as elements gives a 0-d result
    if HAVE_TORCH:
        assert torch.isin(torch.tensor([1, 2, 3, 4]), 3).tolist() == minigrad.isin(x, 3).tolist()
        assert torch.isin(1, torch.tensor([1, 2, 3, 4])).tolist() is True


def test_bincount():
    x = minigrad.tensor([0, 2, 2, 5])
    assert minigrad.bincount(x).tolist() == np.bincount([0, 2, 2, 5]).tolist()
    assert x.bincount(minlength=8).tolist() == np.bincount([0, 2, 2, 5], minlength=8).tolist()
    w = minigrad.tensor([0.5, 1.0, 2.0, 1.5])
    got = minigrad.bincount(x, w)
    assert got.dtype == np.float32 and got.tolist() == [0.5, 0, 3.0, 0, 0, 1.5]
    assert minigrad.bincount(x, minigrad.tensor([1, 2, 3, 4])).dtype == np.float64
    assert minigrad.bincount(minigrad.tensor([], dtype=minigrad.int64)).tolist() == []
    if HAVE_TORCH:
        t = torch.bincount(torch.tensor([0, 2, 2, 5]), torch.tensor([0.5, 1.0, 2.0, 1.5]))
        assert t.dtype == torch.float32 and t.tolist() == got.tolist()


ERRORS = [
    (lambda L, x: L.bincount(L.tensor([-1, 2])), RuntimeError, "bincount only supports 1-d non-negative integral"),
    (lambda L, x: L.bincount(L.tensor([[1, 2]])), RuntimeError, "bincount only supports 1-d non-negative integral"),
    (lambda L, x: L.bincount(x), NotImplementedError, "not implemented for 'Float'"),
    (lambda L, x: L.bincount(L.tensor([1, 2]), minlength=-1), RuntimeError, "minlength should be >= 0"),
    (lambda L, x: L.bincount(L.tensor([1, 2]), L.tensor([1.0])), RuntimeError,
     "weights should be 1-d and have the same length as input"),
    (lambda L, x: L.diag(L.zeros(2, 2, 2)), RuntimeError, r"diag\(\): Supports 1D or 2D tensors. Got 3D"),
    (lambda L, x: L.trace(L.zeros(3)), RuntimeError, "trace: expected a matrix, but got tensor with dim 1"),
    (lambda L, x: L.unbind(x, 2), IndexError, "Dimension out of range"),
    (lambda L, x: L.masked_select(x, L.zeros(2, 3)), RuntimeError, "masked_select: expected BoolTensor for mask"),
    (lambda L, x: L.masked_select(x, L.zeros(3, 3, dtype=L.bool)), RuntimeError,
     r"The size of tensor a \(3\) must match the size of tensor b \(2\) at non-singleton dimension 0"),
    (lambda L, x: L.tensordot(x, L.zeros(4, 5), dims=1), RuntimeError,
     "contracted dimensions need to match, but first has size 3 in dim -1 and second has size 4 in dim 0"),
    (lambda L, x: L.meshgrid(x, indexing="ij"), RuntimeError, "Expected 0D or 1D tensor in the tensor list"),
    (lambda L, x: L.meshgrid(L.zeros(2), indexing="foo"), RuntimeError, "indexing must be one of \"xy\" or \"ij\""),
    (lambda L, x: L.std_mean(L.tensor([1, 2])), RuntimeError, "std_mean only support floating point"),
    (lambda L, x: L.var_mean(L.tensor([1, 2])), RuntimeError, "var_mean only support floating point"),
    (lambda L, x: L.bernoulli(L.tensor([1.5])), RuntimeError, "Expected p_in >= 0 && p_in <= 1"),
    (lambda L, x: L.bernoulli(L.tensor([1])), NotImplementedError, "not implemented for 'Long'"),
    (lambda L, x: x.bernoulli_(1.5), RuntimeError, r"bernoulli_ expects p to be in \[0, 1\], but got p=1.5"),
    (lambda L, x: x.bernoulli_(L.tensor([0.5, 2.0, 0.0])), RuntimeError, "Expected p_in >= 0 && p_in <= 1"),
    (lambda L, x: x.requires_grad_().bernoulli_(), RuntimeError,
     "a leaf Variable that requires grad is being used in an in-place operation"),
    (lambda L, x: L.hstack([]), RuntimeError, "hstack expects a non-empty TensorList"),
    (lambda L, x: L.vstack([]), RuntimeError, "vstack expects a non-empty TensorList"),
    (lambda L, x: L.unbind(L.tensor(1.0)), IndexError, "Dimension specified as 0 but tensor has no dimensions"),
    (lambda L, x: L.count_nonzero(x, (0, 0)), RuntimeError, "dim 0 appears multiple times in the list of dims"),
    (lambda L, x: L.multinomial(x[0], 0), RuntimeError, "cannot sample n_sample <= 0 samples"),
    (lambda L, x: L.multinomial(x[0], 4), RuntimeError,
     r"cannot sample n_sample > prob_dist.size\(-1\) samples without replacement"),
    (lambda L, x: L.multinomial(L.tensor([-1.0, 1.0]), 1), RuntimeError,
     "probability tensor contains either `inf`, `nan` or element < 0"),
    (lambda L, x: L.multinomial(L.tensor([0.0, 0.0]), 1), RuntimeError,
     r"invalid multinomial distribution \(sum of probabilities <= 0\)"),
    (lambda L, x: L.multinomial(L.zeros(2, 2, 2), 1), RuntimeError, "prob_dist must be 1 or 2 dim"),
    (lambda L, x: L.multinomial(L.tensor([1, 2]), 1), RuntimeError,
     "multinomial only supports floating-point dtypes for input, got: Long"),
]


@pytest.mark.parametrize("fn, exc, match", ERRORS, ids=[e[2][:40] for e in ERRORS])
def test_errors_match_torch(fn, exc, match):
    raises_like_torch(fn, exc, match)


def test_meshgrid_without_indexing_warns_and_uses_ij():
    x, y = minigrad.arange(2), minigrad.arange(3)
    with pytest.warns(UserWarning, match="indexing"):
        gx, gy = minigrad.meshgrid(x, y)
    assert gx.shape == gy.shape == (2, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        minigrad.meshgrid(x, y, indexing="ij")
    if HAVE_TORCH:
        with pytest.warns(UserWarning, match="indexing"):
            torch.meshgrid(torch.arange(2), torch.arange(3))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_nan_to_num_defaults_are_the_dtypes_extremes(dtype):
    values = [float("nan"), float("inf"), -float("inf"), 1.5]
    got = minigrad.nan_to_num(minigrad.tensor(values, dtype=getattr(minigrad, dtype)))
    np.testing.assert_array_equal(got.numpy(), np.nan_to_num(np.array(values, dtype=dtype)))
    if HAVE_TORCH:
        want = torch.nan_to_num(torch.tensor(values, dtype=getattr(torch, dtype)))
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_inplace_forms_write_into_the_tensor():
    x = minigrad.tensor([float("nan"), float("inf"), -1.0])
    assert x.nan_to_num_(posinf=9.0) is x and x.tolist() == [0.0, 9.0, -1.0]
    assert x.clamp_min_(0.0) is x and x.tolist() == [0.0, 9.0, 0.0]
    assert x.clamp_max_(1.0) is x and x.tolist() == [0.0, 1.0, 0.0] and x._version_number == 3
    ints = minigrad.tensor([1, 2])
    assert ints.nan_to_num().tolist() == [1, 2] and ints.nan_to_num().dtype == np.int64


# ***** sampling *****

def _seeded(fn, seed=7):
    return fn(minigrad.Generator().manual_seed(seed))


def test_bernoulli_properties():
    p = minigrad.tensor([0.0, 1.0, 0.3, 0.7] * 500)
    a = _seeded(lambda g: minigrad.bernoulli(p, generator=g))
    assert a.dtype == np.float32 and set(a.unique().tolist()) <= {0.0, 1.0}
    assert a[0::4].sum().item() == 0 and a[1::4].sum().item() == 500
    assert abs(a[2::4].mean().item() - 0.3) < 0.07 and abs(a[3::4].mean().item() - 0.7) < 0.07
    assert a.tolist() == _seeded(lambda g: p.bernoulli(generator=g)).tolist()
    minigrad.manual_seed(3)
    first = minigrad.bernoulli(p)
    minigrad.manual_seed(3)
    assert minigrad.bernoulli(p).tolist() == first.tolist()
    z = minigrad.zeros(1000)
    assert z.bernoulli_(0.25) is z and set(z.unique().tolist()) == {0.0, 1.0} and abs(z.mean().item() - 0.25) < 0.06
    assert z._version_number == 1
    ints = minigrad.zeros(2, 500, dtype=minigrad.int64)
    ints.bernoulli_(minigrad.tensor([[0.0], [1.0]]), generator=minigrad.Generator().manual_seed(1))
    assert ints.dtype == np.int64 and ints[0].sum().item() == 0 and ints[1].sum().item() == 500


def test_multinomial_properties():
    w = minigrad.tensor([[1.0, 0.0, 2.0, 1.0], [0.0, 0.0, 0.0, 5.0]])
    draws = _seeded(lambda g: minigrad.multinomial(w, 3000, replacement=True, generator=g))
    assert draws.shape == (2, 3000) and draws.dtype == np.int64
    freq = np.bincount(draws[0].numpy(), minlength=4) / 3000
    np.testing.assert_allclose(freq, [0.25, 0.0, 0.5, 0.25], atol=0.04)
    assert set(draws[1].tolist()) == {3}
    assert draws.tolist() == _seeded(lambda g: w.multinomial(3000, True, generator=g)).tolist()
    for seed in range(20):
        picks = _seeded(lambda g: minigrad.multinomial(minigrad.tensor([1.0, 3.0, 0.5, 2.0, 1.0]), 5, generator=g),
                        seed)
        assert sorted(picks.tolist()) == [0, 1, 2, 3, 4]   # without replacement: distinct
    # zero weights come only after every positive one
    picks = _seeded(lambda g: minigrad.multinomial(minigrad.tensor([0.0, 1.0, 0.0, 2.0]), 3, generator=g))
    assert sorted(picks[:2].tolist()) == [1, 3] and picks[2].item() in (0, 2)
    if HAVE_TORCH:
        t = torch.multinomial(torch.tensor([0.0, 1.0, 0.0, 2.0]), 3)
        assert sorted(t[:2].tolist()) == [1, 3]


@needs_torch
def test_sampling_shapes_match_torch():
    for fn in (lambda L: L.multinomial(L.ones(3, 5), 2), lambda L: L.multinomial(L.ones(5), 7, True),
               lambda L: L.bernoulli(L.full((2, 3), 0.5, dtype=L.float64))):
        got, want = fn(minigrad), fn(torch)
        assert got.shape == tuple(want.shape) and str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
