"""autograd.functional (vjp, jvp, jacobian, hessian, vhp, hvp): analytic results, torch parity,
return structures, create_graph, strict mode and errors.

Every test takes `lib` (minigrad, and torch when importable) and is written once for both, so
the analytic checks also check the test against torch; test_parity_with_torch compares the two
libraries' results (structure and values) on a table of functions."""
import numpy as np
import pytest

import minigrad
import minigrad.ops
import minigrad.ops.activation
from minigrad.autograd.function import ArrayFunction
from tests.helpers import HAVE_TORCH, torch

LIBS = [pytest.param(minigrad, id="minigrad"),
        pytest.param(torch, id="torch", marks=pytest.mark.skipif(not HAVE_TORCH, reason="torch not installed"))]


def has_differentiable_backward(*classes):
    return all(c.differentiable_backward is not ArrayFunction.differentiable_backward for c in classes)


def second_order_with(*classes):
    """Skip until these ops have their differentiable backward (being added on other branches)."""
    names = ", ".join(c.__name__ for c in classes)
    return pytest.mark.skipif(not has_differentiable_backward(*classes),
                              reason=f"{names}: no differentiable backward on this branch yet")


def F(lib):
    return lib.autograd.functional


def t(lib, a, requires_grad=False):
    return lib.tensor(np.array(a, dtype=np.float64), requires_grad=requires_grad)


def arr(x):
    return x.detach().numpy()


def structure(res, lists_are_tuples=False):
    """Nested tuples of shapes: what 'the same return structure' means. (torch's forward-mode
    jacobian returns lists for a tuple of inputs where its reverse mode and docs say tuples;
    minigrad returns tuples for both.)"""
    if isinstance(res, tuple) or (lists_are_tuples and isinstance(res, list)):
        return tuple(structure(r, lists_are_tuples) for r in res)
    assert isinstance(res, (minigrad.Tensor,) + ((torch.Tensor,) if HAVE_TORCH else ())), type(res)
    return tuple(res.shape)


def flat(res):
    if isinstance(res, (tuple, list)):
        return [a for r in res for a in flat(r)]
    return [arr(res)]


rng = np.random.default_rng(0)
A = rng.standard_normal((4, 4))          # not symmetric: the Hessian of x^T A x is A + A^T
W = rng.standard_normal((4, 6))


def matvec(lib, M, x):
    """M @ x with Mul and Sum (ops that have a differentiable backward on every branch)."""
    return (t(lib, M) * x.reshape(1, -1)).sum(dim=1)


def quadratic(lib):
    return lambda x: (x * matvec(lib, A, x)).sum()


# ***** analytic results *****

@pytest.mark.parametrize("lib", LIBS)
def test_jacobian_of_a_linear_map_is_its_matrix(lib):
    x = t(lib, rng.standard_normal((2, 3)))
    J = F(lib).jacobian(lambda x: matvec(lib, W, x), x)
    assert tuple(J.shape) == (4, 2, 3)                       # out.shape + in.shape
    np.testing.assert_allclose(arr(J), W.reshape(4, 2, 3), rtol=1e-12)
    for options in ({"vectorize": True}, {"vectorize": True, "strategy": "forward-mode"}):
        np.testing.assert_allclose(arr(F(lib).jacobian(lambda x: matvec(lib, W, x), x, **options)),
                                   W.reshape(4, 2, 3), rtol=1e-12, err_msg=str(options))


@pytest.mark.parametrize("lib", LIBS)
def test_vjp_and_jvp_of_a_linear_map(lib):
    x, u, v = (t(lib, rng.standard_normal(n)) for n in (6, 6, 4))
    out, vj = F(lib).vjp(lambda x: matvec(lib, W, x), x, v)
    np.testing.assert_allclose(arr(out), W @ arr(x), rtol=1e-12)
    np.testing.assert_allclose(arr(vj), W.T @ arr(v), rtol=1e-12)
    out, jv = F(lib).jvp(lambda x: matvec(lib, W, x), x, u)
    np.testing.assert_allclose(arr(out), W @ arr(x), rtol=1e-12)
    np.testing.assert_allclose(arr(jv), W @ arr(u), rtol=1e-12)


