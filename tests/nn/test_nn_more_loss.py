"""L1Loss, SmoothL1Loss, HuberLoss, BCELoss, BCEWithLogitsLoss, KLDivLoss and one_hot: NumPy
references, torch parity (values, input and target gradients, weights, reductions), gradcheck,
errors, state_dict keys and reprs."""
import warnings

import numpy as np
import pytest

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from helpers import check_op, needs_torch, torch

RNG = np.random.default_rng(0)
X = RNG.uniform(-3, 3, (4, 5))
Y = RNG.uniform(-3, 3, (4, 5))
P = RNG.uniform(0.02, 0.98, (4, 5))      # probabilities
Q = RNG.uniform(0.0, 1.0, (4, 5))


def _sig(x):
    return 1 / (1 + np.exp(-x))


def _logsm(x):
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


# name, kwargs, (input, target) arrays, NumPy reference of the unreduced loss
CASES = [
    ("l1_loss", {}, (X, Y), lambda x, y: np.abs(x - y)),
    ("smooth_l1_loss", {}, (X, Y), lambda x, y: np.where(np.abs(x - y) < 1, 0.5 * (x - y) ** 2, np.abs(x - y) - 0.5)),
    ("smooth_l1_loss", {"beta": 2.5}, (X, Y),
     lambda x, y: np.where(np.abs(x - y) < 2.5, 0.5 * (x - y) ** 2 / 2.5, np.abs(x - y) - 1.25)),
    ("smooth_l1_loss", {"beta": 0.0}, (X, Y), lambda x, y: np.abs(x - y)),
    ("huber_loss", {}, (X, Y), lambda x, y: np.where(np.abs(x - y) < 1, 0.5 * (x - y) ** 2, np.abs(x - y) - 0.5)),
    ("huber_loss", {"delta": 2.0}, (X, Y),
     lambda x, y: np.where(np.abs(x - y) < 2, 0.5 * (x - y) ** 2, 2 * (np.abs(x - y) - 1))),
    ("binary_cross_entropy", {}, (P, Q), lambda x, y: -(y * np.log(x) + (1 - y) * np.log(1 - x))),
    ("binary_cross_entropy_with_logits", {}, (X, Q),
     lambda x, y: -(y * np.log(_sig(x)) + (1 - y) * np.log(1 - _sig(x)))),
    ("kl_div", {"log_target": False}, (_logsm(X), P / P.sum(-1, keepdims=True)), lambda x, y: y * (np.log(y) - x)),
    ("kl_div", {"log_target": True}, (_logsm(X), _logsm(Y)), lambda x, y: np.exp(y) * (y - x)),
]
IDS = [f"{n}{k}" for n, k, _, _ in CASES]


def _reduced(ref, reduction, x):
    if reduction == "none":
        return ref
    if reduction == "batchmean":
        return ref.sum() / x.shape[0]
    return ref.sum() if reduction == "sum" else ref.mean()


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("name,kwargs,arrays,ref", CASES, ids=IDS)
def test_numpy_reference(name, kwargs, arrays, ref, reduction, dtype):
    x, y = (a.astype(dtype) for a in arrays)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = getattr(F, name)(minigrad.tensor(x), minigrad.tensor(y), reduction=reduction, **kwargs)
    assert got.dtype == dtype
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got.numpy(), _reduced(ref(x.astype(np.float64), y.astype(np.float64)), reduction, x),
                               rtol=tol, atol=tol)


@pytest.mark.parametrize("name,kwargs,arrays,ref", CASES, ids=IDS)
def test_gradcheck(name, kwargs, arrays, ref):
    x, y = (minigrad.tensor(a, requires_grad=True) for a in arrays)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert minigrad.gradcheck(lambda a, b: getattr(F, name)(a, b, reduction="sum", **kwargs), (x, y))


@pytest.mark.parametrize("reduction", ["none", "mean"])
@pytest.mark.parametrize("name,kwargs,arrays,ref", CASES, ids=IDS)
def test_gradgradcheck(name, kwargs, arrays, ref, reduction):
    x, y = (minigrad.tensor(a[:2, :3], requires_grad=True) for a in arrays)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert minigrad.autograd.gradgradcheck(
            lambda a, b: getattr(F, name)(a, b, reduction=reduction, **kwargs), (x, y))


