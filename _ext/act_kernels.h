/* act_kernels.h — element-wise activation kernels (forward and backward) on flat buffers.
 *
 * Layout of this file:
 *   1. scalar math, written branch-free so GCC vectorises the loops that inline it:
 *      exp / expm1 for non-positive arguments, sigmoid, tanh (float and double);
 *   2. one macro, MG_ACT_LOOPS, that stamps out every loop for one (dtype, ISA) pair;
 *   3. the tables: baseline (SSE2, whatever the build flags give) and AVX2+FMA (a `target`
 *      attribute, no -march), chosen at run time by act.pyx with minigrad_cpu_has(0).
 *
 * Every kernel works on a contiguous block [0, n) and takes no thread arguments: act.pyx
 * splits the tensor into fixed blocks and runs them under OpenMP. The per-element math does
 * not depend on the block, so results never depend on the thread count.
 *
 * Why not libm: glibc's scalar tanhf costs ~16 ns/element, and its vector variants (libmvec)
 * are only picked with TU-wide -m flags (KERNELS.md §3). The polynomials below are within a
 * few ulp of the float64 truth (tests/ext/test_act.py measures it) and need nothing but C99.
 * No -ffast-math: NaN and inf must propagate as in PyTorch.
 */
#ifndef MINIGRAD_ACT_KERNELS_H
#define MINIGRAD_ACT_KERNELS_H
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__)
#define MG_INLINE static inline __attribute__((always_inline))
#else
#define MG_INLINE static inline
#endif

/* NOTE: GCC's default -ftrapping-math forbids computing both arms of `x > 0 ? x : x*s`
 * (the multiply "might trap"), which blocks if-conversion and so every vector loop here.
 * minigrad never reads FP exception flags, so this header opts out; NaN/inf semantics are
 * untouched (unlike -ffast-math). Everything up to the matching pop_options is affected. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("no-trapping-math")
#endif

#include "counter_rng.h"   /* after the pragma, so its inline hash joins the vector loops */

/* ***** 1. scalar math ***** */

MG_INLINE int32_t mg_bits_f(float x) { int32_t i; memcpy(&i, &x, sizeof i); return i; }
MG_INLINE float mg_from_bits_f(int32_t i) { float x; memcpy(&x, &i, sizeof x); return x; }
MG_INLINE int64_t mg_bits_d(double x) { int64_t i; memcpy(&i, &x, sizeof i); return i; }
MG_INLINE double mg_from_bits_d(int64_t i) { double x; memcpy(&x, &i, sizeof x); return x; }

/* NOTE: round-to-nearest without rint(): adding 1.5*2^23 (2^52 for double) pushes the fraction
 * out of the mantissa, and the integer lands in the low mantissa bits of t, so
 * bits(t) - bits(MAGIC) is n itself. Only add/sub/shift: vectorises on SSE2 and AVX2 alike. */
#define MG_MAGIC_F 12582912.0f
#define MG_MAGIC_D 6755399441055744.0

/* 2^n for an integer-valued t = n + MAGIC (n in the normal exponent range). */
MG_INLINE float mg_pow2_f(float t) {
    return mg_from_bits_f((int32_t)((uint32_t)(mg_bits_f(t) - mg_bits_f(MG_MAGIC_F) + 127) << 23));
}
MG_INLINE double mg_pow2_d(double t) {
    return mg_from_bits_d((int64_t)((uint64_t)(mg_bits_d(t) - mg_bits_d(MG_MAGIC_D) + 1023) << 52));
}

/* expm1(r) for |r| <= ln2/2: Taylor polynomial; truncation error r^8/8! (float, 0.25 ulp) and
 * r^14/14! (double, < 0.1 ulp) relative to r. */
