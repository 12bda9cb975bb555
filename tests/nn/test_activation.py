"""nn.functional / nn activation layers: torch parity (values, input and PReLU weight gradients),
SPEC §9 rows 51-58, gradcheck, in-place semantics, RReLU by its properties, determinism."""
import warnings

import numpy as np
import pytest

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
import reference_nn as RN
from helpers import check_op, check_raises, needs_torch, torch

SHAPES = [(), (7,), (3, 5), (2, 3, 4, 5)]
SPECIALS = [-2.0, -0.0, 0.0, 3.0, np.nan, np.inf, -np.inf]


def _t(values, dtype=np.float32, requires_grad=True):
    return minigrad.tensor(np.asarray(values, dtype=dtype), requires_grad=requires_grad)


# ***** parity with the NumPy reference, and with torch when installed *****

@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name,kwargs", [("sigmoid", {}), ("tanh", {}), ("relu", {}), ("leaky_relu", {}),
                                         ("leaky_relu", {"negative_slope": -0.5}), ("rrelu", {})])
def test_parity(name, kwargs, shape, dtype):
    tol = dict(atol=1e-6, rtol=1e-5) if dtype == np.float32 else dict(atol=1e-12, rtol=1e-12)
    check_op([shape], lambda x: getattr(torch.nn.functional, name)(x, **kwargs),
             lambda x: getattr(F, name)(x, **kwargs), ref=lambda x: getattr(RN, name)(x, **kwargs),
             dtype=dtype, low=-4, high=4,
             grad_atol=tol["atol"] * 10, grad_rtol=tol["rtol"] * 10, **tol)


@pytest.mark.parametrize("shape,num", [((), 1), ((6,), 1), ((2, 3, 4, 4), 1), ((2, 3, 4, 4), 3), ((5, 4), 4),
                                       ((3, 2, 2), 2)])
def test_prelu_parity(shape, num, dtype):
    w = np.random.default_rng(1).uniform(0.1, 0.4, num).astype(dtype)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    check_op([shape, (num,)], lambda x, w: torch.nn.functional.prelu(x, w), F.prelu, ref=RN.prelu,
             dtype=dtype, grad_rtol=tol,
             vals=[np.random.default_rng(2).uniform(-2, 2, shape), w])


@needs_torch
def test_parity_non_contiguous():
    check_op([(4, 6)], lambda x: torch.sigmoid(x.t()), lambda x: F.sigmoid(x.transpose(0, 1)))
    check_op([(4, 6)], lambda x: torch.relu(x.t() * 2), lambda x: F.relu(x.transpose(0, 1) * 2))


@needs_torch
def test_rrelu_eval_exact_vs_torch(dtype):
    x = np.random.default_rng(3).uniform(-3, 3, (4, 50)).astype(dtype)
    m = nn.RReLU(0.1, 0.4).eval()
    got = m(minigrad.tensor(x)).detach().numpy()
    want = torch.nn.RReLU(0.1, 0.4).eval()(torch.tensor(x)).detach().numpy()
    np.testing.assert_array_equal(got, want)


@needs_torch
@pytest.mark.parametrize("dtype_", [np.float32, np.float64])
def test_sigmoid_extremes_vs_torch(dtype_):
    x = np.array([-1e4, -100, -1, 0, 1, 100, 1e4], dtype=dtype_)
    t = minigrad.tensor(x, requires_grad=True)
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        y = F.sigmoid(t)
        y.sum().backward()
    tt = torch.tensor(x, requires_grad=True)
    ty = torch.sigmoid(tt)
    ty.sum().backward()
    assert np.all(np.isfinite(y.detach().numpy())) and np.all(np.isfinite(t.grad.detach().numpy()))
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().detach().numpy(), rtol=1e-6, atol=1e-37)
    np.testing.assert_allclose(t.grad.detach().numpy(), tt.grad.detach().numpy(), rtol=1e-6, atol=1e-37)


# ***** SPEC §9 edge cases *****

