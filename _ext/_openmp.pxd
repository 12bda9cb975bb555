# All OpenMP calls are cimported from here (sklearn's _openmp_helpers pattern).
cdef extern from "minigrad_omp.h":
    int MINIGRAD_OPENMP_ENABLED
    int omp_get_max_threads() noexcept nogil
    int omp_get_thread_num() noexcept nogil
    int minigrad_cpu_has(int which) noexcept nogil
