"""softmax/log_softmax and the losses against NumPy, gradcheck and torch."""
import warnings

import numpy as np
import pytest

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from tests.helpers import check_op, needs_torch, torch

LOGITS = np.array([[1.0, 2.0, 3.0], [1000.0, 0.0, -1000.0]])


def np_log_softmax(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def test_log_softmax_and_softmax_match_numpy_and_are_stable():
    x = minigrad.tensor(LOGITS)
    np.testing.assert_allclose(F.log_softmax(x, 1).numpy(), np_log_softmax(LOGITS, 1))
    s = F.softmax(x, dim=1).numpy()
    assert np.isfinite(s).all()
    np.testing.assert_allclose(s.sum(1), 1.0)


def test_cross_entropy_value_large_logits():
    loss = F.cross_entropy(minigrad.tensor(LOGITS), minigrad.tensor([2, 1]))
    assert abs(loss.item() - 500.2038) < 1e-3


SOFTMAX_FNS = [lambda x: F.log_softmax(x, 1), lambda x: F.softmax(x, -1), lambda x: F.log_softmax(x, 0)]


@pytest.mark.parametrize("fn", SOFTMAX_FNS)
def test_softmax_gradcheck(fn):
    x = minigrad.tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)
    assert minigrad.gradcheck(fn, [x])


@pytest.mark.parametrize("fn", SOFTMAX_FNS)
def test_softmax_gradgradcheck(fn):
    x = minigrad.tensor(np.random.default_rng(0).standard_normal((2, 3)), requires_grad=True)
    assert minigrad.autograd.gradgradcheck(fn, [x])


def test_softmax_of_a_scalar_gradgradcheck():
    scalar = minigrad.tensor(0.7, dtype=minigrad.float64, requires_grad=True)
    assert minigrad.autograd.gradgradcheck(lambda x: F.softmax(x, 0) * F.log_softmax(x * x, -1), [scalar])


CE_KWARGS = [{}, {"reduction": "sum"}, {"reduction": "none"}, {"label_smoothing": 0.2}, {"ignore_index": 1},
             {"weight": np.array([0.2, 1.0, 2.0, 0.5])},
             {"weight": np.array([0.2, 1.0, 2.0, 0.5]), "label_smoothing": 0.1, "ignore_index": 0}]


@pytest.mark.parametrize("kw", CE_KWARGS)
def test_cross_entropy_gradcheck(kw):
    x = minigrad.tensor(np.random.default_rng(1).standard_normal((5, 4)), requires_grad=True)
    t = minigrad.tensor([0, 1, 3, 1, 2])
    assert minigrad.gradcheck(lambda x: F.cross_entropy(x, t, **kw), [x])


@pytest.mark.parametrize("kw", CE_KWARGS)
def test_cross_entropy_gradgradcheck(kw):
    x = minigrad.tensor(np.random.default_rng(1).standard_normal((3, 4)), requires_grad=True)
    t = minigrad.tensor([0, 1, 3])
    assert minigrad.autograd.gradgradcheck(lambda x: F.cross_entropy(x, t, **kw), [x])


def test_cross_entropy_probability_targets_gradgradcheck():
    rng = np.random.default_rng(2)
    x = minigrad.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    probs = minigrad.tensor(rng.dirichlet(np.ones(3), size=2))
    assert minigrad.autograd.gradgradcheck(lambda x: F.cross_entropy(x, probs, label_smoothing=0.1), [x])


@needs_torch
@pytest.mark.parametrize("kw", [{}, {"reduction": "sum"}, {"reduction": "none"}, {"label_smoothing": 0.2},
                                {"ignore_index": 1}, {"weight": [0.2, 1.0, 2.0, 0.5]},
                                {"weight": [0.2, 1.0, 2.0, 0.5], "label_smoothing": 0.1, "ignore_index": 0}])
