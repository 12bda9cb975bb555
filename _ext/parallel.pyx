"""What the build and the CPU offer: OpenMP on/off, the runtime's thread count, ISA features."""
from _openmp cimport MINIGRAD_OPENMP_ENABLED, omp_get_max_threads, minigrad_cpu_has


def openmp_enabled():
    """True when the kernels were compiled with OpenMP."""
    return bool(MINIGRAD_OPENMP_ENABLED)


def max_threads():
    """omp_get_max_threads() (1 without OpenMP)."""
    return omp_get_max_threads()


def cpu_features():
    """{'avx2': ..., 'avx512f': ...} as seen by __builtin_cpu_supports (avx2 implies fma here)."""
    return {"avx2": bool(minigrad_cpu_has(0)), "avx512f": bool(minigrad_cpu_has(1))}