@pytest.mark.parametrize("pos_weight", [np.array([0.5, 2.0, 3.0]), np.array(3.0)])
def test_bce_with_logits_pos_weight_gradgradcheck(pos_weight):
    x, y = (minigrad.tensor(a[:2, :3], requires_grad=True) for a in (X, Q))
    pw = minigrad.tensor(pos_weight)
    assert minigrad.autograd.gradgradcheck(
        lambda a, b: F.binary_cross_entropy_with_logits(a, b, pos_weight=pw, reduction="sum"), (x, y))


@pytest.mark.parametrize("name", ["l1_loss", "smooth_l1_loss", "huber_loss"])
def test_gradgradcheck_broadcast(name):
    x = minigrad.tensor(X[:1, :3], requires_grad=True)
    y = minigrad.tensor(Y[:2, :3], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert minigrad.autograd.gradgradcheck(lambda a, b: getattr(F, name)(a, b, reduction="sum"), (x, y))


def test_binary_cross_entropy_second_derivative_at_the_clamp():
    # x (1 - x) below 1e-12: the clamped denominator is a constant there, as in the array backward
    x = minigrad.tensor([1e-13, 0.5], requires_grad=True)
    g, = minigrad.autograd.grad(F.binary_cross_entropy(x, minigrad.tensor([0.0, 1.0]), reduction="sum"), x,
                                create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), [1e-13 / 1e-12, -2.0])
    h, = minigrad.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), [1 / 1e-12, 4.0])


def test_kl_div_second_derivatives_at_a_zero_target():
    """d/dy = log y + 1 - x, taken as 1 - x at y = 0 (y log y is 0 there): its own derivative in
    y is then 0 there, and stays 1/y elsewhere."""
    xv, yv = np.array([-1.2, -0.4, -2.0]), np.array([0.0, 0.3, 0.7])
    x, y = minigrad.tensor(xv, requires_grad=True), minigrad.tensor(yv, requires_grad=True)
    gx, gy = minigrad.autograd.grad(F.kl_div(x, y, reduction="sum"), (x, y), create_graph=True)
    np.testing.assert_allclose(gy.detach().numpy(), [1 - xv[0], np.log(0.3) + 1 - xv[1], np.log(0.7) + 1 - xv[2]])
    np.testing.assert_allclose(gx.detach().numpy(), -yv)
    hy, hx = minigrad.autograd.grad(gy.sum(), (y, x))
    np.testing.assert_allclose(hy.numpy(), [0.0, 1 / 0.3, 1 / 0.7])
    np.testing.assert_allclose(hx.numpy(), [-1.0, -1.0, -1.0])


@needs_torch
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("name,kwargs,arrays,ref", CASES, ids=IDS)
def test_parity(name, kwargs, arrays, ref, reduction):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_op(None, lambda a, b: getattr(torch.nn.functional, name)(a, b, reduction=reduction, **kwargs),
                 lambda a, b: getattr(F, name)(a, b, reduction=reduction, **kwargs), vals=arrays, dtype=np.float64,
                 atol=1e-12, rtol=1e-12, grad_atol=1e-12, grad_rtol=1e-10)