def test_cross_entropy_matches_torch(kw):
    target = [0, 1, 3, 1, 2]

    def run(lib, x):
        mod = torch if lib == "torch" else minigrad
        kws = dict(kw)
        if "weight" in kws:
            kws["weight"] = mod.tensor(kws["weight"], dtype=mod.float32)
        fn = torch.nn.functional.cross_entropy if lib == "torch" else F.cross_entropy
        return fn(x, mod.tensor(target), **kws)

    check_op([(5, 4)], lambda x: run("torch", x), lambda x: run("mg", x), atol=1e-5, rtol=1e-5)


@needs_torch
def test_cross_entropy_variants_match_torch():
    check_op([(4,)], lambda x: torch.nn.functional.cross_entropy(x, torch.tensor(2)),
             lambda x: F.cross_entropy(x, minigrad.tensor(2)))
    check_op([(2, 3, 4)], lambda x: torch.nn.functional.cross_entropy(x, torch.tensor([[0, 1, 2, 0], [2, 2, 1, 0]])),
             lambda x: F.cross_entropy(x, minigrad.tensor([[0, 1, 2, 0], [2, 2, 1, 0]])))
    probs = np.random.default_rng(2).dirichlet(np.ones(3), size=4).astype(np.float32)
    check_op([(4, 3)], lambda x: torch.nn.functional.cross_entropy(x, torch.tensor(probs), label_smoothing=0.1),
             lambda x: F.cross_entropy(x, minigrad.tensor(probs), label_smoothing=0.1))
    check_op([(4, 3)], lambda x: torch.nn.functional.nll_loss(torch.log_softmax(x, 1), torch.tensor([0, 2, 1, 1])),
             lambda x: F.nll_loss(F.log_softmax(x, 1), minigrad.tensor([0, 2, 1, 1])))
    check_op([(3, 2), (3, 2)], torch.nn.functional.mse_loss, F.mse_loss)
    check_op([(3, 2), (3, 2)], lambda a, b: torch.nn.functional.mse_loss(a, b, reduction="sum"),
             lambda a, b: F.mse_loss(a, b, reduction="sum"))


def test_cross_entropy_edge_cases_and_errors():
    x = minigrad.tensor(LOGITS, dtype=np.float32)
    assert np.isnan(F.cross_entropy(x, minigrad.tensor([-100, -100])).item())
    assert np.isnan(F.cross_entropy(minigrad.zeros(0, 3), minigrad.tensor(np.zeros(0, np.int64))).item())
    with pytest.raises(IndexError, match="Target 3 is out of bounds."):
        F.cross_entropy(x, minigrad.tensor([3, 0]))
    with pytest.raises(IndexError, match="Target -1 is out of bounds."):
        F.cross_entropy(x, minigrad.tensor([-1, 0]))
    with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte, but got Int"):
        F.cross_entropy(x, minigrad.tensor(np.array([1, 0], np.int32), dtype=np.int32))
    with pytest.raises(ValueError, match=r"Expected input batch_size \(2\) to match target batch_size \(1\)."):
        F.cross_entropy(x, minigrad.tensor([1]))
    with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0. Got: 1.5"):
        F.cross_entropy(x, minigrad.tensor([1, 0]), label_smoothing=1.5)
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        nn.CrossEntropyLoss(reduction="avg")


def test_mse_broadcast_warns_and_empty_is_nan():
    with pytest.warns(UserWarning, match="Using a target size"):
        F.mse_loss(minigrad.ones(3, 1), minigrad.ones(3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert np.isnan(F.mse_loss(minigrad.ones(0), minigrad.ones(0)).item())


def test_loss_modules():
    x = minigrad.tensor(LOGITS, dtype=np.float32, requires_grad=True)
    t = minigrad.tensor([2, 1])
    assert nn.CrossEntropyLoss()(x, t).item() == pytest.approx(F.cross_entropy(x, t).item())
    assert nn.NLLLoss(reduction="sum")(F.log_softmax(x, 1), t).item() == pytest.approx(
        F.cross_entropy(x, t, reduction="sum").item())
    assert nn.MSELoss()(minigrad.ones(2), minigrad.zeros(2)).item() == 1.0
