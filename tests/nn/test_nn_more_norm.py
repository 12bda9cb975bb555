"""BatchNorm1d, LayerNorm, Embedding, Dropout2d: NumPy references, torch parity (values,
input and parameter gradients, running stats), gradcheck, errors, state_dict keys and reprs."""
import warnings

import numpy as np
import pytest

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from helpers import check_second_order, needs_torch, torch

RNG = np.random.default_rng(0)


def _copy_params(ours, theirs):
    for (n, p), (tn, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert n == tn
        p.data.copy_(tp.detach().numpy())


def _module_parity(make, shape, dtype=np.float64, train=True, index_input=None):
    """Same module in both libraries (torch's parameters copied over): output, input and parameter
    gradients, buffers after the step, state_dict keys/shapes and repr."""
    ours, theirs = make(minigrad), make(torch)
    if dtype == np.float64:
        theirs = theirs.double()
        for p in ours.parameters():
            p._data = p._data.astype(np.float64)
        for b in ours.buffers():
            if b._data.dtype.kind == "f":
                b._data = b._data.astype(np.float64)
    _copy_params(ours, theirs)
    ours.train(train), theirs.train(train)
    if index_input is not None:
        x = index_input
        tx, mx = torch.tensor(x), minigrad.tensor(x)
    else:
        x = RNG.normal(size=shape).astype(dtype)
        tx, mx = torch.tensor(x, requires_grad=True), minigrad.tensor(x, requires_grad=True)
    ty, my = theirs(tx), ours(mx)
    np.testing.assert_allclose(my.detach().numpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    c = RNG.uniform(0.5, 1.5, ty.shape)
    (ty * torch.tensor(c)).sum().backward()
    (my * minigrad.tensor(c)).sum().backward()
    if index_input is None:
        np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-11)
    for (n, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-9, atol=1e-11, err_msg=n)
    osd, tsd = ours.state_dict(), theirs.state_dict()
    assert list(osd) == list(tsd)
    for k in osd:
        assert tuple(np.shape(osd[k])) == tuple(tsd[k].shape), k
        np.testing.assert_allclose(np.asarray(osd[k], np.float64), tsd[k].numpy().astype(np.float64),
                                   rtol=1e-10, atol=1e-12, err_msg=k)
    assert repr(ours) == repr(theirs)


# ***** BatchNorm1d *****

@needs_torch
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5)])
@pytest.mark.parametrize("kwargs", [{}, {"affine": False}, {"bias": False}, {"momentum": None},
                                    {"track_running_stats": False}])
@pytest.mark.parametrize("train", [True, False])
def test_batchnorm1d_parity(shape, kwargs, train):
    _module_parity(lambda lib: lib.nn.BatchNorm1d(3, **kwargs), shape, train=train)


def test_batchnorm1d_numpy_reference_and_errors():
    x = RNG.normal(size=(8, 3))
    bn = nn.BatchNorm1d(3)
    y = bn(minigrad.tensor(x)).detach().numpy()
    np.testing.assert_allclose(y, (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.1 * x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(bn.running_var.numpy(), 0.9 + 0.1 * x.var(0, ddof=1), rtol=1e-5)
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        bn(minigrad.zeros(2, 3, 4, 5))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        bn(minigrad.zeros(1, 3))
    x64 = minigrad.tensor(RNG.normal(size=(5, 2, 3)), requires_grad=True)
    w = minigrad.tensor(RNG.uniform(0.5, 2, 2), requires_grad=True)
    b = minigrad.tensor(RNG.normal(size=2), requires_grad=True)
    assert minigrad.gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, True), (x64, w, b))
    small = minigrad.tensor(RNG.normal(size=(3, 2)), requires_grad=True)
    assert minigrad.autograd.gradgradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, True), (small, w, b))


# ***** LayerNorm *****

LN_CASES = [((4, 5), 5, {}), ((2, 3, 4), (3, 4), {}), ((2, 3, 4), 4, {"elementwise_affine": False}),
            ((3, 6), [6], {"bias": False}), ((2, 6), 6, {"eps": 1e-3})]


