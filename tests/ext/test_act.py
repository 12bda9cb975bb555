"""minigrad._C.act kernels against tests/reference_act.py: both dtypes, both ISAs, 1 and 2 threads,
odd sizes (block edges), special values, accuracy in ulp, and thread-count determinism."""
import numpy as np
import pytest

import reference_act as ref
from minigrad._C import act

ISAS = ["baseline"]
try:
    _prev = act.get_isa()
    act.set_isa("avx2")
    ISAS.append("avx2")
    act.set_isa(_prev)
except RuntimeError:   # no AVX2+FMA on this CPU: only the baseline path exists
    pass

SIZES = [0, 1, 7, 33, 16384 * 2 + 5]    # BLOCK is 16384: cross block edges
SPECIAL = [0.0, -0.0, 1e-45, -1e-45, 1e-30, -1e-7, 0.17, -0.35, 0.5, 1.0, -2.7, 9.0, -9.5, 20.0, 30.0,
           -88.0, -88.7, 88.7, -100.0, 100.0, -104.0, -745.0, 1e4, -1e4, np.inf, -np.inf, np.nan]


@pytest.fixture(params=ISAS)
def isa(request):
    prev = act.get_isa()
    act.set_isa(request.param)
    yield request.param
    act.set_isa(prev)


def _inputs(n, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n) * rng.choice([0.1, 1.0, 10.0], n)
    x[: min(n, len(SPECIAL))] = SPECIAL[: min(n, len(SPECIAL))]
    return x.astype(dtype)


def _run(kernel, *arrays, out_count=1, args=(), num_threads=1):
    outs = [np.empty_like(arrays[0]) for _ in range(out_count)]
    kernel(*arrays, *outs, *args, num_threads)
    return outs[0] if out_count == 1 else outs


def _ulp_error(got, truth64, dtype):
    """|got - truth| in units of the spacing at the correctly rounded result."""
    near = truth64.astype(dtype)
    return np.abs(got.astype(np.float64) - truth64) / np.spacing(np.abs(near)).astype(np.float64)


# ***** smooth functions: accuracy against the float64 truth *****

@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
def test_smooth_forward_ulp(name, isa, dtype, num_threads):
    rng = np.random.default_rng(1)
    x = np.concatenate([SPECIAL, rng.standard_normal(40000), rng.uniform(-30, 30, 40000),
                        np.exp(rng.uniform(np.log(1e-38), np.log(90), 40000)) * rng.choice([-1, 1], 40000)])
    x = x.astype(dtype)
    got = _run(getattr(act, f"{name}_forward"), x, num_threads=num_threads)
    with np.errstate(over="ignore"):
        truth = 1 / (1 + np.exp(-x.astype(np.float64))) if name == "sigmoid" else np.tanh(x.astype(np.float64))
    np.testing.assert_array_equal(np.isnan(got), np.isnan(truth))
    ok = ~np.isnan(truth)
    if dtype == np.float32:
        err = _ulp_error(got[ok], truth[ok], dtype)
        assert err.max() <= 4, f"{name} float32: {err.max():.2f} ulp at x={x[ok][err.argmax()]!r}"
    else:   # numpy's float64 reference is itself ~1 ulp off: hold to 4 eps relative
        np.testing.assert_allclose(got[ok], truth[ok], rtol=4 * np.finfo(np.float64).eps, atol=1e-300)


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
def test_smooth_backward(name, n, isa, dtype, num_threads):
    x = _inputs(n, dtype)
    y = _run(getattr(act, f"{name}_forward"), x, num_threads=num_threads)
    g = np.random.default_rng(2).uniform(-1.5, 1.5, n).astype(dtype)
    got = _run(getattr(act, f"{name}_backward"), g, y, num_threads=num_threads)
    with np.errstate(invalid="ignore"):   # inf * 0 at the special values: NaN in both
        want = getattr(ref, f"{name}_backward")(g.astype(np.float64), y.astype(np.float64))
    # NOTE: 1 - t*t cancels near |t| = 1; with FMA (AVX2 path) it is more exact than the float
    # expression, so the tolerance is absolute in units of |g|.
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(got, want, rtol=4 * eps, atol=2 * eps * np.max(np.abs(g), initial=0),
                               equal_nan=True)


def test_sigmoid_extremes(isa, dtype):
    x = np.array([-1e4, -800, -104, -100, -88, 0, 88, 100, 1e4], dtype=dtype)
    with np.errstate(all="raise"):
        y = _run(act.sigmoid_forward, x)
    assert np.all(np.isfinite(y)) and np.all((y >= 0) & (y <= 1))
    assert y[0] == 0 and y[-1] == 1 and y[5] == 0.5
    if dtype == np.float64:
        np.testing.assert_allclose(y[3], 3.720075976020836e-44, rtol=1e-14)   # SPEC §5
        assert y[1] == 0.0


# ***** piecewise-linear functions: exact *****

