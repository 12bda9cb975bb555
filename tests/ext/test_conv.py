"""minigrad._C.gemm.conv_* (implicit-GEMM convolution) against tests/reference_gemm.py: forward, weight,
input and bias gradients over strides, dilations, groups, asymmetric padding, odd sizes, both dtypes,
both micro-kernel ISAs and 1/2 threads; bit-identical results at 1 and 2 threads."""
import numpy as np
import pytest

from minigrad._C import gemm as G
import reference_gemm as R

EPS = {np.float32: np.finfo(np.float32).eps, np.float64: np.finfo(np.float64).eps}

# (N, C, H, W, O, kh, kw, stride, padding (top, bottom, left, right), dilation, groups)
GEOMS = [
    (2, 3, 7, 7, 4, 3, 3, (1, 1), (1, 1, 1, 1), (1, 1), 1),
    (2, 1, 28, 28, 16, 5, 5, (1, 1), (2, 2, 2, 2), (1, 1), 1),        # LeNet conv1
    (3, 16, 14, 14, 32, 5, 5, (1, 1), (2, 2, 2, 2), (1, 1), 1),       # LeNet conv2
    (2, 4, 9, 8, 6, 3, 2, (2, 3), (2, 0, 0, 1), (2, 1), 2),           # strides, dilation, groups, asymmetric pad
    (1, 6, 5, 6, 6, 1, 1, (1, 1), (0, 0, 0, 0), (1, 1), 3),           # 1x1, no padding: x itself is read
    (2, 4, 6, 5, 2, 2, 4, (1, 1), (0, 1, 1, 2), (1, 1), 1),           # 'same' with an even kernel
    (1, 4, 4, 4, 4, 3, 3, (3, 2), (3, 3, 3, 3), (2, 3), 2),           # windows entirely in the padding
    (5, 8, 11, 13, 30, 3, 3, (2, 2), (1, 1, 1, 1), (1, 1), 1),        # Og not a multiple of MR
    (3, 2, 1, 1, 3, 1, 1, (1, 1), (0, 0, 0, 0), (1, 1), 1),           # one pixel
    (2, 3, 10, 10, 7, 3, 3, (1, 1), (0, 0, 0, 0), (1, 1), 1),         # valid: rows/cols past the last window
    (2, 6, 9, 40, 6, 3, 3, (1, 1), (1, 1, 1, 1), (1, 1), 6),          # depthwise, output rows wider than NR
    (1, 2, 3, 30, 9, 1, 7, (1, 1), (0, 0, 3, 3), (1, 1), 1),          # runs longer than a vector
    (9, 256, 3, 3, 130, 3, 3, (1, 1), (1, 1, 1, 1), (1, 1), 1),       # weight gradient in fewer image chunks
]
IDS = ["-".join(str(v) for v in g[:7]) + f"-s{g[7][0]}{g[7][1]}-g{g[10]}" for g in GEOMS]


@pytest.fixture(params=G.available_isas())
def isa(request):
    G.set_isa(request.param)
    yield request.param
    G.set_isa("auto")


