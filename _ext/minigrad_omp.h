/* The one place minigrad touches the OpenMP runtime. Built without -fopenmp, the stubs
 * below keep every kernel compiling and running serially (Cython's prange is already
 * wrapped in #ifdef _OPENMP). */
#ifndef MINIGRAD_OMP_H
#define MINIGRAD_OMP_H
#ifdef _OPENMP
#include <omp.h>
#define MINIGRAD_OPENMP_ENABLED 1
#else
static inline int omp_get_max_threads(void) { return 1; }
static inline int omp_get_thread_num(void) { return 0; }
static inline int omp_get_num_threads(void) { return 1; }
#define MINIGRAD_OPENMP_ENABLED 0
#endif

/* Run-time ISA detection (GCC/Clang builtins), used to pick per-ISA kernels once at import. */
static inline int minigrad_cpu_has(int which) {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    __builtin_cpu_init();
    switch (which) {
        case 0: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        case 1: return __builtin_cpu_supports("avx512f");
    }
#endif
    (void)which;
    return 0;
}
#endif