@pytest.mark.parametrize("n", SIZES)
def test_relu(n, isa, dtype, num_threads):
    x, g = _inputs(n, dtype), _inputs(n, dtype, seed=3)
    y = _run(act.relu_forward, x, num_threads=num_threads)
    np.testing.assert_array_equal(y, ref.relu_forward(x))
    np.testing.assert_array_equal(_run(act.relu_backward, g, y, num_threads=num_threads), ref.relu_backward(g, y))


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("slope", [0.01, -0.5, 2.0])
def test_leaky_relu(n, slope, isa, dtype, num_threads):
    x, g = _inputs(n, dtype), _inputs(n, dtype, seed=3)
    y = _run(act.leaky_relu_forward, x, args=(slope,), num_threads=num_threads)
    np.testing.assert_array_equal(y, ref.leaky_relu_forward(x, slope))
    dx = _run(act.leaky_relu_backward, g, x, args=(slope,), num_threads=num_threads)
    np.testing.assert_array_equal(dx, ref.leaky_relu_backward(g, x, slope))


def test_inplace_aliasing(isa, dtype):
    """out may be the input itself (in-place ReLU/LeakyReLU/RReLU)."""
    x = _inputs(40000, dtype)
    want = ref.leaky_relu_forward(x, 0.1)
    act.leaky_relu_forward(x, x, 0.1, 2)
    np.testing.assert_array_equal(x, want)


@pytest.mark.parametrize("shape,channels", [((5,), 1), ((3, 4), 4), ((2, 3, 5, 7), 3), ((2, 3, 130, 130), 3),
                                            ((1, 1, 40000), 1), ((2, 2, 40000), 2)])
def test_prelu(shape, channels, isa, dtype, num_threads):
    rng = np.random.default_rng(4)
    x = rng.standard_normal(shape).astype(dtype)
    x.reshape(-1)[::7] = 0
    g = rng.uniform(0.5, 1.5, shape).astype(dtype)
    w = rng.uniform(-0.5, 0.5, channels).astype(dtype)
    inner = x.size if channels == 1 else int(np.prod(shape[2:], dtype=np.int64))   # as ops.activation
    y = np.empty_like(x)
    act.prelu_forward(x.reshape(-1), w, y.reshape(-1), channels, inner, num_threads)
    np.testing.assert_array_equal(y, ref.prelu_forward(x, w, channels, inner))
    dx, dw = np.empty_like(x), np.empty_like(w)
    act.prelu_backward(g.reshape(-1), x.reshape(-1), w, dx.reshape(-1), dw, channels, inner, True, num_threads)
    want_dx, want_dw = ref.prelu_backward(g, x, w, channels, inner)
    np.testing.assert_array_equal(dx, want_dx)
    np.testing.assert_allclose(dw, want_dw, rtol=1e-6 if dtype == np.float32 else 1e-12)


# ***** RReLU: the exact counter stream *****

@pytest.mark.parametrize("n", SIZES)
def test_rrelu_matches_counter_stream(n, isa, dtype, num_threads):
    x, g = _inputs(n, dtype), _inputs(n, dtype, seed=5)
    y, noise = _run(act.rrelu_forward, x, out_count=2, args=(0.125, 1 / 3, 1234, 99), num_threads=num_threads)
    want_y, want_noise = ref.rrelu_forward(x, 0.125, 1 / 3, 1234, 99)
    if isa == "baseline":
        np.testing.assert_array_equal(noise, want_noise)
        np.testing.assert_array_equal(y, want_y)
    else:   # NOTE: FMA contraction of lower + width*u may move r's last bit
        np.testing.assert_allclose(noise, want_noise, rtol=np.finfo(dtype).eps, atol=0)
        np.testing.assert_allclose(y, want_y, rtol=2 * np.finfo(dtype).eps, atol=0, equal_nan=True)
    np.testing.assert_array_equal(y, np.where(x <= 0, x * noise, x))
    np.testing.assert_array_equal(_run(act.rrelu_backward, g, noise, num_threads=num_threads),
                                  ref.rrelu_backward(g, noise))


def test_uniform_stream_statistics():
    u = ref.uniform(7, np.arange(200000, dtype=np.uint64))
    assert u.min() >= 0 and u.max() < 1
    assert abs(u.mean() - 0.5) < 0.005 and abs(u.var() - 1 / 12) < 0.002
    hist = np.histogram(u, bins=20, range=(0, 1))[0]
    assert hist.min() > 0.95 * 10000 and hist.max() < 1.05 * 10000
    assert not np.array_equal(ref.uniform(8, np.arange(10)), ref.uniform(7, np.arange(1, 11)))


# ***** thread-count determinism and ISA agreement *****

