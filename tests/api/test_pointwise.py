"""minigrad/api/pointwise.py: values vs NumPy, gradients by float64 gradcheck and vs torch,
torch's dtypes for integer inputs, subgradients at kinks, in-place variants, errors."""
import numpy as np
import pytest

import minigrad
from minigrad import gradcheck
from minigrad.autograd import grad, gradgradcheck
from tests.helpers import HAVE_TORCH, check_raises_both, check_op, check_second_order, first_derivative, torch

# name -> (NumPy reference, input range (low, high) where the op is smooth)
UNARY = {
    "exp": (np.exp, (-2, 2)), "log": (np.log, (0.2, 3)), "sqrt": (np.sqrt, (0.2, 3)),
    "rsqrt": (lambda x: 1 / np.sqrt(x), (0.2, 3)), "log1p": (np.log1p, (-0.5, 3)),
    "expm1": (np.expm1, (-2, 2)), "exp2": (np.exp2, (-2, 2)), "log2": (np.log2, (0.2, 3)),
    "log10": (np.log10, (0.2, 3)), "sin": (np.sin, (-3, 3)), "cos": (np.cos, (-3, 3)),
    "tan": (np.tan, (-1.2, 1.2)), "sinh": (np.sinh, (-2, 2)), "cosh": (np.cosh, (-2, 2)),
    "sigmoid": (lambda x: 1 / (1 + np.exp(-x)), (-4, 4)), "tanh": (np.tanh, (-3, 3)),
    "relu": (lambda x: np.maximum(x, 0), (-2, 2)), "abs": (np.abs, (-2, 2)), "neg": (np.negative, (-2, 2)),
    "square": (np.square, (-2, 2)), "reciprocal": (np.reciprocal, (0.3, 3)),
}
ROUNDING = {"sign": np.sign, "floor": np.floor, "ceil": np.ceil, "round": np.round}


def _values(low, high, shape=(3, 4), dtype=np.float64, seed=0):
    return np.random.default_rng(seed).uniform(low, high, size=shape).astype(dtype)


def _leaf(a):
    return minigrad.tensor(a, requires_grad=True)


# ***** forward values vs NumPy (no torch needed) *****

@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_matches_numpy_as_function_and_method(name, dtype):
    ref, (low, high) = UNARY[name]
    a = _values(low, high, dtype=dtype)
    x = minigrad.tensor(a)
    rtol = 1e-6 if dtype == np.float32 else 1e-12
    for out in (getattr(minigrad, name)(x), getattr(x, name)()):
        assert out.dtype == dtype
        np.testing.assert_allclose(out.numpy(), ref(a), rtol=rtol, atol=rtol)


@pytest.mark.parametrize("name", sorted(ROUNDING))
def test_rounding_matches_numpy(name, dtype):
    a = np.array([-2.5, -1.5, -0.5, 0.0, 0.4, 0.5, 1.5, 2.5, 3.7], dtype=dtype)
    np.testing.assert_array_equal(getattr(minigrad, name)(minigrad.tensor(a)).numpy(), ROUNDING[name](a))


def test_binary_arithmetic_matches_numpy_with_broadcasting():
    a, b = _values(-2, 2, (3, 1, 4)), _values(0.5, 2, (2, 4), seed=1)
    x, y = minigrad.tensor(a), minigrad.tensor(b)
    cases = [(minigrad.add(x, y, alpha=2), a + 2 * b), (minigrad.sub(x, y, alpha=3), a - 3 * b),
             (minigrad.subtract(x, y), a - b), (minigrad.mul(x, y), a * b), (minigrad.multiply(x, y), a * b),
             (minigrad.div(x, y), a / b), (minigrad.divide(x, y), a / b), (minigrad.true_divide(x, y), a / b),
             (minigrad.pow(y, x), b ** a), (minigrad.maximum(x, y), np.maximum(a, b)),
             (minigrad.minimum(x, y), np.minimum(a, b)), (minigrad.rsub(x, y), b - a),
             (minigrad.div(x, y, rounding_mode="floor"), np.floor(a / b)),
             (minigrad.div(x, y, rounding_mode="trunc"), np.trunc(a / b)),
             (minigrad.remainder(x, y), np.remainder(a, b)), (minigrad.fmod(x, y), np.fmod(a, b)),
             (minigrad.lerp(x, y + x, 0.3), a + 0.3 * b), (minigrad.clamp(x, -0.5, 0.5), np.clip(a, -0.5, 0.5))]
    for i, (got, want) in enumerate(cases):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-12, err_msg=f"case {i}")