@pytest.mark.parametrize("lib", LIBS)
def test_hessian_of_a_quadratic_form_is_a_plus_a_transpose(lib):
    x, v = t(lib, rng.standard_normal(4)), t(lib, rng.standard_normal(4))
    f = quadratic(lib)
    np.testing.assert_allclose(arr(F(lib).hessian(f, x)), A + A.T, rtol=1e-12)
    np.testing.assert_allclose(arr(F(lib).hessian(f, x, vectorize=True, outer_jacobian_strategy="forward-mode")),
                               A + A.T, rtol=1e-12)
    for name in ("hvp", "vhp"):
        value, hv = getattr(F(lib), name)(f, x, v)
        np.testing.assert_allclose(arr(value), arr(x) @ A @ arr(x), rtol=1e-12)
        np.testing.assert_allclose(arr(hv), (A + A.T) @ arr(v), rtol=1e-12)


@pytest.mark.parametrize("lib", LIBS)
def test_two_inputs_and_two_outputs(lib):
    x, y = t(lib, [1.0, 2.0, 3.0]), t(lib, [0.5, -1.0, 2.0])
    (Jxy_x, Jxy_y), (Js_x, Js_y) = F(lib).jacobian(lambda x, y: (x * y, (x * x * y).sum()), (x, y))
    np.testing.assert_allclose(arr(Jxy_x), np.diag(arr(y)))
    np.testing.assert_allclose(arr(Jxy_y), np.diag(arr(x)))
    np.testing.assert_allclose(arr(Js_x), 2 * arr(x) * arr(y))
    np.testing.assert_allclose(arr(Js_y), arr(x) ** 2)
    (Hxx, Hxy), (Hyx, Hyy) = F(lib).hessian(lambda x, y: (x * x * y).sum(), (x, y))
    np.testing.assert_allclose(arr(Hxx), np.diag(2 * arr(y)))
    np.testing.assert_allclose(arr(Hxy), np.diag(2 * arr(x)))
    np.testing.assert_allclose(arr(Hyx), np.diag(2 * arr(x)))
    np.testing.assert_allclose(arr(Hyy), np.zeros((3, 3)))     # independent: zeros when not strict


def make_cube(lib):
    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, g):               # Tensor ops: recorded under create_graph
            x, = ctx.saved_tensors
            return 3 * x * x * g
    return Cube


@pytest.mark.parametrize("lib", LIBS)
def test_a_user_function_is_differentiated_through_its_backward(lib):
    Cube = make_cube(lib)
    x, v = t(lib, [1.0, -2.0, 0.5]), t(lib, [1.0, 2.0, 3.0])
    np.testing.assert_allclose(arr(F(lib).jacobian(Cube.apply, x)), np.diag(3 * arr(x) ** 2))
    np.testing.assert_allclose(arr(F(lib).jvp(Cube.apply, x, v)[1]), 3 * arr(x) ** 2 * arr(v))
    np.testing.assert_allclose(arr(F(lib).hessian(lambda x: Cube.apply(x).sum(), x)), np.diag(6 * arr(x)))


@pytest.mark.parametrize("lib", LIBS)
def test_first_order_with_ops_of_any_kind(lib):
    """vjp and reverse-mode jacobian without create_graph need ordinary backwards only."""
    x = t(lib, rng.uniform(-1, 1, 3))
    M = rng.standard_normal((3, 3))
    J = F(lib).jacobian(lambda x: (t(lib, M) @ x).tanh() * x.exp(), x)
    a, e = np.tanh(M @ arr(x)), np.exp(arr(x))
    np.testing.assert_allclose(arr(J), ((1 - a * a) * e)[:, None] * M + np.diag(a * e), rtol=1e-12)


