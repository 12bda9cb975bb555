/* Implicit-GEMM 2-D convolution on the GEMM's own packing and macro-kernels (gemm_kernels.h).
 *
 * The im2col path writes the column matrix X̂ (Cg·kh·kw rows, one column per output position) to
 * memory and reads it back in the GEMM's packing. Here the packing reads the input instead: each
 * B micro-panel (KC rows x NR columns, the layout gemm_kernels.h's micro-kernel streams) is
 * filled straight from a zero-padded copy of the input, and consumed right away while it is in
 * L1. No K x N matrix exists, in any pass:
 *
 *   forward  out[n, g, :, p] = W[g] @ X̂[g][:, (n, p)]   rows = taps, NR columns = positions
 *   weight   dW[g] = Σ_n gout[n, g] @ X̂[g]ᵀ              rows = positions, NR columns = taps
 *   input    dX̂ panel = W[g]ᵀ @ gout panel, added at once into a padded image (col2im of one panel)
 *
 * One routine packs both X̂ panel shapes (mg_conv_pack): a panel row is a base offset plus a list
 * of runs of consecutive input elements shared by all rows. Forward: the rows are taps (c, i, j)
 * and the runs are the stretches of the panel's positions along one output row; weight gradient:
 * the rows are positions and the runs are the taps j = j0.. of one (c, i). Runs of stride 1 are
 * copied a vector at a time and may overrun their end by less than a vector: runs are written in
 * order, so whatever spills over is rewritten by the next run or row (buffers carry a vector of
 * slack), and a partial panel's dead lanes are zeroed after its runs.
 *
 * Padded input xp: xp[(n*C + c)*Hp*Wp + r*Wp + s] = x[n, c, r - pt, s - pl] (0 outside x), with
 * Hp = (OH-1)·sh + (kh-1)·dh + 1 and Wp likewise: every window lies inside, so packing has no
 * bounds checks. Without padding the input itself serves (Hp = H, Wp = W).
 *
 * Threads and determinism: the work is cut into tasks whose results do not depend on which thread
 * runs them (forward: output panels; input gradient: (image, group) planes; weight gradient: fixed
 * image chunks, a function of the shape only, each summed into its own partial, the partials then
 * added in chunk order). Tasks are handed out dynamically (OpenMP schedule(dynamic)), so a thread that gets
 * less of a shared CPU takes fewer, and results are bit-identical at any thread count.
 */
#ifndef MG_CONV_KERNELS_H
#define MG_CONV_KERNELS_H

#include <stdint.h>
/* Lane-mask helpers return 32-byte vectors; they are always inlined, so no call ABI is involved. */
#pragma GCC diagnostic ignored "-Wpsabi"
#include "gemm_kernels.h"

/* Images of the weight gradient are summed in at most this many fixed chunks (partials added in
 * order afterwards): enough to keep 2-8 threads busy, few enough that the partials stay small. */
#define MG_CONV_DW_CHUNKS 8
/* ... and their partial sums take at most this many elements (the buffer lives on per thread). */
#define MG_CONV_DW_PARTIALS (1L << 21)
/* Copies run in 32-byte vectors; every buffer they read keeps MG_CONV_SLACK elements (a vector
 * of either type) past its end. */
#define MG_CONV_VB 32
#define MG_CONV_SLACK 8
#define MG_ROUND_UP(a, b) (MG_CEIL_DIV(a, b) * (b))
/* Widest micro-panel (NR) of any kernel in gemm_kernels.h: sizes the per-panel run lists. */
#define MG_MAX_NR 64
#define MG_MAX(a, b) ((a) > (b) ? (a) : (b))

typedef struct { long src, dst, len; } mg_conv_run;

typedef struct {
    long N, C, H, W, O, OH, OW;
    long G, Cg, Og, Kg;            /* groups; Kg = Cg*kh*kw taps per group */
    long kh, kw, sh, sw, dh, dw;
    long pt, pl, Hp, Wp;           /* padded buffer: origin (pt, pl), Hp rows of Wp elements */
} mg_conv_geom;

/* Runs of the positions p0 .. p0+nr-1 (p = oh*OW + ow): one per output row they touch.
 * src = offset of the first position's window origin in a padded image plane. Returns the count
 * (at most nr/OW + 2). */
static int mg_conv_position_runs(const mg_conv_geom *g, long p0, long nr, mg_conv_run *runs) {
    int n = 0;
    for (long p = p0; p < p0 + nr;) {
        const long oh = p / g->OW, ow = p % g->OW;
        const long len = MG_MIN(g->OW - ow, p0 + nr - p);
        runs[n].src = oh * g->sh * g->Wp + ow * g->sw;
        runs[n].dst = p - p0;
        runs[n].len = len;
        ++n;
        p += len;
    }
    return n;
}