def test_operators_call_the_same_functions():
    a, b = np.array([-3.5, 2.0, 7.0]), np.array([2.0, -3.0, 2.5])
    x, y = minigrad.tensor(a), minigrad.tensor(b)
    assert (x // y).tolist() == (a // b).tolist() and (x % y).tolist() == (a % b).tolist()
    assert (7 // y).tolist() == (7 // b).tolist() and (7 % y).tolist() == (7 % b).tolist()
    assert (2 - x).tolist() == (2 - a).tolist() and (2 / y).tolist() == (2 / b).tolist()
    assert (2 ** y).tolist() == (2 ** b).tolist() and abs(x).tolist() == np.abs(a).tolist()
    assert (+x) is x and (-x).tolist() == (-a).tolist()


def test_function_method_and_inplace_share_one_definition():
    for name in ("add", "sub", "mul", "div", "pow", "neg", "exp", "sigmoid", "clamp", "round", "masked_fill",
                 "lerp", "maximum", "softmax", "log_softmax", "relu", "square"):
        assert getattr(minigrad, name) is getattr(minigrad.Tensor, name), name
    for alias, name in (("subtract", "sub"), ("multiply", "mul"), ("divide", "div"), ("negative", "neg"),
                        ("clip", "clamp")):
        assert getattr(minigrad, alias) is getattr(minigrad, name)


# ***** integer and bool inputs: torch's result dtypes *****

@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "sin", "sigmoid", "tanh", "reciprocal", "rsqrt", "exp2"])
def test_float_math_on_integers_gives_float32(name):
    out = getattr(minigrad, name)(minigrad.tensor([1, 2, 3]))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), UNARY[name][0](np.array([1.0, 2.0, 3.0])), rtol=1e-6)


INT_PRESERVING = {
    "floor": lambda m, t: m.floor(t), "ceil": lambda m, t: m.ceil(t), "round": lambda m, t: m.round(t),
    "sign": lambda m, t: m.sign(t), "abs": lambda m, t: m.abs(t), "neg": lambda m, t: m.neg(t),
    "relu": lambda m, t: m.relu(t), "square": lambda m, t: m.square(t), "maximum": lambda m, t: m.maximum(t, -t),
    "minimum": lambda m, t: m.minimum(t, -t), "add": lambda m, t: t + 2, "mul": lambda m, t: t * t,
    "sub": lambda m, t: 1 - t, "clamp": lambda m, t: m.clamp(t, -1, 1), "floordiv": lambda m, t: t // 2,
    "mod": lambda m, t: t % 3, "pow": lambda m, t: t ** 2, "where": lambda m, t: m.where(t > 0, t, 7),
    "masked_fill": lambda m, t: t.masked_fill(t > 0, 2.7),
}


@pytest.mark.parametrize("name", sorted(INT_PRESERVING))
def test_integer_preserving_ops_keep_int64(name):
    a = np.array([-3, 0, 4, 7])
    out = INT_PRESERVING[name](minigrad, minigrad.tensor(a))
    assert out.dtype == np.int64
    if HAVE_TORCH:
        np.testing.assert_array_equal(out.numpy(), INT_PRESERVING[name](torch, torch.tensor(a)).numpy())