@second_order_with(minigrad.ops.Exp, minigrad.ops.activation.Tanh, minigrad.ops.MatMul)
@pytest.mark.parametrize("lib", LIBS)
def test_second_order_with_exp_tanh_matmul(lib):
    M = rng.standard_normal((3, 3))
    x, v = t(lib, rng.uniform(-1, 1, 3)), t(lib, [1.0, -1.0, 2.0])

    def f(x):                               # sum(exp(x)) + sum(tanh(M x)) and its derivatives
        return x.exp().sum() + (t(lib, M) @ x).tanh().sum()
    a = np.tanh(M @ arr(x))
    H = np.diag(np.exp(arr(x))) + M.T @ np.diag(-2 * a * (1 - a * a)) @ M
    np.testing.assert_allclose(arr(F(lib).hessian(f, x)), H, rtol=1e-10)
    np.testing.assert_allclose(arr(F(lib).hvp(f, x, v)[1]), H @ arr(v), rtol=1e-10)
    np.testing.assert_allclose(arr(F(lib).jvp(lambda x: (t(lib, M) @ x).tanh(), x, v)[1]),
                               (1 - a * a) * (M @ arr(v)), rtol=1e-10)


# ***** parity with torch: structure and values *****

def _two_in_two_out(lib):
    return lambda x, y: (x * y.sum() - x / (x * x + 1), (-(x.reshape(3, 1).expand(3, 2) * y.reshape(1, 2))).mean())


# (id, make(lib) -> func, input shape or [shapes] for a tuple of inputs, scalar output, forward mode too)
CASES = [
    ("linear", lambda lib: (lambda x: matvec(lib, W, x)), (6,), False, True),
    ("quadratic", quadratic, (4,), True, True),
    ("matrix input, scalar output", lambda lib: (lambda x: (x * x * x).sum() / 3), (2, 3), True, True),
    ("scalar input, vector output", lambda lib: (lambda x: x.expand(3) * t(lib, [1.0, 2.0, 3.0]) * x), (), False,
     True),
    ("tuple of one input", lambda lib: (lambda x: (x * x).mean()), [(3,)], True, True),
    ("two inputs, two outputs", _two_in_two_out, [(3,), (2,)], False, True),
    ("two inputs, scalar output", lambda lib: (lambda x, y: (x * x * y + y * y).sum()), [(3,), (3,)], True, True),
    # torch's forward mode needs a user Function to define jvp
    ("user Function", lambda lib: (lambda x: make_cube(lib).apply(x).sum()), (3,), True, False),
]


def _inputs(lib, shapes, seed):
    r = np.random.default_rng(seed)
    if isinstance(shapes, list):
        return tuple(t(lib, r.uniform(-1, 1, s)) for s in shapes)
    return t(lib, r.uniform(-1, 1, shapes))


def _like(lib, tensors, seed):
    r = np.random.default_rng(seed)
    if isinstance(tensors, tuple):
        return tuple(t(lib, r.uniform(-1, 1, tuple(x.shape))) for x in tensors)
    return t(lib, r.uniform(-1, 1, tuple(tensors.shape)))


def _all_results(lib, make, shapes, scalar, forward):
    fn = F(lib)
    func, x = make(lib), _inputs(lib, shapes, 1)
    out = func(*(x if isinstance(x, tuple) else (x,)))
    res = {"vjp": fn.vjp(func, x, _like(lib, out, 2)), "jvp": fn.jvp(func, x, _like(lib, x, 3)),
           "jacobian": fn.jacobian(func, x)}
    if forward:
        res["jacobian forward"] = fn.jacobian(func, x, vectorize=True, strategy="forward-mode")
    if scalar:
        v = _like(lib, x, 4)
        res.update(hessian=fn.hessian(func, x), vhp=fn.vhp(func, x, v), hvp=fn.hvp(func, x, v))
    if scalar and forward:
        res["hessian forward"] = fn.hessian(func, x, vectorize=True, outer_jacobian_strategy="forward-mode")
    return res


@pytest.mark.skipif(not HAVE_TORCH, reason="torch not installed")
@pytest.mark.parametrize("make, shapes, scalar, forward", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_parity_with_torch(make, shapes, scalar, forward):
    got, want = _all_results(minigrad, make, shapes, scalar, forward), _all_results(torch, make, shapes, scalar,
                                                                                   forward)
    assert got.keys() == want.keys()
    for name in want:
        assert structure(got[name]) == structure(want[name], lists_are_tuples=True), name
        for g, w in zip(flat(got[name]), flat(want[name])):
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14, err_msg=name)