@needs_torch
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_weighted_parity(reduction):
    w = RNG.uniform(0.5, 2.0, (4, 5))
    cw = RNG.uniform(0.5, 2.0, (5,))
    for tf, mf in [(lambda a, b, w: torch.nn.functional.l1_loss(a, b, reduction=reduction, weight=w),
                    lambda a, b, w: F.l1_loss(a, b, reduction=reduction, weight=w)),
                   (lambda a, b, w: torch.nn.functional.huber_loss(a, b, reduction=reduction, delta=0.7, weight=w),
                    lambda a, b, w: F.huber_loss(a, b, reduction=reduction, delta=0.7, weight=w))]:
        check_op(None, tf, mf, vals=[X, Y, w], dtype=np.float64, atol=1e-12, rtol=1e-12)
    # torch refuses a weight that requires grad here: a constant
    check_op(None, lambda a, b: torch.nn.functional.binary_cross_entropy(a, b, torch.tensor(cw), reduction=reduction),
             lambda a, b: F.binary_cross_entropy(a, b, minigrad.tensor(cw), reduction=reduction), vals=[P, Q],
             dtype=np.float64, atol=1e-12, rtol=1e-12, grad_atol=1e-10)
    # pos_weight gets no gradient in minigrad (documented), so it is a constant here
    for pw in (cw, np.float64(3.0)):
        check_op(None, lambda a, b: torch.nn.functional.binary_cross_entropy_with_logits(
                     a, b, torch.tensor(cw), reduction=reduction, pos_weight=torch.tensor(pw)),
                 lambda a, b: F.binary_cross_entropy_with_logits(a, b, minigrad.tensor(cw), reduction=reduction,
                                                                 pos_weight=minigrad.tensor(pw)),
                 vals=[X, Q], dtype=np.float64, atol=1e-12, rtol=1e-12, grad_atol=1e-10)


@needs_torch
def test_edges_match_torch():
    """BCE at 0 and 1 (logs clamped at -100), logits far out (no overflow), KL batchmean."""
    p = np.array([0.0, 1.0, 0.0, 1.0, 0.5])
    y = np.array([0.0, 1.0, 1.0, 0.0, 0.3])
    check_op(None, lambda a, b: torch.nn.functional.binary_cross_entropy(a, b, reduction="none"),
             lambda a, b: F.binary_cross_entropy(a, b, reduction="none"), vals=[p, y], dtype=np.float64)
    z = np.array([-800.0, -30.0, 0.0, 30.0, 800.0])
    check_op(None, lambda a, b: torch.nn.functional.binary_cross_entropy_with_logits(a, b, reduction="none"),
             lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction="none"), vals=[z, y], dtype=np.float64)
    check_op(None, lambda a, b: torch.nn.functional.kl_div(a, b, reduction="batchmean"),
             lambda a, b: F.kl_div(a, b, reduction="batchmean"), vals=[_logsm(X), Q], dtype=np.float64,
             atol=1e-12, rtol=1e-12)


