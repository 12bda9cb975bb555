"""AdaptiveAvgPool2d, AdaptiveMaxPool2d, MaxPool1d, AvgPool1d: NumPy references, torch parity
(values, indices, gradients), gradcheck, errors, reprs."""
import math

import numpy as np
import pytest

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.autograd import gradgradcheck
from helpers import check_op, check_second_order, needs_torch, torch

RNG = np.random.default_rng(0)
ADAPTIVE = [((2, 3, 7, 7), 3), ((1, 2, 5, 8), (2, 3)), ((3, 6, 4), (4, None)), ((1, 1, 4, 4), 1),
            ((2, 2, 3, 5), (6, 7)), ((1, 2, 5, 5), (0, 2))]


def _ref_adaptive(x, out, reduce):
    """Element by element, straight from torch's start/end formulas."""
    H, W = x.shape[-2:]
    oh, ow = (out, out) if isinstance(out, int) else (H if out[0] is None else out[0], W if out[1] is None else out[1])
    res = np.empty(x.shape[:-2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            h0, h1 = math.floor(i * H / oh), math.ceil((i + 1) * H / oh)
            w0, w1 = math.floor(j * W / ow), math.ceil((j + 1) * W / ow)
            res[..., i, j] = reduce(x[..., h0:h1, w0:w1], axis=(-2, -1))
    return res


@pytest.mark.parametrize("shape,out", ADAPTIVE)
def test_adaptive_numpy_reference(shape, out, dtype):
    x = RNG.normal(size=shape).astype(dtype)
    tol = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(F.adaptive_avg_pool2d(minigrad.tensor(x), out).numpy(),
                               _ref_adaptive(x, out, np.mean), rtol=tol, atol=tol)
    np.testing.assert_array_equal(F.adaptive_max_pool2d(minigrad.tensor(x), out).numpy(),
                                  _ref_adaptive(x, out, np.max).astype(dtype))


@pytest.mark.parametrize("shape,out", ADAPTIVE[:5])
def test_adaptive_gradcheck(shape, out):
    x = minigrad.tensor(RNG.normal(size=shape), requires_grad=True)
    assert minigrad.gradcheck(lambda a: F.adaptive_avg_pool2d(a, out), (x,))
    assert minigrad.gradcheck(lambda a: F.adaptive_max_pool2d(a, out), (x,))


@pytest.mark.parametrize("shape,out", [((1, 2, 5, 5), (3, 2)), ((2, 3, 4), (4, None)), ((1, 1, 2, 3), (3, 4))])
def test_adaptive_gradgradcheck_and_second_derivatives_match_torch(shape, out):
    """Overlapping windows (5 -> 3, 3 -> 4): the scatter adds where one element is picked twice."""
    x = minigrad.tensor(RNG.permutation(math.prod(shape)).reshape(shape) / 5.0, requires_grad=True)
    assert gradgradcheck(lambda a: F.adaptive_avg_pool2d(a, out), (x,))
    assert gradgradcheck(lambda a: F.adaptive_max_pool2d(a, out), (x,))
    for name in ("adaptive_avg_pool2d", "adaptive_max_pool2d"):
        check_second_order([], lambda L, a: getattr(L.nn.functional, name)(a * a, out), vals=[x.detach().numpy()],
                           rtol=1e-12)


@needs_torch
@pytest.mark.parametrize("shape,out", ADAPTIVE)
def test_adaptive_parity(shape, out, dtype):
    empty = not isinstance(out, int) and 0 in out      # torch's backward refuses an empty output
    check_op([shape], lambda x: torch.nn.functional.adaptive_avg_pool2d(x, out),
             lambda x: F.adaptive_avg_pool2d(x, out), dtype=dtype, forward_only=empty)
    check_op([shape], lambda x: torch.nn.functional.adaptive_max_pool2d(x, out, return_indices=True),
             lambda x: F.adaptive_max_pool2d(x, out, return_indices=True), dtype=dtype, forward_only=empty)


@needs_torch
def test_adaptive_max_ties_and_nan_match_torch():
    x = np.array([[[1.0, 5.0, 5.0], [np.nan, 5.0, np.nan]], [[2.0, 2.0, 2.0], [2.0, 2.0, 2.0]]])
    for out in (1, (1, 2), (2, 2)):
        check_op(None, lambda a: torch.nn.functional.adaptive_max_pool2d(a, out, return_indices=True),
                 lambda a: F.adaptive_max_pool2d(a, out, return_indices=True), vals=[x], dtype=np.float64)


def test_adaptive_max_indices_unpool_roundtrip():
    x = minigrad.tensor(RNG.normal(size=(1, 2, 6, 6)))
    out, idx = nn.AdaptiveMaxPool2d(3, return_indices=True)(x)
    back = F.max_unpool2d(out, idx, 2, output_size=(6, 6))
    assert np.all(np.isin(out.numpy(), back.numpy()))


ADAPTIVE_ERRORS = [
    (lambda lib: lib.nn.functional.adaptive_avg_pool2d(lib.zeros(3, 4), 2), "Expected 3D or 4D tensor, but got [3, 4]"),
    (lambda lib: lib.nn.functional.adaptive_max_pool2d(lib.zeros(3, 4), 2), "Expected 3D or 4D tensor, but got: [3, 4]"),
    (lambda lib: lib.nn.functional.adaptive_avg_pool2d(lib.zeros(1, 3, 0, 4), 2),
     "but input has sizes [1, 3, 0, 4] with dimension 2 being empty"),
    (lambda lib: lib.nn.functional.adaptive_avg_pool2d(lib.zeros(1, 3, 4, 4), (2, 2, 2)), "output_size must be 2"),
    (lambda lib: lib.nn.functional.adaptive_max_pool2d(lib.zeros(1, 3, 4, 4), (2, 2, 2)),
     "output_size.size() must be 2"),
    (lambda lib: lib.nn.functional.adaptive_avg_pool2d(lib.zeros(1, 3, 4, 4), -1),
     "elements of output_size must be greater than or equal to 0 but received {-1, -1}"),
    (lambda lib: lib.nn.functional.adaptive_max_pool2d(lib.zeros(1, 3, 4, 4), -1),
     "Trying to create tensor with negative dimension -1: [1, 3, -1, -1]"),
    (lambda lib: lib.nn.functional.max_pool1d(lib.zeros(2, 3, 4, 8), 2), "max_pool1d: Expected 2D or 3D"),
    (lambda lib: lib.nn.functional.avg_pool1d(lib.zeros(8), 2), "Expected 2 to 3 dimensions, but got 1-dimensional"),
]


@pytest.mark.parametrize("case", range(len(ADAPTIVE_ERRORS)))
def test_errors(case):
    fn, msg = ADAPTIVE_ERRORS[case]
    with pytest.raises(RuntimeError) as info:
        fn(minigrad)
    assert msg in str(info.value)
    if torch is not None:
        with pytest.raises(RuntimeError):
            fn(torch)


POOL1D = [(3, None, 0, 1, False), (2, 1, 1, 1, False), (3, 2, 1, 2, True), ((2,), (2,), (0,), (1,), False)]


@pytest.mark.parametrize("k,s,p,d,ceil", POOL1D)
def test_pool1d_numpy_reference(k, s, p, d, ceil):
    x = RNG.normal(size=(2, 3, 11))
    k1, s1, p1, d1 = (v[0] if isinstance(v, tuple) else v for v in (k, s if s is not None else k, p, d))
    got = F.max_pool1d(minigrad.tensor(x), k, s, p, d, ceil).numpy()
    xp = np.pad(x, ((0, 0), (0, 0), (p1, p1)), constant_values=-np.inf)
    n = got.shape[-1]
    want = np.stack([xp[..., i * s1: i * s1 + d1 * (k1 - 1) + 1: d1].max(-1) for i in range(n)], -1)
    np.testing.assert_array_equal(got, want)
    got = F.avg_pool1d(minigrad.tensor(x), k, s, p, ceil).numpy()
    xz = np.pad(x, ((0, 0), (0, 0), (p1, p1)))
    n = got.shape[-1]
    want = np.stack([xz[..., i * s1: i * s1 + k1].sum(-1) / min(k1, xz.shape[-1] - i * s1) for i in range(n)], -1)
    np.testing.assert_allclose(got, want, rtol=1e-12)


@needs_torch
@pytest.mark.parametrize("shape", [(2, 3, 11), (3, 9)])
@pytest.mark.parametrize("k,s,p,d,ceil", POOL1D)
def test_pool1d_parity(shape, k, s, p, d, ceil):
    check_op([shape], lambda x: torch.nn.functional.max_pool1d(x, k, s, p, d, ceil, return_indices=True),
             lambda x: F.max_pool1d(x, k, s, p, d, ceil, return_indices=True))
    check_op([shape], lambda x: torch.nn.functional.avg_pool1d(x, k, s, p, ceil, False),
             lambda x: F.avg_pool1d(x, k, s, p, ceil, False))
    check_op([shape], lambda x: torch.nn.AvgPool1d(k, s, p, ceil)(x), lambda x: nn.AvgPool1d(k, s, p, ceil)(x))
    check_op([shape], lambda x: torch.nn.MaxPool1d(k, s, p, d, ceil_mode=ceil)(x),
             lambda x: nn.MaxPool1d(k, s, p, d, ceil_mode=ceil)(x))


def test_pool1d_gradcheck():
    x = minigrad.tensor(RNG.normal(size=(2, 2, 9)), requires_grad=True)
    assert minigrad.gradcheck(lambda a: F.avg_pool1d(a, 3, 2, 1), (x,))
    assert minigrad.gradcheck(lambda a: F.max_pool1d(a, 3, 2, 1), (x,))
    assert gradgradcheck(lambda a: F.avg_pool1d(a, 3, 2, 1), (x,))
    assert gradgradcheck(lambda a: F.max_pool1d(a, 3, 2, 1), (x,))


@pytest.mark.parametrize("expr,want", [
    ("MaxPool1d(2)", "MaxPool1d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"),
    ("MaxPool1d(3, 2, 1, 2, True, True)", "MaxPool1d(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True)"),
    ("AvgPool1d(3, 2, 1)", "AvgPool1d(kernel_size=(3,), stride=(2,), padding=(1,))"),
    ("AdaptiveAvgPool2d((5, None))", "AdaptiveAvgPool2d(output_size=(5, None))"),
    ("AdaptiveMaxPool2d(3, True)", "AdaptiveMaxPool2d(output_size=3)"),
])
def test_repr(expr, want):
    assert repr(eval("nn." + expr)) == want
    if torch is not None:
        assert repr(eval("torch.nn." + expr)) == want
