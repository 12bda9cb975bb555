"""minigrad._C.pool kernels against the NumPy loops of tests/reference_pool.py: a grid of
geometries (every argument, ceil_mode with/without padding, dilation 2-3, rectangular kernels
and strides, odd sizes), random / tie-heavy / NaN inputs, both dtypes, both ISA builds of the
fast paths, 1 and 2 threads; plus bit-identical results at 1 vs 2 threads."""
import itertools

import numpy as np
import pytest

import reference_pool as ref
from minigrad._C import pool as K

# ***** geometry grid *****
SIZES = [(5, 5), (6, 7), (8, 9), (7, 4), (1, 3), (11, 10)]
KERNELS = [(1, 1), (2, 2), (3, 3), (2, 3), (3, 1), (4, 4)]
STRIDES = [(1, 1), (2, 2), (1, 2), (3, 2)]
PADS = [(0, 0), (1, 1), (0, 1), (2, 2)]
DILATIONS = [(1, 1), (2, 2), (3, 2)]


def _valid(H, W, k, s, p, d, ceil):
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        return None
    OH = ref.pool_out_size(H, k[0], s[0], p[0], d[0], ceil)
    OW = ref.pool_out_size(W, k[1], s[1], p[1], d[1], ceil)
    return (OH, OW) if OH >= 1 and OW >= 1 else None


def _grid(n, dilations, seed):
    """A fixed random sample of valid geometries, plus every fast-path shape on odd/even sizes."""
    allc = [c for c in itertools.product(SIZES, KERNELS, STRIDES, PADS, dilations, (False, True))
            if _valid(*c[0], *c[1:])]
    rng = np.random.default_rng(seed)
    picked = [allc[i] for i in rng.choice(len(allc), size=n, replace=False)]
    fast = [((H, W), (k, k), (2, 2), (p, p), (1, 1), ceil)
            for (H, W) in [(4, 4), (5, 5), (6, 7), (9, 8), (2, 3), (1, 1), (3, 17)]
            for k, p in [(2, 0), (3, 1)] for ceil in (False, True)]
    fast = [c for c in fast if _valid(*c[0], *c[1:])]
    return [dict(HW=c[0], k=c[1], s=c[2], p=c[3], d=c[4], ceil=c[5]) for c in picked + fast]


MAX_GRID = _grid(70, DILATIONS, 1)
AVG_GRID = _grid(50, [(1, 1)], 2)


def _ids(grid):
    return ["H{}W{}-k{}x{}-s{}x{}-p{}x{}-d{}x{}-{}".format(*g["HW"], *g["k"], *g["s"], *g["p"], *g["d"],
                                                          "ceil" if g["ceil"] else "floor") for g in grid]


def _data(kind, shape, dtype, rng):
    if kind == "random":
        return rng.standard_normal(shape).astype(dtype)
    if kind == "ties":   # small integers: many equal maxima, exact sums
        return rng.integers(-2, 3, size=shape).astype(dtype)
    x = rng.integers(-3, 4, size=shape).astype(dtype)   # "nan": ties plus NaNs and infinities
    x[rng.random(shape) < 0.15] = np.nan
    x[rng.random(shape) < 0.05] = -np.inf
    return x


@pytest.fixture(params=["baseline", "avx2"])
def isa(request):
    old = K.isa()
    if request.param == "avx2" and K.isa() != "avx2":
        try:
            K.set_isa("avx2")
        except ValueError:
            pytest.skip("no AVX2+FMA on this CPU")
    K.set_isa(request.param)
    yield request.param
    K.set_isa(old)


RTOL = {np.float32: 1e-6, np.float64: 1e-12}


def _equal(got, want, what):
    np.testing.assert_array_equal(got, want, err_msg=what)   # bitwise up to NaN payloads