def test_relu_leaky_at_zero_row51():
    x = _t(SPECIALS)
    F.relu(x).sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), [0, 0, 0, 1, 1, 1, 0])
    x = _t(SPECIALS)
    y = F.leaky_relu(x, 0.01)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.detach().numpy(), np.float32([.01, .01, .01, 1, .01, 1, .01]))
    assert np.isnan(F.relu(_t([np.nan])).detach().numpy()[0]) and F.relu(_t([-np.inf])).detach().numpy()[0] == 0


def test_sigmoid_tanh_grads_row52():
    x = _t([-100, -1, 0, 1, 100])
    F.sigmoid(x).sum().backward()
    np.testing.assert_allclose(x.grad.detach().numpy(), [0, .19661193, .25, .19661193, 0], atol=1e-7)
    x = _t([-100, 0, 100, np.nan])
    F.tanh(x).sum().backward()
    np.testing.assert_allclose(x.grad.detach().numpy(), [0, 1, 0, np.nan])


def test_prelu_rows53_55():
    m = nn.PReLU()
    assert isinstance(m.weight, nn.Parameter) and m.weight.dtype == np.float32 and m.weight.shape == (1,)
    np.testing.assert_array_equal(m.weight.detach().numpy(), [0.25])
    assert list(m.parameters())[0] is m.weight
    y = m(minigrad.tensor(-2.0))            # one parameter: 0-d works
    assert y.shape == () and y.item() == -0.5
    m = nn.PReLU(2, 0.5)
    x = _t([[-1, 2], [-3, 0]])
    m(x).sum().backward()
    np.testing.assert_array_equal(m.weight.grad.detach().numpy(), [-4, 0])
    np.testing.assert_array_equal(x.grad.detach().numpy(), [[.5, 1], [.5, .5]])


def test_prelu_errors_rows54_56():
    with pytest.raises(RuntimeError, match=r"Found parameter numbers = 3 and channel size = 1\."):
        nn.PReLU(3)(minigrad.zeros(3))
    with pytest.raises(RuntimeError, match=r"Found parameter numbers = 3 and channel size = 2\."):
        nn.PReLU(3)(minigrad.zeros(3, 2, 2))
    with pytest.raises(RuntimeError, match="Not allow zero-dim input tensor."):
        nn.PReLU(3)(minigrad.tensor(1.0))
    with pytest.raises(RuntimeError, match="Found parameter numbers = 0"):
        nn.PReLU(0)(minigrad.zeros(2, 3))
    check_raises([(2, 3)], lambda x: torch.nn.functional.prelu(x, torch.ones(1)),
                 lambda x: F.prelu(x, minigrad.ones(1)), RuntimeError,
                 match="prelu: Type promoting not supported. Got Double and Float", dtype=np.float64)
    with pytest.raises(RuntimeError, match="Expected `weight` to be a scalar or 1D tensor"):
        F.prelu(minigrad.zeros(2, 3), minigrad.ones(1, 3))


def test_rrelu_rows57_58():
    x = _t([-3, 0, 2])
    y = F.rrelu(x)                                   # functional default: eval
    y.sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), [-0.6875, 0, 2])
    np.testing.assert_allclose(x.grad.detach().numpy(), [.2291667, .2291667, 1], rtol=1e-6)
    for training in (True, False):
        with pytest.raises(RuntimeError, match="Lower bound should be less than or equal to the upper bound"):
            F.rrelu(minigrad.zeros(3), 0.5, 0.1, training=training)
    with pytest.raises(NotImplementedError):
        F.rrelu(minigrad.tensor([1, 2]), training=True)


def test_rrelu_train_properties():
    lower, upper = 0.1, 0.3
    x = _t(np.concatenate([-np.linspace(0.5, 3, 500), np.zeros(10), np.linspace(0.5, 3, 100)]))
    y = F.rrelu(x, lower, upper, training=True)
    g = np.random.default_rng(0).uniform(0.5, 1.5, x.shape).astype(np.float32)
    (y * minigrad.tensor(g)).sum().backward()
    slopes = y.detach().numpy()[:500] / x.detach().numpy()[:500]
    assert slopes.min() >= lower - 1e-6 and slopes.max() <= upper + 1e-6
    assert len(np.unique(slopes)) > 450                       # one draw per element
    np.testing.assert_allclose(x.grad.detach().numpy()[:500] / g[:500], slopes, rtol=1e-5)   # backward uses them
    zero_grad = x.grad.detach().numpy()[500:510] / g[500:510]        # x = 0 also gets a random slope (torch)
    assert np.all((zero_grad >= lower - 1e-6) & (zero_grad <= upper + 1e-6))
    np.testing.assert_allclose(x.grad.detach().numpy()[510:], g[510:])
    assert abs(slopes.mean() - (lower + upper) / 2) < 0.01


