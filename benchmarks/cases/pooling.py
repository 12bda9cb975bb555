"""Pooling benchmark cases on (64, 32, 56, 56) float32 (BENCHMARKS.md): MaxPool2d(2,2),
MaxPool2d(3,2,1), AvgPool2d(3,2,1,count_include_pad=False), MaxPool2d(2,2,return_indices) +
MaxUnpool2d; forward (no grad: max pool skips its indices) and forward+backward; minigrad vs
the plain NumPy expression vs torch CPU (NCHW, plus channels_last for k2s2 forward).

`python -m benchmarks.cases.pooling [--quick]` prints the table for t1 and t2.
"""
import sys

import numpy as np

import minigrad
import minigrad.nn as mnn
from benchmarks.common import Case, copy_of, run_case, set_threads, torch

SHAPE = (64, 32, 56, 56)
QUICK_SHAPE = (2, 3, 12, 10)


# ***** NumPy reference expressions (values only; what a NumPy user would write) *****
def np_max_k2s2(x):
    N, C, H, W = x.shape
    return x[..., :H // 2 * 2, :W // 2 * 2].reshape(N, C, H // 2, 2, W // 2, 2).max(axis=(3, 5))


def _taps(xp, k, s, OH, OW):
    return [xp[..., i:i + s * OH:s, j:j + s * OW:s] for i in range(k) for j in range(k)]


def np_max_k3s2p1(x):
    OH, OW = (x.shape[2] - 1) // 2 + 1, (x.shape[3] - 1) // 2 + 1
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=-np.inf)
    return np.maximum.reduce(_taps(xp, 3, 2, OH, OW))


def np_avg_k3s2p1_nopad(x):
    OH, OW = (x.shape[2] - 1) // 2 + 1, (x.shape[3] - 1) // 2 + 1
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    ones = np.pad(np.ones(x.shape[2:], x.dtype), 1)
    return np.add.reduce(_taps(xp, 3, 2, OH, OW)) / np.add.reduce(_taps(ones, 3, 2, OH, OW))


def np_unpool(vals, idx, H, W):
    N, C = vals.shape[:2]
    out = np.zeros((N, C, H * W), vals.dtype)
    np.put_along_axis(out, idx.reshape(N, C, -1), vals.reshape(N, C, -1), axis=2)
    return out.reshape(N, C, H, W)


def np_max_grad(idx, H, W):
    """d sum(max_pool(x)) / dx: how many windows picked each element (np.bincount per plane)."""
    P = int(np.prod(idx.shape[:-2]))
    flat = idx.reshape(P, -1) + (np.arange(P) * H * W)[:, None]
    return np.bincount(flat.ravel(), minlength=P * H * W).reshape(idx.shape[:-2] + (H, W)).astype(np.float32)


def np_avg_k3s2p1_nopad_grad(x):
    """d sum(avg_pool(x, 3, 2, 1, count_include_pad=False)) / dx, scattered through padded taps."""
    H, W = x.shape[2:]
    OH, OW = (H - 1) // 2 + 1, (W - 1) // 2 + 1
    ones = np.pad(np.ones((H, W), np.float32), 1)
    inv = 1 / np.add.reduce(_taps(ones, 3, 2, OH, OW))
    gp = np.zeros((H + 2, W + 2), np.float32)
    for i in range(3):
        for j in range(3):
            gp[i:i + 2 * OH:2, j:j + 2 * OW:2] += inv
    return np.broadcast_to(gp[1:-1, 1:-1], x.shape)


# ***** NumPy twins of forward + backward (cotangent of ones, as the minigrad and torch runs) *****
def _out_size(L, k, s, p):
    return (L + 2 * p - k) // s + 1


def _np_max_taps(x, k, s, p):
    """-> (out, tap): the window max and which of its k*k taps (row-major, first wins) held it."""
    OH, OW = _out_size(x.shape[2], k, s, p), _out_size(x.shape[3], k, s, p)
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
    taps = np.stack(_taps(xp, k, s, OH, OW))
    tap = taps.argmax(0)
    return np.take_along_axis(taps, tap[None], 0)[0], tap


def _np_tap_scatter(grad_of_tap, x_shape, k, s, p, OH, OW):
    """The adjoint of _taps: tap t's gradient grad_of_tap(t) is added back onto the input pixel it read."""
    N, C, H, W = x_shape
    gp = np.zeros((N, C, H + 2 * p, W + 2 * p), np.float32)
    for t in range(k * k):
        i, j = divmod(t, k)
        gp[..., i:i + s * OH:s, j:j + s * OW:s] += grad_of_tap(t)
    return gp[..., p:p + H, p:p + W]


def np_max_fwd_bwd(x, k, s, p):
    out, tap = _np_max_taps(x, k, s, p)
    g = np.ones_like(out)
    return _np_tap_scatter(lambda t: np.where(tap == t, g, 0), x.shape, k, s, p, *out.shape[2:])


