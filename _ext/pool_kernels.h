/* Shape-specialised pooling inner loops (fast paths of _ext/pool.pyx), one plane at a time.
 *
 * Each function fills the *interior* rectangle of output positions [oh0,oh1) x [ow0,ow1) of
 * one H x W plane: the windows there lie wholly inside the input, so the loops need no bounds
 * checks and no padding logic, and the compiler turns the loop over `ow` into vector code
 * (stride-2 loads become load + permute). Border outputs are left to the generic loop in
 * pool.pyx, which shares its per-window helper with the generic path.
 *
 * max_bwd_k2s2 is the backward counterpart: it writes the interior rows/cols of a grad plane
 * window by window (k2s2 windows are disjoint), g at the stored index and 0 elsewhere, so the
 * backward needs neither np.zeros nor a scatter. avg_bwd is the average-pool backward of a
 * whole plane written as a gather (any geometry; see its comment in pool_kernels_impl.h).
 *
 * Semantics are torch's cpu_max_pool / cpu_avg_pool exactly: scan the window row-major,
 * take a tap when `v > m || v != v` (ties keep the first maximum, NaN wins and the last NaN's
 * index is kept); average = (row-major sum) / divisor.
 *
 * ISA: no -march flags in the build. Every kernel exists twice, compiled from one body:
 * a baseline build and a `target("avx2,fma")` build; pool.pyx picks one at run time.
 * (KERNELS.md §2: the int64 index select only vectorises with AVX2; the SSE2 baseline is
 * ~10x slower when indices are written.) One body serves float and double through
 * pool_kernels_impl.h, included twice.
 */
#ifndef MINIGRAD_POOL_KERNELS_H
#define MINIGRAD_POOL_KERNELS_H
#include <stdint.h>

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define MG_POOL_HAVE_AVX2_BUILD 1
#define MG_POOL_AVX2 __attribute__((target("avx2,fma")))
#else
#define MG_POOL_HAVE_AVX2_BUILD 0
#define MG_POOL_AVX2
#endif
#define MG_POOL_INLINE static inline __attribute__((always_inline))

#define MG_POOL_CAT2(a, b) a##_##b
#define MG_POOL_CAT(a, b) MG_POOL_CAT2(a, b)
#define MG_FN(name) MG_POOL_CAT(mg_pool_##name, MG_SUF)

#define MG_T float
#define MG_SUF f32
#include "pool_kernels_impl.h"
#undef MG_T
#undef MG_SUF

#define MG_T double
#define MG_SUF f64
#include "pool_kernels_impl.h"
#undef MG_T
#undef MG_SUF

#endif