def test_rrelu_seeding_and_threads():
    x = minigrad.randn(4, 3, 100, 100)
    outs = []
    for threads in (1, 2, 1):
        minigrad.set_num_threads(threads)
        minigrad.manual_seed(42)
        a = F.rrelu(x, training=True).detach().numpy()
        b = F.rrelu(x, training=True).detach().numpy()               # the stream moves on
        outs.append((a, b))
        assert not np.array_equal(a, b)
    for a, b in outs[1:]:
        np.testing.assert_array_equal(a, outs[0][0])
        np.testing.assert_array_equal(b, outs[0][1])


def test_prelu_weight_grad_thread_determinism():
    x = minigrad.randn(8, 4, 64, 64)
    g = minigrad.randn(8, 4, 64, 64)
    grads = []
    for threads in (1, 2, 3):
        minigrad.set_num_threads(threads)
        for num in (1, 4):
            m = nn.PReLU(num)
            (m(x) * g).sum().backward()
            grads.append((threads, num, m.weight.grad.detach().numpy().copy()))
    for threads, num, gw in grads:
        np.testing.assert_array_equal(gw, [w for t, n, w in grads if n == num][0])


# ***** gradcheck (float64) *****

def _away_from_kinks(shape, seed=0):
    x = np.random.default_rng(seed).uniform(0.2, 2, shape) * np.random.default_rng(seed + 1).choice([-1, 1], shape)
    return minigrad.tensor(x, dtype=np.float64, requires_grad=True)


GRAD_FNS = [F.sigmoid, F.tanh, F.relu, lambda x: F.leaky_relu(x, 0.2), lambda x: F.rrelu(x, 0.1, 0.3),
            lambda x: (minigrad.manual_seed(5), F.rrelu(x, 0.1, 0.3, training=True))[1]]
GRAD_IDS = ["sigmoid", "tanh", "relu", "leaky_relu", "rrelu_eval", "rrelu_train"]


@pytest.mark.parametrize("fn", GRAD_FNS, ids=GRAD_IDS)
def test_gradcheck(fn):
    assert minigrad.gradcheck(fn, (_away_from_kinks((2, 3, 4)),))


@pytest.mark.parametrize("fn", GRAD_FNS, ids=GRAD_IDS)
def test_gradgradcheck(fn):
    assert minigrad.autograd.gradgradcheck(fn, (_away_from_kinks((2, 3)),))


def test_gradcheck_prelu():
    w = minigrad.tensor([0.1, -0.3, 0.5], dtype=np.float64, requires_grad=True)
    assert minigrad.gradcheck(F.prelu, (_away_from_kinks((2, 3, 2, 2)), w))
    w1 = minigrad.tensor([0.2], dtype=np.float64, requires_grad=True)
    assert minigrad.gradcheck(F.prelu, (_away_from_kinks((5,)), w1))


def test_gradgradcheck_prelu():
    w = minigrad.tensor([0.1, -0.3, 0.5], dtype=np.float64, requires_grad=True)
    assert minigrad.autograd.gradgradcheck(F.prelu, (_away_from_kinks((2, 3, 1)), w))
    w1 = minigrad.tensor([0.2], dtype=np.float64, requires_grad=True)
    assert minigrad.autograd.gradgradcheck(F.prelu, (_away_from_kinks((3,)), w1))
    w0 = minigrad.tensor(0.2, dtype=np.float64, requires_grad=True)
    assert minigrad.autograd.gradgradcheck(F.prelu, (_away_from_kinks(()), w0))


# ***** in place *****

INPLACE_CALLS = [lambda x: F.relu(x, inplace=True), lambda x: F.leaky_relu(x, 0.1, True),
                 lambda x: F.leaky_relu(x, -0.5, True), lambda x: F.rrelu(x, 0.1, 0.3, training=False, inplace=True)]