def test_rounded_division_has_zero_gradient_like_torch():
    x, y = _leaf(np.array([3.5, -2.5])), _leaf(np.array([2.0, 2.0]))
    (minigrad.div(x, y, rounding_mode="floor") + minigrad.div(x, y, rounding_mode="trunc")).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0] and y.grad.tolist() == [0.0, 0.0]
    if HAVE_TORCH:
        tx = torch.tensor([3.5, -2.5], requires_grad=True)
        torch.div(tx, 2.0, rounding_mode="floor").sum().backward()
        assert tx.grad.tolist() == [0.0, 0.0]


def test_integer_division_and_promotion():
    i = minigrad.tensor([-7, 0, 7])
    assert (i / 2).dtype == np.float32 and (i / 2).tolist() == [-3.5, 0.0, 3.5]
    assert minigrad.div(i, 2, rounding_mode="trunc").tolist() == [-3, 0, 3]
    assert minigrad.div(i, 2, rounding_mode="floor").tolist() == [-4, 0, 3]
    assert minigrad.div(i, 2.0, rounding_mode="floor").dtype == np.float32
    assert (i + 0.5).dtype == np.float32 and (i * minigrad.tensor(2.0)).dtype == np.float32
    assert minigrad.clamp(i, 0.5, 3).dtype == np.float32
    # a 0-d tensor does not widen a dimensioned one of its category (torch)
    f = minigrad.ones(2)
    assert (f * minigrad.tensor(2.0, dtype=minigrad.float64)).dtype == np.float32
    assert (minigrad.tensor(2.0) * f.double()).dtype == np.float64


# ***** gradients: float64 finite differences, and torch *****

BINARY = {
    "add": lambda a, b: minigrad.add(a, b, alpha=1.5), "sub": lambda a, b: minigrad.sub(a, b, alpha=2),
    "mul": minigrad.mul, "div": minigrad.div, "pow": lambda a, b: minigrad.pow(a.abs() + 0.5, b),
    "maximum": minigrad.maximum, "minimum": minigrad.minimum, "remainder": minigrad.remainder,
    "fmod": minigrad.fmod, "lerp_tensor_weight": lambda a, b: minigrad.lerp(a, b, b.sigmoid()),
    "lerp": lambda a, b: minigrad.lerp(a, b, 0.7), "where": lambda a, b: minigrad.where(a > 0, a, b),
    "clamp_tensor_bounds": lambda a, b: minigrad.clamp(a, min=b - 1, max=b + 0.5),
    "clamp_tensor_min": lambda a, b: minigrad.clamp(a, min=b), "clamp_tensor_max": lambda a, b: a.clamp(max=b),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_gradcheck(name):
    _, (low, high) = UNARY[name]
    a = _values(low, high)
    if name in ("abs", "relu"):
        a[np.abs(a) < 0.05] = 0.5   # keep finite differences off the kink
    assert gradcheck(getattr(minigrad, name), [_leaf(a)])


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_gradcheck_with_broadcasting(name):
    a, b = _values(-2, 2, (3, 4)), _values(0.5, 2, (4,), seed=1)
    if name in ("remainder", "fmod", "maximum", "minimum") or name.startswith("clamp"):
        a = a + 0.37     # off the jumps and ties of these piecewise ops
    assert gradcheck(BINARY[name], [_leaf(a), _leaf(b)])


def test_softmax_and_masked_fill_gradcheck():
    a = _values(-2, 2, (3, 4))
    mask = minigrad.tensor(a > 0.5)
    assert gradcheck(lambda t: minigrad.softmax(t, 1), [_leaf(a)])
    assert gradcheck(lambda t: t.log_softmax(0), [_leaf(a)])
    assert gradcheck(lambda t: 1.5 % t + 2.5 - t, [_leaf(np.abs(a) + 0.2)])
    assert gradcheck(lambda t, v: t.masked_fill(mask, v), [_leaf(a), _leaf(np.array(0.3))])


# ***** second derivatives (create_graph=True): float64 gradgradcheck, and torch *****

@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_gradgradcheck(name):
    _, (low, high) = UNARY[name]
    a = _values(low, high, (2, 3))
    if name in ("abs", "relu"):
        a[np.abs(a) < 0.05] = 0.5
    assert gradgradcheck(getattr(minigrad, name), [_leaf(a)])


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_gradgradcheck_with_broadcasting(name):
    a, b = _values(-2, 2, (2, 3)), _values(0.5, 2, (3,), seed=1)
    if name in ("remainder", "fmod", "maximum", "minimum") or name.startswith("clamp"):
        a = a + 0.37
    assert gradgradcheck(BINARY[name], [_leaf(a), _leaf(b)])


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "rsqrt", "tan", "sin", "cosh", "exp2", "reciprocal"])
def test_unary_third_derivatives(name):
    """Those whose derivative reads the saved output differentiate the op itself again."""
    _, (low, high) = UNARY[name]
    assert gradgradcheck(first_derivative(getattr(minigrad, name)), [_leaf(_values(low, high, (2, 2)))])