/* Runs of the taps k0 .. k0+nr-1 (k = (c*kh + i)*kw + j): one per kernel row (c, i) they touch. */
static int mg_conv_tap_runs(const mg_conv_geom *g, long k0, long nr, mg_conv_run *runs) {
    int n = 0;
    for (long k = k0; k < k0 + nr;) {
        const long ci = k / g->kw, j = k % g->kw, c = ci / g->kh, i = ci % g->kh;
        const long len = MG_MIN(g->kw - j, k0 + nr - k);
        runs[n].src = c * g->Hp * g->Wp + i * g->dh * g->Wp + j * g->dw;
        runs[n].dst = k - k0;
        runs[n].len = len;
        ++n;
        k += len;
    }
    return n;
}

/* Offset of tap k's window origin in a padded group of Cg planes, for all Kg taps. */
static void mg_conv_tap_offsets(const mg_conv_geom *g, long *off) {
    for (long k = 0; k < g->Kg; ++k) {
        const long ci = k / g->kw, j = k % g->kw, c = ci / g->kh, i = ci % g->kh;
        off[k] = c * g->Hp * g->Wp + i * g->dh * g->Wp + j * g->dw;
    }
}

/* GCC turns a loop of short vector copies into a memmove call (a call and a vzeroupper for 32
 * bytes): the packing loops are exactly that, so that rewrite is off for them. */
#if defined(__GNUC__) && !defined(__clang__)
#define MG_NO_MEMCPY_CALLS __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define MG_NO_MEMCPY_CALLS
#endif

/* ------------------------------------------------------------------------------------------------
 * Run packing, once per element type and ISA (NAME: mg_s_base, mg_s_avx2, ...; IT: the integer type
 * of T's width, for lane masks). */
