/* Blocked, packed GEMM (GotoBLAS/BLIS structure) for float32 and float64.
 *
 *     C := alpha * op(A) op(B) + beta * C        op(A): M x K, op(B): K x N, C: M x N
 *
 * op(A)(i, p) = A[i*rsa + p*csa] and op(B)(p, j) = B[p*rsb + j*csb]: every operand is read
 * through a (row stride, column stride) pair, so NN, NT and TN (and any strided 2-D view) are
 * one code path and backward never materialises a transpose. C has unit column stride.
 *
 * Structure (KERNELS.md §1), per thread, for the rectangle of MR x NR tiles it owns:
 *   for jc in N step NC:
 *     for pc in K step KC:                     (K split evenly: no thin last block)
 *       for ic in (this thread's rows) step MC: A block packed into MR-tall micro-panels
 *         for each group of 8 NR-wide B panels: pack it (first A block only; later blocks reuse it),
 *           for jr in group: for ir in mc step MR:   (or ir outside jr: mg_gemm_jr_outer = 0)
 *             micro-kernel: an MR x NR register tile, KC rank-1 updates
 * Threads split rows or columns of tiles (whichever balances better) and each packs the A rows and
 * B panels it needs itself: no shared buffers, so no barriers (see mg_*_gemm_part).
 * Packed panels are zero-padded; bottom-edge tiles store fewer rows, right-edge tiles use fewer
 * vectors or go through a temporary tile.
 *
 * Determinism: the KC split depends on K only, each C tile is owned by exactly one thread, and
 * thread ranges are whole MR/NR panels of the same global tiling, so every element sees the same
 * operations in the same order at any thread count (bit-identical at 1 and 2 threads).
 *
 * ISA: micro-kernels are written once with GCC vector extensions (a macro instantiates them per
 * precision and per ISA): an AVX2+FMA version (`target("avx2,fma")`, 4x24 float / 6x8 double)
 * and a portable baseline (16-byte vectors: SSE2 on x86-64, 6x8 float / 6x4 double). The build has
 * no -march flag; mg_gemm_set_isa() picks one at import (minigrad_cpu_has(0)) or on request.
 */
#ifndef MG_GEMM_KERNELS_H
#define MG_GEMM_KERNELS_H

#include <stdlib.h>
#include <string.h>
#include "minigrad_omp.h"

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define MG_HAVE_AVX2_KERNELS 1
#else
#define MG_HAVE_AVX2_KERNELS 0
#endif

#define MG_MIN(a, b) ((a) < (b) ? (a) : (b))
#define MG_CEIL_DIV(a, b) (((a) + (b) - 1) / (b))

/* Problems with fewer multiply-adds than this run on one thread: waking the OpenMP team costs
 * more than it saves (measured: 48³ 0.9x, 80³ 1.1x faster at 2 threads; `python -m
 * benchmarks.cases.gemm --threshold`). */
static double mg_gemm_parallel_min_work = 80.0 * 80.0 * 80.0;
static int mg_gemm_jr_outer = 1;
/* Batched calls run one whole GEMM per thread (parallel over the batch) when each matrix product
 * is below this many multiply-adds, or when there are plenty of them. */
#define MG_GEMM_BATCH_PARALLEL_WORK (256.0 * 256.0 * 256.0)
/* B panels packed together just before their first use (see mg_*_gemm_part). */
#define MG_GEMM_PACK_GROUP 8

/* ------------------------------------------------------------------------------------------------
 * Packing buffers: one per OS thread (thread-local), grown on demand and kept between calls, so a
 * call neither mmaps nor page-faults. Thread-local storage also makes concurrent calls from
 * several Python threads (the kernels run without the GIL) safe: OpenMP workers belong to one
 * team at a time, and the shared B buffer is the calling (master) thread's.
 * A buffer a thread owns lives until the process ends (a few MiB at most per thread). */
typedef struct { void *ptr; size_t cap; } mg_buf;
static __thread mg_buf mg_tls_apack, mg_tls_bpack;

static void *mg_buf_reserve(mg_buf *b, size_t bytes) {
    if (bytes > b->cap) {
        void *p = NULL;
        size_t cap = bytes + bytes / 4 + 4096;      /* headroom: avoid regrowing by a few bytes */
        if (posix_memalign(&p, 64, cap) != 0) return NULL;
        free(b->ptr);
        b->ptr = p;
        b->cap = cap;
    }
    return b->ptr;
}