def test_pow_third_derivatives():
    x = _leaf(_values(0.5, 2, (3,)))
    for fn in (lambda t: t ** 3, lambda t: 2.0 ** t, lambda t: t ** t, lambda t: minigrad.lerp(t, t * t, t)):
        assert gradgradcheck(first_derivative(fn), [x])


def test_piecewise_constant_gradients_gradgradcheck():
    """sign/floor/ceil/round/rounded division have zero gradients, masked_fill and where pass
    it through a constant mask: inside a product their second derivatives come from the rest."""
    a, b = _values(-2, 2, (2, 3)) + 0.37, _values(0.5, 2, (3,), seed=1)
    mask = minigrad.tensor(a > 0.5)
    fns = [lambda x, y: x.sign() * y + x.floor() * x + x.ceil() * y * y + x.round() * x * y,
           lambda x, y: minigrad.div(x, y, rounding_mode="floor") * x + minigrad.div(x, y, rounding_mode="trunc") * y,
           lambda x, y: x.masked_fill(mask, (y * y).sum()) * x,
           lambda x, y: minigrad.where(mask, x * x, y.exp()) * y]
    for fn in fns:
        assert gradgradcheck(fn, [_leaf(a), _leaf(b)])


def test_cast_is_differentiable_twice():
    x = _leaf(np.array([0.5, -1.5, 2.0]))
    y = (x.float() ** 3).double().sum()
    g, = grad(y, x, create_graph=True)
    assert g.dtype == np.float64 and g.grad_fn is not None
    h, = grad(g.sum(), x)
    np.testing.assert_allclose(g.detach().numpy(), 3 * x.detach().numpy() ** 2, rtol=1e-6)
    np.testing.assert_allclose(h.numpy(), 6 * x.detach().numpy(), rtol=1e-6)


def test_pow_second_derivative_at_a_zero_base_has_no_nan():
    # d(a^b)/db is defined as 0 where a == 0 and b >= 0 (torch): so is its derivative, not NaN
    a, b = _leaf(np.array([0.0, 1.5])), _leaf(np.array([2.0, 0.5]))
    ga, gb = grad((a ** b).sum(), (a, b), create_graph=True)
    hb, = grad(gb.sum(), b)
    assert np.isfinite(hb.numpy()).all() and hb.tolist()[0] == 0.0
    np.testing.assert_allclose(hb.numpy()[1], 1.5 ** 0.5 * np.log(1.5) ** 2)


def test_pow_derivatives_of_every_order_are_finite_at_zero():
    x = _leaf(np.array([0.0, 1.5]))
    g = (x ** 3).sum()
    want = [3 * x.detach().numpy() ** 2, 6 * x.detach().numpy(), [6.0, 6.0], [0.0, 0.0]]
    for order, w in enumerate(want):
        g, = grad(g.sum(), x, create_graph=order < 3)
        np.testing.assert_allclose(g.detach().numpy(), w, rtol=1e-12)