MG_INLINE float mg_expm1_poly_f(float r) {
    float q = (float)(1.0 / 5040);
    q = q * r + (float)(1.0 / 720);
    q = q * r + (float)(1.0 / 120);
    q = q * r + (float)(1.0 / 24);
    q = q * r + (float)(1.0 / 6);
    q = q * r + 0.5f;
    return r + (r * r) * q;
}
MG_INLINE double mg_expm1_poly_d(double r) {
    double q = 1.0 / 6227020800.0;   /* 1/13! */
    q = q * r + 1.0 / 479001600.0;
    q = q * r + 1.0 / 39916800.0;
    q = q * r + 1.0 / 3628800.0;
    q = q * r + 1.0 / 362880.0;
    q = q * r + 1.0 / 40320.0;
    q = q * r + 1.0 / 5040.0;
    q = q * r + 1.0 / 720.0;
    q = q * r + 1.0 / 120.0;
    q = q * r + 1.0 / 24.0;
    q = q * r + 1.0 / 6.0;
    q = q * r + 0.5;
    return r + (r * r) * q;
}

/* Cody-Waite reduction y = n*ln2 + r: ln2 split in a short high part (n*hi is exact) and a low part. */
#define MG_REDUCE(T, SUF, y, t, n, r, LOG2E, HI, LO) \
    T t = (y) * (T)(LOG2E) + MG_MAGIC_##SUF;          \
    T n = t - MG_MAGIC_##SUF;                          \
    T r = ((y) - n * (T)(HI)) - n * (T)(LO)

/* e^y for y <= 0, including results in the denormal range (sigmoid of large negative x).
 * NOTE: 2^n is applied as 2^n1 * 2^(n-n1) with n1 ~ n/2, so both factors stay normal and the
 * only rounding into the denormal range happens in the last multiply. Below YMIN the result
 * rounds to 0 anyway; the clamp keeps n in range. NaN fails the comparison and propagates. */
MG_INLINE float mg_exp_neg_f(float y) {
    y = y < -104.0f ? -104.0f : y;
    MG_REDUCE(float, F, y, t, n, r, 1.4426950408889634, 0.693359375, -2.12194440e-4);
    float t1 = n * 0.5f + MG_MAGIC_F;
    float t2 = (n - (t1 - MG_MAGIC_F)) + MG_MAGIC_F;
    return ((1.0f + mg_expm1_poly_f(r)) * mg_pow2_f(t1)) * mg_pow2_f(t2);
}
MG_INLINE double mg_exp_neg_d(double y) {
    y = y < -746.0 ? -746.0 : y;
    MG_REDUCE(double, D, y, t, n, r, 1.4426950408889634, 6.93147180369123816490e-01,
              1.90821492927058770002e-10);
    double t1 = n * 0.5 + MG_MAGIC_D;
    double t2 = (n - (t1 - MG_MAGIC_D)) + MG_MAGIC_D;
    return ((1.0 + mg_expm1_poly_d(r)) * mg_pow2_d(t1)) * mg_pow2_d(t2);
}

/* expm1(y) for y <= 0 as (2^n - 1) + 2^n * expm1(r): exact p near 0 (n = 0), so tanh keeps its
 * relative accuracy for tiny x. Below -64 the result is -1 in both precisions. */
MG_INLINE float mg_expm1_neg_f(float y) {
    y = y < -64.0f ? -64.0f : y;
    MG_REDUCE(float, F, y, t, n, r, 1.4426950408889634, 0.693359375, -2.12194440e-4);
    float s = mg_pow2_f(t);
    return s * mg_expm1_poly_f(r) + (s - 1.0f);
}
MG_INLINE double mg_expm1_neg_d(double y) {
    y = y < -64.0 ? -64.0 : y;
    MG_REDUCE(double, D, y, t, n, r, 1.4426950408889634, 6.93147180369123816490e-01,
              1.90821492927058770002e-10);
    double s = mg_pow2_d(t);
    return s * mg_expm1_poly_d(r) + (s - 1.0);
}

