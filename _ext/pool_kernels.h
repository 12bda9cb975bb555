/* Shape-specialised pooling inner loops (fast paths of _ext/pool.pyx), one plane at a time.
 *
 * Each function fills a rectangle of output positions [oh0,oh1) x [ow0,ow1) of one H x W
 * plane whose windows end inside the input: k2s2 and the average kernels take the interior
 * (windows wholly inside), max k3s2p1 also the top row and left column (windows reaching into
 * the padding, through a small edge helper). The loops need no bounds checks, and the
 * compiler turns the loop over `ow` into vector code (stride-2 loads become load + permute).
 * The other outputs are left to the generic loop in pool.pyx.
 *
 * max_bwd_k2s2 is the backward counterpart: it writes the interior rows/cols of a grad plane
 * window by window (k2s2 windows are disjoint), g at the stored index and 0 elsewhere, so the
 * backward needs neither np.zeros nor a scatter. avg_bwd is the average-pool backward of a
 * whole plane written as a gather (any geometry; see its comment in pool_kernels_impl.h).
 *
 * float32 max kernels on AVX2 are hand-written with intrinsics (pool_kernels_avx2.h), which
 * also holds the k3s2p1 max backward as a gather (mg_pool_max_bwd_k3s2p1_gather_f32 below).
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

/* float's max kernels have hand-written AVX2 versions (pool_kernels_avx2.h, defined after
 * the bodies they fall back to; declared here for the float instances to call) */
#if MG_POOL_HAVE_AVX2_BUILD
#define MG_POOL_HAND 1
MG_POOL_AVX2 static void mg_pool_max_k2s2_hand_f32(const float *restrict in, float *restrict out,
        int64_t *restrict idx, int64_t W, int64_t OW, int64_t oh0, int64_t oh1, int64_t ow0,
        int64_t ow1);
MG_POOL_AVX2 static void mg_pool_max_k3s2p1_hand_f32(const float *restrict in, float *restrict out,
        int64_t *restrict idx, int64_t W, int64_t OW, int64_t oh0, int64_t oh1, int64_t ow0,
        int64_t ow1);
MG_POOL_AVX2 static void mg_pool_max_bwd_k2s2_hand_f32(const float *restrict go,
        const int64_t *restrict idx, float *restrict gi, int64_t W, int64_t OW, int64_t oh1,
        int64_t ow1, int stream);
#else
#define MG_POOL_HAND 0
#endif

#define MG_T float
#define MG_SUF f32
#include "pool_kernels_impl.h"
#undef MG_T
#undef MG_SUF
#undef MG_POOL_HAND

#define MG_POOL_HAND 0
#define MG_T double
#define MG_SUF f64
#include "pool_kernels_impl.h"
#undef MG_T
#undef MG_SUF
#undef MG_POOL_HAND

#include "pool_kernels_avx2.h"

/* The k3s2p1 max backward as a gather exists for float32 on AVX2 only (other dtypes/ISAs, and
 * other overlapping geometries, scatter: a scalar gather measured 30x slower than the scatter).
 * pool.pyx asks first; without an AVX2 build the answer is no and the gather is never called. */
static inline int mg_pool_k3s2p1_gather_ok(int isa, int64_t W) {
#if MG_POOL_HAVE_AVX2_BUILD
    return isa == 1 && W >= 3 && W <= MG_HAND_MAX_W;
#else
    (void)isa; (void)W;
    return 0;
#endif
}

static inline void mg_pool_max_bwd_k3s2p1_gather_f32(const float *go, const int64_t *idx,
        float *gi, int64_t W, int64_t OW, int64_t OH, int32_t *code, int64_t y0, int64_t y1) {
#if MG_POOL_HAVE_AVX2_BUILD
    mg_pool_max_bwd_k3s2p1_hand_f32(go, idx, gi, W, OW, OH, code, y0, y1);
#else
    (void)go; (void)idx; (void)gi; (void)W; (void)OW; (void)OH; (void)code; (void)y0; (void)y1;
#endif
}

#endif