#define MG_DEFINE_CONV_PACK(NAME, T, IT, ATTR)                                                       \
typedef T NAME##_cv __attribute__((vector_size(MG_CONV_VB), aligned(sizeof(T))));                    \
typedef IT NAME##_ci __attribute__((vector_size(MG_CONV_VB), aligned(sizeof(IT))));                  \
enum { NAME##_cvl = MG_CONV_VB / (int)sizeof(T) };                                                   \
                                                                                                     \
ATTR static inline __attribute__((always_inline)) NAME##_ci NAME##_lanes_below(long n) {            \
    NAME##_ci iota;                                                                                  \
    for (int i = 0; i < NAME##_cvl; ++i) iota[i] = (IT)i;                                            \
    return iota < ((NAME##_ci){0} + (IT)n);                                                          \
}                                                                                                    \
                                                                                                     \
/* dst[t*ld + run.dst + q] = src[row_off[t] + run.src + q*stride] for every row t < rows, run and    \
 * q < run.len; then dst[t*ld + zlo .. zhi) = 0. row_off ascends. Stride-1 runs are copied a vector  \
 * at a time, one run for all rows before the next (a tight loop per run): a run of at least a       \
 * vector ends with a vector that overlaps its predecessor (exact); a shorter one spills into the    \
 * columns right of it, which later runs (or the zeroing) rewrite, or, where the spill would reach   \
 * the next row, keeps that row's lanes by a blend. dst needs a vector of slack past its last row;   \
 * src is never read at or past src_end. */                                                          \
MG_NO_MEMCPY_CALLS ATTR static void NAME##_conv_pack(long rows, const long *row_off, const mg_conv_run *runs, int nruns, \
                                  long stride, const T *src, const T *src_end, T *restrict dst,     \
                                  long ld, long zlo, long zhi) {                                     \
    const long VL = NAME##_cvl;                                                                      \
    long reach = 0;           /* furthest element past a row's base that a vector copy reads */     \
    for (int r = 0; r < nruns; ++r) reach = MG_MAX(reach, runs[r].src + MG_ROUND_UP(runs[r].len, VL)); \
    if (rows <= 0) return;                                                                           \
    if (stride != 1 || src + row_off[rows - 1] + reach > src_end) {                                  \
        for (long t = 0; t < rows; ++t)                                                              \
            for (int r = 0; r < nruns; ++r) {                                                        \
                const T *s = src + row_off[t] + runs[r].src;                                         \
                T *d = dst + t * ld + runs[r].dst;                                                   \
                for (long q = 0; q < runs[r].len; ++q) d[q] = s[q * stride];                         \
            }                                                                                        \
    } else {                                                                                         \
        for (int r = 0; r < nruns; ++r) {                                                            \
            const T *s = src + runs[r].src;                                                          \
            T *d = dst + runs[r].dst;                                                                \
            const long len = runs[r].len;                                                            \
            if (len > 2 * VL) {                                                                      \
                const long tail = len - VL;                                                          \
                for (long t = 0; t < rows; ++t) {                                                    \
                    const T *st = s + row_off[t];                                                    \
                    T *dt = d + t * ld;                                                              \
                    for (long q = 0; q < tail; q += VL) *(NAME##_cv *)(dt + q) = *(const NAME##_cv *)(st + q); \
                    *(NAME##_cv *)(dt + tail) = *(const NAME##_cv *)(st + tail);                     \
                }                                                                                    \
            } else if (len >= VL) {   /* the common case, without a loop: two overlapping vectors */ \
                const long tail = len - VL;                                                          \
                for (long t = 0; t < rows; ++t) {                                                    \
                    const T *st = s + row_off[t];                                                    \
                    T *dt = d + t * ld;                                                              \
                    const NAME##_cv head = *(const NAME##_cv *)st, last = *(const NAME##_cv *)(st + tail); \
                    *(NAME##_cv *)dt = head;                                                         \
                    *(NAME##_cv *)(dt + tail) = last;                                                \
                }                                                                                    \
            } else if (runs[r].dst + VL <= ld) {                                                     \
                for (long t = 0; t < rows; ++t)                                                      \
                    *(NAME##_cv *)(d + t * ld) = *(const NAME##_cv *)(s + row_off[t]);               \
            } else {                                                                                 \
                const NAME##_ci keep = NAME##_lanes_below(len);                                      \
                for (long t = 0; t < rows; ++t) {                                                    \
                    const NAME##_ci v = (NAME##_ci)(*(const NAME##_cv *)(s + row_off[t]));           \
                    const NAME##_ci old = (NAME##_ci)(*(NAME##_cv *)(d + t * ld));                   \
                    *(NAME##_cv *)(d + t * ld) = (NAME##_cv)((v & keep) | (old & ~keep));            \
                }                                                                                    \
            }                                                                                        \
        }                                                                                            \
    }                                                                                                \
    if (zhi > zlo)                                                                                   \
        for (long t = 0; t < rows; ++t)                                                              \
            for (long j = zlo; j < zhi; ++j) dst[t * ld + j] = (T)0;                                 \
}                                                                                                    \
                                                                                                     \
/* The adjoint: dst[row_off[t] + run.src + q*stride] += src[t*ld + run.dst + q], rows t taken in     \
 * the given order (consecutive rows should not touch overlapping memory: a load that partly        \
 * overlaps a store still in flight waits for it). A stride-1 run's last partial vector adds -0.0    \
 * in its dead lanes (x + -0.0 == x for every x), so src and dst need a vector of slack. */          \
MG_NO_MEMCPY_CALLS ATTR static void NAME##_conv_unpack_add(long rows, const long *order, const long *row_off,          \
                                        const mg_conv_run *runs, int nruns, long stride,             \
                                        const T *src, long ld, T *dst) {                             \
    const long VL = NAME##_cvl;                                                                      \
    if (stride != 1) {                                                                               \
        for (long u = 0; u < rows; ++u)                                                              \
            for (int r = 0; r < nruns; ++r) {                                                        \
                T *d = dst + row_off[order[u]] + runs[r].src;                                        \
                const T *s = src + order[u] * ld + runs[r].dst;                                      \
                for (long q = 0; q < runs[r].len; ++q) d[q * stride] += s[q];                        \
            }                                                                                        \
        return;                                                                                      \
    }                                                                                                \
    const NAME##_cv nz = -(NAME##_cv){0};     /* -0.0 in every lane */                             \
    for (int r = 0; r < nruns; ++r) {                                                                \
        const long len = runs[r].len, full = len - len % VL;                                         \
        const NAME##_ci keep = NAME##_lanes_below(len % VL);                                         \
        for (long u = 0; u < rows; ++u) {                                                            \
            T *d = dst + row_off[order[u]] + runs[r].src;                                            \
            const T *s = src + order[u] * ld + runs[r].dst;                                          \
            long q = 0;                                                                              \
            for (; q < full; q += VL)                                                                \
                *(NAME##_cv *)(d + q) = *(NAME##_cv *)(d + q) + *(const NAME##_cv *)(s + q);         \
            if (q < len) {                                                                           \
                const NAME##_ci v = (NAME##_ci)(*(const NAME##_cv *)(s + q));                        \
                *(NAME##_cv *)(d + q) = *(NAME##_cv *)(d + q) + (NAME##_cv)((v & keep) | ((NAME##_ci)nz & ~keep)); \
            }                                                                                        \
        }                                                                                            \
    }                                                                                                \
}

MG_DEFINE_CONV_PACK(mg_s_base, float, int32_t, MG_ATTR_BASELINE)
MG_DEFINE_CONV_PACK(mg_d_base, double, int64_t, MG_ATTR_BASELINE)
#if MG_HAVE_AVX2_KERNELS
MG_DEFINE_CONV_PACK(mg_s_avx2, float, int32_t, MG_ATTR_AVX2)
MG_DEFINE_CONV_PACK(mg_d_avx2, double, int64_t, MG_ATTR_AVX2)
#endif

/* Packers indexed like mg_s_kernels / mg_d_kernels (by mg_gemm_isa). */
#if MG_HAVE_AVX2_KERNELS
#define MG_CONV_ISA_TABLE(NAME, P, FN) \
    static __typeof__(&mg_##P##_base_##FN) const NAME[] = {mg_##P##_base_##FN, mg_##P##_avx2_##FN}
#else
#define MG_CONV_ISA_TABLE(NAME, P, FN) static __typeof__(&mg_##P##_base_##FN) const NAME[] = {mg_##P##_base_##FN}
#endif
MG_CONV_ISA_TABLE(mg_s_conv_packs, s, conv_pack);
MG_CONV_ISA_TABLE(mg_s_conv_unpacks, s, conv_unpack_add);
MG_CONV_ISA_TABLE(mg_d_conv_packs, d, conv_pack);
MG_CONV_ISA_TABLE(mg_d_conv_unpacks, d, conv_unpack_add);

#define MG_DEFINE_CONV(SUF, T)                                                                       \
enum { mg_##SUF##_conv_vl = MG_CONV_VB / (int)sizeof(T) };                                           \
/* xp := x zero-padded (see the file comment), plus a zeroed vector of slack at the end. */         \
static void mg_##SUF##_conv_pad(const mg_conv_geom *g, const T *x, T *xp, int nt) {                  \
    const long planes = g->N * g->C, HW = g->Hp * g->Wp;                                             \
    if (planes * HW < (1L << 15)) nt = 1;                                                            \
    _Pragma("omp parallel for schedule(static) num_threads(nt) if(nt > 1)")                          \
    for (long q = 0; q < planes; ++q) {                                                              \
        const T *s = x + q * g->H * g->W;                                                            \
        T *d = xp + q * HW;                                                                          \
        for (long r = 0; r < g->Hp; ++r) {                                                           \
            const long h = r - g->pt;                                                                \
            T *dr = d + r * g->Wp;                                                                   \
            if (h < 0 || h >= g->H) { memset(dr, 0, (size_t)g->Wp * sizeof(T)); continue; }        \
            /* columns c = w + pl: [0, c0) zeros, [c0, c1) from x, [c1, Wp) zeros (pl < 0 crops) */  \
            const long c0 = MG_MAX(g->pl, 0L), c1 = MG_MIN(g->pl + g->W, g->Wp);                     \
            if (c1 <= c0) { memset(dr, 0, (size_t)g->Wp * sizeof(T)); continue; }                    \
            memset(dr, 0, (size_t)c0 * sizeof(T));                                                   \
            memcpy(dr + c0, s + h * g->W + c0 - g->pl, (size_t)(c1 - c0) * sizeof(T));              \
            memset(dr + c1, 0, (size_t)(g->Wp - c1) * sizeof(T));                                    \
        }                                                                                            \
    }                                                                                                \
    memset(xp + planes * HW, 0, MG_CONV_SLACK * sizeof(T));                                                         \
}                                                                                                    \
                                                                                                     \
/* A (M x K per group, element (i, p) at a + gi*gstride + i*rs + p*cs) packed for all G groups, K   \
 * split in blocks of kcb: block (gi, b) at Ap + (gi*nkb + b) * Mpad*kcb. */                          \
static void mg_##SUF##_conv_pack_weight(const mg_##SUF##_kernel *kern, long G, long M, long K,       \
                                        const T *a, long gstride, long rs, long cs, long kcb, T *Ap) { \
    const long Mpad = MG_ROUND_UP(M, kern->mr), nkb = MG_CEIL_DIV(K, kcb);                           \
    for (long gi = 0; gi < G; ++gi)                                                                  \
        for (long b = 0; b < nkb; ++b)                                                               \
            kern->pack_a(M, MG_MIN(kcb, K - b * kcb), a + gi * gstride + b * kcb * cs, rs, cs,       \
                         Ap + (gi * nkb + b) * Mpad * kcb);                                          \
}                                                                                                    \
                                                                                                     \
static long mg_##SUF##_conv_kc(long K) { return MG_CEIL_DIV(K, MG_CEIL_DIV(K, mg_##SUF##_kc_max)); } \
                                                                                                     \
/* out (N, O, OH, OW) := conv(xp, w) + bias (bias may be NULL). xp_end: one past xp's readable end. */\
static int mg_##SUF##_conv_forward(const mg_##SUF##_kernel *kern, const mg_conv_geom *g,             \
                                   const T *xp, const T *xp_end, const T *w, const T *bias, T *out, \
                                   int nt) {                                                         \
    const int MR = kern->mr, NR = kern->nr;                                                          \
    const long P = g->OH * g->OW, Kg = g->Kg, Og = g->Og, HWp = g->Hp * g->Wp;                       \
    /* The bias is one more tap: a column of A and a row of ones in B. The first K block then needs  \
     * no C (beta = 0), so the output is written once, by the micro-kernel, overlapped with work. */ \
    const long Kx = Kg + (bias != NULL);                                                             \
    const long kcb = Kx ? mg_##SUF##_conv_kc(Kx) : 1, nkb = MG_CEIL_DIV(Kx, kcb);                    \
    const long Mpad = MG_ROUND_UP(Og, MR), ppi = MG_CEIL_DIV(P, NR);                                 \
    const long npanels = g->G * g->N * ppi;                                                          \
    if (npanels == 0) return 0;                                                                      \
    if (Kx == 0) {                                                                                   \
        memset(out, 0, (size_t)g->N * g->O * P * sizeof(T));                                         \
        return 0;                                                                                    \
    }                                                                                                \
    if ((double)g->N * P * g->O * Kx < mg_gemm_parallel_min_work) nt = 1;                            \
    if (nt > npanels) nt = (int)npanels;                                                             \
    /* Panels are handed out dynamically, a few at a time: on a shared machine a thread that gets    \
     * less CPU takes fewer. Each panel's result does not depend on the thread computing it. */      \
    const long pchunk = MG_MAX(1L, npanels / (8L * nt));                                             \
    const long bstride = MG_ROUND_UP(kcb * NR + MG_CONV_SLACK, 16);                                  \
    const size_t abytes = (size_t)g->G * nkb * Mpad * kcb * sizeof(T);                               \
    const size_t wbytes = bias ? (size_t)MG_ROUND_UP(g->O * Kx, 16) * sizeof(T) : 0;                 \
    char *buf = (char *)mg_buf_reserve(&mg_tls_apack, abytes + wbytes + (size_t)nt * bstride * sizeof(T) \
                                       + (size_t)Kg * sizeof(long) + 64);                            \
    if (!buf) return -1;                                                                             \
    T *Ap = (T *)buf, *Bbase = (T *)(buf + abytes + wbytes);                                         \
    long *toff = (long *)(Bbase + (size_t)nt * bstride);                                             \
    if (bias) {               /* [W | b], O x (Kg + 1) */                                            \
        T *wb = (T *)(buf + abytes);                                                                 \
        for (long o = 0; o < g->O; ++o) {                                                            \
            memcpy(wb + o * Kx, w + o * Kg, (size_t)Kg * sizeof(T));                                 \
            wb[o * Kx + Kg] = bias[o];                                                               \
        }                                                                                            \
        mg_##SUF##_conv_pack_weight(kern, g->G, Og, Kx, wb, Og * Kx, Kx, 1, kcb, Ap);                \
    } else {                                                                                         \
        mg_##SUF##_conv_pack_weight(kern, g->G, Og, Kx, w, Og * Kg, Kg, 1, kcb, Ap);                 \
    }                                                                                                \
    mg_conv_tap_offsets(g, toff);                                                                    \
    _Pragma("omp parallel num_threads(nt) if(nt > 1)")                                               \
    {                                                                                                \
        const int tid = omp_get_thread_num();                                                        \
        T *Bp = Bbase + (size_t)tid * bstride;                                                       \
        mg_conv_run runs[MG_MAX_NR + 2];                                                             \
        _Pragma("omp for schedule(dynamic, pchunk) nowait")                                          \
        for (long q = 0; q < npanels; ++q) {                                                         \
            const long gi = q / (g->N * ppi), n = (q / ppi) % g->N, p0 = (q % ppi) * NR;             \
            const long nr = MG_MIN((long)NR, P - p0);                                                \
            const int nruns = mg_conv_position_runs(g, p0, nr, runs);                                \
            const T *xg = xp + (n * g->C + gi * g->Cg) * HWp;                                        \
            T *C = out + (n * g->O + gi * Og) * P + p0;                                              \
            const long zhi = nr % NR ? MG_ROUND_UP(nr, (long)mg_##SUF##_conv_vl) : 0;                \
            for (long b = 0; b < nkb; ++b) {                                                         \
                const long pc = b * kcb, kc = MG_MIN(kcb, Kx - pc), kt = MG_MIN(kc, Kg - pc);        \
                mg_##SUF##_conv_packs[mg_gemm_isa](kt, toff + pc, runs, nruns, g->sw, xg, xp_end, Bp, NR, nr, zhi); \
                if (kt < kc) {                /* the bias row */                                     \
                    T *ones = Bp + kt * NR;                                                          \
                    for (long j = 0; j < NR; ++j) ones[j] = j < nr ? (T)1 : (T)0;                    \
                }                                                                                    \
                kern->macro(Og, nr, kc, (T)1, Ap + (gi * nkb + b) * Mpad * kcb, Bp, b ? (T)1 : (T)0, C, P); \
            }                                                                                        \
        }                                                                                            \
    }                                                                                                \
    return 0;                                                                                        \
}                                                                                                     \
/* gw (G*Og, Cg, kh, kw) := Σ_n gout[n, g] @ X̂[g]ᵀ. Images in nch (<= MG_CONV_DW_CHUNKS) fixed      \
 * chunks, one partial per chunk (gw itself when nch == 1), then added in chunk order. */             \
static int mg_##SUF##_conv_backward_weight(const mg_##SUF##_kernel *kern, const mg_conv_geom *g,     \
                                           const T *xp, const T *xp_end, const T *gout, T *gw,      \
                                           int nt) {                                                 \
    const int MR = kern->mr, NR = kern->nr;                                                          \
    const long P = g->OH * g->OW, Kg = g->Kg, Og = g->Og, HWp = g->Hp * g->Wp;                       \
    const long GOK = g->G * Og * Kg;                                                                 \
    /* Fewer image chunks for large weights (a function of the shape alone): the partials stay      \
     * below MG_CONV_DW_PARTIALS elements. */                                                        \
    const long nch = MG_MIN(MG_MIN(g->N, (long)MG_CONV_DW_CHUNKS), MG_MAX(1L, MG_CONV_DW_PARTIALS / MG_MAX(GOK, 1L))); \
    if (GOK == 0) return 0;                                                                          \
    if (g->N == 0 || P == 0) { memset(gw, 0, (size_t)GOK * sizeof(T)); return 0; }                   \
    const long kcp = mg_##SUF##_conv_kc(P), nqp = MG_CEIL_DIV(Kg, NR), rpp = NR + 2;                 \
    if ((double)g->N * P * g->O * Kg < mg_gemm_parallel_min_work) nt = 1;                            \
    /* With few (chunk, group) tasks for the threads, each also splits its tap panels into nqb      \
     * blocks, every block summing the whole chunk for its own columns: the same arithmetic for     \
     * every element whatever the split, so nqb may follow the thread count. */                     \
    const long nqb = nch * g->G >= 4L * nt ? 1 : MG_MIN(nqp, MG_CEIL_DIV(4L * nt, nch * g->G));     \
    const long ntask = nch * g->G * nqb;                                                             \
    if (nt > ntask) nt = (int)ntask;                                                                 \
    const long astride = MG_ROUND_UP(MG_ROUND_UP(Og, MR) * kcp, 16);                                 \
    const long bstride = MG_ROUND_UP(kcp * NR + MG_CONV_SLACK, 16);                                  \
    const long pbytes = nch > 1 ? nch * GOK : 0;                                                     \
    const size_t tbytes = (size_t)(astride + bstride) * sizeof(T) + (size_t)kcp * sizeof(long);     \
    /* each region starts on a 64-byte boundary: the run table holds longs (UBSan: misaligned) */    \
    const size_t tbuf_at = MG_ROUND_UP((size_t)pbytes * sizeof(T), 64);                              \
    const size_t runs_at = tbuf_at + MG_ROUND_UP((size_t)nt * tbytes, 64);                           \
    char *buf = (char *)mg_buf_reserve(&mg_tls_apack, runs_at                                        \
                                       + (size_t)nqp * (rpp * sizeof(mg_conv_run) + sizeof(int)) + 64); \
    if (!buf) return -1;                                                                             \
    T *part = (T *)buf;                                                                              \
    char *tbuf = buf + tbuf_at;                                                                      \
    mg_conv_run *runs = (mg_conv_run *)(buf + runs_at);                                              \
    int *nruns = (int *)(runs + nqp * rpp);                                                          \
    for (long qp = 0; qp < nqp; ++qp)                                                                \
        nruns[qp] = mg_conv_tap_runs(g, qp * NR, MG_MIN((long)NR, Kg - qp * NR), runs + qp * rpp);   \
    _Pragma("omp parallel num_threads(nt) if(nt > 1)")                                               \
    {                                                                                                \
        const int tid = omp_get_thread_num();                                                        \
        T *Ap = (T *)(tbuf + tid * tbytes), *Bp = Ap + astride;                                      \
        long *rowoff = (long *)(Bp + bstride);                                                       \
        _Pragma("omp for schedule(dynamic, 1) nowait")                                               \
        for (long task = 0; task < ntask; ++task) {                                                  \
            const long c = task / (g->G * nqb), gi = (task / nqb) % g->G, qb = task % nqb;           \
            const long q0 = nqp * qb / nqb, q1 = nqp * (qb + 1) / nqb;                               \
            T *C = nch > 1 ? part + c * GOK + gi * Og * Kg : gw + gi * Og * Kg;                      \
            T beta = (T)0;                                                                           \
            for (long n = g->N * c / nch; n < g->N * (c + 1) / nch; ++n) {                           \
                const long xoff = (n * g->C + gi * g->Cg) * HWp;                                     \
                for (long pos0 = 0; pos0 < P; pos0 += kcp) {                                         \
                    const long kc = MG_MIN(kcp, P - pos0);                                           \
                    kern->pack_a(Og, kc, gout + (n * g->O + gi * Og) * P + pos0, P, 1, Ap);          \
                    for (long t = 0; t < kc; ++t) {                                                  \
                        const long oh = (pos0 + t) / g->OW, ow = (pos0 + t) % g->OW;                 \
                        rowoff[t] = xoff + oh * g->sh * g->Wp + ow * g->sw;                          \
                    }                                                                                \
                    for (long qp = q0; qp < q1; ++qp) {                                              \
                        const long k0 = qp * NR, nr = MG_MIN((long)NR, Kg - k0);                     \
                        const long zhi = nr % NR ? MG_ROUND_UP(nr, (long)mg_##SUF##_conv_vl) : 0;    \
                        mg_##SUF##_conv_packs[mg_gemm_isa](kc, rowoff, runs + qp * rpp, nruns[qp], g->dw, xp, xp_end, \
                                             Bp, NR, nr, zhi);                                       \
                        kern->macro(Og, nr, kc, (T)1, Ap, Bp, beta, C + k0, Kg);                     \
                    }                                                                                \
                    beta = (T)1;                                                                     \
                }                                                                                    \
            }                                                                                        \
        }                                                                                            \
    }                                                                                                \
    if (nch > 1) {                                                                                   \
        int rt = GOK < (1L << 15) ? 1 : nt;                                                          \
        _Pragma("omp parallel for schedule(static) num_threads(rt) if(rt > 1)")                      \
        for (long e = 0; e < GOK; ++e) {                                                             \
            T s = part[e];                                                                           \
            for (long c = 1; c < nch; ++c) s += part[c * GOK + e];                                   \
            gw[e] = s;                                                                               \
        }                                                                                            \
    }                                                                                                \
    return 0;                                                                                        \
}                                                                                                    \
                                                                                                     \
/* gb[o] = Σ_{n,p} gout[n, o, p]: per (n, o) a sum in 8 lanes, then added over n in order in double \
 * precision; threads split o, so the order never depends on the thread count. */                   \
static void mg_##SUF##_conv_backward_bias(long N, long O, long P, const T *gout, T *gb, int nt) {   \
    enum { VL = 8 };          /* lane-wise sums: GCC vectorises them without reassociating */    \
    if ((double)N * O * P < (1 << 16)) nt = 1;                                                       \
    _Pragma("omp parallel for schedule(static) num_threads(nt) if(nt > 1)")                          \
    for (long o = 0; o < O; ++o) {                                                                   \
        double total = 0.0;                                                                          \
        for (long n = 0; n < N; ++n) {                                                               \
            const T *row = gout + (n * O + o) * P;                                                   \
            T acc[VL] = {0};                                                                         \
            long p = 0;                                                                              \
            for (; p + VL <= P; p += VL)                                                             \
                for (int l = 0; l < VL; ++l) acc[l] += row[p + l];                                   \
            T s = 0;                                                                                 \
            for (int l = 0; l < VL; ++l) s += acc[l];                                                \
            for (; p < P; ++p) s += row[p];                                                          \
            total += s;                                                                              \
        }                                                                                            \
        gb[o] = (T)total;                                                                            \
    }                                                                                                \
}                                                                                                    \
                                                                                                     \
/* gx (N, C, H, W) := the input gradient (+ bias[c] if bias: ConvTranspose2d's forward). Per (image, group), each panel's dX̂ = W[g]ᵀ @ gout panel  \
 * (MC taps at a time, into an L1 tile) is added into a zeroed padded copy of the image's group       \
 * planes, whose interior is then gx. One thread owns each (image, group): a fixed order. */         \
static int mg_##SUF##_conv_backward_input(const mg_##SUF##_kernel *kern, const mg_conv_geom *g,      \
                                          const T *gout, const T *w, const T *bias, T *gx, int nt) { \
    const int MR = kern->mr, NR = kern->nr;                                                          \
    const long P = g->OH * g->OW, Kg = g->Kg, Og = g->Og, HWp = g->Hp * g->Wp;                       \
    const long ntask = g->N * g->G;                                                                  \
    if (ntask == 0 || g->Cg * g->H * g->W == 0) return 0;                                            \
    const long kcb = mg_##SUF##_conv_kc(Og), nkb = MG_CEIL_DIV(Og, kcb);                             \
    const long Mpad = MG_ROUND_UP(Kg, MR), mcc = MG_MIN(Mpad, mg_##SUF##_mc_max / MR * MR);          \
    if ((double)g->N * P * g->O * Kg < mg_gemm_parallel_min_work) nt = 1;                            \
    if (nt > ntask) nt = (int)ntask;                                                                 \
    const long VL = MG_CONV_VB / (long)sizeof(T);                                                  \
    const long bstride = MG_ROUND_UP(nkb * kcb * NR, 16), cstride = MG_ROUND_UP(mcc * NR + VL, 16);       \
    const long sstride = MG_ROUND_UP(g->Cg * HWp + VL, 16);                                               \
    const size_t abytes = (size_t)g->G * nkb * Mpad * kcb * sizeof(T);                               \
    const size_t tbytes = (size_t)(bstride + cstride + sstride) * sizeof(T);                        \
    char *buf = (char *)mg_buf_reserve(&mg_tls_apack, abytes + nt * tbytes + (size_t)2 * Kg * sizeof(long) + 64); \
    if (!buf) return -1;                                                                             \
    T *Ap = (T *)buf;                                                                                \
    char *tbuf = buf + abytes;                                                                       \
    long *toff = (long *)(tbuf + nt * tbytes), *order = toff + Kg;                                   \
    mg_##SUF##_conv_pack_weight(kern, g->G, Kg, Og, w, Og * Kg, 1, Kg, kcb, Ap);  /* W[g]ᵀ */                                             \
    mg_conv_tap_offsets(g, toff);                                                                    \
    /* Each chunk's taps in (j, c, i) order: consecutive scatters then hit different input rows. */  \
    for (long ic = 0; ic < Kg; ic += mcc) {                                                          \
        long u = ic;                                                                                 \
        for (long j = 0; j < g->kw; ++j)                                                             \
            for (long t = 0; t < MG_MIN(mcc, Kg - ic); ++t)                                          \
                if ((ic + t) % g->kw == j) order[u++] = t;                                           \
    }                                                                                                \
    _Pragma("omp parallel num_threads(nt) if(nt > 1)")                                               \
    {                                                                                                \
        const int tid = omp_get_thread_num();                                                        \
        T *Bp = (T *)(tbuf + tid * tbytes), *col = Bp + bstride, *img = col + cstride;               \
        mg_conv_run runs[MG_MAX_NR + 2];                                                             \
        _Pragma("omp for schedule(dynamic, 1) nowait")                                               \
        for (long task = 0; task < ntask; ++task) {                                                  \
            const long n = task / g->G, gi = task % g->G;                                            \
            memset(img, 0, (size_t)(g->Cg * HWp + VL) * sizeof(T));                                    \
            for (long p0 = 0; p0 < P; p0 += NR) {                                                    \
                const long nr = MG_MIN((long)NR, P - p0);                                            \
                const int nruns = mg_conv_position_runs(g, p0, nr, runs);                            \
                for (long b = 0; b < nkb; ++b) {                                                     \
                    const long pc = b * kcb, kc = MG_MIN(kcb, Og - pc);                              \
                    kern->pack_b(kc, nr, gout + (n * g->O + gi * Og + pc) * P + p0, P, 1, Bp + b * kcb * NR); \
                }                                                                                    \
                for (long ic = 0; ic < Kg; ic += mcc) {                                              \
                    const long mc = MG_MIN(mcc, Kg - ic);                                            \
                    for (long b = 0; b < nkb; ++b) {                                                 \
                        const long kc = MG_MIN(kcb, Og - b * kcb);                                   \
                        kern->macro(mc, nr, kc, (T)1, Ap + (gi * nkb + b) * Mpad * kcb + ic * kc,    \
                                    Bp + b * kcb * NR, b ? (T)1 : (T)0, col, NR);                    \
                    }                                                                                \
                    mg_##SUF##_conv_unpacks[mg_gemm_isa](mc, order + ic, toff + ic, runs, nruns, g->sw, col, NR, img);     \
                }                                                                                    \
            }                                                                                        \
            for (long c = 0; c < g->Cg; ++c)                                                         \
                for (long h = 0; h < g->H; ++h) {                                                    \
                    T *d = gx + ((n * g->C + gi * g->Cg + c) * g->H + h) * g->W;                     \
                    const long r = h + g->pt;                                                        \
                    /* rows/columns past the padded extent are reached by no window: gradient 0 */   \
                    for (long x = 0; x < g->W; ++x)                                                  \
                        d[x] = (r < g->Hp && x + g->pl < g->Wp) ? img[c * HWp + r * g->Wp + x + g->pl] : (T)0; \
                    if (bias)        /* ConvTranspose2d's bias (added only if given: -0.0 + 0 is +0) */ \
                        for (long x = 0; x < g->W; ++x) d[x] += bias[gi * g->Cg + c];                \
                }                                                                                    \
        }                                                                                            \
    }                                                                                                \
    return 0;                                                                                        \
}

MG_DEFINE_CONV(s, float)
MG_DEFINE_CONV(d, double)

/* Entry points on the active GEMM micro-kernels (mg_gemm_set_isa). Return 0, or -1 when a
 * scratch buffer could not be allocated. */
static void mg_sconv_pad(const mg_conv_geom *g, const float *x, float *xp, int nt) { mg_s_conv_pad(g, x, xp, nt); }
static void mg_dconv_pad(const mg_conv_geom *g, const double *x, double *xp, int nt) { mg_d_conv_pad(g, x, xp, nt); }
static int mg_sconv_forward(const mg_conv_geom *g, const float *xp, const float *xp_end, const float *w,
                            const float *bias, float *out, int nt) {
    return mg_s_conv_forward(&mg_s_kernels[mg_gemm_isa], g, xp, xp_end, w, bias, out, nt);
}
static int mg_dconv_forward(const mg_conv_geom *g, const double *xp, const double *xp_end, const double *w,
                            const double *bias, double *out, int nt) {
    return mg_d_conv_forward(&mg_d_kernels[mg_gemm_isa], g, xp, xp_end, w, bias, out, nt);
}
static int mg_sconv_backward_weight(const mg_conv_geom *g, const float *xp, const float *xp_end,
                                    const float *gout, float *gw, int nt) {
    return mg_s_conv_backward_weight(&mg_s_kernels[mg_gemm_isa], g, xp, xp_end, gout, gw, nt);
}
static int mg_dconv_backward_weight(const mg_conv_geom *g, const double *xp, const double *xp_end,
                                    const double *gout, double *gw, int nt) {
    return mg_d_conv_backward_weight(&mg_d_kernels[mg_gemm_isa], g, xp, xp_end, gout, gw, nt);
}
static void mg_sconv_backward_bias(long N, long O, long P, const float *gout, float *gb, int nt) {
    mg_s_conv_backward_bias(N, O, P, gout, gb, nt);
}
static void mg_dconv_backward_bias(long N, long O, long P, const double *gout, double *gb, int nt) {
    mg_d_conv_backward_bias(N, O, P, gout, gb, nt);
}
static int mg_sconv_backward_input(const mg_conv_geom *g, const float *gout, const float *w, const float *bias,
                                   float *gx, int nt) {
    return mg_s_conv_backward_input(&mg_s_kernels[mg_gemm_isa], g, gout, w, bias, gx, nt);
}
static int mg_dconv_backward_input(const mg_conv_geom *g, const double *gout, const double *w, const double *bias,
                                   double *gx, int nt) {
    return mg_d_conv_backward_input(&mg_d_kernels[mg_gemm_isa], g, gout, w, bias, gx, nt);
}

#endif /* MG_CONV_KERNELS_H */