/* sigmoid(x) = 1/(1+e^-x), evaluated as (x >= 0 ? 1 : e) / (1 + e) with e = e^-|x| <= 1.
 * NOTE: e never overflows, so no x gives inf/inf; torch's literal formula instead flushes
 * float32 results below ~1e-38 to 0 (sigmoid(-100) = 0 there, 3.7e-44 here). */
MG_INLINE float mg_sigmoid_f(float x) {
    float e = mg_exp_neg_f(-fabsf(x));
    return (x >= 0.0f ? 1.0f : e) / (1.0f + e);
}
MG_INLINE double mg_sigmoid_d(double x) {
    double e = mg_exp_neg_d(-fabs(x));
    return (x >= 0.0 ? 1.0 : e) / (1.0 + e);
}

/* tanh(x) = sign(x) * (1 - e^-2|x|)/(1 + e^-2|x|) = sign(x) * -m/(2 + m), m = expm1(-2|x|). */
MG_INLINE float mg_tanh_f(float x) {
    float m = mg_expm1_neg_f(-2.0f * fabsf(x));
    return copysignf(-m / (2.0f + m), x);
}
MG_INLINE double mg_tanh_d(double x) {
    double m = mg_expm1_neg_d(-2.0 * fabs(x));
    return copysign(-m / (2.0 + m), x);
}

/* ***** 2. loops ***** */

/* Signatures shared by both dtypes (act.pyx passes raw pointers; `p` is the slope if any). */
typedef void (*mg_map_fn)(const void *a, void *out, ptrdiff_t n, double p);
typedef void (*mg_zip_fn)(const void *g, const void *a, void *out, ptrdiff_t n, double p);
typedef double (*mg_prelu_bwd_fn)(const void *g, const void *x, void *dx, ptrdiff_t n, double slope);
typedef void (*mg_rrelu_fn)(const void *x, void *out, void *noise, ptrdiff_t n,
                            double lower, double upper, uint64_t key, uint64_t counter);

typedef struct {
    mg_map_fn sigmoid, tanh, relu, leaky;        /* out = f(a); leaky: slope p */
    mg_zip_fn sigmoid_bwd, tanh_bwd, relu_bwd, leaky_bwd, mul;   /* out = g * f'(a) */
    mg_prelu_bwd_fn prelu_bwd;
    mg_rrelu_fn rrelu;
    /* the same results written with non-temporal stores, for outputs larger than the caches
     * (section 4; the regular loops where an ISA has none) */
    mg_map_fn relu_nt, leaky_nt;
    mg_zip_fn relu_bwd_nt, leaky_bwd_nt;
    mg_prelu_bwd_fn prelu_bwd_nt;
} mg_act_table;

/* No `restrict`: in-place ReLU/LeakyReLU/RReLU pass out == a; GCC's run-time alias check keeps
 * the vector loop for that case (same index read then written). */