@pytest.mark.parametrize("lib", LIBS)
def test_return_structures(lib):
    fn = F(lib)
    x, y = t(lib, [1.0, 2.0]), t(lib, [3.0, 4.0, 5.0])
    one_one = fn.jacobian(lambda x: x * x, x)
    assert isinstance(one_one, lib.Tensor) and tuple(one_one.shape) == (2, 2)
    assert structure(fn.jacobian(lambda x: x * x, (x,))) == ((2, 2),)
    assert structure(fn.jacobian(lambda x: (x * x, x.sum()), x)) == ((2, 2), (2,))
    assert structure(fn.jacobian(lambda x, y: x.sum() * y, (x, y))) == ((3, 2), (3, 3))
    assert structure(fn.jacobian(lambda x, y: (x * 2, y * 2), (x, y))) == (((2, 2), (2, 3)), ((3, 2), (3, 3)))
    assert structure(fn.hessian(lambda x: (x * x).sum(), x)) == (2, 2)
    assert structure(fn.hessian(lambda x: (x * x).sum(), (x,))) == (((2, 2),),)
    assert structure(fn.hessian(lambda x, y: x.sum() * y.sum(), (x, y))) == (((2, 2), (2, 3)), ((3, 2), (3, 3)))
    out, vj = fn.vjp(lambda x: (x * x).sum(), x)                  # v may be None for one element
    assert isinstance(out, lib.Tensor) and isinstance(vj, lib.Tensor)
    out, jv = fn.jvp(lambda x, y: (x * 2, y * 3), (x, y), (x, y))
    assert structure(out) == ((2,), (3,)) and structure(jv) == ((2,), (3,))
    out, hv = fn.hvp(lambda x, y: (x * x).sum() * y.sum(), (x, y), (x, y))
    assert structure(out) == () and structure(hv) == ((2,), (3,))
    s = t(lib, 2.0)
    assert structure(fn.jvp(lambda s: s * s * x, s)) == ((2,), (2,))   # v None for a one-element input
    assert structure(fn.vhp(lambda s: s * s * s, s)) == ((), ())


@pytest.mark.parametrize("strategy", ["reverse-mode", "forward-mode"])
def test_empty_tensors_have_an_empty_jacobian(strategy):
    """out.shape + in.shape with a zero in it. (torch's reverse mode raises "stack expects a
    non-empty TensorList" here; its forward mode returns the empty Jacobian, as minigrad does.)"""
    x = minigrad.ones(3, dtype=minigrad.float64)
    nothing = minigrad.ones(0, 3, dtype=minigrad.float64)
    for func, inp, shape in ((lambda x: x * nothing, x, (0, 3, 3)), (lambda x: x * 2, nothing, (0, 3, 0, 3))):
        J = F(minigrad).jacobian(func, inp, vectorize=True, strategy=strategy)
        assert tuple(J.shape) == shape and J.dtype == minigrad.float64


@pytest.mark.parametrize("lib", LIBS)
def test_dtype_follows_the_input(lib):
    x = lib.tensor([1.0, 2.0], dtype=lib.float32)
    assert F(lib).jacobian(lambda x: x * x, x).dtype == lib.float32
    assert F(lib).hessian(lambda x: (x * x * x).sum(), x).dtype == lib.float32


@pytest.mark.parametrize("lib", LIBS)
def test_gradients_are_taken_with_respect_to_the_argument_not_a_captured_tensor(lib):
    x = t(lib, [1.0, 2.0, 3.0], requires_grad=True)
    _, vj = F(lib).vjp(lambda a: a * x, x, t(lib, [1.0, 1.0, 1.0]))
    np.testing.assert_allclose(arr(vj), arr(x))               # not 2x: `a` is a new tensor
    assert x.grad is None


@pytest.mark.parametrize("lib", LIBS)
def test_works_inside_no_grad(lib):
    x = t(lib, [1.0, 2.0])
    with lib.no_grad():
        H = F(lib).hessian(lambda x: (x * x * x).sum(), x)
    np.testing.assert_allclose(arr(H), np.diag(6 * arr(x)))


# ***** create_graph *****

