"""Properties of the GEMM (minigrad.matmul and minigrad._C.gemm directly: every transpose case
through strided views, negative strides, strided C, alpha/beta, broadcast batches, both ISA
paths) and of im2col/col2im, against reference_gemm / reference_nn and torch."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import minigrad
import reference_gemm as RG
import reference_nn as RN
from prop_helpers import as_tensor, dtypes, layouts, seeds, torch
from minigrad._C import gemm as G
from minigrad._C import im2col as K

dims = st.integers(0, 13)            # 0, 1, primes and sizes around the micro-kernel tiles


def _bound(A, B, dtype, C0=None, alpha=1.0, beta=0.0):
    """The error a length-K dot product may make: 4·eps·√K·(|alpha||A||B| + |beta||C0|) + tiny."""
    Kd = A.shape[-1]
    bound = abs(alpha) * np.matmul(np.abs(A).astype(np.float64), np.abs(B).astype(np.float64))
    if beta:
        bound = bound + abs(beta) * np.abs(C0)
    return 4 * np.finfo(dtype).eps * np.sqrt(max(Kd, 1)) * bound + np.finfo(dtype).tiny


def _assert_gemm_close(got, want, bound):
    err = np.abs(got.astype(np.float64) - want)
    assert np.all(err <= bound), f"max error {err.max():.3g}, allowed {bound.flat[np.argmax(err - bound)]:.3g}"


@st.composite
def matmul_shapes(draw):
    """Shapes numpy.matmul accepts (1-D operands, broadcast batch dims), or, with `bad`, a
    contraction mismatch."""
    M, Kd, N = draw(dims), draw(dims), draw(dims)
    a_nd, b_nd = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    batch = draw(st.lists(st.integers(1, 3), min_size=2, max_size=2))
    a = (Kd,) if a_nd == 1 else tuple(draw(st.sampled_from([1, n])) for n in batch[4 - a_nd:]) + (M, Kd)
    b = (Kd,) if b_nd == 1 else tuple(draw(st.sampled_from([1, n])) for n in batch[4 - b_nd:]) + (Kd, N)
    if draw(st.booleans()) and draw(st.booleans()):          # a quarter: a contraction mismatch
        b = b[:-1] + (Kd + 1,) if b_nd == 1 else b[:-2] + (Kd + 1, b[-1])
    return a, b


@given(shapes=matmul_shapes(), dtype=dtypes, layouts=st.tuples(layouts, layouts), seed=seeds)
def test_matmul(shapes, dtype, layouts, seed):
    rng = np.random.default_rng(seed)
    a, b = (rng.uniform(-1, 1, size=s).astype(dtype) for s in shapes)
    at, bt = as_tensor(a, layouts[0], True), as_tensor(b, layouts[1], True)
    try:
        np.matmul(a, b)
    except ValueError:
        with pytest.raises(RuntimeError):
            minigrad.matmul(at, bt)
        return
    out = minigrad.matmul(at, bt)
    ra, rb = RN.Ref(a), RN.Ref(b)
    ref = RN.matmul(ra, rb)
    assert out.shape == ref.shape and out.dtype == dtype
    a2 = a[None] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    bound = _bound(a2, b2, dtype).reshape(ref.shape)
    _assert_gemm_close(out.detach().numpy(), ref.value.astype(np.float64), bound)
    c = rng.uniform(0.5, 1.5, size=out.shape).astype(dtype)
    (out * minigrad.tensor(c)).sum().backward()
    ga, gb = RN.vjp([ref], [c], [ra, rb])
    tol = dict(rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-5 if dtype == np.float32 else 1e-12)
    np.testing.assert_allclose(at.grad.numpy(), ga, **tol)
    np.testing.assert_allclose(bt.grad.numpy(), gb, **tol)
    if torch is not None:
        ta, tb = (torch.from_numpy(v.copy()).requires_grad_(True) for v in (a, b))
        tout = torch.matmul(ta, tb)
        np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), **tol)
        tout.backward(torch.from_numpy(c))
        np.testing.assert_allclose(at.grad.numpy(), ta.grad.numpy(), **tol)
        np.testing.assert_allclose(bt.grad.numpy(), tb.grad.numpy(), **tol)


def _operand(rng, shape, dtype, case, layout):
    """(..., R, C) values; case 'T' stores them transposed (a TN/NT view), then a layout on top."""
    a = rng.uniform(-1, 1, size=shape).astype(dtype)
    if case == "T":
        a = np.ascontiguousarray(np.swapaxes(a, -1, -2)).swapaxes(-1, -2)
    if layout == "strided":
        big = np.zeros(a.shape[:-2] + (2 * a.shape[-2], 3 * a.shape[-1]), dtype)
        big[..., ::2, ::3] = a
        return big[..., ::2, ::3]
    if layout == "flipped":
        return np.ascontiguousarray(a[..., ::-1, ::-1])[..., ::-1, ::-1]
    return a


@given(mnk=st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(0, 40)), case=st.sampled_from(
       ["NN", "NT", "TN", "TT"]), batch=st.sampled_from([(), (1,), (3,), (2, 1), (2, 3)]),
       broadcast=st.sampled_from(["none", "a", "b"]), ab_layout=st.sampled_from(["plain", "strided", "flipped"]),
       c_padded=st.booleans(), alpha_beta=st.sampled_from([(1.0, 0.0), (1.0, 1.0), (0.5, -2.0), (-1.0, 0.0),
                                                          (0.0, 0.5)]),
       isa=st.sampled_from(G.available_isas()), threads=st.sampled_from([1, 2]), dtype=dtypes, seed=seeds)
def test_gemm_kernel(mnk, case, batch, broadcast, ab_layout, c_padded, alpha_beta, isa, threads, dtype, seed):
    M, N, Kd = mnk
    rng = np.random.default_rng(seed)
    a_batch = tuple(1 for _ in batch) if broadcast == "a" else batch
    b_batch = tuple(1 for _ in batch) if broadcast == "b" else batch
    A = _operand(rng, a_batch + (M, Kd), dtype, case[0], ab_layout)
    B = _operand(rng, b_batch + (Kd, N), dtype, case[1], ab_layout)
    if not batch:
        A, B = A.reshape(M, Kd), B.reshape(Kd, N)
    C0 = rng.uniform(-1, 1, size=batch + (M, N)).astype(dtype)
    if c_padded:                       # rows strided wider than N; the margins must stay untouched
        big = np.full(batch + (M, N + 5), 7, dtype)
        C = big[..., 2:2 + N]
        C[...] = C0
    else:
        C = C0.copy()
    alpha, beta = alpha_beta
    if beta == 0:
        C[...] = np.nan               # beta = 0 must not read C
    G.set_isa(isa)
    try:
        got = G.gemm(A, B, C, alpha, beta, threads)
    finally:
        G.set_isa("auto")
    assert got is C
    Ab, Bb = np.broadcast_to(A, batch + (M, Kd)), np.broadcast_to(B, batch + (Kd, N))
    _assert_gemm_close(C, RG.gemm(Ab, Bb, C0, alpha, beta), _bound(Ab, Bb, dtype, C0, alpha, beta))
    if c_padded:
        assert np.all(big[..., :2] == 7) and np.all(big[..., 2 + N:] == 7), "wrote outside C"


@given(mnk=st.tuples(st.integers(1, 6), st.integers(1, 6), st.integers(1, 6)), wrong=st.sampled_from(
       ["K", "M", "N", "dtype", "ndim", "batch"]))
def test_gemm_kernel_rejects_mismatches(mnk, wrong):
    """A shape/dtype the kernel cannot run raises (ValueError/TypeError), never reads past an array."""
    M, N, Kd = mnk
    A, B, C = np.ones((M, Kd)), np.ones((Kd, N)), np.zeros((M, N))
    if wrong == "K":
        B = np.ones((Kd + 1, N))
    elif wrong == "M":
        C = np.zeros((M + 1, N))
    elif wrong == "N":
        C = np.zeros((M, N + 1))
    elif wrong == "dtype":
        B = B.astype(np.float32)
    elif wrong == "ndim":
        A = A[None]
    else:
        A, B, C = np.ones((2, M, Kd)), np.ones((3, Kd, N)), np.zeros((2, M, N))
    with pytest.raises((ValueError, TypeError)):
        G.gemm(A, B, C, 1.0, 0.0, 1)


def _conv_out(L, k, s, p_lo, p_hi, d):
    return (L + p_lo + p_hi - d * (k - 1) - 1) // s + 1


@given(nchw=st.tuples(st.integers(0, 3), st.integers(1, 4), st.integers(1, 11), st.integers(1, 11)),
       kernel=st.tuples(st.integers(1, 4), st.integers(1, 4)), stride=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       pad=st.tuples(st.integers(0, 3), st.integers(0, 3)), extra=st.integers(0, 2),
       dilation=st.tuples(st.integers(1, 3), st.integers(1, 3)), threads=st.sampled_from([1, 2]), dtype=dtypes,
       seed=seeds)
def test_im2col_col2im(nchw, kernel, stride, pad, extra, dilation, threads, dtype, seed):
    """im2col equals the reference exactly; col2im equals the reference's scatter-add and is its
    adjoint (<im2col(x), g> = <x, col2im(g)>). `extra` pads bottom/right more ('same', even k)."""
    N, C, H, W = nchw
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, pad, dilation
    OH, OW = _conv_out(H, kh, sh, ph, ph + extra, dh), _conv_out(W, kw, sw, pw, pw + extra, dw)
    if OH < 1 or OW < 1:
        return                          # conv2d rejects these before any kernel runs
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    cols = np.full((C * kh * kw, N, OH, OW), np.nan, dtype)
    K.im2col(x, cols, kh, kw, sh, sw, ph, pw, dh, dw, threads)
    np.testing.assert_array_equal(cols, RG.im2col(x, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW))
    g = rng.standard_normal(cols.shape).astype(dtype)
    gx = np.full(x.shape, np.nan, dtype)
    K.col2im(g, gx, kh, kw, sh, sw, ph, pw, dh, dw, threads)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(gx, RG.col2im(g, x.shape, kh, kw, sh, sw, ph, pw, dh, dw), rtol=tol, atol=tol)
    np.testing.assert_allclose(np.vdot(cols.astype(np.float64), g), np.vdot(x.astype(np.float64), gx),
                               rtol=tol, atol=tol)