def np_avg_k3s2p1_nopad_fwd_bwd(x):
    out = np_avg_k3s2p1_nopad(x)
    OH, OW = out.shape[2:]
    inv = 1 / np.add.reduce(_taps(np.pad(np.ones(x.shape[2:], x.dtype), 1), 3, 2, OH, OW))
    g = np.ones_like(out)
    return _np_tap_scatter(lambda t: g * inv, x.shape, 3, 2, 1, OH, OW)


def np_unpool_fwd_bwd(vals, idx, H, W):
    g = np.ones_like(np_unpool(vals, idx, H, W))
    N, C = vals.shape[:2]
    return np.take_along_axis(g.reshape(N, C, -1), idx.reshape(N, C, -1), axis=2).reshape(vals.shape)


def np_pool_unpool_k2s2_fwd_bwd(x):
    N, C, H, W = x.shape
    out, tap = _np_max_taps(x, 2, 2, 0)
    OH, OW = out.shape[2:]
    rows = 2 * np.arange(OH)[:, None] + tap // 2
    idx = rows * W + 2 * np.arange(OW) + tap % 2
    g_out = np_unpool_fwd_bwd(out, idx, H, W)
    return _np_tap_scatter(lambda t: np.where(tap == t, g_out, 0), x.shape, 2, 2, 0, OH, OW)


def _close(got, want, rtol=1e-6, atol=1e-6):
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=rtol, atol=atol)


def _agree(want, *got, rtol=1e-6, atol=1e-6):
    """minigrad and the NumPy twin both match the reference."""
    for g in got:
        _close(g, want, rtol, atol)