# the same line on minigrad and torch: (shapes, fn(lib, *tensors))
SECOND_ORDER = {
    "pow": ([(2, 3), (3,)], lambda L, a, b: (a.abs() + 0.5) ** b),
    "pow_scalar": ([(2, 3)], lambda L, a: a ** 3 + (a * a + 1) ** 0.5 + 2.0 ** a),
    "div": ([(2, 3), (3,)], lambda L, a, b: a / (b.abs() + 0.5)),
    "maximum": ([(2, 3), (3,)], lambda L, a, b: L.maximum(a, b) * a),
    "minimum": ([(2, 3), (3,)], lambda L, a, b: L.minimum(a, b) * b),
    "remainder": ([(2, 3), (3,)], lambda L, a, b: L.remainder(a + 0.37, b.abs() + 0.5) * b),
    "fmod": ([(2, 3), (3,)], lambda L, a, b: L.fmod(a + 0.37, b.abs() + 0.5) * a),
    "div_floor": ([(2, 3), (3,)], lambda L, a, b: L.div(a, b.abs() + 0.5, rounding_mode="floor") * a),
    "lerp": ([(2, 3), (3,)], lambda L, a, b: L.lerp(a * a, b, b * 0.3)),
    "lerp_number": ([(2, 3), (3,)], lambda L, a, b: L.lerp(a * a, b.exp(), 0.7)),
    "where": ([(2, 3), (3,)], lambda L, a, b: L.where(a > 0, a * a, b * a)),
    "clamp": ([(2, 3), (3,)], lambda L, a, b: L.clamp(a + 0.37, min=b - 1, max=b + 0.5) * a),
    "clamp_numbers": ([(2, 3)], lambda L, a: a.clamp(-0.5, 0.7) * a),
    "masked_fill": ([(2, 3), (3,)], lambda L, a, b: a.masked_fill(a > 0.5, (b * b).sum()) * a),
    "abs_and_rounding": ([(2, 3), (3,)], lambda L, a, b: a.abs() * b + a.sign() * b + a.floor() * a + a.round() * b),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_second_derivatives_match_torch(name):
    low, high = UNARY[name][1]
    check_second_order([(2, 3)], lambda L, x: getattr(x, name)() * x, low=low, high=high)


@pytest.mark.parametrize("name", sorted(SECOND_ORDER))
def test_second_derivatives_match_torch(name):
    shapes, fn = SECOND_ORDER[name]
    check_second_order(shapes, fn)


TORCH_UNARY = sorted(UNARY) + ["floor", "ceil", "round", "sign"]


@pytest.mark.parametrize("name", TORCH_UNARY)
def test_unary_matches_torch(name, dtype):
    low, high = UNARY[name][1] if name in UNARY else (-3, 3)
    check_op([(3, 5)], lambda x: getattr(x, name)(), low=low, high=high, dtype=dtype, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "maximum", "minimum", "remainder", "fmod",
                                  "lerp", "lerp_tensor_weight", "where", "clamp_tensor_bounds",
                                  "clamp_tensor_min", "clamp_tensor_max"])
def test_binary_matches_torch(name):
    torch_fns = {"add": lambda a, b: torch.add(a, b, alpha=1.5), "sub": lambda a, b: torch.sub(a, b, alpha=2),
                 "lerp": lambda a, b: torch.lerp(a, b, 0.7),
                 "lerp_tensor_weight": lambda a, b: torch.lerp(a, b, b.sigmoid()),
                 "where": lambda a, b: torch.where(a > 0, a, b),
                 "clamp_tensor_bounds": lambda a, b: torch.clamp(a, min=b - 1, max=b + 0.5),
                 "clamp_tensor_min": lambda a, b: torch.clamp(a, min=b),
                 "clamp_tensor_max": lambda a, b: a.clamp(max=b)}
    fn = BINARY[name]
    check_op([(3, 4), (4,)], lambda a, b: (torch_fns.get(name) or getattr(torch, name))(a, b)
             if isinstance(a, torch.Tensor) else fn(a, b), low=0.3, high=2.0, dtype=np.float64)