# ***** max pool *****
@pytest.mark.parametrize("g", MAX_GRID, ids=_ids(MAX_GRID))
def test_max_pool_matches_reference(g, isa):
    rng = np.random.default_rng(0)
    (H, W), (kH, kW), (sH, sW), (pH, pW), (dH, dW) = g["HW"], g["k"], g["s"], g["p"], g["d"]
    OH, OW = _valid(H, W, g["k"], g["s"], g["p"], g["d"], g["ceil"])
    geom = (kH, kW, sH, sW, pH, pW, dH, dW)
    for kind in ("random", "ties", "nan"):
        x64 = _data(kind, (3, H, W), np.float64, rng)
        want, want_idx = ref.max_pool2d_forward(x64, OH, OW, *geom)
        go64 = rng.uniform(0.5, 1.5, size=(3, OH, OW))
        want_grad = ref.max_pool2d_backward(go64, want_idx, H, W)
        for dtype, nt in itertools.product((np.float32, np.float64), (1, 2)):
            x, go = x64.astype(dtype), go64.astype(dtype)
            out = np.empty((3, OH, OW), dtype)
            idx = np.empty((3, OH, OW), np.int64)
            K.max_pool2d_forward(x, out, idx, *geom, nt)
            _equal(out, want.astype(dtype), f"{kind} values")
            _equal(idx, want_idx, f"{kind} indices")
            out2 = np.full((3, OH, OW), 7, dtype)
            K.max_pool2d_forward(x, out2, None, *geom, nt)   # values-only path
            _equal(out2, out, f"{kind} values without indices")
            grad = np.full((3, H, W), 7, dtype)   # the kernel must write every element
            K.max_pool2d_backward(go, idx, grad, *geom, nt)
            if dtype == np.float64:
                _equal(grad, want_grad, f"{kind} grad")
            else:
                np.testing.assert_allclose(grad, want_grad, rtol=1e-6, err_msg=f"{kind} grad")
                _equal(grad, ref.max_pool2d_backward(go, want_idx, H, W), f"{kind} grad (float32 ref)")


def test_max_pool_window_without_in_bounds_tap():
    """SPEC §2 / #114216: 2x2 input, k2 s1 p1 d3 -> -inf and index 6 (outside the plane); the
    backward skips it instead of writing out of bounds."""
    x = np.arange(4, dtype=np.float64).reshape(1, 2, 2)
    out, idx = np.empty((1, 1, 1)), np.empty((1, 1, 1), np.int64)
    K.max_pool2d_forward(x, out, idx, 2, 2, 1, 1, 1, 1, 3, 3, 1)
    assert out[0, 0, 0] == -np.inf and idx[0, 0, 0] == 6
    guard = np.full(12, 5.0)            # grad plane followed by sentinel memory
    grad = guard[:4].reshape(1, 2, 2)
    grad[...] = 0
    K.max_pool2d_backward(np.ones((1, 1, 1)), idx, grad, 2, 2, 1, 1, 1, 1, 3, 3, 1)
    assert not grad.any() and (guard[4:] == 5.0).all()
    bad = np.array([[[-1, 4], [3, 100]]], np.int64)   # negative and too large are skipped too
    grad2 = np.full((1, 2, 2), 9.0)
    K.max_pool2d_backward(np.ones((1, 2, 2)), bad, grad2, 2, 2, 1, 1, 0, 0, 1, 1, 2)   # scatter path
    _equal(grad2, np.array([[[0, 0], [0, 1.0]]]), "only index 3 lands")


@pytest.mark.parametrize("geom", [(2, 2, 2, 2, 0, 0, 1, 1), (2, 3, 3, 3, 1, 1, 2, 1)])
def test_max_pool_backward_disjoint_drops_out_of_plane_index(geom, dtype, isa):
    """Disjoint windows take the window-local path: an index outside the plane matches no
    element (dropped, like the scatter skips it), nothing outside grad_in is written."""
    H, W = 5, 7
    OH = ref.pool_out_size(H, geom[0], geom[2], geom[4], geom[6], True)
    OW = ref.pool_out_size(W, geom[1], geom[3], geom[5], geom[7], True)
    x = np.random.default_rng(0).standard_normal((2, H, W)).astype(dtype)
    out, idx = np.empty((2, OH, OW), dtype), np.empty((2, OH, OW), np.int64)
    K.max_pool2d_forward(x, out, idx, *geom, 1)
    idx[0, 0, 0], idx[1, -1, -1] = -1, H * W + 3
    go = np.ones((2, OH, OW), dtype)
    guard = np.full(2 * H * W + 8, 5, dtype)
    grad = guard[:2 * H * W].reshape(2, H, W)
    K.max_pool2d_backward(go, idx, grad, *geom, 2)
    _equal(grad, ref.max_pool2d_backward(go, idx, H, W), "out-of-plane indices dropped")
    assert (guard[2 * H * W:] == 5).all()