@needs_torch
@pytest.mark.parametrize("shape,ns,kwargs", LN_CASES)
def test_layernorm_parity(shape, ns, kwargs):
    def make(lib):
        m = lib.nn.LayerNorm(ns, **kwargs)
        if m.weight is not None:    # not the trivial ones/zeros
            with (torch.no_grad() if lib is torch else minigrad.no_grad()):
                m.weight.copy_(lib.tensor(RNG.uniform(0.5, 2, m.weight.shape), dtype=lib.float32))
                if m.bias is not None:
                    m.bias.copy_(lib.tensor(RNG.normal(size=m.bias.shape), dtype=lib.float32))
        return m
    _module_parity(make, shape)


@pytest.mark.parametrize("shape,ns,kwargs", LN_CASES)
def test_layernorm_numpy_reference_and_gradcheck(shape, ns, kwargs, dtype):
    x = RNG.normal(size=shape).astype(dtype)
    m = nn.LayerNorm(ns, **kwargs)
    k = 1 if isinstance(ns, int) else len(ns)
    axes = tuple(range(x.ndim - k, x.ndim))
    want = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + kwargs.get("eps", 1e-5))
    got = m(minigrad.tensor(x)).detach().numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-5)
    nshape = x.shape[x.ndim - k:]
    xt = minigrad.tensor(x.astype(np.float64), requires_grad=True)
    w = minigrad.tensor(RNG.uniform(0.5, 2, nshape), requires_grad=True)
    b = minigrad.tensor(RNG.normal(size=nshape), requires_grad=True)
    assert minigrad.gradcheck(lambda x, w, b: F.layer_norm(x, nshape, w, b), (xt, w, b))


@pytest.mark.parametrize("shape,k", [((2, 3), 1), ((3,), 1), ((1, 2, 2), 2)])
@pytest.mark.parametrize("affine", [True, False])
def test_layernorm_gradgradcheck(shape, k, affine):
    x = minigrad.tensor(RNG.normal(size=shape), requires_grad=True)
    nshape = shape[len(shape) - k:]
    params = [minigrad.tensor(RNG.uniform(0.5, 2, nshape), requires_grad=True),
              minigrad.tensor(RNG.normal(size=nshape), requires_grad=True)] if affine else []
    assert minigrad.autograd.gradgradcheck(lambda x, *wb: F.layer_norm(x, nshape, *wb), (x, *params))


def test_layernorm_errors():
    with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[10\], expected input with shape \[\*, 10\], "
                                           r"but got input of size\[3, 5\]"):
        F.layer_norm(minigrad.zeros(3, 5), [10])
    with pytest.raises(RuntimeError, match="Expected weight to be of same shape as normalized_shape"):
        F.layer_norm(minigrad.zeros(3, 5), [5], weight=minigrad.ones(4))
    if torch is not None:
        with pytest.raises(RuntimeError):
            torch.nn.functional.layer_norm(torch.zeros(3, 5), [10])


# ***** Embedding *****

EMB_CASES = [{}, {"padding_idx": 2}, {"padding_idx": -1}, {"scale_grad_by_freq": True},
             {"max_norm": 1.0}, {"max_norm": 1.5, "norm_type": 1.0}]


@needs_torch
@pytest.mark.parametrize("kwargs", EMB_CASES)
def test_embedding_parity(kwargs):
    idx = np.array([[0, 2, 2, 9], [1, 2, 0, 5]])
    _module_parity(lambda lib: lib.nn.Embedding(10, 3, **kwargs), None, index_input=idx)


def test_embedding_numpy_reference():
    m = nn.Embedding(6, 4, padding_idx=0)
    assert np.all(m.weight.detach().numpy()[0] == 0)
    idx = np.array([[1, 0, 1], [5, 3, 1]])
    out = m(minigrad.tensor(idx))
    np.testing.assert_array_equal(out.detach().numpy(), m.weight.detach().numpy()[idx])
    out.sum().backward()
    want = np.zeros((6, 4))
    np.add.at(want, idx.ravel(), 1.0)
    want[0] = 0
    np.testing.assert_array_equal(m.weight.grad.numpy(), want)
    w = minigrad.tensor(RNG.normal(size=(6, 3)), requires_grad=True)
    assert minigrad.gradcheck(lambda w: F.embedding(minigrad.tensor(idx), w), (w,))
    assert F.embedding(minigrad.tensor(idx.astype(np.int32)), w).shape == (2, 3, 3)