def test_pow_and_reflected_operators_match_torch():
    check_op([(3, 4), (4,)], lambda a, b: a ** b, low=0.3, high=2.0)
    check_op([(3, 4)], lambda a: 2 ** a - 3 / a + 1.5 - a, low=0.3, high=2.0)
    # torch has no derivative for // and a number % tensor: values only
    check_op([(3, 4), (3, 4)], lambda a, b: a // b + 1.5 // a + 1.5 % b, low=0.3, high=2.0, forward_only=True)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_matches_torch(dim):
    check_op([(3, 5)], lambda x: x.softmax(dim))
    check_op([(3, 5)], lambda x: x.log_softmax(dim))
    check_op([(3, 5)], lambda x: (torch if isinstance(x, torch.Tensor) else minigrad).softmax(
        x, dim, dtype=(torch if isinstance(x, torch.Tensor) else minigrad).float64), forward_only=True)


def test_masked_fill_and_where_with_numbers_match_torch():
    check_op([(3, 4)], lambda x: x.masked_fill(x > 0.5, -1.0))
    check_op([(3, 4), ()], lambda x, v: x.masked_fill(x > 0.5, v))
    check_op([(3, 4)], lambda x: x.where(x > 0, 0.0))
    check_op([(3, 4)], lambda x: (torch if isinstance(x, torch.Tensor) else minigrad).where(x > 0, 1.0, x))


# ***** subgradients at kinks: torch's choices *****

KINKS = {
    "abs at 0": (lambda x: x.abs(), [-1.0, 0.0, 2.0], [-1.0, 0.0, 1.0]),
    "relu at 0": (lambda x: x.relu(), [-1.0, 0.0, 2.0], [0.0, 0.0, 1.0]),
    "clamp at the bounds": (lambda x: x.clamp(0.0, 1.0), [0.0, 1.0, 1.5], [1.0, 1.0, 0.0]),
    "sign": (lambda x: x.sign(), [-1.0, 0.0, 2.0], [0.0, 0.0, 0.0]),
    "floor": (lambda x: x.floor(), [-1.0, 0.5, 2.0], [0.0, 0.0, 0.0]),
    "ceil": (lambda x: x.ceil(), [-1.0, 0.5, 2.0], [0.0, 0.0, 0.0]),
    "round": (lambda x: x.round(), [-1.0, 0.5, 2.0], [0.0, 0.0, 0.0]),
    "pow 0 at 0": (lambda x: x ** 0, [0.0, 0.5, 2.0], [0.0, 0.0, 0.0]),
    "maximum tie": (lambda x: (torch if isinstance(x, torch.Tensor) else minigrad).maximum(x, x.detach() * 0 + 1),
                    [0.0, 1.0, 2.0], [0.0, 0.5, 1.0]),
}


@pytest.mark.parametrize("name", sorted(KINKS))
def test_gradient_at_kinks(name):
    fn, values, want = KINKS[name]
    if name.startswith("maximum"):
        fn = lambda x: minigrad.maximum(x, minigrad.ones(3))   # noqa: E731 (torch twin below)
    x = minigrad.tensor(values, requires_grad=True)
    fn(x).sum().backward()
    assert x.grad.tolist() == want
    if HAVE_TORCH:
        tfn = KINKS[name][0] if not name.startswith("maximum") else (lambda t: torch.maximum(t, torch.ones(3)))
        t = torch.tensor(values, requires_grad=True)
        tfn(t).sum().backward()
        assert t.grad.tolist() == want


def test_maximum_tie_splits_between_both_inputs():
    a = minigrad.tensor([1.0, 2.0], requires_grad=True)
    b = minigrad.tensor([1.0, 3.0], requires_grad=True)
    minigrad.minimum(a, b).sum().backward()
    assert a.grad.tolist() == [0.5, 1.0] and b.grad.tolist() == [0.5, 0.0]


def test_clamp_tensor_bound_gets_gradient_where_it_wins():
    x = minigrad.tensor([0.0, 2.0, 5.0], requires_grad=True)
    lo = minigrad.tensor([1.0, 1.0, 1.0], requires_grad=True)
    hi = minigrad.tensor([4.0, 4.0, 4.0], requires_grad=True)
    x.clamp(lo, hi).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 0.0] and lo.grad.tolist() == [1.0, 0.0, 0.0]
    assert hi.grad.tolist() == [0.0, 0.0, 1.0]