# disjoint windows (stride >= dilated kernel) beyond k2s2, with remainder rows/cols, padding,
# dilation, ceil_mode, and H < dH (a window with no in-bounds tap -> scatter fallback)
DISJOINT = [((H, W), k, s, p, d, ceil)
            for (H, W) in [(5, 5), (6, 7), (9, 8), (1, 3), (2, 2), (11, 10), (3, 17)]
            for k, s, p, d in [((2, 2), (2, 2), (0, 0), (1, 1)), ((2, 2), (3, 3), (0, 0), (1, 1)),
                               ((3, 2), (3, 2), (1, 1), (1, 1)), ((2, 2), (3, 2), (1, 0), (2, 1)),
                               ((1, 1), (2, 3), (0, 0), (1, 1)), ((2, 3), (4, 5), (1, 1), (3, 2)),
                               ((3, 3), (3, 3), (1, 1), (1, 1))]
            for ceil in (False, True)]
DISJOINT = [dict(HW=c[0], k=c[1], s=c[2], p=c[3], d=c[4], ceil=c[5]) for c in DISJOINT
            if _valid(*c[0], *c[1:])]


@pytest.mark.parametrize("g", DISJOINT, ids=_ids(DISJOINT))
def test_max_pool_backward_disjoint_windows(g, isa):
    rng = np.random.default_rng(1)
    (H, W), (kH, kW), (sH, sW), (pH, pW), (dH, dW) = g["HW"], g["k"], g["s"], g["p"], g["d"]
    OH, OW = _valid(H, W, g["k"], g["s"], g["p"], g["d"], g["ceil"])
    geom = (kH, kW, sH, sW, pH, pW, dH, dW)
    for kind, dtype, nt in itertools.product(("random", "ties", "nan"), (np.float32, np.float64), (1, 2)):
        x = _data(kind, (3, H, W), dtype, rng)
        _, want_idx = ref.max_pool2d_forward(x, OH, OW, *geom)
        go = rng.uniform(-1.5, 1.5, size=(3, OH, OW)).astype(dtype)
        go.flat[::3] = -0.0   # the scatter gives 0 + -0.0 = +0.0; the window-local path must too
        go.flat[1::5] = np.nan
        idx = np.empty((3, OH, OW), np.int64)
        K.max_pool2d_forward(x, np.empty((3, OH, OW), dtype), idx, *geom, nt)
        grad = np.full((3, H, W), 7, dtype)
        K.max_pool2d_backward(go, idx, grad, *geom, nt)
        want = ref.max_pool2d_backward(go, want_idx, H, W)
        assert grad.tobytes() == want.tobytes(), f"{kind} {dtype.__name__} t{nt}"   # signed zeros too


# ***** wide rows: the hand-written AVX2 float32 kernels (>= 8 outputs per row) *****
def _edge_values(x, rng):
    """Sprinkle the values whose handling differs between a max and torch's take rule."""
    flat = x.reshape(-1)
    for v, frac in ((np.nan, 0.03), (-np.inf, 0.03), (np.inf, 0.01), (-0.0, 0.05), (0.0, 0.05)):
        flat[rng.random(flat.size) < frac] = v
    return x


WIDE = [(H, W, k, p, ceil) for (H, W) in [(16, 16), (17, 19), (6, 37), (9, 40), (2, 33), (24, 56)]
        for k, p in [(2, 0), (3, 1)] for ceil in (False, True)]


@pytest.mark.parametrize("H,W,k,p,ceil", WIDE, ids=[f"H{c[0]}W{c[1]}-k{c[2]}-{'ceil' if c[4] else 'floor'}"
                                                     for c in WIDE])
def test_max_pool_wide_rows_match_reference(H, W, k, p, ceil, isa):
    """k2s2 / k3s2p1 on rows wide enough for whole vectors plus an overlapping last vector:
    the top row and left column in the padding, odd sizes, ceil_mode overhang, ties, signed
    zeros, +-inf and NaN; values, indices and the backward (window-local for k2s2, the gather
    for k3s2p1) bit for bit against the loops of reference_pool."""
    rng = np.random.default_rng(H * 100 + W)
    geom = (k, k, 2, 2, p, p, 1, 1)
    OH, OW = ref.pool_out_size(H, k, 2, p, 1, ceil), ref.pool_out_size(W, k, 2, p, 1, ceil)
    for kind in ("random", "ties"):
        x = _edge_values(_data(kind, (3, H, W), np.float32, rng), rng)
        want, want_idx = ref.max_pool2d_forward(x, OH, OW, *geom)
        go = rng.uniform(-1.5, 1.5, size=(3, OH, OW)).astype(np.float32)
        go.flat[::7] = -0.0
        go.flat[3::11] = np.nan
        want_grad = ref.max_pool2d_backward(go, want_idx, H, W)
        for nt in (1, 2):
            out, idx = np.full((3, OH, OW), 7, np.float32), np.full((3, OH, OW), -7, np.int64)
            K.max_pool2d_forward(x, out, idx, *geom, nt)
            _equal(out, want, f"{kind} values t{nt}")
            _equal(idx, want_idx, f"{kind} indices t{nt}")
            out2 = np.full((3, OH, OW), 7, np.float32)
            K.max_pool2d_forward(x, out2, None, *geom, nt)
            assert out2.tobytes() == out.tobytes(), f"{kind} values-only path t{nt}"
            grad = np.full((3, H, W), 7, np.float32)
            K.max_pool2d_backward(go, idx, grad, *geom, nt)
            assert grad.tobytes() == want_grad.tobytes(), f"{kind} grad t{nt}"   # signed zeros too


