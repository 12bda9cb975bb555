"""Machine-limit probes for benchmarks/report.py (not used by the framework itself)."""
from cython.parallel cimport prange
from _openmp cimport minigrad_cpu_has

cdef extern from "probe_kernels.h":
    double probe_fma_avx2(long iters) nogil
    double probe_fma_scalar(long iters) nogil


def fma_loop(long iters, int num_threads):
    """Run `iters` rounds of independent FMAs on each of num_threads threads; returns
    (flops performed, isa). 12 chains x 8 float32 lanes x 2 flops per round on AVX2."""
    cdef int t
    cdef int use_avx2 = minigrad_cpu_has(0)
    cdef double sink = 0
    with nogil:
        for t in prange(num_threads, num_threads=num_threads, schedule="static"):
            if use_avx2:
                sink += probe_fma_avx2(iters)
            else:
                sink += probe_fma_scalar(iters)
    per_round = 12 * 8 * 2 if use_avx2 else 8 * 2
    return float(iters) * per_round * num_threads, ("avx2" if use_avx2 else "scalar"), sink