# ***** in-place variants *****

INPLACE = ["add_", "sub_", "mul_", "div_", "pow_", "neg_", "abs_", "exp_", "log_", "log1p_", "expm1_", "sqrt_",
           "rsqrt_", "sin_", "cos_", "tan_", "sinh_", "cosh_", "sigmoid_", "tanh_", "relu_", "clamp_", "clip_",
           "sign_", "floor_", "ceil_", "round_", "masked_fill_", "lerp_", "square_", "reciprocal_"]


def _inplace_args(name):
    other = minigrad.tensor([2.0, 0.5, 1.5], dtype=minigrad.float64)
    return {"add_": (other,), "sub_": (other,), "mul_": (other,), "div_": (other,), "pow_": (2,),
            "clamp_": (0.8, 1.2), "clip_": (0.8,), "masked_fill_": (other > 1, 0.25), "lerp_": (other, 0.3)
            }.get(name, ())


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_variant_equals_out_of_place_and_bumps_version(name):
    a = np.array([0.7, 1.3, 2.1])
    x = minigrad.tensor(a)
    storage = x.numpy()
    want = getattr(minigrad.tensor(a), name[:-1])(*_inplace_args(name))
    assert getattr(x, name)(*_inplace_args(name)) is x
    np.testing.assert_allclose(storage, want.numpy(), rtol=1e-12)
    assert x._version_number == 1


@pytest.mark.parametrize("name", ["mul_", "exp_", "sigmoid_", "tanh_", "relu_", "clamp_", "lerp_", "sin_"])
def test_inplace_variant_inside_a_graph_backpropagates(name):
    a = np.array([0.7, 1.3, 2.1])

    def fn(x, inplace):
        y = x * 1.5
        return getattr(y, name if inplace else name[:-1])(*_inplace_args(name))

    x1, x2 = _leaf(a), _leaf(a)
    fn(x1, True).sum().backward()
    fn(x2, False).sum().backward()
    np.testing.assert_allclose(x1.grad.numpy(), x2.grad.numpy(), rtol=1e-12)


def test_inplace_float_result_into_integer_tensor_is_refused():
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        minigrad.tensor([1, 2]).div_(2)
    with pytest.raises(RuntimeError, match="result type Float"):
        minigrad.tensor([1, 2]).exp_()
    i = minigrad.tensor([1, 2])
    i += 3
    assert i.tolist() == [4, 5] and i.dtype == np.int64


def test_inplace_operators_and_alpha():
    x = minigrad.ones(3)
    x += 1
    x *= 3
    x -= minigrad.tensor([1.0, 2.0, 3.0])
    x /= 2
    assert x.tolist() == [2.5, 2.0, 1.5]
    assert x.add_(minigrad.ones(3), alpha=2).tolist() == [4.5, 4.0, 3.5]


# ***** errors: torch's types and messages *****

