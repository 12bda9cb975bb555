"""GEMM benchmark cases (float32): square 128–2048 and the layer shapes 64×784@784×256 and
256×1024@1024×1024; minigrad's GEMM (through minigrad.matmul) vs numpy.matmul (OpenBLAS) vs
torch.matmul, interleaved in one process (benchmarks/common.py). Threads: set_threads(n) gives all
three libraries n threads (threadpoolctl for OpenBLAS).

`python -m benchmarks.cases.gemm [--quick] [--isa baseline] [--threads 1,2]` prints GFLOP/s;
`--threshold` sweeps the size below which the GEMM stays on one thread.
"""
import statistics
import sys
import time

# First: benchmarks.common bounds OpenBLAS's and GOMP's spin-waits through environment variables,
# which the libraries read only when they load (KERNELS.md, "two thread pools").
from benchmarks.common import Case, interleaved, set_threads, torch  # noqa: I001

import numpy as np  # noqa: E402

import minigrad  # noqa: E402

SQUARE = [128, 256, 512, 1024, 2048]
LAYERS = [(64, 784, 256), (256, 1024, 1024)]          # (M, K, N)


def _case(M, K, N):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((M, K)).astype(np.float32)
    b = rng.standard_normal((K, N)).astype(np.float32)
    ta, tb = minigrad.tensor(a), minigrad.tensor(b)
    t = None
    if torch is not None:
        xa, xb = torch.from_numpy(a), torch.from_numpy(b)

        def t():
            return torch.matmul(xa, xb)

    def check():
        got = (ta @ tb).numpy()
        want = a.astype(np.float64) @ b.astype(np.float64)
        err = np.abs(got - want).max() / (np.abs(a).max() * np.abs(b).max() * np.sqrt(K))
        assert err < 1e-6, f"relative error {err:.3g}"

    name = f"{M}³" if M == K == N else f"{M}×{K} @ {K}×{N}"
    # numpy allocates its result, as minigrad.matmul and torch.matmul do (main()'s "kernel only"
    # column is minigrad's GEMM into a preallocated output).
    case = Case("gemm", name, lambda: ta @ tb, lambda: np.matmul(a, b), t, check,
                flops=2.0 * M * N * K, extra={"size": M} if M == K == N else {})
    case.operands = (a, b)     # for main()'s kernel-only column (not in `extra`: that goes to JSON)
    return case


def cases(quick=False):
    sizes = [64, 128] if quick else SQUARE
    shapes = [(n, n, n) for n in sizes] + ([(16, 78, 25)] if quick else LAYERS)
    return [_case(*s) for s in shapes]


def threshold_sweep(sizes=(32, 48, 64, 80, 96, 112, 128, 160), repeats=201):
    """The multiply-add count below which a second thread stops paying: time n³ at 1 thread and
    at 2 threads (forced, threshold 0), interleaved; the GEMM's default is set from this."""
    from minigrad._C import gemm
    print("| n | n³ | t1 µs | t2 µs | t1/t2 |")
    print("|---|---|---|---|---|")
    for n in sizes:
        a = np.random.default_rng(n).standard_normal((n, n)).astype(np.float32)
        c = np.empty((n, n), np.float32)
        kc, mc, nc, default = 384, 192, 4096, 80.0 ** 3
        gemm._set_blocking(np.float32, kc, mc, nc, 0.0)
        try:
            times = {1: [], 2: []}
            for _ in range(repeats):
                for t in (1, 2):
                    t0 = time.perf_counter()
                    gemm.gemm(a, a, c, 1.0, 0.0, t)
                    times[t].append(time.perf_counter() - t0)
        finally:
            gemm._set_blocking(np.float32, kc, mc, nc, default)
        t1, t2 = (statistics.median(times[t]) * 1e6 for t in (1, 2))
        print(f"| {n} | {n ** 3} | {t1:.1f} | {t2:.1f} | {t1 / t2:.2f} |", flush=True)


def main(argv):
    """GFLOP/s table: minigrad.matmul (Tensor @ Tensor), its kernel alone (minigrad._C.gemm into a
    preallocated output: no Tensor/autograd overhead), numpy.matmul (OpenBLAS), torch.matmul;
    interleaved, median of the repeats, after checking minigrad's result."""
    if "--threshold" in argv:
        return threshold_sweep()
    quick = "--quick" in argv
    from minigrad._C import gemm
    if "--isa" in argv:
        gemm.set_isa(argv[argv.index("--isa") + 1])
    print(f"kernel: {minigrad.config()['kernels']['gemm']}")
    print("| t | shape | minigrad.matmul | kernel only | numpy | torch | matmul × numpy | kernel × numpy "
          "| matmul × torch |")
    print("|---|---|---|---|---|---|---|---|---|")
    threads_list = (1, 2)
    if "--threads" in argv:
        threads_list = tuple(int(t) for t in argv[argv.index("--threads") + 1].split(","))
    for threads in threads_list:
        set_threads(threads)
        for case in cases(quick):
            case.check()
            a, b = case.operands
            out = np.empty((a.shape[0], b.shape[1]), np.float32)
            fns = {"minigrad": case.minigrad, "kernel": lambda: gemm.gemm(a, b, out, 1.0, 0.0, threads),
                   "numpy": case.numpy}
            if case.torch is not None:
                fns["torch"] = case.torch
            reps = max(7, min(300, int(4e9 / case.flops)))
            times = interleaved(fns, repeats=reps, warmup=3)
            g = {k: case.flops / statistics.median(v) / 1e9 for k, v in times.items()}
            t = g.get("torch", float("nan"))
            print(f"| {threads} | {case.name} | {g['minigrad']:.1f} | {g['kernel']:.1f} | {g['numpy']:.1f} | "
                  f"{t:.1f} | {g['minigrad'] / g['numpy']:.2f} | {g['kernel'] / g['numpy']:.2f} | "
                  f"{g['minigrad'] / t:.2f} |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