def test_thread_count_determinism(isa, dtype):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((4, 3, 100, 100)).astype(dtype)
    g = rng.standard_normal(x.shape).astype(dtype)
    w = np.array([0.1, 0.2, 0.3], dtype=dtype)
    results = []
    for nt in (1, 2, 3):
        y, noise = _run(act.rrelu_forward, x.reshape(-1), out_count=2, args=(0.1, 0.3, 5, 17), num_threads=nt)
        dx, dw, dw1 = np.empty(x.size, dtype), np.empty(3, dtype), np.empty(1, dtype)
        act.prelu_backward(g.reshape(-1), x.reshape(-1), w, dx, dw, 3, 10000, True, nt)
        act.prelu_backward(g.reshape(-1), x.reshape(-1), w[:1], dx, dw1, 1, x.size, False, nt)
        sig = _run(act.sigmoid_forward, x.reshape(-1), num_threads=nt)
        results.append((y, noise, dx, dw, dw1, sig))
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_array_equal(a, b)


@pytest.mark.skipif(len(ISAS) < 2, reason="no AVX2 on this CPU")
def test_isa_paths_agree(dtype):
    x = _inputs(50000, dtype)
    out = {}
    for name in ISAS:
        act.set_isa(name)
        out[name] = [_run(act.sigmoid_forward, x), _run(act.tanh_forward, x),
                     _run(act.rrelu_forward, x, out_count=2, args=(0.1, 0.3, 1, 0))[1]]
    act.set_isa(ISAS[-1])
    for a, b in zip(out["baseline"], out["avx2"]):   # FMA contraction may move the last bit
        np.testing.assert_allclose(a, b, rtol=4 * np.finfo(dtype).eps, atol=0, equal_nan=True)


def test_set_isa_rejects_unknown():
    with pytest.raises(ValueError, match="set_isa"):
        act.set_isa("avx512")


# ***** streaming (non-temporal) stores for large outputs: the same bits *****

def _kernel_outputs(x, g, w, offset, num_threads):
    """Every kernel with a streaming loop, writing at `offset` elements into fresh buffers
    (offset 1: a 4-byte aligned output, which must fall back to regular stores)."""
    n = x.size

    def buf():
        return np.empty(n + offset, x.dtype)[offset:]
    res = {}
    y = buf()
    act.relu_forward(x, y, num_threads)
    res["relu"] = y
    y = buf()
    act.leaky_relu_forward(x, y, -0.3, num_threads)
    res["leaky"] = y
    y = buf()
    act.prelu_forward(x, w, y, 1, n, num_threads)
    res["prelu"] = y
    d = buf()
    act.relu_backward(g, res["relu"], d, num_threads)
    res["relu_bwd"] = d
    d = buf()
    act.leaky_relu_backward(g, x, d, 0.2, num_threads)
    res["leaky_bwd"] = d
    d, dw = buf(), np.empty(1, x.dtype)
    act.prelu_backward(g, x, w, d, dw, 1, n, True, num_threads)
    res["prelu_bwd"], res["prelu_dw"] = d, dw
    dw2 = np.empty(1, x.dtype)
    act.prelu_backward(g, x, w, d, dw2, 1, n, False, num_threads)
    res["prelu_dw_only"] = dw2
    inplace = x.copy()
    act.leaky_relu_forward(inplace, inplace, 0.1, num_threads)
    res["leaky_inplace"] = inplace
    return res


@pytest.mark.parametrize("n", [5, 16384 * 3 + 13])
def test_streaming_stores_match_regular_loops(n, isa, dtype, num_threads):
    """The streaming loops (forced here on small arrays) give the regular loops' results bit for
    bit: aligned and misaligned outputs, block tails, in place; and the references."""
    x = _inputs(n, dtype)
    x[::11] = -0.0
    g = _inputs(n, dtype, seed=7)
    w = np.array([0.25], dtype)
    want = _kernel_outputs(x, g, w, 0, num_threads)
    prev = act.set_stream_min_bytes(0)
    try:
        for offset in (0, 1):
            got = _kernel_outputs(x, g, w, offset, num_threads)
            for k in want:
                assert got[k].tobytes() == want[k].tobytes(), f"{k} offset {offset}"
    finally:
        act.set_stream_min_bytes(prev)
    np.testing.assert_array_equal(want["leaky"], ref.leaky_relu_forward(x, -0.3))
    np.testing.assert_array_equal(want["relu_bwd"], ref.relu_backward(g, want["relu"]))
    want_dx, want_dw = ref.prelu_backward(g, x, w, 1, n)
    np.testing.assert_array_equal(want["prelu_bwd"], want_dx)
    np.testing.assert_allclose(want["prelu_dw"], want_dw, rtol=1e-6 if dtype == np.float32 else 1e-12)


def test_set_stream_min_bytes():
    prev = act.set_stream_min_bytes(123)
    assert act.set_stream_min_bytes(prev) == 123
    assert prev == act.STREAM_MIN_BYTES == 16 << 20
    with pytest.raises(ValueError, match="nbytes must be >= 0"):
        act.set_stream_min_bytes(-1)
