"""Reductions: NumPy reference values (always), torch parity of values and gradients, float64
gradcheck, integer dtypes and torch's errors."""
import numpy as np
import pytest

import minigrad
from minigrad.api import FUNCTIONS
from minigrad.autograd import gradgradcheck
from helpers import check_op, check_raises, check_second_order, first_derivative, needs_torch, torch

RNG = np.random.default_rng(0)
X = RNG.uniform(-2, 2, size=(3, 4, 5))


def _t(a, grad=False):
    return minigrad.tensor(np.array(a, dtype=np.float64), requires_grad=grad)


def _lower_median(a, axis=None):
    a = np.sort(a, axis=axis)
    n = a.size if axis is None else a.shape[axis]
    return a.reshape(-1)[(n - 1) // 2] if axis is None else np.take(a, (n - 1) // 2, axis=axis)


def _ref_lse(a, axis):
    return np.log(np.exp(a).sum(axis=axis))


# (name, minigrad call, NumPy reference)
NUMPY_CASES = [
    ("sum", lambda x: x.sum(), lambda a: a.sum()),
    ("sum_dims", lambda x: minigrad.sum(x, (0, 2), keepdim=True), lambda a: a.sum((0, 2), keepdims=True)),
    ("sum_empty_tuple", lambda x: minigrad.sum(x, ()), lambda a: a.sum()),
    ("mean_neg", lambda x: x.mean(-1), lambda a: a.mean(-1)),
    ("prod", lambda x: x.prod(), lambda a: a.prod()),
    ("prod_dim", lambda x: minigrad.prod(x, 1, True), lambda a: a.prod(1, keepdims=True)),
    ("var", lambda x: x.var(1), lambda a: a.var(1, ddof=1)),
    ("var_unbiased_false", lambda x: x.var(unbiased=False), lambda a: a.var()),
    ("std_correction", lambda x: minigrad.std(x, (0, 1), correction=2), lambda a: a.std((0, 1), ddof=2)),
    ("std_legacy_bool", lambda x: x.std(False), lambda a: a.std()),
    ("norm", lambda x: x.norm(), lambda a: np.sqrt((a ** 2).sum())),
    ("norm_1", lambda x: x.norm(1, 2), lambda a: np.abs(a).sum(2)),
    ("norm_3", lambda x: minigrad.norm(x, 3, (0, 1)), lambda a: (np.abs(a) ** 3).sum((0, 1)) ** (1 / 3)),
    ("norm_inf", lambda x: x.norm(float("inf"), 0), lambda a: np.abs(a).max(0)),
    ("norm_0", lambda x: x.norm(0), lambda a: float(np.count_nonzero(a))),
    ("max", lambda x: x.max(), lambda a: a.max()),
    ("max_dim", lambda x: x.max(1).values, lambda a: a.max(1)),
    ("max_dim_idx", lambda x: minigrad.max(x, 1, True).indices, lambda a: a.argmax(1)[:, None]),
    ("min_dim", lambda x: x.min(dim=-1)[0], lambda a: a.min(-1)),
    ("amax", lambda x: x.amax((0, 2)), lambda a: a.max((0, 2))),
    ("amin", lambda x: minigrad.amin(x), lambda a: a.min()),
    ("argmax", lambda x: x.argmax(), lambda a: a.argmax()),
    ("argmin_dim", lambda x: x.argmin(2, keepdim=True), lambda a: a.argmin(2)[..., None]),
    ("all", lambda x: (x > -1.9).all(1), lambda a: (a > -1.9).all(1)),
    ("any", lambda x: minigrad.any(x > 1.9), lambda a: (a > 1.9).any()),
    ("logsumexp", lambda x: x.logsumexp((1, 2)), lambda a: _ref_lse(a, (1, 2))),
    ("cumsum", lambda x: x.cumsum(1), lambda a: a.cumsum(1)),
    ("cumprod", lambda x: minigrad.cumprod(x, -1), lambda a: a.cumprod(-1)),
    ("median", lambda x: x.median(), lambda a: _lower_median(a)),
    ("median_dim", lambda x: x.median(1).values, lambda a: _lower_median(a, 1)),
]


@pytest.mark.parametrize("name,mg,ref", NUMPY_CASES, ids=[c[0] for c in NUMPY_CASES])
def test_values_match_numpy(name, mg, ref):
    got = mg(_t(X)).numpy()
    want = np.asarray(ref(X))
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_function_and_method_are_one_definition():
    for name in ("sum", "mean", "prod", "std", "var", "norm", "max", "min", "amax", "amin", "argmax",
                 "argmin", "all", "any", "logsumexp", "cumsum", "cumprod", "median"):
        assert getattr(minigrad, name) is FUNCTIONS[name] is getattr(minigrad.Tensor, name)


# ***** torch parity: values and gradients under a non-uniform cotangent *****

TORCH_CASES = [
    ("sum", [(3, 4)], lambda x: x.sum(1, keepdim=True)),
    ("sum_dtype", [(3, 4)], lambda x: x.sum(0, dtype=x.dtype)),
    ("mean", [(3, 4, 5)], lambda x: x.mean((0, 2))),
    ("prod", [(3, 4)], lambda x: x.prod()),
    ("prod_dim", [(3, 4)], lambda x: x.prod(1)),
    ("var", [(3, 4)], lambda x: x.var(1, keepdim=True)),
    ("var_correction0", [(3, 4)], lambda x: x.var(correction=0)),
    ("std", [(3, 4, 2)], lambda x: x.std((0, 2))),
    ("std_unbiased", [(3, 4)], lambda x: x.std(0, unbiased=False)),
    ("norm", [(3, 4)], lambda x: x.norm()),
    ("norm_fro_dims", [(3, 4, 2)], lambda x: x.norm("fro", (0, 1))),
    ("norm_1", [(3, 4)], lambda x: x.norm(1, 0)),
    ("norm_3", [(3, 4)], lambda x: x.norm(3, 1, keepdim=True)),
    ("norm_half", [(3, 4)], lambda x: x.norm(0.5)),
    ("norm_inf", [(3, 4)], lambda x: x.norm(float("inf"), 1)),
    ("norm_neg_inf", [(3, 4)], lambda x: x.norm(float("-inf"))),
    ("max", [(3, 4)], lambda x: x.max()),
    ("max_dim", [(3, 4)], lambda x: tuple(x.max(1))),
    ("min_dim_keep", [(3, 4)], lambda x: tuple(x.min(0, keepdim=True))),
    ("amax", [(3, 4, 2)], lambda x: x.amax((0, 2))),
    ("amin", [(3, 4)], lambda x: x.amin(-1, True)),
    ("logsumexp", [(3, 4)], lambda x: x.logsumexp(1)),
    ("cumsum", [(3, 4)], lambda x: x.cumsum(0)),
    ("cumprod", [(3, 4)], lambda x: x.cumprod(1)),
    ("median", [(3, 5)], lambda x: x.median()),
    ("median_dim", [(3, 5)], lambda x: tuple(x.median(1))),
]


@needs_torch
@pytest.mark.parametrize("name,shapes,fn", TORCH_CASES, ids=[c[0] for c in TORCH_CASES])
def test_matches_torch(name, shapes, fn):
    check_op(shapes, fn, dtype=np.float64)


SPECIAL_VALUES = [
    ([[1.0, 3.0, 3.0, 0.5]], lambda x: x.max()),                 # ties share the gradient
    ([[[1.0, 3.0], [3.0, 2.0]]], lambda x: x.amax()),
    ([[[1.0, 3.0], [3.0, 3.0]]], lambda x: x.amin(1)),
    ([[1.0, 2.0, 2.0, 3.0]], lambda x: x.median()),
    ([[0.0, -3.0, 3.0]], lambda x: x.norm(float("inf"))),
    ([[2.0, 0.0, 3.0, 0.0, 4.0]], lambda x: x.prod()),             # zeros: exact, no division
    ([[2.0, 0.0, 3.0, 4.0]], lambda x: x.prod()),
    ([[[2.0, 0.0, 3.0, 0.0, 4.0], [1.0, 2.0, 0.0, 3.0, 2.0], [1.0, 2.0, 3.0, 4.0, 5.0]]],
     lambda x: x.cumprod(1)),
    ([[[0.0, 2.0], [3.0, 0.0]]], lambda x: x.cumprod(0)),
    ([[float("-inf"), 1.0, 1000.0]], lambda x: x.logsumexp(0)),    # stable for large values
]
# gradients defined as 0 at a point where the function has none: their own derivative is 0
# in minigrad, NaN in torch (0 * inf in its formulas)
BY_CONVENTION = [
    ([[0.0, 0.0, 0.0]], lambda x: x.norm()),                       # 0 at a zero norm
    ([[0.0, -3.0, 3.0]], lambda x: x.norm(0.5)),
    ([[1.0, 1.0, 1.0]], lambda x: x.std()),                        # 0 at a zero std
]


@needs_torch
@pytest.mark.parametrize("vals,fn", SPECIAL_VALUES + BY_CONVENTION)
def test_special_values_match_torch(vals, fn):
    check_op(None, fn, vals=vals, dtype=np.float64)


GRADCHECK = [
    lambda x: x.sum((0, 1)), lambda x: x.mean(1), lambda x: x.prod(2), lambda x: x.prod(),
    lambda x: x.var(0), lambda x: x.std(), lambda x: x.norm(), lambda x: x.norm(3, 1),
    lambda x: x.norm(1), lambda x: x.max(1).values, lambda x: x.amin((0, 2)),
    lambda x: x.logsumexp(2), lambda x: x.cumsum(1), lambda x: x.cumprod(2), lambda x: x.median(1)[0],
]


@pytest.mark.parametrize("fn", GRADCHECK)
def test_gradcheck(fn):
    assert minigrad.gradcheck(fn, (_t(RNG.uniform(0.5, 2, size=(2, 3, 4)), grad=True),))


def test_cumprod_gradcheck_with_zeros():
    x = _t([[0.5, 0.0, 2.0, 0.0, 1.5], [0.0, 1.0, 2.0, 3.0, 0.5]], grad=True)
    assert minigrad.gradcheck(lambda t: t.cumprod(1), (x,))
    assert minigrad.gradcheck(lambda t: t.prod(1), (x,))


# ***** second derivatives (create_graph=True) *****

@pytest.mark.parametrize("fn", GRADCHECK)
def test_gradgradcheck(fn):
    assert gradgradcheck(fn, (_t(RNG.uniform(0.5, 2, size=(2, 2, 3)), grad=True),))


@pytest.mark.parametrize("fn", [lambda x: x.norm(0.5, 1), lambda x: x.amax(), lambda x: x.median(),
                                lambda x: x.min(0, keepdim=True).values, lambda x: x.std(1, keepdim=True),
                                lambda x: x.var(correction=0), lambda x: x.prod(0, keepdim=True),
                                lambda x: x.norm(float("-inf"), 0), lambda x: x.logsumexp((0, 1))])
def test_gradgradcheck_more_forms(fn):
    assert gradgradcheck(fn, (_t(RNG.uniform(-2, 2, size=(3, 4)), grad=True),))


def test_cumprod_and_prod_gradgradcheck_with_zeros():
    # one zero and two zeros in a row: the second derivative is not 0 there (products that
    # leave out two elements), so no formula may divide by x
    x = _t([[0.5, 0.0, 2.0, 0.0], [0.0, 1.0, 2.0, 3.0], [1.5, -1.0, 0.5, 2.0]], grad=True)
    assert gradgradcheck(lambda t: t.cumprod(1), (x,))
    assert gradgradcheck(lambda t: t.cumprod(0), (x,))
    assert gradgradcheck(lambda t: t.prod(1), (x,))
    assert gradgradcheck(lambda t: t.prod(), (x,))


@pytest.mark.parametrize("fn", [lambda x: x.prod(1), lambda x: x.prod(), lambda x: x.cumprod(1),
                                lambda x: x.cumprod(0), lambda x: x.logsumexp(1), lambda x: x.norm(3, 1),
                                lambda x: x.std(0), lambda x: x.cumsum(1) ** 2, lambda x: x.max(1).values ** 2])
def test_third_derivatives(fn):
    """Their differentiable backwards call cumprod, exp, the norm itself...: differentiated in turn.
    (No zeros here: finite differences would move them off zero, onto the formula that divides
    by x, whose third derivative is ill-conditioned there.)"""
    x = _t([[0.5, 1.2, 2.0], [1.5, -1.0, 0.7]], grad=True)
    assert gradgradcheck(first_derivative(fn), (x,))


def test_prod_of_a_0d_tensor_over_dim_0():
    x = _t(2.0, grad=True)
    g, = minigrad.autograd.grad(x.prod(0) * x, x, create_graph=True)
    h, = minigrad.autograd.grad(g, x)
    assert g.item() == 4.0 and h.item() == 2.0


@needs_torch
@pytest.mark.parametrize("name,shapes,fn", TORCH_CASES, ids=[c[0] for c in TORCH_CASES])
def test_second_derivatives_match_torch(name, shapes, fn):
    check_second_order(shapes, lambda L, x: fn(x), low=0.5, high=2.0)


@needs_torch
@pytest.mark.parametrize("vals,fn", SPECIAL_VALUES)
def test_second_derivatives_at_special_values_match_torch(vals, fn):
    check_second_order(None, lambda L, x: fn(x), vals=vals)


@pytest.mark.parametrize("vals,fn", BY_CONVENTION)
def test_second_derivatives_of_a_gradient_set_by_convention_are_zero(vals, fn):
    x = _t(vals[0], grad=True)
    g, = minigrad.autograd.grad(fn(x), x, create_graph=True)
    h, = minigrad.autograd.grad((g * _t([1.0, 2.0, 3.0])).sum(), x)
    assert np.isfinite(h.numpy()).all()
    defined = x.detach().numpy() != 0 if fn(x).item() else np.zeros(3, dtype=bool)
    assert (h.numpy()[~defined] == 0).all()


# ***** dtypes *****

def test_integer_and_bool_dtypes():
    i = minigrad.tensor([[1, 2], [3, 4]])
    assert i.sum().dtype == np.int64 and i.sum().item() == 10
    assert i.prod(1).tolist() == [2, 12] and i.prod().dtype == np.int64
    assert i.cumsum(0).tolist() == [[1, 2], [4, 6]] and i.cumprod(1).dtype == np.int64
    b = minigrad.tensor([True, True, False])
    assert b.sum().dtype == np.int64 and b.sum().item() == 2
    assert b.all().dtype == np.bool_ and not b.all().item() and b.any().item()
    assert i.sum(dtype=minigrad.float64).dtype == np.float64
    assert i.mean(dtype=minigrad.float32).item() == 2.5
    assert i.max().item() == 4 and i.argmax().item() == 3
    np.testing.assert_allclose(i.logsumexp(1).numpy(), np.log(np.exp([[1, 2], [3, 4]]).sum(1)), rtol=1e-6)
    with pytest.raises(RuntimeError, match="mean\\(\\): could not infer output dtype.*Got: Long"):
        i.mean()
    with pytest.raises(RuntimeError, match="std and var only support floating point"):
        i.std()
    with pytest.raises(RuntimeError, match="linalg.vector_norm: Expected a floating point .* Got Long"):
        i.norm()


def test_max_of_two_tensors_is_elementwise():
    if "maximum" not in FUNCTIONS:
        pytest.skip("minigrad.maximum not defined yet (pointwise family)")
    a, b = _t([1.0, 5.0]), _t([3.0, 2.0])
    assert minigrad.max(a, b).tolist() == [3.0, 5.0] and a.min(b).tolist() == [1.0, 2.0]


# ***** errors, as torch *****

@pytest.mark.parametrize("shapes,torch_fn,mg_fn,exc,match", [
    ([(2, 3)], lambda x: x.sum(2), lambda x: x.sum(2), IndexError, r"Dimension out of range"),
    ([(2, 3)], lambda x: x.sum((0, 0)), lambda x: x.sum((0, 0)), RuntimeError, "appears multiple times"),
    ([(2, 3)], lambda x: x.prod((0, 1)), lambda x: x.prod((0, 1)), TypeError, "'dim' must be int"),
    ([(2, 3)], lambda x: x.max((0, 1)), lambda x: x.max((0, 1)), TypeError, "'dim' must be int"),
    ([(0,)], lambda x: x.max(), lambda x: x.max(), RuntimeError, "Expected reduction dim to be specified"),
    ([(0, 3)], lambda x: x.max(0), lambda x: x.max(0), IndexError, "Expected reduction dim 0 to have non-zero"),
    ([(0, 3)], lambda x: x.amax(0), lambda x: x.amax(0), IndexError, "amax\\(\\): Expected reduction dim 0"),
    ([(0,)], lambda x: x.argmax(), lambda x: x.argmax(), IndexError, "argmax\\(\\): Expected reduction dim"),
    ([(2, 3)], lambda x: x.cumsum(2), lambda x: x.cumsum(2), IndexError, r"Dimension out of range"),
    ([(2, 3)], lambda x: x.cumsum((0,)), lambda x: x.cumsum((0,)), TypeError, "'dim' must be int"),
    ([(2, 3)], lambda x: x.norm("abc"), lambda x: x.norm("abc"), RuntimeError, "Order abc not supported"),
    ([(2, 3, 4)], lambda x: x.norm("fro", (0, 1, 2)), lambda x: x.norm("fro", (0, 1, 2)), RuntimeError,
     "dim must be a 2-tuple"),
])
def test_errors_match_torch(shapes, torch_fn, mg_fn, exc, match):
    check_raises(shapes, torch_fn, mg_fn, exc, match)


def test_std_rejects_unbiased_and_correction_together():
    with pytest.raises(TypeError):
        _t([1.0, 2.0]).std(0, unbiased=False, correction=0)
    if torch is not None:
        with pytest.raises(TypeError):
            torch.tensor([1.0, 2.0]).std(0, unbiased=False, correction=0)
