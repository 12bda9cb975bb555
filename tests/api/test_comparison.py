"""minigrad/api/comparison.py: comparisons, value tests and logic: bool results vs NumPy and
torch, never part of a graph; allclose/equal give Python bools; torch's errors."""
import numpy as np
import pytest

import minigrad
from tests.helpers import HAVE_TORCH, check_raises_both, torch

COMPARISONS = {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal, "gt": np.greater,
               "ge": np.greater_equal, "greater": np.greater, "less": np.less, "greater_equal": np.greater_equal,
               "less_equal": np.less_equal, "not_equal": np.not_equal}
OPERATORS = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}

A = np.array([[1.0, 2.0, np.nan], [-1.0, 0.5, 2.0]])
B = np.array([1.0, 0.5, 2.0])


def _check_bool(out, want):
    assert isinstance(out, minigrad.Tensor) and out.dtype == np.bool_ and not out.requires_grad
    assert out.grad_fn is None
    np.testing.assert_array_equal(out.numpy(), want)


@pytest.mark.parametrize("name", sorted(COMPARISONS))
def test_comparison_function_and_method_with_tensor_and_number(name):
    x = minigrad.tensor(A, requires_grad=True)
    ref = COMPARISONS[name]
    _check_bool(getattr(minigrad, name)(x, minigrad.tensor(B)), ref(A, B))
    _check_bool(getattr(x, name)(minigrad.tensor(B)), ref(A, B))
    _check_bool(getattr(x, name)(0.5), ref(A, 0.5))
    if HAVE_TORCH:
        want = getattr(torch, name)(torch.tensor(A), torch.tensor(B)).numpy()
        np.testing.assert_array_equal(getattr(minigrad, name)(x, minigrad.tensor(B)).numpy(), want)


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_operators_call_the_comparison(name):
    x, y = minigrad.tensor(A), minigrad.tensor(B)
    _check_bool(eval(f"x {OPERATORS[name]} y"), COMPARISONS[name](A, B))
    _check_bool(eval(f"2.0 {OPERATORS[name]} x"), COMPARISONS[name](2.0, A))   # reflected


def test_comparison_aliases_are_one_definition():
    for alias, name in (("greater", "gt"), ("less", "lt"), ("greater_equal", "ge"), ("less_equal", "le"),
                        ("not_equal", "ne")):
        assert getattr(minigrad, alias) is getattr(minigrad, name) is getattr(minigrad.Tensor, name)


def test_comparison_mixes_dtypes_like_torch():
    f = minigrad.tensor([0.1, 1.0])
    assert (f == 0.1).tolist() == [True, False]          # 0.1 compared in float32, as torch
    assert (minigrad.tensor([1, 2]) < 1.5).tolist() == [True, False]
    assert minigrad.eq(minigrad.tensor([1, 2]), minigrad.tensor([1.0, 2.5])).tolist() == [True, False]


def test_equality_with_non_tensors_is_false_not_an_error():
    t = minigrad.ones(2)
    assert (t == None) is False and (t != "a") is True   # noqa: E711
    assert t in [None, t] and {t: 1}[t] == 1
    with pytest.raises(TypeError):
        t < None   # noqa: B015


def test_value_tests():
    a = np.array([1.0, np.nan, np.inf, -np.inf, 0.0])
    x = minigrad.tensor(a)
    _check_bool(minigrad.isnan(x), np.isnan(a))
    _check_bool(x.isinf(), np.isinf(a))
    _check_bool(minigrad.isfinite(x), np.isfinite(a))
    _check_bool(minigrad.isnan(minigrad.tensor([1, 2])), [False, False])