@pytest.mark.parametrize("lib", LIBS)
def test_without_create_graph_results_carry_no_graph(lib):
    x = t(lib, [1.0, 2.0], requires_grad=True)
    f = lambda x: (x * x * x).sum()                           # noqa: E731
    out, vj = F(lib).vjp(f, x)
    results = [out, vj, F(lib).jvp(f, x, x)[1], F(lib).jacobian(f, x), F(lib).hessian(f, x),
               F(lib).hvp(f, x, x)[1], F(lib).vhp(f, x, x)[1]]
    assert not any(r.requires_grad for r in results)


@pytest.mark.parametrize("name", ["vjp", "jvp", "hvp", "vhp"])
@pytest.mark.parametrize("lib", LIBS)
def test_create_graph_products_are_differentiable(lib, name):
    """d/dx sum(v * 3x^2) = 6 x v for the vector products of x^3 (elementwise) or its sum."""
    xs, vs = [1.0, -2.0, 0.5], [2.0, 1.0, -1.0]
    x, v = t(lib, xs, requires_grad=True), t(lib, vs)
    f = (lambda x: x * x * x) if name in ("vjp", "jvp") else (lambda x: (x * x * x).sum() / 2)
    want = 6 * np.array(xs) * np.array(vs)
    out, prod = getattr(F(lib), name)(f, x, v, create_graph=True)
    assert out.requires_grad and prod.requires_grad
    if name in ("vjp", "jvp"):
        np.testing.assert_allclose(arr(prod), 3 * np.array(xs) ** 2 * np.array(vs))
        prod.sum().backward()
        np.testing.assert_allclose(arr(x.grad), want)
    else:
        np.testing.assert_allclose(arr(prod), 3 * np.array(xs) * np.array(vs))
        prod.sum().backward()
        np.testing.assert_allclose(arr(x.grad), 3 * np.array(vs))


@pytest.mark.parametrize("lib", LIBS)
def test_create_graph_jacobian_and_hessian_are_differentiable(lib):
    xs = np.array([1.0, -2.0, 0.5])
    x = t(lib, xs, requires_grad=True)
    J = F(lib).jacobian(lambda x: x * x * x, x, create_graph=True)
    np.testing.assert_allclose(arr(J), np.diag(3 * xs ** 2))
    J.sum().backward()
    np.testing.assert_allclose(arr(x.grad), 6 * xs)
    x.grad = None
    H = F(lib).hessian(lambda x: (x * x * x * x).sum() / 12, x, create_graph=True)
    np.testing.assert_allclose(arr(H), np.diag(xs ** 2))
    (H * H).sum().backward()                                  # sum x^4 -> 4 x^3
    np.testing.assert_allclose(arr(x.grad), 4 * xs ** 3)


@pytest.mark.parametrize("lib", LIBS)
def test_create_graph_to_a_v_that_requires_grad(lib):
    x, v = t(lib, [1.0, 2.0]), t(lib, [3.0, -1.0], requires_grad=True)
    _, hv = F(lib).hvp(lambda x: (x * x * x).sum(), x, v, create_graph=True)
    hv.sum().backward()                                       # H v, H = diag(6x): d/dv sum = 6x
    np.testing.assert_allclose(arr(v.grad), 6 * arr(x))


# ***** strict mode *****

def linear_sum(x):
    return (x * 2).sum()