@pytest.mark.parametrize("H,W", [(16, 16), (24, 56), (8, 40), (17, 19), (6, 18)])
def test_max_pool_backward_streaming_stores_same_bits(H, W, isa, num_threads):
    """Forced on small planes, the k2s2 backward's streaming stores (used for large gradients
    that the kernel writes whole) give the regular stores' bits; shapes with remainder rows or
    columns, or unaligned rows, keep regular stores."""
    rng = np.random.default_rng(W)
    x = _edge_values(_data("ties", (3, H, W), np.float32, rng), rng)
    OH, OW = H // 2, W // 2
    idx = np.empty((3, OH, OW), np.int64)
    K.max_pool2d_forward(x, np.empty((3, OH, OW), np.float32), idx, 2, 2, 2, 2, 0, 0, 1, 1, 1)
    go = rng.uniform(-1.5, 1.5, size=(3, OH, OW)).astype(np.float32)
    go.flat[::4] = -0.0
    want = ref.max_pool2d_backward(go, idx, H, W).tobytes()
    prev = K.set_stream_min_bytes(0)
    try:
        grad = np.full((3, H, W), 7, np.float32)
        K.max_pool2d_backward(go, idx, grad, 2, 2, 2, 2, 0, 0, 1, 1, num_threads)
    finally:
        K.set_stream_min_bytes(prev)
    assert grad.tobytes() == want
    assert prev == K.STREAM_MIN_BYTES
    with pytest.raises(ValueError, match="nbytes must be >= 0"):
        K.set_stream_min_bytes(-1)


# overlapping windows against the reference scatter, bit for bit: the scatter kernel, and for
# k3s2p1 float32 on AVX2 the gather (the same terms added in the same order); few planes, so
# the gather's row-block split across threads runs too
OVERLAP = [((H, W), k, s, p, d, ceil)
           for (H, W) in [(7, 9), (12, 21), (20, 31), (5, 40)]
           for k, s, p, d in [((3, 3), (2, 2), (1, 1), (1, 1)), ((3, 3), (1, 1), (1, 1), (1, 1)),
                              ((2, 2), (1, 1), (0, 0), (1, 1)), ((3, 2), (2, 1), (1, 0), (2, 1)),
                              ((3, 3), (2, 2), (1, 1), (2, 2)), ((4, 3), (3, 2), (2, 1), (1, 1))]
           for ceil in (False, True)]
OVERLAP = [dict(HW=c[0], k=c[1], s=c[2], p=c[3], d=c[4], ceil=c[5]) for c in OVERLAP
           if _valid(*c[0], *c[1:])]


@pytest.mark.parametrize("g", OVERLAP, ids=_ids(OVERLAP))
def test_max_pool_backward_overlapping_bitwise(g, dtype, isa):
    rng = np.random.default_rng(2)
    (H, W), (kH, kW), (sH, sW), (pH, pW), (dH, dW) = g["HW"], g["k"], g["s"], g["p"], g["d"]
    OH, OW = _valid(H, W, g["k"], g["s"], g["p"], g["d"], g["ceil"])
    geom = (kH, kW, sH, sW, pH, pW, dH, dW)
    for P, kind in ((1, "ties"), (2, "nan"), (5, "random")):
        x = _data(kind, (P, H, W), dtype, rng)
        idx = np.empty((P, OH, OW), np.int64)
        K.max_pool2d_forward(x, np.empty((P, OH, OW), dtype), idx, *geom, 1)
        go = rng.uniform(-1.5, 1.5, size=(P, OH, OW)).astype(dtype)
        go.flat[::5] = -0.0
        go.flat[2::9] = np.nan
        want = ref.max_pool2d_backward(go, idx, H, W).tobytes()   # np.zeros + `+=` in order
        for nt in (1, 2, 3):
            grad = np.full((P, H, W), 7, dtype)
            K.max_pool2d_backward(go, idx, grad, *geom, nt)
            assert grad.tobytes() == want, f"P={P} {kind} t{nt}"


