"""minigrad._C.im2col (im2col / col2im) against tests/reference_gemm.py, and their adjointness."""
import numpy as np
import pytest

from minigrad._C import im2col as K
import reference_gemm as R

# (N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, extra bottom/right pad)
GEOMS = [
    (2, 3, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 0),
    (1, 2, 9, 8, 3, 2, 2, 3, 2, 0, 2, 1, 0),
    (3, 1, 5, 6, 1, 1, 1, 1, 0, 0, 1, 1, 0),
    (2, 2, 6, 5, 2, 4, 1, 1, 0, 1, 1, 1, 1),       # 'same' with an even kernel: one more pad after
    (1, 4, 4, 4, 3, 3, 3, 2, 3, 3, 2, 3, 0),       # windows entirely in the padding
]


def _out(L, k, s, p_lo, p_hi, d):
    return (L + p_lo + p_hi - d * (k - 1) - 1) // s + 1


@pytest.mark.parametrize("geom", GEOMS, ids=lambda g: "-".join(map(str, g)))
def test_im2col_col2im_match_reference(dtype, num_threads, geom):
    N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, extra = geom
    OH, OW = _out(H, kh, sh, ph, ph + extra, dh), _out(W, kw, sw, pw, pw + extra, dw)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    cols = np.full((C * kh * kw, N, OH, OW), np.nan, dtype)
    K.im2col(x, cols, kh, kw, sh, sw, ph, pw, dh, dw, num_threads)
    np.testing.assert_array_equal(cols, R.im2col(x, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW))

    g = rng.standard_normal(cols.shape).astype(dtype)
    gx = np.full(x.shape, np.nan, dtype)
    K.col2im(g, gx, kh, kw, sh, sw, ph, pw, dh, dw, num_threads)
    rtol = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(gx, R.col2im(g, x.shape, kh, kw, sh, sw, ph, pw, dh, dw), rtol=rtol, atol=rtol)
    # Adjoint: <im2col(x), g> == <x, col2im(g)>.
    np.testing.assert_allclose(np.vdot(cols.astype(np.float64), g), np.vdot(x.astype(np.float64), gx),
                               rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_col2im_bit_identical_across_threads():
    rng = np.random.default_rng(1)
    g = rng.standard_normal((4 * 9, 3, 8, 8)).astype(np.float32)
    out1, out2 = np.empty((3, 4, 10, 10), np.float32), np.empty((3, 4, 10, 10), np.float32)
    K.col2im(g, out1, 3, 3, 1, 1, 0, 0, 1, 1, 1)
    K.col2im(g, out2, 3, 3, 1, 1, 0, 0, 1, 1, 2)
    np.testing.assert_array_equal(out1, out2)


def test_im2col_bit_identical_across_threads_with_padding():
    """Regression: the per-tap valid column range must be thread-private (it once was shared, and
    about one image in four runs of this case came out wrong at 2 threads)."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((64, 1, 28, 28)).astype(np.float32)
    want = R.im2col(x, 5, 5, 1, 1, 2, 2, 1, 1, 28, 28)
    cols = np.empty_like(want)
    gx1, gx2 = np.empty_like(x), np.empty_like(x)
    K.col2im(want, gx1, 5, 5, 1, 1, 2, 2, 1, 1, 1)
    for _ in range(10):
        K.im2col(x, cols, 5, 5, 1, 1, 2, 2, 1, 1, 2)
        np.testing.assert_array_equal(cols, want)
        K.col2im(want, gx2, 5, 5, 1, 1, 2, 2, 1, 1, 2)
        np.testing.assert_array_equal(gx1, gx2)