@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 2}, {"padding_idx": -1, "scale_grad_by_freq": True}])
def test_embedding_second_derivatives(kwargs):
    """The backward adds rows at the indices (the padding row zeroed): an op whose derivative is
    the lookup again, as torch's (which does not divide by the frequencies: with
    scale_grad_by_freq the gradient is no derivative, so finite differences cannot check it)."""
    idx = np.array([[0, 2, 2], [3, 1, 0]])

    def emb(L, w):
        return L.nn.functional.embedding(L.tensor(idx), w, **kwargs)
    if "scale_grad_by_freq" not in kwargs:
        w = minigrad.tensor(RNG.normal(size=(4, 2)), requires_grad=True)
        assert minigrad.autograd.gradgradcheck(lambda w: emb(minigrad, w), (w,))
        assert minigrad.autograd.gradgradcheck(lambda w: emb(minigrad, w) * emb(minigrad, w), (w,))
    check_second_order([(4, 2)], emb, rtol=1e-12)
    check_second_order([(4, 2)], lambda L, w: emb(L, w) * w.sum(), rtol=1e-12)


def test_embedding_errors_and_from_pretrained():
    w = minigrad.randn(10, 3)
    for bad in ([10], [-1]):
        with pytest.raises(IndexError, match="index out of range in self"):
            F.embedding(minigrad.tensor(bad), w)
    with pytest.raises(RuntimeError, match="Expected tensor for argument #1 'indices' to have one of the following "
                                           "scalar types: Long, Int; but got minigrad.FloatTensor"):
        F.embedding(minigrad.tensor([1.0]), w)
    for p in (10, -11):
        with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
            nn.Embedding(10, 3, padding_idx=p)
    pre = nn.Embedding.from_pretrained(minigrad.ones(4, 2))
    assert pre.weight.shape == (4, 2) and not pre.weight.requires_grad
    assert nn.Embedding.from_pretrained(minigrad.ones(4, 2), freeze=False).weight.requires_grad
    if torch is not None:
        for bad in ([10], [-1]):
            with pytest.raises(IndexError):
                torch.nn.functional.embedding(torch.tensor(bad), torch.randn(10, 3))


@pytest.mark.parametrize("expr", ["Embedding(10, 3)", "Embedding(10, 3, padding_idx=-1)",
                                  "Embedding(10, 3, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True)"])
def test_embedding_repr(expr):
    want = {"Embedding(10, 3, padding_idx=-1)": "Embedding(10, 3, padding_idx=9)"}.get(expr, expr)
    assert repr(eval("nn." + expr)) == want
    if torch is not None:
        assert repr(eval("torch.nn." + expr)) == want


# ***** Dropout2d *****

def test_dropout2d_zeroes_whole_channels():
    x = minigrad.ones(8, 16, 3, 3, requires_grad=True)
    y = F.dropout2d(x, 0.5)
    arr = y.detach().numpy()
    per_channel = arr.reshape(8, 16, 9)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2).all(-1))
    assert 0.2 < (per_channel[..., 0] == 0).mean() < 0.8
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), arr)
    assert F.dropout2d(x, 0.5, training=False) is x
    m = nn.Dropout2d(0.3)
    assert repr(m) == "Dropout2d(p=0.3, inplace=False)"
    assert m.eval()(x) is x
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        nn.Dropout2d(1.5)
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        z = F.dropout2d(minigrad.ones(4, 8, 5), 0.5).numpy()
    assert np.all((z == 0).all(-1) | (z == 2).all(-1))
    with pytest.warns(UserWarning, match="Received a 2-D input to dropout2d"):
        F.dropout2d(minigrad.ones(4, 8), 0.5)
    if torch is not None:
        assert repr(torch.nn.Dropout2d(0.3)) == repr(m)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            torch.nn.functional.dropout2d(torch.ones(4, 8, 5))
        assert "Received a 3D input to dropout2d" in str(w[0].message)