# (id, call(lib), message regex); every row raises RuntimeError in strict mode
STRICT = [
    ("vjp: an unused input", lambda L: F(L).vjp(lambda x, y: x * 2, (t(L, [1.0]), t(L, [2.0])), t(L, [1.0]),
                                                strict=True),
     "output of the user-provided function is independent of input 1"),
    ("vjp: a constant output", lambda L: F(L).vjp(lambda x: t(L, [1.0]), t(L, [1.0]), t(L, [1.0]), strict=True),
     "Output 0 of the user-provided function does not require gradients"),
    ("vjp: create_graph, a linear function", lambda L: F(L).vjp(linear_sum, t(L, [1.0]), create_graph=True,
                                                                strict=True),
     "jacobian of the user-provided function is independent of input 0.*when create_graph=True"),
    ("jvp: an unused input", lambda L: F(L).jvp(lambda x, y: x * 2, (t(L, [1.0]), t(L, [2.0])),
                                                (t(L, [1.0]), t(L, [1.0])), strict=True),
     "output of the user-provided function is independent of input 1"),
    ("jacobian: an unused input", lambda L: F(L).jacobian(lambda x, y: x * 2, (t(L, [1.0]), t(L, [2.0])),
                                                          strict=True),
     "Output 0 of the user-provided function is independent of input 1"),
    ("jacobian: create_graph, a linear function", lambda L: F(L).jacobian(lambda x: x * 2, t(L, [1.0]),
                                                                          create_graph=True, strict=True),
     "jacobian of the user-provided function is independent of input 0.*when create_graph=True"),
    ("jacobian: strict and vectorize", lambda L: F(L).jacobian(lambda x: x * x, t(L, [1.0]), strict=True,
                                                               vectorize=True),
     "`strict=True` and `vectorized=True` are not supported together"),
    ("jacobian: strict and forward-mode", lambda L: F(L).jacobian(lambda x: x * x, t(L, [1.0]), strict=True,
                                                                  vectorize=True, strategy="forward-mode"),
     '`strict=True` and `strategy="forward-mode"` are not supported together'),
    ("hessian: a linear function", lambda L: F(L).hessian(linear_sum, t(L, [1.0]), strict=True),
     "the jacobian of the user-provided function with respect to input 0 is independent of the input"),
    ("hessian: an unused input", lambda L: F(L).hessian(lambda x, y: (x * x).sum(), (t(L, [1.0]), t(L, [2.0])),
                                                        strict=True),
     "the jacobian of the user-provided function with respect to input 1 is independent of the input"),
    ("vhp: a linear function", lambda L: F(L).vhp(linear_sum, t(L, [1.0]), t(L, [1.0]), strict=True),
     "the jacobian of the user-provided function with respect to input 0 is independent of the input"),
    ("hvp: a linear function", lambda L: F(L).hvp(linear_sum, t(L, [1.0]), t(L, [1.0]), strict=True),
     "the jacobian of the user-provided function with respect to input 0 is independent of the input"),
]


@pytest.mark.parametrize("call, match", [r[1:] for r in STRICT], ids=[r[0] for r in STRICT])
@pytest.mark.parametrize("lib", LIBS)
def test_strict_mode_errors(lib, call, match):
    with pytest.raises(RuntimeError, match=match):
        call(lib)


@pytest.mark.parametrize("lib", LIBS)
def test_without_strict_independent_inputs_get_zeros(lib):
    fn, x, y = F(lib), t(lib, [1.0, 2.0]), t(lib, [3.0])
    _, (gx, gy) = fn.vjp(lambda x, y: x * 2, (x, y), t(lib, [1.0, 1.0]))
    np.testing.assert_array_equal(arr(gy), [0.0])
    _, jv = fn.jvp(lambda x, y: (x * 2, t(lib, [5.0])), (x, y), (x, y))
    np.testing.assert_array_equal(arr(jv[1]), [0.0])
    assert structure(fn.jacobian(lambda x, y: x * 2, (x, y))) == ((2, 2), (2, 1))
    np.testing.assert_array_equal(arr(fn.jacobian(lambda x, y: x * 2, (x, y))[1]), np.zeros((2, 1)))
    np.testing.assert_array_equal(arr(fn.hessian(linear_sum, x)), np.zeros((2, 2)))
    np.testing.assert_array_equal(arr(fn.hvp(linear_sum, x, x)[1]), [0.0, 0.0])
    np.testing.assert_array_equal(arr(fn.vhp(linear_sum, x, x)[1]), [0.0, 0.0])


# ***** bad arguments *****

def x2(L):
    return t(L, [1.0, 2.0])


def square(x):
    return x * x


