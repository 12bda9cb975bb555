"""Layer benchmark cases (float32, BENCHMARKS.md): Linear 64×784→256, Conv2d 64×1×28×28→16 and
64×16×14×14→32 (LeNet's convs, 5×5, padding 2), Conv2d 32×32×16×16→64 (3×3, padding 1); forward
(no grad) and forward+backward (input, weight and bias grads); minigrad vs
its NumPy twin (the expression a NumPy user would write, backward by hand) vs torch CPU with the
same parameters, interleaved in one process. The NumPy twin is also the reference minigrad is
checked against, so the check does not need torch.

`python -m benchmarks.cases.conv [--quick]` prints the table for t1 and t2.
"""
import sys

# First: benchmarks.common bounds OpenBLAS's and GOMP's spin-waits through environment variables,
# which the libraries read only when they load (KERNELS.md, "two thread pools").
from benchmarks.common import Case, run_case, set_threads, torch  # noqa: I001

import numpy as np  # noqa: E402

import minigrad  # noqa: E402
import minigrad.nn as mnn  # noqa: E402


# ***** NumPy twins: forward, and forward + backward returning (grad_x, grad_w, grad_b) *****
def np_linear(x, w, b):
    return x @ w.T + b


def np_linear_fwd_bwd(x, w, b, g):
    np_linear(x, w, b)                                             # the forward, as training runs it
    return g @ w, g.T @ x, g.sum(0)


def _np_im2col(x, kh, kw, pad):
    """(N, C, H, W) -> (N*OH*OW, C*kh*kw) rows of stride-1 windows of the zero-padded input."""
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))   # (N, C, OH, OW, kh, kw)
    N, C, OH, OW = win.shape[:4]
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(N * OH * OW, C * kh * kw), (N, OH, OW)


def np_conv2d(x, w, b, pad):
    cols, (N, OH, OW) = _np_im2col(x, *w.shape[2:], pad)
    out = cols @ w.reshape(w.shape[0], -1).T + b
    return out.reshape(N, OH, OW, -1).transpose(0, 3, 1, 2)


def np_conv2d_fwd_bwd(x, w, b, g, pad):
    O, C, kh, kw = w.shape
    cols, (N, OH, OW) = _np_im2col(x, kh, kw, pad)
    cols @ w.reshape(O, -1).T + b                                  # the forward, as training runs it
    g2 = g.transpose(0, 2, 3, 1).reshape(-1, O)
    gw = (g2.T @ cols).reshape(w.shape)
    gcols = (g2 @ w.reshape(O, -1)).reshape(N, OH, OW, C, kh, kw)
    # col2im: every window tap adds its gradient back onto the padded input pixel it read
    gxp = np.zeros((N, C, OH + kh - 1, OW + kw - 1), x.dtype)
    for i in range(kh):
        for j in range(kw):
            gxp[:, :, i:i + OH, j:j + OW] += gcols[..., i, j].transpose(0, 3, 1, 2)
    return gxp[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]], gw, g2.sum(0)