# ***** average pool *****
@pytest.mark.parametrize("g", AVG_GRID, ids=_ids(AVG_GRID))
def test_avg_pool_matches_reference(g, isa):
    rng = np.random.default_rng(0)
    (H, W), (kH, kW), (sH, sW), (pH, pW) = g["HW"], g["k"], g["s"], g["p"]
    OH, OW = _valid(H, W, g["k"], g["s"], g["p"], (1, 1), g["ceil"])
    for kind, (cip, dov) in itertools.product(("random", "ties"), [(True, None), (False, None), (True, -3)]):
        x64 = _data(kind, (2, H, W), np.float64, rng)
        go64 = rng.uniform(0.5, 1.5, size=(2, OH, OW))
        for dtype, nt in itertools.product((np.float32, np.float64), (1, 2)):
            x, go = x64.astype(dtype), go64.astype(dtype)
            args = (kH, kW, sH, sW, pH, pW, cip)
            want = ref.avg_pool2d_forward(x, OH, OW, *args, dov)
            out = np.empty((2, OH, OW), dtype)
            K.avg_pool2d_forward(x, out, *args, dov or 0, nt)
            # same summation order as the reference (and torch): equal, not just close
            _equal(out, want, f"{kind} cip={cip} dov={dov} forward")
            want_grad = ref.avg_pool2d_backward(go, H, W, *args, dov)
            grad = np.full((2, H, W), 7, dtype)   # the kernel writes every element itself
            K.avg_pool2d_backward(go, grad, *args, dov or 0, nt)
            # a gather: several windows' terms are summed in another order than the scatter's
            np.testing.assert_allclose(grad, want_grad, rtol=RTOL[dtype], atol=0,
                                       err_msg=f"{kind} cip={cip} dov={dov} backward")


@pytest.mark.parametrize("HW,k,s,p", [((7, 17), (2, 2), (2, 2), (0, 0)), ((8, 16), (2, 2), (2, 2), (0, 0)),
                                      ((9, 15), (3, 3), (2, 2), (1, 1)), ((6, 18), (3, 3), (2, 2), (1, 1)),
                                      ((3, 2), (3, 3), (2, 2), (1, 1)), ((1, 1), (2, 2), (2, 2), (0, 0)),
                                      ((10, 13), (4, 2), (1, 2), (2, 0)), ((11, 9), (1, 3), (3, 2), (0, 1)),
                                      ((13, 12), (2, 3), (3, 2), (1, 1)), ((5, 11), (5, 4), (1, 3), (2, 1))])
@pytest.mark.parametrize("ceil", [False, True])
def test_avg_pool_backward_gather(HW, k, s, p, ceil, dtype, isa):
    """The gather backward on wider rows: the stride-2 column patterns (kW 2 / kW 3 p1) with
    other row geometries, uncovered rows/columns (stride > kernel), many overlapping windows,
    ceil_mode overhang; every divisor rule; both dtypes, ISAs and 1/2 threads."""
    if _valid(*HW, k, s, p, (1, 1), ceil) is None:
        # no valid output for this geometry: the functional layer must refuse it before any kernel
        import minigrad
        from minigrad.nn import functional as F
        with pytest.raises(RuntimeError):
            F.avg_pool2d(minigrad.zeros(1, *HW, dtype=dtype), k, s, p, ceil_mode=ceil)
        return
    OH, OW = _valid(*HW, k, s, p, (1, 1), ceil)
    rng = np.random.default_rng(3)
    go = rng.uniform(-1.5, 1.5, size=(5, OH, OW)).astype(dtype)
    res = []
    for cip, dov in [(True, None), (False, None), (True, 7), (False, -2)]:
        want = ref.avg_pool2d_backward(go, *HW, *k, *s, *p, cip, dov)
        for nt in (1, 2):
            grad = np.full((5, *HW), np.nan, dtype)
            K.avg_pool2d_backward(go, grad, *k, *s, *p, cip, dov or 0, nt)
            # mixed signs: bound the error by the sum of magnitudes, not by the (small) result
            scale = ref.avg_pool2d_backward(np.abs(go), *HW, *k, *s, *p, cip, abs(dov or 1) if dov else None)
            assert np.all(np.abs(grad - want) <= RTOL[dtype] * np.abs(scale)), f"cip={cip} dov={dov} t{nt}"
            res.append(grad.tobytes())
        assert res[-1] == res[-2], "1 vs 2 threads"