ERRORS = [
    ("inputs a list", lambda L: F(L).vjp(square, [x2(L)], x2(L)), TypeError,
     r"The inputs given to vjp must be either a Tensor or a tuple of Tensors but the given inputs has type "
     r"<class 'list'>"),
    ("inputs a float in a tuple", lambda L: F(L).jacobian(lambda x, y: x, (x2(L), 1.0)), TypeError,
     "the value at index 1 has type <class 'float'>"),
    ("outputs a list", lambda L: F(L).jvp(lambda x: [x], x2(L), x2(L)), TypeError,
     "The outputs of the user-provided function given to jvp must be either a Tensor or a tuple of Tensors"),
    ("v a list", lambda L: F(L).vjp(square, x2(L), [x2(L)]), TypeError, "the given v has type <class 'list'>"),
    ("vjp v None, output of 2", lambda L: F(L).vjp(square, x2(L)), RuntimeError,
     "v can only be None if the user-provided function returns a single Tensor with a single element"),
    ("jvp v None, input of 2", lambda L: F(L).jvp(square, x2(L)), RuntimeError,
     "v can only be None if the input to the user-provided function is a single Tensor with a single element"),
    ("hvp v None, input of 2", lambda L: F(L).hvp(linear_sum, x2(L)), RuntimeError, "v can only be None if"),
    ("vjp v shape", lambda L: F(L).vjp(square, x2(L), t(L, [1.0, 2.0, 3.0])), RuntimeError,
     r"^v has invalid size: should be \S*Size\(\[2\]\) but got \S*Size\(\[3\]\)"),
    ("jvp v entry shape", lambda L: F(L).jvp(lambda x, y: x * y, (x2(L), x2(L)), (x2(L), t(L, [1.0]))),
     RuntimeError, r"Entry 1 in v has invalid size: should be \S*Size\(\[2\]\) but got \S*Size\(\[1\]\)"),
    ("vhp v tuple length", lambda L: F(L).vhp(lambda x, y: (x * y).sum(), (x2(L), x2(L)), (x2(L),)),
     RuntimeError, "v is a tuple of invalid length: should be 2 but got 1"),
    ("vjp two v for one output", lambda L: F(L).vjp(square, x2(L), (x2(L), x2(L))), RuntimeError,
     "The given v should contain a single Tensor"),
    ("hvp vector output", lambda L: F(L).hvp(square, x2(L), x2(L)), RuntimeError,
     "The Tensor returned by the function given to hvp should contain a single element"),
    ("vhp tuple output", lambda L: F(L).vhp(lambda x: (x.sum(),), x2(L), x2(L)), RuntimeError,
     "The function given to vhp should return a single Tensor"),
    ("hessian vector output", lambda L: F(L).hessian(square, x2(L)), RuntimeError,
     "The Tensor returned by the function given to hessian should contain a single element"),
    ("hessian tuple output", lambda L: F(L).hessian(lambda x: (x.sum(), x.sum()), x2(L)), RuntimeError,
     "The function given to hessian should return a single Tensor"),
    ("jacobian bad strategy", lambda L: F(L).jacobian(square, x2(L), strategy="reverse"), AssertionError,
     'Expected strategy to be either "forward-mode" or "reverse-mode"'),
    ("hessian bad strategy", lambda L: F(L).hessian(linear_sum, x2(L), outer_jacobian_strategy="fwd"),
     AssertionError, 'Expected strategy to be either "forward-mode" or "reverse-mode"'),
    ("forward-mode without vectorize", lambda L: F(L).jacobian(square, x2(L), strategy="forward-mode"),
     NotImplementedError, "only implemented for `vectorize=True`"),
    ("forward-mode hessian without vectorize",
     lambda L: F(L).hessian(linear_sum, x2(L), outer_jacobian_strategy="forward-mode"),
     NotImplementedError, "only implemented for `vectorize=True`"),
    ("forward-mode with create_graph",
     lambda L: F(L).jacobian(square, x2(L), create_graph=True, vectorize=True, strategy="forward-mode"),
     NotImplementedError, '`create_graph=True` and `strategy="forward-mode"` are not supported together'),
]


@pytest.mark.parametrize("call, exc, match", [r[1:] for r in ERRORS], ids=[r[0] for r in ERRORS])
@pytest.mark.parametrize("lib", LIBS)
def test_bad_arguments(lib, call, exc, match):
    with pytest.raises(exc, match=match):
        call(lib)