/* ------------------------------------------------------------------------------------------------
 * Micro-kernel + macro-kernel template.
 *   NAME: prefix; T: element type; VB: vector bytes; MR: rows; NV: vectors per row (NR = NV*VB/sizeof(T));
 *   ATTR: function attributes (the target ISA).
 * The MR x NV accumulator array is fully unrolled, so GCC keeps it in registers (2*MR+... fits
 * the 16 vector registers of SSE2/AVX2: 12 accumulators, NV B vectors, 1 broadcast). 4x24 float
 * (AVX2) was 3-5% faster than 6x16 here: 7 loads per 12 FMAs instead of 8, and 64-row layer
 * shapes tile exactly. */
#define MG_DEFINE_KERNEL(NAME, T, VB, MR_, NV_, ATTR, TRANSPOSE_A, TRANSPOSE_B)                      \
typedef T NAME##_v __attribute__((vector_size(VB), aligned(sizeof(T))));                            \
enum { NAME##_VL = (int)((VB) / sizeof(T)), NAME##_MR = (MR_), NAME##_NR = (NV_) * (int)((VB) / sizeof(T)) }; \
                                                                                                     \
/* nvu (a constant at every call site: the function is always inlined) is how many of the NV     \
 * vectors of each B row are used: right-edge panels narrower than NR compute no dead columns. */     \
ATTR static inline __attribute__((always_inline)) void                                              \
NAME##_micro(long kc, const T *restrict a, const T *restrict b, T alpha, T beta, T *restrict c,     \
             long ldc, long mr, const int nvu) {                                                     \
    NAME##_v acc[MR_][NV_];                                                                          \
    /* Fetch the C tile now so the stores at the end do not stall (its rows may be 4 KiB apart). */  \
    for (int i = 0; i < mr; ++i) {                                                                   \
        __builtin_prefetch(c + i * ldc, 1, 3);                                                       \
        __builtin_prefetch(c + i * ldc + nvu * NAME##_VL - 1, 1, 3);                                 \
    }                                                                                                \
    _Pragma("GCC unroll 16") for (int i = 0; i < (MR_); ++i)                                         \
        _Pragma("GCC unroll 16") for (int v = 0; v < (NV_); ++v) acc[i][v] = (NAME##_v){0};          \
    _Pragma("GCC unroll 4")                                                                          \
    for (long p = 0; p < kc; ++p) {                                                                  \
        NAME##_v bv[NV_];                                                                            \
        _Pragma("GCC unroll 16") for (int v = 0; v < (NV_); ++v)                                     \
            if (v < nvu) bv[v] = *(const NAME##_v *)(b + v * NAME##_VL);                             \
        _Pragma("GCC unroll 16") for (int i = 0; i < (MR_); ++i) {                                   \
            const T ai = a[i];                                                                       \
            _Pragma("GCC unroll 16") for (int v = 0; v < (NV_); ++v)                                 \
                if (v < nvu) acc[i][v] += bv[v] * ai;                                                \
        }                                                                                            \
        a += (MR_);                                                                                  \
        b += NAME##_NR;                                                                              \
    }                                                                                                \
    /* beta == 0: C is not read, so NaN/garbage in an uninitialised C cannot leak in (BLAS rule). */\
    /* Only the first mr rows are real (a bottom edge tile stores fewer rows). */                    \
    if (beta == (T)0) {                                                                              \
        _Pragma("GCC unroll 16") for (int i = 0; i < (MR_); ++i)                                     \
            if (i < mr)                                                                              \
            _Pragma("GCC unroll 16") for (int v = 0; v < (NV_); ++v)                                 \
                if (v < nvu) *(NAME##_v *)(c + i * ldc + v * NAME##_VL) = acc[i][v] * alpha;         \
    } else {                                                                                         \
        _Pragma("GCC unroll 16") for (int i = 0; i < (MR_); ++i)                                     \
            if (i < mr)                                                                              \
            _Pragma("GCC unroll 16") for (int v = 0; v < (NV_); ++v) {                               \
                if (v >= nvu) continue;                                                              \
                NAME##_v *cp = (NAME##_v *)(c + i * ldc + v * NAME##_VL);                            \
                *cp = acc[i][v] * alpha + *cp * beta;                                                \
            }                                                                                        \
    }                                                                                                \
}                                                                                                    \
                                                                                                     \
/* One MR x NR tile (mr x nr of it real). A right edge narrower than NR uses only the vectors it    \
 * needs; one that is not a whole number of vectors goes through a temporary tile. */              \
ATTR static inline __attribute__((always_inline)) void                                              \
NAME##_edge(long kc, const T *a, const T *b, T alpha, T beta, T *c, long ldc, long mr, long nr,     \
            const int nvu) {                                                                         \
    if (nr == nvu * NAME##_VL) {                                                                     \
        NAME##_micro(kc, a, b, alpha, beta, c, ldc, mr, nvu);                                        \
    } else {                                                                                         \
        T tmp[(MR_) * NAME##_NR] __attribute__((aligned(64)));                                       \
        NAME##_micro(kc, a, b, alpha, (T)0, tmp, NAME##_NR, (MR_), nvu);                             \
        for (long i = 0; i < mr; ++i)                                                                \
            for (long j = 0; j < nr; ++j)                                                            \
                c[i * ldc + j] = beta == (T)0 ? tmp[i * NAME##_NR + j]                               \
                                              : tmp[i * NAME##_NR + j] + beta * c[i * ldc + j];     \
    }                                                                                                \
}                                                                                                    \
ATTR static void NAME##_tile(long kc, const T *a, const T *b, T alpha, T beta, T *c, long ldc,     \
                             long mr, long nr) {                                                     \
    if (nr == NAME##_NR) {                                                                           \
        NAME##_micro(kc, a, b, alpha, beta, c, ldc, mr, (NV_));                                      \
        return;                                                                                      \
    }                                                                                                \
    switch ((nr + NAME##_VL - 1) / NAME##_VL) {                                                      \
        case 1: NAME##_edge(kc, a, b, alpha, beta, c, ldc, mr, nr, 1); break;                        \
        case 2: NAME##_edge(kc, a, b, alpha, beta, c, ldc, mr, nr, (NV_) < 2 ? (NV_) : 2); break;    \
        default: NAME##_edge(kc, a, b, alpha, beta, c, ldc, mr, nr, (NV_)); break;                   \
    }                                                                                                \
}                                                                                                    \
                                                                                                     \
ATTR static void NAME##_pack_a(long mc, long kc, const T *A, long rs, long cs, T *Ap) {             \
    for (long ir = 0; ir < mc; ir += (MR_)) {                                                        \
        const long mr = MG_MIN((long)(MR_), mc - ir);                                                \
        const T *s = A + ir * rs;                                                                    \
        T *restrict d = Ap + ir * kc;                                                                \
        if (mr == (MR_) && cs == 1) {          /* rows contiguous (NN, NT): interleave MR rows */   \
            /* TRANSPOSE_A packs a prefix of p with SIMD transposes and returns its length. */       \
            for (long p = TRANSPOSE_A(s, rs, d, kc); p < kc; ++p)                                    \
                _Pragma("GCC unroll 16") for (int i = 0; i < (MR_); ++i) d[p * (MR_) + i] = s[i * rs + p]; \
        } else if (mr == (MR_) && rs == 1) {   /* columns contiguous (TN): MR at a time */          \
            for (long p = 0; p < kc; ++p)                                                            \
                _Pragma("GCC unroll 16") for (int i = 0; i < (MR_); ++i) d[p * (MR_) + i] = s[p * cs + i]; \
        } else {                                                                                     \
            for (long p = 0; p < kc; ++p)                                                            \
                for (int i = 0; i < (MR_); ++i) d[p * (MR_) + i] = i < mr ? s[i * rs + p * cs] : (T)0; \
        }                                                                                            \
    }                                                                                                \
}                                                                                                    \
ATTR static void NAME##_pack_b(long kc, long nc, const T *B, long rs, long cs, T *Bp) {             \
    const long nfull = nc / NAME##_NR;                                                               \
    if (cs == 1) {         /* rows contiguous (NN, TN): read each row of B once, front to back */   \
        for (long p = 0; p < kc; ++p) {                                                              \
            const T *s = B + p * rs;                                                                 \
            T *restrict d = Bp + p * NAME##_NR;                                                      \
            for (long q = 0; q < nfull; ++q)                                                         \
                _Pragma("GCC unroll 4") for (int v = 0; v < (NV_); ++v)                              \
                    *(NAME##_v *)(d + q * kc * NAME##_NR + v * NAME##_VL) =                          \
                        *(const NAME##_v *)(s + q * NAME##_NR + v * NAME##_VL);                      \
        }                                                                                            \
    } else if (rs == 1) {  /* columns contiguous (NT: B = Wᵀ): NR columns at a time */              \
        for (long q = 0; q < nfull; ++q) {                                                           \
            const T *s = B + q * NAME##_NR * cs;                                                     \
            T *restrict d = Bp + q * kc * NAME##_NR;                                                 \
            /* TRANSPOSE_B packs a prefix of p with SIMD transposes and returns its length. */       \
            for (long p = TRANSPOSE_B(s, cs, d, kc); p < kc; ++p)                                    \
                _Pragma("GCC unroll 32") for (int j = 0; j < NAME##_NR; ++j)                         \
                    d[p * NAME##_NR + j] = s[j * cs + p];                                            \
        }                                                                                            \
    } else {                                                                                         \
        for (long q = 0; q < nfull; ++q)                                                             \
            for (long p = 0; p < kc; ++p)                                                            \
                for (int j = 0; j < NAME##_NR; ++j)                                                  \
                    Bp[(q * kc + p) * NAME##_NR + j] = B[p * rs + (q * NAME##_NR + j) * cs];         \
    }                                                                                                \
    if (nfull * NAME##_NR < nc) {   /* a partial last panel, zero-padded */                          \
        const long j0 = nfull * NAME##_NR, nr = nc - j0;                                             \
        T *restrict d = Bp + nfull * kc * NAME##_NR;                                                 \
        memset(d, 0, (size_t)kc * NAME##_NR * sizeof(T));                                            \
        if (rs == 1) {             /* one K-contiguous column at a time */                           \
            for (long j = 0; j < nr; ++j)                                                            \
                for (long p = 0; p < kc; ++p) d[p * NAME##_NR + j] = B[p + (j0 + j) * cs];           \
        } else {                                                                                     \
            for (long p = 0; p < kc; ++p)                                                            \
                for (long j = 0; j < nr; ++j) d[p * NAME##_NR + j] = B[p * rs + (j0 + j) * cs];      \
        }                                                                                            \
    }                                                                                                \
}                                                                                                    \
/* C[0:mc, 0:nc] (+)= alpha * Ap Bp for one packed A block and one packed B block.                \
 * Loop order: jr (B micro-panel, KC x NR, stays in L1) outside ir (A micro-panels streamed from   \
 * the L2-resident A block) when mg_gemm_jr_outer, else the reverse. */                               \
ATTR static void NAME##_macro(long mc, long nc, long kc, T alpha, const T *Ap, const T *Bp, T beta, \
                              T *C, long ldc) {                                                      \
    if (mg_gemm_jr_outer) {                                                                          \
        for (long jr = 0; jr < nc; jr += NAME##_NR)                                                  \
            for (long ir = 0; ir < mc; ir += (MR_))                                                  \
                NAME##_tile(kc, Ap + ir * kc, Bp + jr * kc, alpha, beta, C + ir * ldc + jr, ldc,     \
                            MG_MIN((long)(MR_), mc - ir), MG_MIN((long)NAME##_NR, nc - jr));         \
    } else {                                                                                         \
        for (long ir = 0; ir < mc; ir += (MR_))                                                      \
            for (long jr = 0; jr < nc; jr += NAME##_NR)                                              \
                NAME##_tile(kc, Ap + ir * kc, Bp + jr * kc, alpha, beta, C + ir * ldc + jr, ldc,     \
                            MG_MIN((long)(MR_), mc - ir), MG_MIN((long)NAME##_NR, nc - jr));         \
    }                                                                                                \
}

#define MG_ATTR_BASELINE
#define MG_NO_TRANSPOSE(s, stride, d, kc) 0L
MG_DEFINE_KERNEL(mg_s_base, float, 16, 6, 2, MG_ATTR_BASELINE, MG_NO_TRANSPOSE, MG_NO_TRANSPOSE)    /* 6 x 8  */
MG_DEFINE_KERNEL(mg_d_base, double, 16, 6, 2, MG_ATTR_BASELINE, MG_NO_TRANSPOSE, MG_NO_TRANSPOSE)   /* 6 x 4  */
#if MG_HAVE_AVX2_KERNELS
#include <immintrin.h>
#define MG_ATTR_AVX2 __attribute__((target("avx2,fma")))
#ifndef MG_S_AVX2_MR
#define MG_S_AVX2_MR 4
#define MG_S_AVX2_NR 24
#endif

/* d[k*ds + j] = s[j*ss + k] for an 8 x 8 float block (the classic unpack/shuffle/permute transpose). */
MG_ATTR_AVX2 static inline __attribute__((always_inline)) void
mg_avx2_transpose8x8(const float *s, long ss, float *d, long ds) {
    __m256 r0 = _mm256_loadu_ps(s), r1 = _mm256_loadu_ps(s + ss), r2 = _mm256_loadu_ps(s + 2 * ss),
           r3 = _mm256_loadu_ps(s + 3 * ss), r4 = _mm256_loadu_ps(s + 4 * ss), r5 = _mm256_loadu_ps(s + 5 * ss),
           r6 = _mm256_loadu_ps(s + 6 * ss), r7 = _mm256_loadu_ps(s + 7 * ss);
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1), t2 = _mm256_unpacklo_ps(r2, r3),
           t3 = _mm256_unpackhi_ps(r2, r3), t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5),
           t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE),
           u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE),
           u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE),
           u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    _mm256_storeu_ps(d, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_storeu_ps(d + ds, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_storeu_ps(d + 2 * ds, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_storeu_ps(d + 3 * ds, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_storeu_ps(d + 4 * ds, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_storeu_ps(d + 5 * ds, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_storeu_ps(d + 6 * ds, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_storeu_ps(d + 7 * ds, _mm256_permute2f128_ps(u3, u7, 0x31));
}

/* A float B panel (NR = MG_S_AVX2_NR, a multiple of 8) from NR K-contiguous columns (the NT
 * case), 8 values of p at a time. */
MG_ATTR_AVX2 static inline __attribute__((always_inline)) long
mg_s_avx2_transpose_b(const float *s, long cs, float *d, long kc) {
    long p = 0;
    for (; p + 8 <= kc; p += 8)
        for (int jb = 0; jb < MG_S_AVX2_NR; jb += 8)
            mg_avx2_transpose8x8(s + jb * cs + p, cs, d + p * MG_S_AVX2_NR + jb, MG_S_AVX2_NR);
    return p;
}

#if MG_S_AVX2_MR == 4
/* A 4-row float A panel from 4 K-contiguous rows (NN/NT), 8 values of p at a time: a 4 x 4
 * transpose in each 128-bit lane, then the lanes put in p order (output is contiguous). */
MG_ATTR_AVX2 static inline __attribute__((always_inline)) long
mg_s_avx2_transpose_a(const float *s, long rs, float *d, long kc) {
    long p = 0;
    for (; p + 8 <= kc; p += 8) {
        __m256 r0 = _mm256_loadu_ps(s + p), r1 = _mm256_loadu_ps(s + rs + p),
               r2 = _mm256_loadu_ps(s + 2 * rs + p), r3 = _mm256_loadu_ps(s + 3 * rs + p);
        __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1),
               t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
        __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE),
               u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
        float *o = d + p * 4;     /* u_k = [column p+k | column p+4+k] */
        _mm256_storeu_ps(o, _mm256_permute2f128_ps(u0, u1, 0x20));
        _mm256_storeu_ps(o + 8, _mm256_permute2f128_ps(u2, u3, 0x20));
        _mm256_storeu_ps(o + 16, _mm256_permute2f128_ps(u0, u1, 0x31));
        _mm256_storeu_ps(o + 24, _mm256_permute2f128_ps(u2, u3, 0x31));
    }
    return p;
}
#define MG_S_AVX2_TRANSPOSE_A mg_s_avx2_transpose_a
#else
#define MG_S_AVX2_TRANSPOSE_A MG_NO_TRANSPOSE
#endif
MG_DEFINE_KERNEL(mg_s_avx2, float, 32, MG_S_AVX2_MR, MG_S_AVX2_NR / 8, MG_ATTR_AVX2, MG_S_AVX2_TRANSPOSE_A,
                 mg_s_avx2_transpose_b)
MG_DEFINE_KERNEL(mg_d_avx2, double, 32, 6, 2, MG_ATTR_AVX2, MG_NO_TRANSPOSE, MG_NO_TRANSPOSE)       /* 6 x 8  */
#endif

/* ------------------------------------------------------------------------------------------------
 * Packing and the driver, once per precision.
 *   SUF: s / d; KC_MAX, NC_MAX, MC_MAX: block limits in elements (KC x NR panel ~ L1, KC x MC ~ L2). */
#define MG_DEFINE_DRIVER(SUF, T, KC0, NC0, MC0)                                                      \
/* Block limits (elements); globals so benchmarks can sweep them (gemm._set_blocking). */         \
static long mg_##SUF##_kc_max = (KC0), mg_##SUF##_nc_max = (NC0), mg_##SUF##_mc_max = (MC0);        \
typedef void (*mg_##SUF##_macro_fn)(long, long, long, T, const T *, const T *, T, T *, long);       \
typedef void (*mg_##SUF##_pack_fn)(long, long, const T *, long, long, T *);                        \
typedef struct {                                                                                     \
    const char *name; int mr, nr;                                                                    \
    mg_##SUF##_macro_fn macro; mg_##SUF##_pack_fn pack_a, pack_b;                                    \
} mg_##SUF##_kernel;                                                                                 \
                                                                                                     \
typedef struct {                                                                                     \
    long M, N, K, kcb, ncb;                                                                          \
    T alpha, beta;                                                                                   \
    const T *A; long rsa, csa;                                                                       \
    const T *B; long rsb, csb;                                                                       \
    T *C; long ldc;                                                                                  \
    T *Ap, *Bp;            /* packing buffers (the caller's), one slice per thread */                \
    long mcb, a_stride, b_stride;                                                                    \
    const mg_##SUF##_kernel *kern;                                                                   \
    int split_n;                                                                                     \
} mg_##SUF##_job;                                                                                    \
                                                                                                     \
/* The share of thread `tid` of `nt`: a rectangle of whole MR x NR tiles of the global tiling        \
 * (rows split, or columns split). Each thread packs the A rows and B panels it needs into its own   \
 * buffers, so the team never waits at a barrier: on 2 shared cores a barrier can cost a futex      \
 * wake-up and a scheduler time slice, far more than the duplicated packing (A or B once more, a    \
 * small fraction of the multiply-adds). Within the first A block each B group is packed right      \
 * before its first use, so it is consumed from L1/L2. */                                            \
static void mg_##SUF##_gemm_part(mg_##SUF##_job *job, int tid, int nt) {                             \
    const int MR = job->kern->mr, NR = job->kern->nr;                                                \
    const long M = job->M, N = job->N, K = job->K, kcb = job->kcb, mcb = job->mcb;                  \
    T *Ap = job->Ap + (size_t)tid * job->a_stride;                                                   \
    T *Bmine = job->Bp + (size_t)tid * job->b_stride;                                                \
    const long mp = MG_CEIL_DIV(M, MR);                                                              \
    for (long jc = 0; jc < N; jc += job->ncb) {                                                      \
        const long nc = MG_MIN(job->ncb, N - jc);                                                    \
        const long np = MG_CEIL_DIV(nc, NR);                                                         \
        long r0 = 0, r1 = mp, q0 = 0, q1 = np;                                                       \
        if (job->split_n) { q0 = np * tid / nt; q1 = np * (tid + 1) / nt; }                          \
        else { r0 = mp * tid / nt; r1 = mp * (tid + 1) / nt; }                                       \
        const long row_end = MG_MIN(r1 * MR, M);                                                     \
        const long col0 = q0 * NR, ncols = MG_MIN(q1 * NR, nc) - col0;                               \
        if (ncols <= 0 || row_end <= r0 * MR) continue;                                              \
        for (long pc = 0; pc < K; pc += kcb) {                                                       \
            const long kc = MG_MIN(kcb, K - pc);                                                     \
            const T beta = pc == 0 ? job->beta : (T)1;                                               \
            const T *Bsrc = job->B + pc * job->rsb + (jc + col0) * job->csb;                         \
            for (long ic = r0 * MR; ic < row_end; ic += mcb) {                                       \
                const long mc = MG_MIN(mcb, row_end - ic);                                           \
                job->kern->pack_a(mc, kc, job->A + ic * job->rsa + pc * job->csa, job->rsa, job->csa, Ap); \
                T *Cblk = job->C + ic * job->ldc + jc + col0;                                        \
                if (ic > r0 * MR) {                                                                  \
                    job->kern->macro(mc, ncols, kc, job->alpha, Ap, Bmine, beta, Cblk, job->ldc);    \
                    continue;                                                                        \
                }                                                                                    \
                for (long j = 0; j < ncols; j += MG_GEMM_PACK_GROUP * NR) {                          \
                    const long nq = MG_MIN((long)MG_GEMM_PACK_GROUP * NR, ncols - j);                \
                    T *bq = Bmine + j * kc;                                                          \
                    job->kern->pack_b(kc, nq, Bsrc + j * job->csb, job->rsb, job->csb, bq);          \
                    job->kern->macro(mc, nq, kc, job->alpha, Ap, bq, beta, Cblk + j, job->ldc);      \
                }                                                                                    \
            }                                                                                        \
        }                                                                                            \
    }                                                                                                \
}                                                                                                    \
                                                                                                     \
/* One GEMM. Returns 0, or -1 if a packing buffer could not be allocated. */                         \
static int mg_##SUF##gemm(const mg_##SUF##_kernel *kern, long M, long N, long K, T alpha,            \
                          const T *A, long rsa, long csa, const T *B, long rsb, long csb,            \
                          T beta, T *C, long ldc, int nt) {                                          \
    if (M <= 0 || N <= 0) return 0;                                                                  \
    if (K <= 0 || alpha == (T)0) {   /* op(A) op(B) contributes nothing: C := beta * C */            \
        for (long i = 0; i < M; ++i)                                                                 \
            for (long j = 0; j < N; ++j) C[i * ldc + j] = beta == (T)0 ? (T)0 : beta * C[i * ldc + j]; \
        return 0;                                                                                    \
    }                                                                                                \
    const int MR = kern->mr, NR = kern->nr;                                                          \
    mg_##SUF##_job job;                                                                              \
    job.M = M; job.N = N; job.K = K;                                                                 \
    job.kcb = MG_CEIL_DIV(K, MG_CEIL_DIV(K, mg_##SUF##_kc_max));   /* even split of K: no thin tail */  \
    job.ncb = MG_MIN(N, mg_##SUF##_nc_max);                                                          \
    job.alpha = alpha; job.beta = beta;                                                              \
    job.A = A; job.rsa = rsa; job.csa = csa;                                                         \
    job.B = B; job.rsb = rsb; job.csb = csb;                                                         \
    job.C = C; job.ldc = ldc; job.kern = kern;                                                       \
    if ((double)M * N * K < mg_gemm_parallel_min_work) nt = 1;                                       \
    const long mp = MG_CEIL_DIV(M, MR), np = MG_CEIL_DIV(job.ncb, NR);                               \
    if (nt > mp * np) nt = (int)(mp * np);                                                           \
    if (nt < 1) nt = 1;                                                                              \
    /* Split whichever dimension balances better; rows on a tie (B is the cheaper one to repack). */ \
    const double imb_m = (double)MG_CEIL_DIV(mp, nt) * nt / mp;                                      \
    const double imb_n = (double)MG_CEIL_DIV(np, nt) * nt / np;                                      \
    job.split_n = imb_n < imb_m;                                                                     \
    /* Every thread's buffers are slices of the caller's, allocated here: the team needs no         \
     * barrier (nor a way to report a failed allocation) before it starts. */                        \
    job.mcb = MG_MIN(mg_##SUF##_mc_max / MR * MR, (job.split_n ? mp : MG_CEIL_DIV(mp, nt)) * MR);    \
    job.a_stride = (job.mcb * job.kcb + 15) / 16 * 16;                                               \
    job.b_stride = job.kcb * (job.split_n ? MG_CEIL_DIV(np, nt) + 1 : np) * NR;                      \
    job.Ap = (T *)mg_buf_reserve(&mg_tls_apack, (size_t)nt * job.a_stride * sizeof(T) + 64);         \
    job.Bp = (T *)mg_buf_reserve(&mg_tls_bpack, (size_t)nt * job.b_stride * sizeof(T) + 64);         \
    if (!job.Ap || !job.Bp) return -1;                                                               \
    if (nt == 1) {                                                                                   \
        mg_##SUF##_gemm_part(&job, 0, 1);                                                            \
    } else {                                                                                         \
        _Pragma("omp parallel num_threads(nt)")                                                      \
        mg_##SUF##_gemm_part(&job, omp_get_thread_num(), omp_get_num_threads());                     \
    }                                                                                                \
    return 0;                                                                                        \
}                                                                                                    \
                                                                                                     \
/* nb1 x nb2 independent GEMMs; matrix (b1, b2) of X starts at X + b1*sx1 + b2*sx2 (a stride of 0   \
 * broadcasts). Small matrices: one whole GEMM per thread (parallel over the batch); large ones:    \
 * one after another, each threaded. Either way each C element is computed by one serial sequence.*/ \
static int mg_##SUF##gemm_batched_impl(const mg_##SUF##_kernel *kern, long nb1, long nb2, long M,  \
                                       long N, long K, T alpha, const T *A, long sa1, long sa2, long rsa, long csa, \
                                  const T *B, long sb1, long sb2, long rsb, long csb, T beta, T *C,  \
                                  long sc1, long sc2, long ldc, int nt) {                            \
    const long nb = nb1 * nb2;                                                                       \
    const double work = (double)M * N * K;                                                           \
    int fail = 0;                                                                                    \
    if (nb <= 0) return 0;                                                                           \
    if (nt > 1 && nb > 1 && work * nb >= mg_gemm_parallel_min_work &&                                \
        ((nb >= nt && work < MG_GEMM_BATCH_PARALLEL_WORK) || nb >= 4L * nt)) {                       \
        _Pragma("omp parallel for schedule(static) num_threads(nt) reduction(|:fail)")               \
        for (long b = 0; b < nb; ++b) {                                                              \
            const long b1 = b / nb2, b2 = b % nb2;                                                   \
            fail |= mg_##SUF##gemm(kern, M, N, K, alpha, A + b1 * sa1 + b2 * sa2, rsa, csa,          \
                                   B + b1 * sb1 + b2 * sb2, rsb, csb, beta,                          \
                                   C + b1 * sc1 + b2 * sc2, ldc, 1);                                 \
        }                                                                                            \
    } else {                                                                                         \
        for (long b = 0; b < nb && !fail; ++b) {                                                     \
            const long b1 = b / nb2, b2 = b % nb2;                                                   \
            fail |= mg_##SUF##gemm(kern, M, N, K, alpha, A + b1 * sa1 + b2 * sa2, rsa, csa,          \
                                   B + b1 * sb1 + b2 * sb2, rsb, csb, beta,                          \
                                   C + b1 * sc1 + b2 * sc2, ldc, nt);                                \
        }                                                                                            \
    }                                                                                                \
    return fail ? -1 : 0;                                                                            \
}

/* KC=384: a 4 x KC A micro-panel (6 KiB) stays in L1 while B panels stream from L2; MC x KC A block
 * ~ 288 KiB (L2 is 512 KiB here). Sweeps of KC 256-512, MC 72-192, NC 256-4096 and both loop
 * orders moved results by less than the run-to-run noise (~5%) on this shared VM. */
MG_DEFINE_DRIVER(s, float, 384, 4096, 192)
MG_DEFINE_DRIVER(d, double, 256, 2048, 144)

/* ------------------------------------------------------------------------------------------------
 * Run-time ISA selection. 0 = baseline (portable C), 1 = AVX2+FMA. */
static const mg_s_kernel mg_s_kernels[] = {
    {"baseline", mg_s_base_MR, mg_s_base_NR, mg_s_base_macro, mg_s_base_pack_a, mg_s_base_pack_b},
#if MG_HAVE_AVX2_KERNELS
    {"avx2", mg_s_avx2_MR, mg_s_avx2_NR, mg_s_avx2_macro, mg_s_avx2_pack_a, mg_s_avx2_pack_b},
#endif
};
static const mg_d_kernel mg_d_kernels[] = {
    {"baseline", mg_d_base_MR, mg_d_base_NR, mg_d_base_macro, mg_d_base_pack_a, mg_d_base_pack_b},
#if MG_HAVE_AVX2_KERNELS
    {"avx2", mg_d_avx2_MR, mg_d_avx2_NR, mg_d_avx2_macro, mg_d_avx2_pack_a, mg_d_avx2_pack_b},
#endif
};
#define MG_GEMM_N_ISA ((int)(sizeof(mg_s_kernels) / sizeof(mg_s_kernels[0])))

static int mg_gemm_isa = 0;

/* Select ISA `isa` (0 baseline, 1 avx2) if this build has it and the CPU runs it; -1 picks the best.
 * Returns the ISA now active, or -1 if the request cannot be honoured (nothing changes then). */
static int mg_gemm_set_isa(int isa) {
    if (isa < 0) {
        isa = (MG_HAVE_AVX2_KERNELS && minigrad_cpu_has(0)) ? 1 : 0;
    } else if (isa >= MG_GEMM_N_ISA || (isa == 1 && !minigrad_cpu_has(0))) {
        return -1;
    }
    mg_gemm_isa = isa;
    return isa;
}
static void mg_gemm_set_blocking(int dbl, long kc, long mc, long nc, double min_work, int jr_outer) {
    mg_gemm_jr_outer = jr_outer;
    if (dbl) { mg_d_kc_max = kc; mg_d_mc_max = mc; mg_d_nc_max = nc; }
    else { mg_s_kc_max = kc; mg_s_mc_max = mc; mg_s_nc_max = nc; }
    mg_gemm_parallel_min_work = min_work;
}
static const char *mg_gemm_isa_name(void) { return mg_s_kernels[mg_gemm_isa].name; }
static int mg_gemm_micro_shape(int dbl, int which) {
    return dbl ? (which ? mg_d_kernels[mg_gemm_isa].nr : mg_d_kernels[mg_gemm_isa].mr)
               : (which ? mg_s_kernels[mg_gemm_isa].nr : mg_s_kernels[mg_gemm_isa].mr);
}

static int mg_sgemm_batched(long nb1, long nb2, long M, long N, long K, float alpha, const float *A,
                            long sa1, long sa2, long rsa, long csa, const float *B, long sb1, long sb2,
                            long rsb, long csb, float beta, float *C, long sc1, long sc2, long ldc,
                            int nt) {
    return mg_sgemm_batched_impl(&mg_s_kernels[mg_gemm_isa], nb1, nb2, M, N, K, alpha, A, sa1, sa2, rsa,
                                 csa, B, sb1, sb2, rsb, csb, beta, C, sc1, sc2, ldc, nt);
}
static int mg_dgemm_batched(long nb1, long nb2, long M, long N, long K, double alpha, const double *A,
                            long sa1, long sa2, long rsa, long csa, const double *B, long sb1, long sb2,
                            long rsb, long csb, double beta, double *C, long sc1, long sc2, long ldc,
                            int nt) {
    return mg_dgemm_batched_impl(&mg_d_kernels[mg_gemm_isa], nb1, nb2, M, N, K, alpha, A, sa1, sa2, rsa,
                                 csa, B, sb1, sb2, rsb, csb, beta, C, sc1, sc2, ldc, nt);
}

#endif /* MG_GEMM_KERNELS_H */
