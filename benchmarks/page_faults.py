"""Page faults and time per call, with minigrad's caching allocator and without, side by side.

    python -m benchmarks.page_faults [--threads N] [--repeats R] [--rounds K] [--quick]

Cases: the LeNet-28 SGD step (batch 64, benchmarks/cases/training.py), MaxPool2d(2,2) fwd+bwd
on (64,32,56,56) (benchmarks/cases/pooling.py), and the same pool on (128,32,56,56), whose
51 MB input gradient is above glibc's largest mmap threshold (32 MiB), so without a cache
every call maps it afresh. Each round runs every case in two fresh processes, one with
MINIGRAD_CACHING_ALLOCATOR=0 (NumPy's own handler, i.e. glibc malloc) and one with the cache,
one after the other, so drift and other load hit both alike (alternating the handler call by
call inside one process would disturb glibc's adaptive thresholds and flatter the cache).
Faults are the process's minor faults (getrusage ru_minflt) during a call; figures are the
medians over rounds of each process's median over its repeats.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

import minigrad
import minigrad.nn as mnn
from benchmarks.cases.training import cases as training_cases
from benchmarks.common import set_threads

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _minor_faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def pool_fwd_bwd(shape):
    x = minigrad.tensor(np.random.default_rng(0).standard_normal(shape).astype(np.float32), requires_grad=True)
    pool = mnn.MaxPool2d(2, 2)

    def run():
        x.grad = None
        out = pool(x)
        out.backward(minigrad.Tensor._wrap(np.ones(out.shape, np.float32)))
    return run


def cases(quick):
    step, = training_cases(quick=quick)
    small = (2, 3, 12, 10) if quick else (64, 32, 56, 56)
    big = (2, 3, 24, 20) if quick else (128, 32, 56, 56)
    return [(step.name, step.minigrad), (f"MaxPool2d(2,2) fwd+bwd {small}", pool_fwd_bwd(small)),
            (f"MaxPool2d(2,2) fwd+bwd {big}", pool_fwd_bwd(big))]


def measure(fn, repeats, warmup=5):
    """Medians of minor faults, wall ms and CPU ms (all threads) per fn() after `warmup` calls."""
    for _ in range(warmup):
        fn()
    faults, times, cpu = [], [], []
    for _ in range(repeats):
        f0, t0, c0 = _minor_faults(), time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        faults.append(_minor_faults() - f0)
    return statistics.median(faults), statistics.median(times) * 1e3, statistics.median(cpu) * 1e3


def child(args):
    set_threads(args.threads)
    out = {name: measure(fn, args.repeats) for name, fn in cases(args.quick)}
    out["_stats"] = minigrad.memory_stats()
    print(json.dumps(out))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="tiny shapes (a smoke test)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return child(args)
    cmd = [sys.executable, "-m", "benchmarks.page_faults", "--child", "--threads", str(args.threads),
           "--repeats", str(args.repeats)] + (["--quick"] if args.quick else [])
    runs = {"numpy": [], "cache": []}
    for _ in range(args.rounds):
        for mode, env in (("numpy", "0"), ("cache", "1")):
            res = subprocess.run(cmd, env={**os.environ, "MINIGRAD_CACHING_ALLOCATOR": env}, cwd=ROOT,
                                 check=True, capture_output=True, text=True)
            runs[mode].append(json.loads(res.stdout.strip().splitlines()[-1]))
    print(f"threads {args.threads}, {args.rounds} rounds x {args.repeats} repeats; faults = minor page "
          f"faults per call; numpy = MINIGRAD_CACHING_ALLOCATOR=0")
    print(f"{'case':44s} {'faults':>13s} {'wall ms':>15s} {'CPU ms':>15s} {'speed-up':>14s}")
    print(f"{'':44s} {'numpy  cache':>13s} {'numpy   cache':>15s} {'numpy   cache':>15s} {'wall    CPU':>14s}")
    for name in runs["cache"][0]:
        if name == "_stats":
            continue
        fn_, tn, cn = (statistics.median(r[name][k] for r in runs["numpy"]) for k in (0, 1, 2))
        fc, tc, cc = (statistics.median(r[name][k] for r in runs["cache"]) for k in (0, 1, 2))
        print(f"{name:44s} {fn_:6.0f} {fc:6.0f} {tn:7.2f} {tc:7.2f} {cn:7.2f} {cc:7.2f} {tn / tc:6.2f}x "
              f"{cn / cc:6.2f}x")
    s = runs["cache"][-1]["_stats"]
    print(f"cache at the end of a cached run: {s['cached_bytes'] / 2**20:.1f} MiB in {s['cached_blocks']} free "
          f"blocks, {s['hits']} hits, {s['misses']} misses, {s['evictions']} evictions")
    return runs


if __name__ == "__main__":
    main()