ERRORS = [
    (lambda m: m.ones(2).clamp(), RuntimeError, "At least one of 'min' or 'max' must not be None"),
    (lambda m: m.div(m.ones(2), 2, rounding_mode="bad"), RuntimeError,
     "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found 'bad'"),
    (lambda m: m.tensor([1, 2]) // 0, RuntimeError, "ZeroDivisionError"),
    (lambda m: m.tensor([1, 2]) % m.tensor([1, 0]), RuntimeError, "ZeroDivisionError"),
    (lambda m: -m.tensor([True]), RuntimeError, "Negation, the `-` operator, on a bool tensor"),
    (lambda m: m.tensor([True]) - m.tensor([True]), RuntimeError, "Subtraction, the `-` operator"),
    (lambda m: m.tensor([1, 2]) ** -1, RuntimeError, "Integers to negative integer powers are not allowed"),
    (lambda m: m.add(m.tensor([1, 2]), 1, alpha=0.5), RuntimeError,
     "For integral input tensors, argument alpha must not be a floating point number"),
    (lambda m: m.ones(2, 3) * m.ones(4), RuntimeError,
     r"The size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton dimension 1"),
    (lambda m: m.ones(2).masked_fill(m.ones(2), 0.0), RuntimeError,
     "masked_fill_ only supports boolean masks, but got mask with dtype float"),
    (lambda m: m.ones(2).masked_fill(m.ones(2) > 0, m.ones(2)), RuntimeError,
     "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with 1 dimension"),
    (lambda m: m.ones(2).masked_fill_(m.ones(3, 2) > 0, 1.0), RuntimeError,
     r"output with shape \[2\] doesn't match the broadcast shape \[3, 2\]"),
    (lambda m: m.lerp(m.ones(2), m.ones(2).double(), 0.5), RuntimeError,
     "expected dtype float for `end` but got dtype double"),
    (lambda m: m.where(m.ones(2), m.ones(2), 0.0), RuntimeError,
     "where expected condition to be a boolean tensor, but got a tensor with dtype Float"),
    (lambda m: m.maximum(m.ones(2), 2), TypeError,
     r"maximum\(\): argument 'other' \(position 2\) must be Tensor, not int"),
    (lambda m: m.exp(2.0), TypeError, r"exp\(\): argument 'input' \(position 1\) must be Tensor, not float"),
    (lambda m: m.relu(m.tensor([True])), RuntimeError, "Boolean inputs not supported for relu"),
    (lambda m: m.abs(m.tensor([True])), NotImplementedError, "\"abs_cpu\" not implemented for 'Bool'"),
    (lambda m: m.softmax(m.tensor([1, 2]), 0), NotImplementedError, "not implemented for 'Long'"),
    (lambda m: m.ones(2).softmax(2), IndexError, "Dimension out of range"),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_errors_match_torch(case):
    check_raises_both(*ERRORS[case])


def test_where_with_condition_only_gives_indices():
    rows, cols = minigrad.where(minigrad.tensor([[True, False], [False, True]]))
    assert rows.tolist() == [0, 1] and cols.tolist() == [0, 1] and rows.dtype == np.int64


def test_round_decimals_and_sign_of_nan_match_torch():
    a = np.array([0.125, 2.5, 1.005, -1234.5678, np.nan], dtype=np.float32)
    got = minigrad.round(minigrad.tensor(a), decimals=2).numpy()
    np.testing.assert_allclose(got, np.round(a, 2), equal_nan=True)
    assert minigrad.tensor([np.nan, -0.0, -3.0]).sign().tolist()[:2] == [0.0, 0.0]
    if HAVE_TORCH:
        np.testing.assert_array_equal(got, torch.round(torch.tensor(a), decimals=2).numpy())
        np.testing.assert_allclose(minigrad.round(minigrad.tensor(a), decimals=-2).numpy(),
                                   torch.round(torch.tensor(a), decimals=-2).numpy(), equal_nan=True)
