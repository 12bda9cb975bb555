"""Layer benchmark cases (float32, BENCHMARKS.md): Linear 64×784→256 and Conv2d 64×1×28×28→16,
5×5, padding 2; forward (no grad) and forward+backward (input, weight and bias grads); minigrad vs
torch CPU with the same parameters, interleaved in one process.

`python -m benchmarks.cases.conv [--quick]` prints the table for t1 and t2.
"""
import sys

# First: benchmarks.common bounds OpenBLAS's and GOMP's spin-waits through environment variables,
# which the libraries read only when they load (KERNELS.md, "two thread pools").
from benchmarks.common import Case, run_case, set_threads, torch  # noqa: I001

import numpy as np  # noqa: E402

import minigrad  # noqa: E402
import minigrad.nn as mnn  # noqa: E402


def _layer_cases(name, make_mg, make_torch, x_shape, flops):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape).astype(np.float32)
    m = make_mg()
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

    def check_fwd():
        got = mg_fwd().numpy()
        if torch is not None:
            want = t_fwd().numpy()
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)

    def check_fb():
        mg_fb()
        if torch is not None:
            t_fb()
            np.testing.assert_allclose(xm.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-3)
            for p_m, p_t in zip(m.parameters(), tm.parameters()):
                np.testing.assert_allclose(p_m.grad.numpy(), p_t.grad.numpy(), rtol=1e-4, atol=1e-2)

    has_t = torch is not None
    return [Case("conv", f"{name} fwd", mg_fwd, None, t_fwd if has_t else None, check_fwd, flops=flops),
            Case("conv", f"{name} fwd+bwd", mg_fb, None, t_fb if has_t else None, check_fb, flops=3 * flops)]


def cases(quick=False):
    n = 4 if quick else 64
    tnn = torch.nn if torch is not None else None
    out = _layer_cases("Linear 64×784→256" if not quick else "Linear 4×784→256",
                       lambda: mnn.Linear(784, 256), lambda: tnn.Linear(784, 256), (n, 784), 2.0 * n * 784 * 256)
    out += _layer_cases(f"Conv2d {n}×1×28×28→16 5×5 p2",
                        lambda: mnn.Conv2d(1, 16, 5, padding=2), lambda: tnn.Conv2d(1, 16, 5, padding=2),
                        (n, 1, 28, 28), 2.0 * n * 16 * 28 * 28 * 25)
    return out


def main(argv):
    quick = "--quick" in argv
    print(f"kernel: {minigrad.config()['kernels']['gemm']}")
    print("| t | case | minigrad ms (min–max) | torch ms (min–max) | × torch |")
    print("|---|---|---|---|---|")
    for threads in (1, 2):
        set_threads(threads)
        for case in cases(quick):
            res = run_case(case, repeats=5 if quick else 41)
            mg, t = res["minigrad"], res.get("torch")
            tt = f"{t[0]:.3f} ({t[1]:.3f}–{t[2]:.3f})" if t else "–"
            ratio = f"{t[0] / mg[0]:.2f}" if t else "–"
            print(f"| {threads} | {case.name} | {mg[0]:.3f} ({mg[1]:.3f}–{mg[2]:.3f}) | {tt} | {ratio} |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
