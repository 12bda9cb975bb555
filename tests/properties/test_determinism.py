"""Determinism: every kernel family is bit-identical at 1 and 2 threads on sizes above its
threading threshold (minigrad/_parallel.py, ops/conv.py); a short training run is bit-identical
at 1 vs 2 threads and twice with one seed; two Python threads training two models at once get
exactly the numbers each gets alone."""
import threading

import numpy as np
import pytest
from hypothesis import given, strategies as st

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad import optim
from minigrad._C import im2col as K
from minigrad._parallel import ELEMENTWISE_THRESHOLD, OPENMP
from minigrad.ops.conv import _IM2COL_THRESHOLD

pytestmark = pytest.mark.skipif(not OPENMP, reason="a build without OpenMP always runs one thread")


def _bits(arrays):
    """Arrays as raw bytes, so -0.0 vs 0.0 and NaN payloads count as differences."""
    return [np.ascontiguousarray(a).view(np.uint8).tobytes() for a in arrays]


def _at_threads(n, fn):
    minigrad.set_num_threads(n)
    return fn()


def _assert_thread_count_invariant(fn):
    one, two = _at_threads(1, fn), _at_threads(2, fn)
    assert len(one) == len(two)
    for i, (a, b) in enumerate(zip(_bits(one), _bits(two))):
        assert a == b, f"output {i} differs between 1 and 2 threads"


def _forward_backward(fn, *arrays, dtype=np.float32, seed=0):
    """fn(*tensors) and the gradient of every input under a fixed cotangent, as arrays."""
    def run():
        ts = [minigrad.tensor(a.copy(), requires_grad=a.dtype.kind == "f") for a in arrays]
        out = fn(*ts)
        out = out if isinstance(out, tuple) else (out,)
        c = np.random.default_rng(seed).uniform(0.5, 1.5, size=out[0].shape).astype(dtype)
        (out[0] * minigrad.tensor(c)).sum().backward()
        return [o.detach().numpy() for o in out] + [t.grad.numpy() for t in ts if t.requires_grad]
    return run


BIG = 2 * ELEMENTWISE_THRESHOLD