# ***** max unpool *****
@pytest.mark.parametrize("shape,out_hw", [((3, 2, 2), (4, 4)), ((4, 3, 5), (7, 11)), ((2, 1, 1), (1, 1)),
                                          ((5, 4, 4), (9, 8))])
def test_max_unpool_matches_reference(shape, out_hw, dtype, num_threads):
    rng = np.random.default_rng(0)
    P, L = shape[0], shape[1] * shape[2]
    x = rng.standard_normal((P, L)).astype(dtype)
    idx = rng.integers(0, out_hw[0] * out_hw[1], size=(P, L))   # duplicates likely
    idx[:, -1] = idx[:, 0]                                     # and certain
    out = np.zeros((P, out_hw[0] * out_hw[1]), dtype)
    K.max_unpool2d_forward(x, idx, out, num_threads)
    want = ref.max_unpool2d_forward(x, idx, *out_hw).reshape(P, -1)
    _equal(out, want, "scatter (last writer wins)")
    go = rng.standard_normal(out.shape).astype(dtype)
    grad = np.empty((P, L), dtype)
    K.max_unpool2d_backward(go, idx, grad, num_threads)
    _equal(grad, ref.max_unpool2d_backward(go.reshape(P, *out_hw), idx), "gather")


def test_max_unpool_last_invalid(num_threads):
    idx = np.zeros((4, 6), np.int64)
    assert K.max_unpool2d_last_invalid(idx, 1, num_threads) == -1
    idx[1, 1], idx[1, 5], idx[2, 3] = 9, 4, -1
    assert K.max_unpool2d_last_invalid(idx, 9, num_threads) == 2 * 6 + 3   # negative
    idx[2, 3] = 0
    assert K.max_unpool2d_last_invalid(idx, 9, num_threads) == 1 * 6 + 1   # 9 == limit, 4 is fine
    assert K.max_unpool2d_last_invalid(idx, 4, num_threads) == 1 * 6 + 5   # 4 == limit
    assert K.max_unpool2d_last_invalid(idx, 100, num_threads) == -1
    assert K.max_unpool2d_last_invalid(np.zeros((0, 3), np.int64), 1, num_threads) == -1


# ***** determinism and dispatch *****
@pytest.mark.parametrize("geom", [(2, 2, 2, 2, 0, 0, 1, 1), (3, 3, 2, 2, 1, 1, 1, 1), (3, 2, 1, 2, 1, 0, 2, 1),
                                  (2, 2, 3, 3, 1, 1, 2, 1)])
def test_bit_identical_one_vs_two_threads(geom, dtype, isa):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((13, 33, 35)).astype(dtype)
    kH, kW, sH, sW, pH, pW, dH, dW = geom
    OH = ref.pool_out_size(33, kH, sH, pH, dH, True)
    OW = ref.pool_out_size(35, kW, sW, pW, dW, True)
    res = []
    for nt in (1, 2):
        out, idx = np.empty((13, OH, OW), dtype), np.empty((13, OH, OW), np.int64)
        K.max_pool2d_forward(x, out, idx, *geom, nt)
        gmax = np.empty_like(x)
        K.max_pool2d_backward(out, idx, gmax, *geom, nt)
        avg = np.empty((13, OH, OW), dtype)
        K.avg_pool2d_forward(x, avg, kH, kW, sH, sW, pH, pW, False, 0, nt)
        gavg = np.empty_like(x)
        K.avg_pool2d_backward(avg, gavg, kH, kW, sH, sW, pH, pW, False, 0, nt)
        unp = np.zeros((13, 33 * 35), dtype)
        K.max_unpool2d_forward(out.reshape(13, -1), idx.reshape(13, -1), unp, nt)
        gunp = np.empty((13, OH * OW), dtype)
        K.max_unpool2d_backward(unp, idx.reshape(13, -1), gunp, nt)
        res.append([a.tobytes() for a in (out, idx, gmax, avg, gavg, unp, gunp)])
    assert res[0] == res[1]


def test_isa_switch():
    old = K.isa()
    assert old in ("avx2", "baseline")
    with pytest.raises(ValueError, match="expected one of"):
        K.set_isa("avx512")
    K.set_isa("baseline")
    assert K.isa() == "baseline"
    K.set_isa(old)
    assert K.isa() == old