def test_kl_div_reductions_and_warning():
    x, y = minigrad.tensor(_logsm(X)), minigrad.tensor(Q)
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        mean = F.kl_div(x, y)
    total = F.kl_div(x, y, reduction="sum").item()
    assert np.isclose(mean.item(), total / X.size)
    assert np.isclose(F.kl_div(x, y, reduction="batchmean").item(), total / X.shape[0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.kl_div(x, y, reduction="batchmean")        # no warning
    # a zero target contributes 0, not nan
    assert F.kl_div(x, minigrad.zeros(4, 5, dtype=minigrad.float64), reduction="sum").item() == 0


def test_legacy_flags():
    x, y = minigrad.tensor(X), minigrad.tensor(Y)
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        out = F.l1_loss(x, y, size_average=False)
    assert np.isclose(out.item(), np.abs(X - Y).sum())
    with pytest.warns(UserWarning):
        assert nn.L1Loss(reduce=False).reduction == "none"


def test_errors():
    x, y = minigrad.tensor(P), minigrad.tensor(Q)
    cases = [
        (lambda lib: lib.nn.functional.binary_cross_entropy(lib.tensor(P), lib.tensor(Q[:, 0])), ValueError,
         "that is different to the input size"),
        (lambda lib: lib.nn.functional.binary_cross_entropy(lib.tensor(P * 3), lib.tensor(Q)), RuntimeError,
         "all elements of input should be between 0 and 1"),
        (lambda lib: lib.nn.functional.binary_cross_entropy(lib.tensor(P), lib.tensor(Q, dtype=lib.float32)),
         RuntimeError, "Found dtype Float but expected Double"),
        (lambda lib: lib.nn.functional.binary_cross_entropy_with_logits(lib.tensor(P), lib.tensor(Q[:, 0])),
         ValueError, "must be the same as input size"),
        (lambda lib: lib.nn.functional.binary_cross_entropy_with_logits(lib.tensor(P), lib.tensor(Q),
                                                                         pos_weight=lib.ones(3, dtype=lib.float64)),
         RuntimeError, "must match the size"),
        (lambda lib: lib.nn.functional.l1_loss(lib.tensor(P), lib.tensor(Q), reduction="foo"), ValueError,
         "foo is not a valid value for reduction"),
        (lambda lib: lib.nn.functional.smooth_l1_loss(lib.tensor(P), lib.tensor(Q), beta=-1), RuntimeError,
         "does not support negative values for beta"),
        (lambda lib: lib.nn.functional.huber_loss(lib.tensor(P), lib.tensor(Q), delta=0), RuntimeError,
         "does not support non-positive values for delta"),
        (lambda lib: lib.nn.functional.l1_loss(lib.tensor(P), lib.tensor(Q), weight=lib.ones(5)), ValueError,
         "Weights and input must have the same size."),
        (lambda lib: lib.nn.functional.kl_div(lib.tensor(P), lib.tensor(Q), reduction="foo"), ValueError,
         "foo is not a valid value for reduction"),
    ]
    for fn, exc, msg in cases:
        with pytest.raises(exc, match=msg):
            fn(minigrad)
        if torch is not None:
            with pytest.raises(exc):
                fn(torch)
    assert x.shape == y.shape


def test_broadcast_warning_and_grad_shape():
    x = minigrad.tensor(X, requires_grad=True)
    y = minigrad.tensor(Y[0], requires_grad=True)
    with pytest.warns(UserWarning, match="different to the input size"):
        F.huber_loss(x, y).backward()
    assert y.grad.shape == (5,)


ONE_HOT = [(np.array([0, 3, 1]), -1), (np.array([[0, 2], [1, 1]]), 4), (np.array(2), 3),
           (np.zeros(0, np.int64), 3)]


@pytest.mark.parametrize("idx,n", ONE_HOT)
def test_one_hot(idx, n):
    got = F.one_hot(minigrad.tensor(idx.astype(np.int64)), n)
    c = int(idx.max()) + 1 if n == -1 else n
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got.numpy(), np.eye(c, dtype=np.int64)[idx])
    if torch is not None:
        np.testing.assert_array_equal(got.numpy(), torch.nn.functional.one_hot(torch.tensor(idx), n).numpy())


@pytest.mark.parametrize("idx,n,msg", [
    (np.array([1.0]), -1, "one_hot is only applicable to index tensor of type LongTensor."),
    (np.array([-1]), -1, "Class values must be non-negative."),
    (np.array([3]), 3, "Class values must be smaller than num_classes."),
    (np.array([1]), -2, "Class values must be smaller than num_classes."),
    (np.zeros(0, np.int64), -1, "Can not infer total number of classes from empty tensor."),
    (np.zeros(0, np.int64), 0, "Can not infer total number of classes from empty tensor."),
])
def test_one_hot_errors(idx, n, msg):
    with pytest.raises(RuntimeError, match=msg):
        F.one_hot(minigrad.tensor(idx), n)
    if torch is not None:
        with pytest.raises(RuntimeError, match=msg):
            torch.nn.functional.one_hot(torch.tensor(idx), n)


MODULES = ["L1Loss()", "SmoothL1Loss(beta=0.5)", "HuberLoss(delta=2.0)", "BCELoss()", "BCEWithLogitsLoss()",
           "KLDivLoss(reduction='batchmean')", "BCELoss(weight=lib.ones(5))",
           "BCEWithLogitsLoss(weight=lib.ones(5), pos_weight=lib.ones(5))", "L1Loss(reduction='sum')"]


@pytest.mark.parametrize("expr", MODULES)
def test_modules_repr_state_dict_and_values(expr):
    lib = minigrad
    ours = eval("lib.nn." + expr)
    assert repr(ours) == expr.split("(")[0] + "()"
    x, y = (P, Q) if "BCE" in expr else (_logsm(X), Q) if "KL" in expr else (X, Y)
    got = ours(minigrad.tensor(x), minigrad.tensor(y))
    if torch is None:
        return
    lib = torch
    theirs = eval("lib.nn." + expr)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    want = theirs(torch.tensor(x), torch.tensor(y))
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12, atol=1e-12)
