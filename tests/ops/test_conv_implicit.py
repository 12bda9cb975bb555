"""ops.conv.Conv2d (implicit GEMM, what F.conv2d runs) against ops.conv.Conv2dIm2col (the previous
im2col path, kept as the reference) and the NumPy loop reference: values and all three gradients
over shapes, strides, dilations, groups and (asymmetric) padding; bit-identical at 1 and 2
threads; float64 gradcheck; the saved input is guarded by the version counter."""
import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad.ops.conv import Conv2d, Conv2dIm2col
from tests import reference_gemm as R

# (N, C, H, W), O, (kh, kw), stride, padding (top, bottom, left, right), dilation, groups
CASES = [
    ((2, 3, 7, 7), 4, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1),
    ((4, 1, 28, 28), 16, (5, 5), (1, 1), (2, 2, 2, 2), (1, 1), 1),
    ((4, 16, 14, 14), 32, (5, 5), (1, 1), (2, 2, 2, 2), (1, 1), 1),
    ((2, 32, 16, 16), 64, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1),
    ((2, 4, 9, 8), 6, (3, 2), (2, 3), (2, 0, 0, 1), (2, 1), 2),
    ((3, 6, 10, 11), 6, (3, 3), (2, 2), (1, 1, 1, 1), (1, 1), 6),
    ((2, 4, 6, 5), 2, (2, 4), (1, 1), (0, 1, 1, 2), (1, 1), 1),
    ((1, 4, 4, 4), 4, (3, 3), (3, 2), (3, 3, 3, 3), (2, 3), 2),
    ((2, 3, 10, 10), 7, (3, 3), (1, 1), (0, 0, 0, 0), (1, 1), 1),
    ((2, 8, 12, 12), 8, (1, 1), (1, 1), (0, 0, 0, 0), (1, 1), 4),
]


def _run(fn, x, w, b, geom, g):
    """(out, dx, dW, db) of fn.apply under the cotangent g."""
    stride, padding, dilation, groups = geom
    xt, wt = (minigrad.tensor(a, requires_grad=True) for a in (x, w))
    bt = minigrad.tensor(b, requires_grad=True) if b is not None else None
    out = fn.apply(xt, wt, bt, stride=stride, padding=padding, dilation=dilation, groups=groups)
    out.backward(minigrad.tensor(g))
    grads = [xt.grad.numpy(), wt.grad.numpy()] + ([bt.grad.numpy()] if b is not None else [])
    return [out.detach().numpy()] + grads


def _data(case, dtype, seed=0, bias=True):
    xs, O, (kh, kw), stride, padding, dilation, groups = case
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, xs).astype(dtype)
    w = rng.uniform(-1, 1, (O, xs[1] // groups, kh, kw)).astype(dtype)
    b = rng.uniform(-1, 1, O).astype(dtype) if bias else None
    OH = (xs[2] + padding[0] + padding[1] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    OW = (xs[3] + padding[2] + padding[3] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    g = rng.uniform(0.5, 1.5, (xs[0], O, OH, OW)).astype(dtype)
    return x, w, b, g, (stride, padding, dilation, groups)


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}-k{c[2]}-s{c[3]}-g{c[6]}")
def test_implicit_matches_im2col_reference_and_numpy(case, bias, dtype, num_threads):
    x, w, b, g, geom = _data(case, dtype, bias=bias)
    new = _run(Conv2d, x, w, b, geom, g)
    ref = _run(Conv2dIm2col, x, w, b, geom, g)
    tol = dict(rtol=2e-5, atol=2e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    names = ["out", "grad x", "grad w", "grad b"]
    for name, a, c in zip(names, new, ref):
        assert a.dtype == dtype and a.shape == c.shape
        np.testing.assert_allclose(a, c, err_msg=f"{name} vs im2col path", **tol)
    want = [R.conv2d(x, w, b, *geom), R.conv2d_input_grad(g, w, x.shape, *geom),
            R.conv2d_weight_grad(x, g, w.shape, *geom)] + ([g.astype(np.float64).sum(axis=(0, 2, 3))] if bias else [])
    for name, a, c in zip(names, new, want):
        np.testing.assert_allclose(a, c, err_msg=f"{name} vs NumPy", **tol)


@pytest.mark.parametrize("case", [
    ((16, 16, 14, 14), 32, (5, 5), (1, 1), (2, 2, 2, 2), (1, 1), 1),
    ((32, 1, 28, 28), 16, (5, 5), (1, 1), (2, 2, 2, 2), (1, 1), 1),
    ((8, 8, 15, 13), 12, (3, 3), (2, 1), (1, 0, 2, 1), (1, 2), 2),
], ids=["lenet2", "lenet1", "strided-groups"])
def test_implicit_bit_identical_at_1_and_2_threads(case, dtype):
    x, w, b, g, geom = _data(case, dtype, seed=1)
    minigrad.set_num_threads(1)
    one = _run(Conv2d, x, w, b, geom, g)
    minigrad.set_num_threads(2)
    for _ in range(2):
        for a, c in zip(one, _run(Conv2d, x, w, b, geom, g)):
            np.testing.assert_array_equal(a, c)


@pytest.mark.parametrize("s,p,d,g", [(1, 2, 1, 1), (2, 1, 1, 2), (1, 1, 2, 1), ((2, 1), (0, 2), (1, 2), 1)])
def test_implicit_gradcheck_float64(s, p, d, g):
    rng = np.random.default_rng(2)
    x, w, b = (minigrad.tensor(rng.standard_normal(sh), requires_grad=True)
               for sh in [(2, 2, 7, 6), (4, 2 // g, 3, 2), (4,)])
    assert minigrad.gradcheck(lambda x, w, b: F.conv2d(x, w, b, s, p, d, g), (x, w, b))


def test_saved_input_is_version_checked():
    """Without padding the forward keeps the input array itself for the weight gradient (no copy):
    changing it in place before backward is refused, as for any saved tensor."""
    x = minigrad.tensor(np.ones((1, 2, 5, 5), np.float32), requires_grad=True)
    w = minigrad.tensor(np.ones((3, 2, 3, 3), np.float32), requires_grad=True)
    xd = x.detach()
    y = F.conv2d(x, w)
    xd.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_conv_transpose2d_bit_identical_at_1_and_2_threads(dtype):
    """ConvTranspose2d runs on the same kernels (its forward is the conv input gradient)."""
    rng = np.random.default_rng(4)
    x = rng.uniform(-1, 1, (8, 16, 9, 9)).astype(dtype)
    w = rng.uniform(-1, 1, (16, 6, 4, 4)).astype(dtype)
    b = rng.uniform(-1, 1, 12).astype(dtype)
    g = rng.uniform(0.5, 1.5, (8, 12, 19, 19)).astype(dtype)
    results = []
    for n in (1, 2):
        minigrad.set_num_threads(n)
        ts = [minigrad.tensor(a, requires_grad=True) for a in (x, w, b)]
        y = F.conv_transpose2d(*ts, stride=2, padding=1, output_padding=1, groups=2)
        y.backward(minigrad.tensor(g))
        results.append([y.detach().numpy()] + [t.grad.numpy() for t in ts])
    for a, c in zip(*results):
        np.testing.assert_array_equal(a, c)