def _layer_cases(name, make_mg, make_torch, np_fwd, np_fwd_bwd, x_shape, flops):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape).astype(np.float32)
    m = make_mg()
    params = [p.detach().numpy().copy() for p in m.parameters()]       # (weight, bias)
    xm = minigrad.tensor(x, requires_grad=True)
    xm_nograd = minigrad.tensor(x)
    tm = xt = xt_nograd = None
    if torch is not None:
        tm = make_torch()
        with torch.no_grad():
            for p_t, p_m in zip(tm.parameters(), m.parameters()):
                p_t.copy_(torch.from_numpy(p_m.detach().numpy()))
        xt = torch.tensor(x, requires_grad=True)
        xt_nograd = torch.tensor(x)
    g = rng.uniform(0.5, 1.5, size=m(xm_nograd).shape).astype(np.float32)
    gm = minigrad.tensor(g)
    gt = torch.from_numpy(g) if torch is not None else None

    def mg_fwd():
        with minigrad.no_grad():
            return m(xm_nograd)

    def mg_fb():
        xm.grad = None
        for p in m.parameters():
            p.grad = None
        m(xm).backward(gm)

    def t_fwd():
        with torch.no_grad():
            return tm(xt_nograd)

    def t_fb():
        xt.grad = None
        tm.zero_grad(set_to_none=True)
        tm(xt).backward(gt)

    def n_fwd():
        return np_fwd(x, *params)

    def n_fb():
        return np_fwd_bwd(x, *params, g)

    def check_fwd():
        got = mg_fwd().numpy()
        np.testing.assert_allclose(got, n_fwd(), rtol=1e-4, atol=1e-4)
        if torch is not None:
            np.testing.assert_allclose(got, t_fwd().numpy(), rtol=1e-4, atol=1e-4)

    def check_fb():
        mg_fb()
        got = [xm.grad.numpy()] + [p.grad.numpy() for p in m.parameters()]
        for i, (a, want) in enumerate(zip(got, n_fb())):
            np.testing.assert_allclose(a, want, rtol=1e-4, atol=1e-3 if i == 0 else 1e-2, err_msg=f"grad {i} vs NumPy")
        if torch is not None:
            t_fb()
            want = [xt.grad.numpy()] + [p.grad.numpy() for p in tm.parameters()]
            for i, (a, w) in enumerate(zip(got, want)):
                np.testing.assert_allclose(a, w, rtol=1e-4, atol=1e-3 if i == 0 else 1e-2, err_msg=f"grad {i} vs torch")

    has_t = torch is not None
    return [Case("conv", f"{name} fwd", mg_fwd, n_fwd, t_fwd if has_t else None, check_fwd, flops=flops),
            Case("conv", f"{name} fwd+bwd", mg_fb, n_fb, t_fb if has_t else None, check_fb, flops=3 * flops)]


def cases(quick=False):
    n = 4 if quick else 64
    tnn = torch.nn if torch is not None else None
    out = _layer_cases("Linear 64×784→256" if not quick else "Linear 4×784→256",
                       lambda: mnn.Linear(784, 256), lambda: tnn.Linear(784, 256), np_linear, np_linear_fwd_bwd,
                       (n, 784), 2.0 * n * 784 * 256)
    out += _layer_cases(f"Conv2d {n}×1×28×28→16 5×5 p2",
                        lambda: mnn.Conv2d(1, 16, 5, padding=2), lambda: tnn.Conv2d(1, 16, 5, padding=2),
                        lambda x, w, b: np_conv2d(x, w, b, 2), lambda x, w, b, g: np_conv2d_fwd_bwd(x, w, b, g, 2),
                        (n, 1, 28, 28), 2.0 * n * 16 * 28 * 28 * 25)
    # LeNet's second conv and a 3x3 conv with many channels (issue 14's targets)
    out += _layer_cases(f"Conv2d {n}×16×14×14→32 5×5 p2",
                        lambda: mnn.Conv2d(16, 32, 5, padding=2), lambda: tnn.Conv2d(16, 32, 5, padding=2),
                        lambda x, w, b: np_conv2d(x, w, b, 2), lambda x, w, b, g: np_conv2d_fwd_bwd(x, w, b, g, 2),
                        (n, 16, 14, 14), 2.0 * n * 32 * 14 * 14 * 16 * 25)
    m = 2 if quick else 32
    out += _layer_cases(f"Conv2d {m}×32×16×16→64 3×3 p1",
                        lambda: mnn.Conv2d(32, 64, 3, padding=1), lambda: tnn.Conv2d(32, 64, 3, padding=1),
                        lambda x, w, b: np_conv2d(x, w, b, 1), lambda x, w, b, g: np_conv2d_fwd_bwd(x, w, b, g, 1),
                        (m, 32, 16, 16), 2.0 * m * 64 * 16 * 16 * 32 * 9)
    return out


def main(argv):
    quick = "--quick" in argv
    print(f"kernel: {minigrad.config()['kernels']['gemm']}")
    print("| t | case | minigrad ms (min–max) | numpy ms | torch ms (min–max) | × numpy | × torch |")
    print("|---|---|---|---|---|---|---|")
    for threads in (1, 2):
        set_threads(threads)
        for case in cases(quick):
            res = run_case(case, repeats=5 if quick else 41)
            mg, n, t = res["minigrad"], res["numpy"], res.get("torch")
            tt = f"{t[0]:.3f} ({t[1]:.3f}–{t[2]:.3f})" if t else "–"
            ratio = f"{t[0] / mg[0]:.2f}" if t else "–"
            print(f"| {threads} | {case.name} | {mg[0]:.3f} ({mg[1]:.3f}–{mg[2]:.3f}) | {n[0]:.3f} | {tt} | "
                  f"{n[0] / mg[0]:.2f} | {ratio} |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