def test_isclose_allclose_equal():
    a = minigrad.tensor([1.0, 2.0, np.nan, np.inf])
    b = minigrad.tensor([1.0 + 1e-6, 2.1, np.nan, np.inf])
    _check_bool(minigrad.isclose(a, b), [True, False, False, True])
    _check_bool(a.isclose(b, equal_nan=True), [True, False, True, True])
    _check_bool(minigrad.isclose(a, b, rtol=0.1), [True, True, False, True])
    assert minigrad.allclose(a[:1], b[:1]) is True and a.allclose(b) is False
    assert minigrad.allclose(a, b, rtol=0.1, equal_nan=True) is True
    assert minigrad.equal(a[:2], a[:2].double()) is True and minigrad.equal(a[:2], b[:2]) is False
    assert minigrad.equal(a, a[:2]) is False and minigrad.tensor([1, 2]).equal(minigrad.tensor([1.0, 2.0]))
    if HAVE_TORCH:
        ta, tb = torch.tensor(a.numpy()), torch.tensor(b.numpy())
        assert torch.isclose(ta, tb).tolist() == minigrad.isclose(a, b).tolist()
        assert torch.allclose(ta, tb, rtol=0.1, equal_nan=True) is True


def test_logical_ops():
    a = minigrad.tensor([0.0, 1.0, 2.0, 0.0])
    b = minigrad.tensor([True, True, False, False])
    _check_bool(minigrad.logical_and(a, b), [False, True, False, False])
    _check_bool(a.logical_or(b), [True, True, True, False])
    _check_bool(minigrad.logical_xor(a, b), [True, False, True, False])
    _check_bool(minigrad.logical_not(a), [True, False, False, True])
    c = b.clone()
    assert c.logical_not_() is c and c.tolist() == [False, False, True, True]


ERRORS = [
    (lambda m: m.eq(m.ones(2), m.ones(3)), RuntimeError,
     r"The size of tensor a \(2\) must match the size of tensor b \(3\) at non-singleton dimension 0"),
    (lambda m: m.allclose(m.ones(2), m.ones(2).double()), RuntimeError, "Float did not match Double"),
    (lambda m: m.isclose(m.ones(2), m.ones(3)), RuntimeError, "must match the size of tensor b"),
    (lambda m: m.allclose(m.ones(2), 1), TypeError,
     r"allclose\(\): argument 'other' \(position 2\) must be Tensor, not int"),
    (lambda m: m.logical_xor(m.ones(2), 0), TypeError, r"argument 'other' \(position 2\) must be Tensor"),
    (lambda m: m.gt(2, m.ones(2)), TypeError, r"gt\(\): argument .input. \(position 1\) must be Tensor, not int"),
    (lambda m: m.isnan(1.0), TypeError, r"isnan\(\): argument 'input' \(position 1\) must be Tensor, not float"),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_errors_match_torch(case):
    check_raises_both(*ERRORS[case])


def test_bitwise_ops_and_operators():
    a, b = minigrad.tensor([True, False, True]), minigrad.tensor([True, True, False])
    _check_bool(~a, [False, True, False])
    _check_bool(a & b, [True, False, False])
    _check_bool(a | b, [True, True, True])
    _check_bool(a ^ b, [False, True, True])
    _check_bool(True & a, [True, False, True])
    i = minigrad.tensor([5, 3, -1])
    assert (i & 6).tolist() == [4, 2, 6] and minigrad.bitwise_or(i, 8).tolist() == [13, 11, -1]
    assert minigrad.bitwise_not(i).tolist() == [-6, -4, 0] and i.bitwise_xor(1).tolist() == [4, 2, -2]
    c = a.clone()
    assert c.bitwise_and_(b) is c and c.tolist() == [True, False, False]
    if HAVE_TORCH:
        ti = torch.tensor([5, 3, -1])
        assert (ti & 6).tolist() == (i & 6).tolist() and (~ti).tolist() == (~i).tolist()


@pytest.mark.parametrize("fn, exc, match", [
    (lambda m: ~m.ones(2), TypeError, r"~ \(operator.invert\) is only implemented on integer and Boolean"),
    (lambda m: m.bitwise_not(m.ones(2)), NotImplementedError, "\"bitwise_not_cpu\" not implemented for 'Float'"),
    (lambda m: m.tensor([1]) | m.tensor([1.0]), NotImplementedError, "\"bitwise_or_cpu\" not implemented"),
])
def test_bitwise_errors_match_torch(fn, exc, match):
    check_raises_both(fn, exc, match)