def _x(shape, dtype, seed=1, ties=False):
    rng = np.random.default_rng(seed)
    if ties:
        return rng.integers(-3, 4, size=shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


POOL_CASES = {
    "max_pool2d": lambda x: F.max_pool2d(x, 3, 2, 1, dilation=1, ceil_mode=True, return_indices=True),
    "max_pool2d_dilated": lambda x: F.max_pool2d(x, 3, 1, 1, dilation=2),
    "avg_pool2d": lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
    "avg_pool2d_divisor": lambda x: F.avg_pool2d(x, 2, 1, divisor_override=3),
}


@pytest.mark.parametrize("case", sorted(POOL_CASES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pooling(case, dtype):
    x = _x((4, 8, 48, 48), dtype, ties=True)           # 73728 elements > ELEMENTWISE_THRESHOLD
    assert x.size > ELEMENTWISE_THRESHOLD
    _assert_thread_count_invariant(_forward_backward(POOL_CASES[case], x, dtype=dtype))


def test_max_unpool2d_with_duplicate_indices():
    """Duplicates are scattered serially per plane: the last writer wins whatever the thread count."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 8, 48, 48)).astype(np.float32)
    idx = rng.integers(0, 96 * 96 // 8, size=x.shape).astype(np.int64)    # many duplicates per plane
    fn = lambda v, i: F.max_unpool2d(v, i, 2, output_size=(96, 96))
    _assert_thread_count_invariant(_forward_backward(fn, x, idx))


ACTS = {
    "relu": F.relu, "sigmoid": F.sigmoid, "tanh": F.tanh,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.2),
    "rrelu_eval": lambda x: F.rrelu(x),
    "prelu": lambda x, w: F.prelu(x, w),
}


@pytest.mark.parametrize("name", sorted(ACTS) + ["rrelu_train"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activations(name, dtype):
    x = _x((8, 4, 64, 64), dtype)
    if name == "prelu":            # the weight gradient is a reduction over 32k elements per channel
        run = _forward_backward(ACTS[name], x, np.array([0.1, 0.2, -0.3, 0.5], dtype), dtype=dtype)
    elif name == "rrelu_train":    # the counter-based stream: same seed, same slopes at any thread count
        def run():
            minigrad.manual_seed(7)
            return _forward_backward(lambda v: F.rrelu(v, training=True), x, dtype=dtype)()
    else:
        run = _forward_backward(ACTS[name], x, dtype=dtype)
    _assert_thread_count_invariant(run)


@pytest.mark.parametrize("shapes", [((300, 257), (257, 190)), ((3, 70, 129), (129, 65)), ((2, 1, 64, 96), (5, 96, 33))],
                         ids=["2d", "batch-folded", "broadcast-batch"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matmul(shapes, dtype):
    a, b = _x(shapes[0], dtype), _x(shapes[1], dtype, seed=2)
    _assert_thread_count_invariant(_forward_backward(minigrad.matmul, a, b, dtype=dtype))
    # the transposed (NT / TN) views the backward uses, as inputs
    _assert_thread_count_invariant(_forward_backward(lambda p, q: p.transpose(-1, -2) @ q, a.swapaxes(-1, -2).copy(), b,
                                                     dtype=dtype))


CONV_CASES = [dict(stride=1, padding=1), dict(stride=2, padding=(2, 1), dilation=2),
              dict(padding="same", groups=2), dict(stride=(1, 3), padding="valid", groups=4)]


@pytest.mark.parametrize("args", CONV_CASES, ids=lambda a: "-".join(f"{k}{v}" for k, v in a.items()))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv2d(args, dtype):
    x, w, b = _x((8, 8, 24, 24), dtype), _x((8, 8 // args.get("groups", 1), 3, 3), dtype, 2), _x((8,), dtype, 3)
    assert x.size * 9 > _IM2COL_THRESHOLD
    _assert_thread_count_invariant(_forward_backward(lambda *t: F.conv2d(*t, **args), x, w, b, dtype=dtype))


@given(n=st.integers(1, 40), c=st.integers(1, 4), hw=st.integers(4, 20), k=st.integers(1, 4),
       s=st.integers(1, 3), p=st.integers(0, 2), d=st.integers(1, 2), seed=st.integers(0, 2**32 - 1))
def test_im2col_col2im_any_geometry(n, c, hw, k, s, p, d, seed):
    """The raw kernels, across the threading threshold (sizes from ~100 to ~1M column entries)."""
    OH = (hw + 2 * p - d * (k - 1) - 1) // s + 1
    if OH < 1:
        return
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, hw, hw)).astype(np.float32)
    g = rng.standard_normal((c * k * k, n, OH, OH)).astype(np.float32)
    outs = []
    for threads in (1, 2):
        cols, gx = np.empty_like(g), np.empty_like(x)
        K.im2col(x, cols, k, k, s, s, p, p, d, d, threads)
        K.col2im(g, gx, k, k, s, s, p, p, d, d, threads)
        outs.append(_bits([cols, gx]))
    assert outs[0] == outs[1]


@pytest.mark.parametrize("name,args", [("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-2)),
                                       ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.5)),
                                       ("Adam", dict(lr=1e-2, amsgrad=True, weight_decay=1e-2)),
                                       ("AdamW", dict(lr=1e-2, maximize=True))])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_optimizer_updates(name, args, dtype):
    p0, grads = _x((BIG + 3,), dtype), [_x((BIG + 3,), dtype, seed=s) for s in range(2, 5)]

    def run():
        p = nn.Parameter(minigrad.tensor(p0.copy()))
        opt = getattr(optim, name)([p], **args)
        for g in grads:
            p.grad = minigrad.tensor(g)
            opt.step()
        return [p.detach().numpy()] + [v for v in opt.state[p].values() if isinstance(v, np.ndarray)]
    _assert_thread_count_invariant(run)


# ***** whole training runs *****

def _make(seed):
    """A small conv net and its data, all drawn from `seed` (the global RNG is per process, as in
    torch: build everything before starting threads)."""
    minigrad.manual_seed(seed)
    model = nn.Sequential(
        nn.Conv2d(1, 6, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 8, 3, padding="same", groups=2), nn.Tanh(), nn.AvgPool2d(2, ceil_mode=True),
        nn.Conv2d(8, 8, 3), nn.LeakyReLU(0.1), nn.Flatten(), nn.Linear(8 * 5 * 5, 10), nn.Sigmoid())
    rng = np.random.default_rng(seed)
    x = minigrad.tensor(rng.standard_normal((48, 1, 28, 28)).astype(np.float32))   # conv1 out: 226k elements
    y = minigrad.tensor(rng.integers(0, 10, size=48))
    return model, x, y


def _train(model, x, y, steps=20):
    """SGD with Nesterov momentum on the convolutions, Adam on the head; returns every loss, the
    no_grad evaluations in between, and the final parameters."""
    convs = [p for m in model if isinstance(m, nn.Conv2d) for p in m.parameters()]
    head = list(model[-2].parameters())
    opts = [optim.SGD(convs, lr=0.05, momentum=0.9, nesterov=True), optim.Adam(head, lr=1e-2, amsgrad=True)]
    losses = []
    for step in range(steps):
        for o in opts:
            o.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        for o in opts:
            o.step()
        losses.append(loss.item())
        if step % 5 == 4:
            with minigrad.no_grad():          # grad mode is per thread: the other trainer keeps its graph
                losses.append(F.cross_entropy(model(x[:8]), y[:8]).item())
    return np.array(losses), [p.detach().numpy().copy() for p in model.parameters()]


def _assert_same_run(a, b, what):
    assert _bits([a[0]]) == _bits([b[0]]), f"{what}: losses differ: {a[0]} vs {b[0]}"
    assert _bits(a[1]) == _bits(b[1]), f"{what}: final parameters differ"


def test_training_run_is_bit_identical_across_threads_and_reruns():
    runs = {}
    for threads in (1, 2, 2):
        minigrad.set_num_threads(threads)
        runs.setdefault(threads, []).append(_train(*_make(0)))
    losses = runs[1][0][0]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0], "the run must actually train"
    _assert_same_run(runs[1][0], runs[2][0], "1 vs 2 threads")
    _assert_same_run(runs[2][0], runs[2][1], "same seed twice")


@pytest.mark.parametrize("threads", [1, 2])
def test_two_python_threads_train_two_models_as_each_alone(threads):
    minigrad.set_num_threads(threads)
    alone = [_train(*_make(seed)) for seed in (1, 2)]
    made = [_make(seed) for seed in (1, 2)]          # all RNG use happens here, before the threads
    together = [None, None]
    errors = []
    barrier = threading.Barrier(2)

    def worker(i):
        try:
            barrier.wait()
            together[i] = _train(*made[i])
        except BaseException as e:          # surfaced below; a thread's exception is otherwise lost
            errors.append(e)
    workers = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors, errors
    for i in range(2):
        _assert_same_run(alone[i], together[i], f"model {i + 1} trained alongside the other")
    assert minigrad.is_grad_enabled()