def cases(quick=False):
    shape = QUICK_SHAPE if quick else SHAPE
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal(shape).astype(np.float32)
    x_mg = minigrad.tensor(x_np)
    x_mg_g = minigrad.tensor(x_np, requires_grad=True)
    t = torch is not None
    if t:
        x_t = torch.from_numpy(x_np)
        x_tg = x_t.clone().requires_grad_(True)
        x_cl = x_t.contiguous(memory_format=torch.channels_last)
        x_clg = x_cl.clone().requires_grad_(True)
        TF = torch.nn.functional

    def fwd_bwd_mg(layer):
        def run():
            x_mg_g.grad = None
            out = layer(x_mg_g)
            out = out[0] if isinstance(out, tuple) else out
            out.backward(minigrad.Tensor._wrap(np.ones(out.shape, np.float32)))
            return x_mg_g.grad
        return run

    def fwd_bwd_t(fn, x):
        def run():
            x.grad = None
            out = fn(x)
            out.backward(torch.ones_like(out))
            return x.grad
        return run

    def no_grad_fwd(layer):
        def run():
            with minigrad.no_grad():
                return layer(x_mg)
        return run

    def _idx(x, k, s, p):
        with minigrad.no_grad():
            return mnn.MaxPool2d(k, s, p, return_indices=True)(minigrad.tensor(x))[1].numpy()

    out = []
    # MaxPool2d(2,2)
    mp2 = mnn.MaxPool2d(2, 2)
    out.append(Case("pooling", "MaxPool2d(2,2) fwd", no_grad_fwd(mp2), lambda: np_max_k2s2(x_np),
                    (lambda: TF.max_pool2d(x_t, 2, 2)) if t else None,
                    check=lambda: _close(no_grad_fwd(mp2)().numpy(), np_max_k2s2(x_np)),
                    bytes=x_np.nbytes * 1.25,
                    # the copy floor: a plain copy moving the same bytes (input read + output written)
                    anchors={"copy": copy_of(x_np.nbytes * 1.25)}))
    out.append(Case("pooling", "MaxPool2d(2,2) fwd vs torch channels_last", no_grad_fwd(mp2), None,
                    (lambda: TF.max_pool2d(x_cl, 2, 2)) if t else None,
                    check=lambda: _close(no_grad_fwd(mp2)().numpy(), np_max_k2s2(x_np)),
                    no_numpy_twin="a torch memory-layout comparison; the NCHW row above has the NumPy twin"))
    out.append(Case("pooling", "MaxPool2d(2,2) fwd+bwd", fwd_bwd_mg(mp2), lambda: np_max_fwd_bwd(x_np, 2, 2, 0),
                    fwd_bwd_t(lambda x: TF.max_pool2d(x, 2, 2), x_tg) if t else None,
                    check=lambda: _agree(np_max_grad(_idx(x_np, 2, 2, 0), *shape[2:]), fwd_bwd_mg(mp2)().numpy(),
                                         np_max_fwd_bwd(x_np, 2, 2, 0))))
    # MaxPool2d(3,2,1)
    mp3 = mnn.MaxPool2d(3, 2, 1)
    out.append(Case("pooling", "MaxPool2d(3,2,1) fwd", no_grad_fwd(mp3), lambda: np_max_k3s2p1(x_np),
                    (lambda: TF.max_pool2d(x_t, 3, 2, 1)) if t else None,
                    check=lambda: _close(no_grad_fwd(mp3)().numpy(), np_max_k3s2p1(x_np))))
    out.append(Case("pooling", "MaxPool2d(3,2,1) fwd+bwd", fwd_bwd_mg(mp3), lambda: np_max_fwd_bwd(x_np, 3, 2, 1),
                    fwd_bwd_t(lambda x: TF.max_pool2d(x, 3, 2, 1), x_tg) if t else None,
                    check=lambda: _agree(np_max_grad(_idx(x_np, 3, 2, 1), *shape[2:]), fwd_bwd_mg(mp3)().numpy(),
                                         np_max_fwd_bwd(x_np, 3, 2, 1))))
    # AvgPool2d(3,2,1,count_include_pad=False)
    ap = mnn.AvgPool2d(3, 2, 1, count_include_pad=False)
    out.append(Case("pooling", "AvgPool2d(3,2,1,cip=False) fwd", no_grad_fwd(ap), lambda: np_avg_k3s2p1_nopad(x_np),
                    (lambda: TF.avg_pool2d(x_t, 3, 2, 1, count_include_pad=False)) if t else None,
                    check=lambda: _close(no_grad_fwd(ap)().numpy(), np_avg_k3s2p1_nopad(x_np), 1e-5)))
    avg_t = (lambda x: TF.avg_pool2d(x, 3, 2, 1, count_include_pad=False))
    out.append(Case("pooling", "AvgPool2d(3,2,1,cip=False) fwd+bwd", fwd_bwd_mg(ap),
                    lambda: np_avg_k3s2p1_nopad_fwd_bwd(x_np), fwd_bwd_t(avg_t, x_tg) if t else None,
                    check=lambda: _agree(np_avg_k3s2p1_nopad_grad(x_np), fwd_bwd_mg(ap)().numpy(),
                                         np_avg_k3s2p1_nopad_fwd_bwd(x_np), rtol=1e-5)))
    # MaxPool2d(2,2,return_indices) + MaxUnpool2d(2,2): 28 -> 56
    mpi, unp = mnn.MaxPool2d(2, 2, return_indices=True), mnn.MaxUnpool2d(2, 2)
    with minigrad.no_grad():
        v_mg, i_mg = mpi(x_mg)
    v_np, i_np = v_mg.numpy(), i_mg.numpy()
    v_mg_g = minigrad.tensor(v_np, requires_grad=True)
    H, W = shape[2], shape[3]
    out.append(Case("pooling", "MaxUnpool2d(2,2) fwd", lambda: unp(v_mg, i_mg), lambda: np_unpool(v_np, i_np, H, W),
                    (lambda: TF.max_unpool2d(torch.from_numpy(v_np), torch.from_numpy(i_np), 2)) if t else None,
                    check=lambda: _close(unp(v_mg, i_mg).numpy(), np_unpool(v_np, i_np, H, W), 0, 0)))

    def unpool_fb():
        v_mg_g.grad = None
        o = unp(v_mg_g, i_mg)
        o.backward(minigrad.Tensor._wrap(np.ones(o.shape, np.float32)))
        return v_mg_g.grad
    if t:
        v_tg = torch.from_numpy(v_np).clone().requires_grad_(True)
        i_t = torch.from_numpy(i_np)
    out.append(Case("pooling", "MaxUnpool2d(2,2) fwd+bwd", unpool_fb, lambda: np_unpool_fwd_bwd(v_np, i_np, H, W),
                    fwd_bwd_t(lambda v: TF.max_unpool2d(v, i_t, 2), v_tg) if t else None,
                    check=lambda: _agree(np.ones_like(v_np), unpool_fb().numpy(), np_unpool_fwd_bwd(v_np, i_np, H, W))))
    out.append(Case("pooling", "MaxPool2d(2,2,ri)+MaxUnpool2d fwd+bwd", fwd_bwd_mg(lambda x: unp(*mpi(x))),
                    lambda: np_pool_unpool_k2s2_fwd_bwd(x_np),
                    fwd_bwd_t(lambda x: TF.max_unpool2d(*TF.max_pool2d(x, 2, 2, return_indices=True), 2), x_tg)
                    if t else None,
                    check=lambda: _agree(np_max_grad(i_np, *shape[2:]), fwd_bwd_mg(lambda x: unp(*mpi(x)))().numpy(),
                                         np_pool_unpool_k2s2_fwd_bwd(x_np))))
    return out


def main(quick=False, repeats=15):
    from minigrad._C import pool
    print(f"pooling on {QUICK_SHAPE if quick else SHAPE} float32; fast paths: {pool.isa()}")
    print(f"{'case':42s} thr {'minigrad':>9s} {'numpy':>9s} {'torch':>9s} {'x numpy':>8s} {'x torch':>8s}")
    for threads in (1, 2):
        set_threads(threads)
        for c in cases(quick):
            r = run_case(c, repeats=repeats)
            mg = r["minigrad"][0]
            cols = [f"{r[k][0]:9.3f}" if k in r else f"{'-':>9s}" for k in ("minigrad", "numpy", "torch")]
            ratios = [f"{r[k][0] / mg:8.1f}" if k in r else f"{'-':>8s}" for k in ("numpy", "torch")]
            print(f"{c.name:42s} t{threads}  " + " ".join(cols) + " " + " ".join(ratios), flush=True)


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