#define MG_ACT_LOOPS(T, S, ISA, ATTR)                                                              \
ATTR static void mg_sigmoid_##S##_##ISA(const void *a, void *out, ptrdiff_t n, double p) {        \
    const T *x = (const T *)a; T *y = (T *)out; (void)p;                                           \
    for (ptrdiff_t i = 0; i < n; i++) y[i] = mg_sigmoid_##S(x[i]);                                 \
}                                                                                                  \
ATTR static void mg_tanh_##S##_##ISA(const void *a, void *out, ptrdiff_t n, double p) {           \
    const T *x = (const T *)a; T *y = (T *)out; (void)p;                                           \
    for (ptrdiff_t i = 0; i < n; i++) y[i] = mg_tanh_##S(x[i]);                                    \
}                                                                                                  \
/* NOTE: `x <= 0 ? 0 : x` (not `x > 0 ? x : 0`) so relu(NaN) = NaN, as in torch. */                \
ATTR static void mg_relu_##S##_##ISA(const void *a, void *out, ptrdiff_t n, double p) {           \
    const T *x = (const T *)a; T *y = (T *)out; (void)p;                                           \
    for (ptrdiff_t i = 0; i < n; i++) y[i] = x[i] <= 0 ? (T)0 : x[i];                              \
}                                                                                                  \
ATTR static void mg_leaky_##S##_##ISA(const void *a, void *out, ptrdiff_t n, double p) {          \
    const T *x = (const T *)a; T *y = (T *)out; const T s = (T)p;                                  \
    for (ptrdiff_t i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : x[i] * s;                           \
}                                                                                                  \
/* torch's sigmoid_backward: g * (1 - s) * s, from the saved output. */                            \
ATTR static void mg_sigmoid_bwd_##S##_##ISA(const void *gv, const void *a, void *out, ptrdiff_t n, \
                                            double p) {                                            \
    const T *g = (const T *)gv, *s = (const T *)a; T *d = (T *)out; (void)p;                       \
    for (ptrdiff_t i = 0; i < n; i++) d[i] = g[i] * ((T)1 - s[i]) * s[i];                          \
}                                                                                                  \
ATTR static void mg_tanh_bwd_##S##_##ISA(const void *gv, const void *a, void *out, ptrdiff_t n,    \
                                         double p) {                                               \
    const T *g = (const T *)gv, *t = (const T *)a; T *d = (T *)out; (void)p;                       \
    for (ptrdiff_t i = 0; i < n; i++) d[i] = g[i] * ((T)1 - t[i] * t[i]);                          \
}                                                                                                  \
/* NOTE: torch's threshold_backward(g, result, 0): zero where result <= 0, so the gradient at   \
 * x = 0 is 0 and at NaN it is g. */                                                               \
ATTR static void mg_relu_bwd_##S##_##ISA(const void *gv, const void *a, void *out, ptrdiff_t n,    \
                                         double p) {                                               \
    const T *g = (const T *)gv, *r = (const T *)a; T *d = (T *)out; (void)p;                       \
    for (ptrdiff_t i = 0; i < n; i++) { T gi = g[i]; d[i] = r[i] <= 0 ? (T)0 : gi; }              \
}                                                                                                  \
/* `a` is the input, or the output when the slope is >= 0 (same sign, so the same branch). */      \
ATTR static void mg_leaky_bwd_##S##_##ISA(const void *gv, const void *a, void *out, ptrdiff_t n,   \
                                          double p) {                                              \
    const T *g = (const T *)gv, *x = (const T *)a; T *d = (T *)out; const T s = (T)p;              \
    for (ptrdiff_t i = 0; i < n; i++) d[i] = x[i] > 0 ? g[i] : g[i] * s;                           \
}                                                                                                  \
ATTR static void mg_mul_##S##_##ISA(const void *gv, const void *a, void *out, ptrdiff_t n,         \
                                    double p) {                                                    \
    const T *g = (const T *)gv, *b = (const T *)a; T *d = (T *)out; (void)p;                       \
    for (ptrdiff_t i = 0; i < n; i++) d[i] = g[i] * b[i];                                          \
}                                                                                                  \
/* dx = x > 0 ? g : slope*g (when dx != NULL); returns sum of (x > 0 ? 0 : x*g) in double.        \
 * NOTE: 8 partial sums in a fixed lane order, added in a fixed order: vectorisable without        \
 * -ffast-math, and the same value whatever the thread count. */                                  \
ATTR static double mg_prelu_bwd_##S##_##ISA(const void *gv, const void *xv, void *dxv,            \
                                            ptrdiff_t n, double slope) {                           \
    const T *g = (const T *)gv, *x = (const T *)xv;                                                \
    double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};                                                      \
    ptrdiff_t i = 0;                                                                               \
    if (dxv) mg_leaky_bwd_##S##_##ISA(gv, xv, dxv, n, slope);                                      \
    for (; i + 8 <= n; i += 8)                                                                     \
        for (int j = 0; j < 8; j++) {                                                              \
            double xg = (double)x[i + j] * (double)g[i + j];                                       \
            acc[j] += x[i + j] > 0 ? 0.0 : xg;                                                     \
        }                                                                                          \
    for (; i < n; i++) {                                                                           \
        double xg = (double)x[i] * (double)g[i];                                                   \
        acc[i & 7] += x[i] > 0 ? 0.0 : xg;                                                         \
    }                                                                                              \
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));      \
}                                                                                                  \
/* Train-mode RReLU: x <= 0 (zero included, as torch) gets r = lower + (upper-lower)*u drawn in    \
 * double from the counter stream, then cast; noise keeps r (1 for x > 0) for backward. */         \