@pytest.mark.parametrize("call", INPLACE_CALLS)
def test_inplace_values_and_grads(call):
    data = np.random.default_rng(0).uniform(-2, 2, (3, 40)).astype(np.float32)
    leaf = minigrad.tensor(data, requires_grad=True)
    h = leaf * 2
    storage, version = h.detach().numpy(), h._version[0]
    out = call(h)
    assert out is h and h.detach().numpy() is storage and h._version[0] == version + 1   # really in place
    (out * out).sum().backward()
    ref_leaf = minigrad.tensor(data, requires_grad=True)
    ref_out = call((ref_leaf * 2).clone())            # the same op on a fresh tensor
    (ref_out * ref_out).sum().backward()
    np.testing.assert_array_equal(out.detach().numpy(), ref_out.detach().numpy())
    np.testing.assert_array_equal(leaf.grad.detach().numpy(), ref_leaf.grad.detach().numpy())


@pytest.mark.parametrize("call", INPLACE_CALLS + [lambda x: x.sigmoid_(), lambda x: x.tanh_(),
                                   lambda x: (minigrad.manual_seed(2), F.rrelu(x, 0.1, 0.3, True, True))[1]])
def test_inplace_second_derivatives(call):
    """In place on a non-leaf (the input's memory then holds the output) under create_graph."""
    assert minigrad.autograd.gradgradcheck(lambda x: call(x * 1.5) * x, (_away_from_kinks((2, 3)),))


def test_inplace_rrelu_train_and_no_grad():
    minigrad.manual_seed(3)
    x = minigrad.randn(50)
    before = x.detach().numpy().copy()
    with minigrad.no_grad():
        out = F.rrelu(x, training=True, inplace=True)
    assert out is x
    minigrad.manual_seed(3)
    minigrad.randn(50)
    np.testing.assert_array_equal(x.detach().numpy(), F.rrelu(minigrad.tensor(before), training=True).detach().numpy())
    y = minigrad.randn(5)
    F.relu(y, inplace=True)
    assert np.all(y.detach().numpy() >= 0)


def test_inplace_leaf_and_saved_output_errors():
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        F.relu(_t([1.0, -1.0]), inplace=True)
    x = _t([1.0, -1.0])
    y = F.sigmoid(x)
    y.mul_(2)                                    # sigmoid saved y for backward
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


# ***** modules *****

def test_module_reprs_and_modes():
    assert repr(nn.LeakyReLU()) == "LeakyReLU(negative_slope=0.01)"
    assert repr(nn.PReLU()) == "PReLU(num_parameters=1)"
    assert repr(nn.RReLU()) == "RReLU(lower=0.125, upper=0.3333333333333333)"
    assert repr(nn.ReLU()) == "ReLU()" and repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"
    assert repr(nn.Sigmoid()) == "Sigmoid()" and repr(nn.Tanh()) == "Tanh()"
    m = nn.RReLU(0.1, 0.3)
    x = minigrad.tensor(-np.ones(200, np.float32))
    assert len(np.unique(m(x).detach().numpy())) > 100            # train by default: random slopes
    np.testing.assert_allclose(m.eval()(x).detach().numpy(), -0.2)
    assert len(np.unique(m.train()(x).detach().numpy())) > 100


@pytest.mark.parametrize("cls", [nn.Sigmoid, nn.Tanh, nn.ReLU, nn.LeakyReLU, nn.PReLU])
def test_modules_match_functional(cls, dtype):
    x = minigrad.tensor(np.random.default_rng(0).uniform(-2, 2, (2, 3)).astype(dtype))
    m = cls()
    if cls is nn.PReLU:
        m.weight = nn.Parameter(m.weight.detach().numpy().astype(dtype))
        want = F.prelu(x, m.weight)
    else:
        want = getattr(F, {"Sigmoid": "sigmoid", "Tanh": "tanh", "ReLU": "relu", "LeakyReLU": "leaky_relu"}[
            cls.__name__])(x)
    out = m(x)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out.detach().numpy(), want.detach().numpy())


def test_input_type_errors():
    with pytest.raises(TypeError, match="must be Tensor"):
        F.relu([1.0])
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        F.sigmoid(minigrad.tensor([1, 2]))
