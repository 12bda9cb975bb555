"""pytest-benchmark suite: float32 GEMM through minigrad.matmul (square 128–2048 and the layer
shapes), 1 and 2 threads. Run with `pytest benchmarks/bench_gemm.py --benchmark-only`; for the
side-by-side table against numpy/OpenBLAS and torch, `python -m benchmarks.cases.gemm`."""
import pytest

from benchmarks.cases.gemm import cases
from benchmarks.common import set_threads

CASES = cases()


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_gemm(benchmark, case, threads):
    set_threads(threads)
    case.check()
    benchmark.extra_info["gflops"] = case.flops
    benchmark(case.minigrad)