ATTR static void mg_rrelu_##S##_##ISA(const void *a, void *out, void *nz, ptrdiff_t n,            \
                                      double lower, double upper, uint64_t key, uint64_t counter) { \
    const T *x = (const T *)a; T *y = (T *)out; T *noise = (T *)nz;                                \
    const double width = upper - lower;                                                            \
    for (ptrdiff_t i = 0; i < n; i++) {                                                            \
        double u = mg_uniform_key(key, counter + (uint64_t)i);                                     \
        T r = (T)(lower + width * u);                                                              \
        T xi = x[i], yr = xi * r;                                                                  \
        int neg = xi <= 0;                                                                         \
        noise[i] = neg ? r : (T)1;                                                                 \
        y[i] = neg ? yr : xi;                                                                      \
    }                                                                                              \
}

/* A table of one (dtype, ISA) pair's loops; NT names the streaming versions' ISA suffix and
 * PRELU_BWD the regular PReLU backward (both the plain loops', except for AVX2 float32). */
#define MG_ACT_TABLE(S, ISA, NT, PRELU_BWD)                                                        \
static const mg_act_table mg_act_##S##_##ISA = {                                                   \
    mg_sigmoid_##S##_##ISA, mg_tanh_##S##_##ISA, mg_relu_##S##_##ISA, mg_leaky_##S##_##ISA,        \
    mg_sigmoid_bwd_##S##_##ISA, mg_tanh_bwd_##S##_##ISA, mg_relu_bwd_##S##_##ISA,                  \
    mg_leaky_bwd_##S##_##ISA, mg_mul_##S##_##ISA, PRELU_BWD, mg_rrelu_##S##_##ISA,                 \
    mg_relu_##S##_##NT, mg_leaky_##S##_##NT, mg_relu_bwd_##S##_##NT, mg_leaky_bwd_##S##_##NT,      \
    mg_prelu_bwd_##S##_##NT};

/* ***** 3. tables ***** */

MG_ACT_LOOPS(float, f, base, )
MG_ACT_LOOPS(double, d, base, )
MG_ACT_TABLE(f, base, base, mg_prelu_bwd_f_base)
MG_ACT_TABLE(d, base, base, mg_prelu_bwd_d_base)

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define MG_ACT_HAVE_AVX2 1
MG_ACT_LOOPS(float, f, avx2, __attribute__((target("avx2,fma"))))
MG_ACT_LOOPS(double, d, avx2, __attribute__((target("avx2,fma"))))
#include "act_kernels_avx2.h"
MG_ACT_TABLE(f, avx2, nt, mg_prelu_bwd_f_fused)
MG_ACT_TABLE(d, avx2, avx2, mg_prelu_bwd_d_avx2)
#else
#define MG_ACT_HAVE_AVX2 0
#define mg_act_f_avx2 mg_act_f_base
#define mg_act_d_avx2 mg_act_d_base
#endif

/* isa: 0 baseline, 1 AVX2+FMA (the caller checks the CPU); dbl: 0 float32, 1 float64. */
static inline const mg_act_table *mg_act_get_table(int isa, int dbl) {
    if (isa == 1 && MG_ACT_HAVE_AVX2) return dbl ? &mg_act_d_avx2 : &mg_act_f_avx2;
    return dbl ? &mg_act_d_base : &mg_act_f_base;
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

#endif
