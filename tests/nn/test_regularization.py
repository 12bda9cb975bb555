"""Dropout and BatchNorm2d against NumPy, gradcheck and torch."""
import numpy as np
import pytest

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from tests.helpers import check_op, needs_torch, torch


def test_dropout_keeps_fraction_and_scales():
    x = minigrad.ones(200, 500, requires_grad=True)
    y = F.dropout(x, 0.3, training=True)
    kept = y.detach().numpy() != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(y.detach().numpy()[kept], 1 / 0.7, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), kept / 0.7, rtol=1e-6)


def test_dropout_edge_cases():
    x = minigrad.randn(10, requires_grad=True)
    y = F.dropout(x, 1.0)
    assert not y.detach().numpy().any()
    y.sum().backward()
    assert not x.grad.detach().numpy().any() and np.isfinite(x.grad.detach().numpy()).all()
    assert F.dropout(x, 0.0) is x and F.dropout(x, 0.5, training=False) is x
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        nn.Dropout(1.5)
    d = nn.Dropout(0.5)
    d.eval()
    assert d(x) is x
    minigrad.manual_seed(3)
    a = F.dropout(minigrad.ones(50), 0.5).numpy().copy()
    minigrad.manual_seed(3)
    np.testing.assert_array_equal(a, F.dropout(minigrad.ones(50), 0.5).numpy())


def _bn_pair(c, affine=True, momentum=0.1):
    t = torch.nn.BatchNorm2d(c, affine=affine, momentum=momentum).double()
    m = nn.BatchNorm2d(c, affine=affine, momentum=momentum)
    if affine:
        rng = np.random.default_rng(1)
        w, b = rng.uniform(0.5, 1.5, c), rng.uniform(-1, 1, c)
        with torch.no_grad():
            t.weight.copy_(torch.tensor(w))
            t.bias.copy_(torch.tensor(b))
        m.weight = nn.Parameter(w.copy())
        m.bias = nn.Parameter(b.copy())
    m.running_mean = minigrad.zeros(c, dtype=np.float64)
    m.running_var = minigrad.ones(c, dtype=np.float64)
    return t, m


@needs_torch
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("momentum", [0.1, None])
def test_batchnorm_train_and_eval_match_torch(affine, momentum):
    t, m = _bn_pair(3, affine, momentum)
    rng = np.random.default_rng(0)
    for step in range(3):
        x = rng.standard_normal((4, 3, 5, 5)) * 2 + 1
        tx = torch.tensor(x, requires_grad=True)
        mx = minigrad.tensor(x, requires_grad=True)
        ty, my = t(tx), m(mx)
        np.testing.assert_allclose(my.detach().numpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-12)
        cot = rng.uniform(0.5, 1.5, x.shape)
        ty.backward(torch.tensor(cot))
        (my * minigrad.tensor(cot)).sum().backward()
        np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-10)
        if affine:
            np.testing.assert_allclose(m.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-9)
            np.testing.assert_allclose(m.bias.grad.numpy(), t.bias.grad.numpy(), rtol=1e-9)
            m.zero_grad()
            t.zero_grad()
    np.testing.assert_allclose(m.running_mean.numpy(), t.running_mean.numpy(), rtol=1e-10)
    np.testing.assert_allclose(m.running_var.numpy(), t.running_var.numpy(), rtol=1e-10)
    assert int(m.num_batches_tracked.item()) == int(t.num_batches_tracked)
    t.eval()
    m.eval()
    x = rng.standard_normal((2, 3, 4, 4))
    np.testing.assert_allclose(m(minigrad.tensor(x)).detach().numpy(), t(torch.tensor(x)).detach().numpy(), rtol=1e-10)


def test_batchnorm_gradcheck_training():
    m = nn.BatchNorm2d(2)
    w = minigrad.tensor(np.array([0.7, 1.3]), requires_grad=True)
    b = minigrad.tensor(np.array([0.1, -0.2]), requires_grad=True)
    x = minigrad.tensor(np.random.default_rng(0).standard_normal((3, 2, 2, 2)), requires_grad=True)
    rm, rv = minigrad.zeros(2, dtype=np.float64), minigrad.ones(2, dtype=np.float64)
    assert minigrad.gradcheck(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=True), [x, w, b])
    assert minigrad.gradcheck(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=False), [x, w, b])
    assert m.weight.shape == (2,)


@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_gradgradcheck(training):
    w = minigrad.tensor(np.array([0.7, 1.3]), requires_grad=True)
    b = minigrad.tensor(np.array([0.1, -0.2]), requires_grad=True)
    x = minigrad.tensor(np.random.default_rng(0).standard_normal((3, 2, 1, 1)), requires_grad=True)
    rm, rv = minigrad.tensor([0.3, -0.1], dtype=np.float64), minigrad.tensor([0.8, 1.7], dtype=np.float64)
    assert minigrad.autograd.gradgradcheck(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=training),
                                           [x, w, b])
    assert minigrad.autograd.gradgradcheck(lambda x: F.batch_norm(x, rm, rv, training=training), [x])


def test_dropout_gradgradcheck():
    x = minigrad.tensor(np.random.default_rng(0).standard_normal((2, 3)), requires_grad=True)

    def fn(x):
        minigrad.manual_seed(4)          # the same mask on every call
        return F.dropout(x * x, 0.4) + F.dropout2d(x.reshape(1, 2, 3, 1), 0.5).reshape(2, 3) * x
    assert minigrad.autograd.gradgradcheck(fn, [x])


def test_batchnorm_errors():
    bn = nn.BatchNorm2d(3)
    with pytest.raises(ValueError, match=r"expected 4D input \(got 3D input\)"):
        bn(minigrad.ones(3, 4, 4))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        bn(minigrad.ones(1, 3, 1, 1))
    with pytest.raises(RuntimeError, match="running_mean should contain 4 elements not 3"):
        bn(minigrad.ones(2, 4, 2, 2))
    assert bn(minigrad.ones(0, 3, 2, 2)).shape == (0, 3, 2, 2)   # N=0 is allowed, as in torch
    assert repr(bn) == "BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