def _out_hw(H, W, kh, kw, stride, pad, dil):
    return ((H + pad[0] + pad[1] - dil[0] * (kh - 1) - 1) // stride[0] + 1,
            (W + pad[2] + pad[3] - dil[1] * (kw - 1) - 1) // stride[1] + 1)


def _padded(x, OH, OW, kh, kw, stride, pad, dil, num_threads):
    """The padded input the kernels read, made by conv_pad; or x itself where no padding is reached."""
    N, C, H, W = x.shape
    Hp, Wp = G.conv_padded_shape(OH, OW, kh, kw, *stride, *dil)
    if pad[0] == pad[2] == 0 and Hp <= H and Wp <= W:
        return x.reshape(-1), H, W
    xp = np.full(N * C * Hp * Wp + G.CONV_SLACK, np.nan, x.dtype)
    G.conv_pad(x, xp, Hp, Wp, pad[0], pad[2], num_threads)
    return xp, Hp, Wp


def _run(x, w, b, gout, stride, pad, dil, groups, num_threads):
    """(out, dW, dx, db) from the four kernels, on NaN-filled outputs (every element must be written)."""
    N, C, H, W = x.shape
    O, _, kh, kw = w.shape
    OH, OW = _out_hw(H, W, kh, kw, stride, pad, dil)
    xp, Hp, Wp = _padded(x, OH, OW, kh, kw, stride, pad, dil, num_threads)
    out = np.full((N, O, OH, OW), np.nan, x.dtype)
    G.conv_forward(xp, Hp, Wp, w, b, out, C, *stride, *dil, groups, num_threads)
    gw = np.full(w.shape, np.nan, x.dtype)
    G.conv_backward_weight(xp, Hp, Wp, gout, gw, C, *stride, *dil, groups, num_threads)
    gx = np.full(x.shape, np.nan, x.dtype)
    G.conv_backward_input(gout, w, gx, pad[0], pad[2], *stride, *dil, groups, num_threads)
    gb = np.full(O, np.nan, x.dtype)
    G.conv_backward_bias(gout, gb, num_threads)
    return out, gw, gx, gb


def _assert_sum_close(got, want, bound, terms, name):
    """|got - want| <= 4·eps·√terms·bound elementwise, bound = the same sum over |operands|."""
    tol = 4 * EPS[got.dtype.type] * np.sqrt(max(terms, 1)) * bound + np.finfo(got.dtype).tiny
    err = np.abs(got - want)
    assert np.all(err <= tol), f"{name}: max error {err.max():.3g}, allowed {tol.flat[np.argmax(err - tol)]:.3g}"


def _data(geom, dtype, seed=0):
    N, C, H, W, O, kh, kw, stride, pad, dil, groups = geom
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (N, C, H, W)).astype(dtype)
    w = rng.uniform(-1, 1, (O, C // groups, kh, kw)).astype(dtype)
    b = rng.uniform(-1, 1, O).astype(dtype)
    gout = rng.uniform(-1, 1, (N, O) + _out_hw(H, W, kh, kw, stride, pad, dil)).astype(dtype)
    return x, w, b, gout, (stride, pad, dil, groups)


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("geom", GEOMS, ids=IDS)
def test_kernels_match_reference(geom, bias, dtype, num_threads, isa):
    x, w, b, gout, (stride, pad, dil, groups) = _data(geom, dtype)
    b = b if bias else None
    out, gw, gx, gb = _run(x, w, b, gout, stride, pad, dil, groups, num_threads)
    N, C, H, W, O, kh, kw = geom[:7]
    Kg = C // groups * kh * kw
    P = gout.shape[2] * gout.shape[3]
    geo = (stride, pad, dil, groups)
    _assert_sum_close(out, R.conv2d(x, w, b, *geo), R.conv2d(np.abs(x), np.abs(w), None if b is None else np.abs(b), *geo),
                      Kg + 1, "forward")
    _assert_sum_close(gw, R.conv2d_weight_grad(x, gout, w.shape, *geo),
                      R.conv2d_weight_grad(np.abs(x), np.abs(gout), w.shape, *geo), N * P, "weight grad")
    _assert_sum_close(gx, R.conv2d_input_grad(gout, w, x.shape, *geo),
                      R.conv2d_input_grad(np.abs(gout), np.abs(w), x.shape, *geo), O * kh * kw, "input grad")
    _assert_sum_close(gb, gout.astype(np.float64).sum(axis=(0, 2, 3)), np.abs(gout).astype(np.float64).sum(axis=(0, 2, 3)),
                      N * P, "bias grad")


@pytest.mark.parametrize("geom", [
    (16, 16, 14, 14, 32, 5, 5, (1, 1), (2, 2, 2, 2), (1, 1), 1),
    (9, 8, 13, 11, 12, 3, 3, (2, 1), (1, 0, 2, 1), (1, 2), 2),
    (32, 1, 28, 28, 16, 5, 5, (1, 1), (2, 2, 2, 2), (1, 1), 1),
    (1, 16, 14, 14, 32, 5, 5, (1, 1), (2, 2, 2, 2), (1, 1), 1),       # one image: tap panels split between threads
    (9, 256, 3, 3, 130, 3, 3, (1, 1), (1, 1, 1, 1), (1, 1), 1),       # weight gradient in fewer image chunks
], ids=["lenet2", "strided-groups", "lenet1", "one-image", "big-weight"])
def test_kernels_bit_identical_at_1_and_2_threads(geom, dtype):
    """Each case is large enough that both threads get work (the kernels stay on one thread below
    ~80³ multiply-adds)."""
    x, w, b, gout, (stride, pad, dil, groups) = _data(geom, dtype, seed=3)
    one = _run(x, w, b, gout, stride, pad, dil, groups, 1)
    for _ in range(3):
        two = _run(x, w, b, gout, stride, pad, dil, groups, 2)
        for a, c in zip(one, two):
            np.testing.assert_array_equal(a, c)


def test_pad_layout_and_slack(dtype):
    x = np.arange(2 * 3 * 4 * 5, dtype=dtype).reshape(2, 3, 4, 5) + 1
    Hp, Wp, pt, pl = 7, 9, 2, 1
    xp = np.full(2 * 3 * Hp * Wp + G.CONV_SLACK, np.nan, dtype)
    G.conv_pad(x, xp, Hp, Wp, pt, pl, 1)
    want = np.zeros((2, 3, Hp, Wp), dtype)
    want[:, :, pt:pt + 4, pl:pl + 5] = x
    np.testing.assert_array_equal(xp[:-G.CONV_SLACK].reshape(2, 3, Hp, Wp), want)
    assert not np.isnan(xp[-G.CONV_SLACK:]).any()


def test_input_itself_and_padded_copy_agree(dtype):
    """Without padding the kernels may read x directly (no slack past its end): same results as
    from a padded copy with the same geometry."""
    rng = np.random.default_rng(5)
    x = rng.uniform(-1, 1, (3, 4, 9, 10)).astype(dtype)
    w = rng.uniform(-1, 1, (8, 4, 3, 3)).astype(dtype)
    gout = rng.uniform(-1, 1, (3, 8, 7, 8)).astype(dtype)
    xp = np.zeros(x.size + G.CONV_SLACK, dtype)
    G.conv_pad(x, xp, 9, 10, 0, 0, 1)
    outs = []
    for src in (x.reshape(-1), xp):
        out = np.empty((3, 8, 7, 8), dtype)
        G.conv_forward(src, 9, 10, w, None, out, 4, 1, 1, 1, 1, 1, 1)
        gw = np.empty_like(w)
        G.conv_backward_weight(src, 9, 10, gout, gw, 4, 1, 1, 1, 1, 1, 1)
        outs.append((out, gw))
    for a, c in zip(*outs):
        np.testing.assert_array_equal(a, c)


def test_empty_and_channel_free_shapes(dtype):
    """N = 0, and C = 0 (Kg = 0: the output is the bias, the input gradient empty)."""
    w = np.ones((4, 0, 3, 3), dtype)
    b = np.arange(4, dtype=dtype)
    out = np.full((2, 4, 3, 3), np.nan, dtype)
    xp = np.zeros(G.CONV_SLACK, dtype)
    G.conv_forward(xp, 5, 5, w, b, out, 0, 1, 1, 1, 1, 1, 1)
    np.testing.assert_array_equal(out, np.broadcast_to(b.reshape(1, 4, 1, 1), out.shape))
    gw = np.empty((4, 2, 3, 3), dtype)
    G.conv_backward_weight(xp, 5, 5, np.ones((0, 4, 3, 3), dtype), gw, 2, 1, 1, 1, 1, 1, 1)
    np.testing.assert_array_equal(gw, 0)
    gx = np.full((0, 2, 5, 5), np.nan, dtype)
    G.conv_backward_input(np.ones((0, 4, 3, 3), dtype), np.ones((4, 2, 3, 3), dtype), gx, 0, 0, 1, 1, 1, 1, 1, 1)

