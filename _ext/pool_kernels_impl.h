/* Template body of pool_kernels.h: included once per element type with MG_T (float/double)
 * and MG_SUF (f32/f64) defined. Do not include directly. */

/* Take tap value v at flat index kk if it beats the running max (or is NaN). Written as
 * selects, not branches, so the loop over output columns vectorises. */
#define MG_TAKE(v, kk) do { MG_T v_ = (v); int t_ = (v_ > m) | (v_ != v_); \
                            m = t_ ? v_ : m; k = t_ ? (kk) : k; } while (0)
#define MG_TAKE_NOIDX(v) do { MG_T v_ = (v); m = ((v_ > m) | (v_ != v_)) ? v_ : m; } while (0)

/* ---- max 2x2, stride 2, no padding: window rows 2oh, 2oh+1, cols 2ow, 2ow+1 ---- */
MG_POOL_INLINE void MG_FN(max_k2s2_body)(const MG_T *restrict in, MG_T *restrict out,
        int64_t *restrict idx, int64_t W, int64_t OW,
        int64_t oh0, int64_t oh1, int64_t ow0, int64_t ow1)
{
    for (int64_t oh = oh0; oh < oh1; ++oh) {
        const MG_T *r0 = in + 2 * oh * W, *r1 = r0 + W;
        MG_T *o = out + oh * OW;
        if (idx) {
            int64_t *ix = idx + oh * OW;
            const int64_t b0 = 2 * oh * W, b1 = b0 + W;
            for (int64_t ow = ow0; ow < ow1; ++ow) {
                const int64_t x = 2 * ow;
                MG_T m = r0[x]; int64_t k = b0 + x;
                MG_TAKE(r0[x + 1], b0 + x + 1);
                MG_TAKE(r1[x], b1 + x);
                MG_TAKE(r1[x + 1], b1 + x + 1);
                o[ow] = m; ix[ow] = k;
            }
        } else {
            for (int64_t ow = ow0; ow < ow1; ++ow) {
                const int64_t x = 2 * ow;
                MG_T m = r0[x];
                MG_TAKE_NOIDX(r0[x + 1]);
                MG_TAKE_NOIDX(r1[x]);
                MG_TAKE_NOIDX(r1[x + 1]);
                o[ow] = m;
            }
        }
    }
}

/* ---- max 3x3, stride 2, padding 1: window rows 2oh-1..2oh+1, cols 2ow-1..2ow+1 ----
 * Fills outputs [oh0,oh1) x [ow0,ow1) with oh1, ow1 such that no window reaches past the
 * bottom/right edge; the top row and left column (oh = 0, ow = 0) reach into the padding and
 * go through the edge helper, which scans only the in-bounds taps. */
MG_POOL_INLINE void MG_FN(max_k3s2p1_edge)(const MG_T *restrict in, MG_T *restrict out,
        int64_t *restrict idx, int64_t W, int64_t OW, int64_t oh, int64_t ow)
{
    const int64_t y0 = oh > 0 ? 2 * oh - 1 : 0, x0 = ow > 0 ? 2 * ow - 1 : 0;
    MG_T m = in[y0 * W + x0]; int64_t k = y0 * W + x0;
    for (int64_t y = y0; y <= 2 * oh + 1; ++y)
        for (int64_t x = (y == y0 ? x0 + 1 : x0); x <= 2 * ow + 1; ++x)
            MG_TAKE(in[y * W + x], y * W + x);
    out[oh * OW + ow] = m;
    if (idx) idx[oh * OW + ow] = k;
}

MG_POOL_INLINE void MG_FN(max_k3s2p1_body)(const MG_T *restrict in, MG_T *restrict out,
        int64_t *restrict idx, int64_t W, int64_t OW,
        int64_t oh0, int64_t oh1, int64_t ow0, int64_t ow1)
{
    for (int64_t oh = oh0; oh < oh1; ++oh) {
        if (oh == 0 || ow0 == 0) {   /* the row in the top padding, or the left column */
            const int64_t end = oh == 0 ? ow1 : (ow1 < 1 ? ow1 : 1);
            for (int64_t ow = ow0; ow < end; ++ow)
                MG_FN(max_k3s2p1_edge)(in, out, idx, W, OW, oh, ow);
            if (oh == 0) continue;
        }
        const int64_t b0 = (2 * oh - 1) * W, b1 = b0 + W, b2 = b1 + W;
        const MG_T *r0 = in + b0, *r1 = in + b1, *r2 = in + b2;
        MG_T *o = out + oh * OW;
        const int64_t owa = ow0 > 1 ? ow0 : 1;
        if (idx) {
            int64_t *ix = idx + oh * OW;
            for (int64_t ow = owa; ow < ow1; ++ow) {
                const int64_t x = 2 * ow - 1;
                MG_T m = r0[x]; int64_t k = b0 + x;
                MG_TAKE(r0[x + 1], b0 + x + 1);
                MG_TAKE(r0[x + 2], b0 + x + 2);
                MG_TAKE(r1[x], b1 + x);
                MG_TAKE(r1[x + 1], b1 + x + 1);
                MG_TAKE(r1[x + 2], b1 + x + 2);
                MG_TAKE(r2[x], b2 + x);
                MG_TAKE(r2[x + 1], b2 + x + 1);
                MG_TAKE(r2[x + 2], b2 + x + 2);
                o[ow] = m; ix[ow] = k;
            }
        } else {
            for (int64_t ow = owa; ow < ow1; ++ow) {
                const int64_t x = 2 * ow - 1;
                MG_T m = r0[x];
                MG_TAKE_NOIDX(r0[x + 1]);
                MG_TAKE_NOIDX(r0[x + 2]);
                MG_TAKE_NOIDX(r1[x]);
                MG_TAKE_NOIDX(r1[x + 1]);
                MG_TAKE_NOIDX(r1[x + 2]);
                MG_TAKE_NOIDX(r2[x]);
                MG_TAKE_NOIDX(r2[x + 1]);
                MG_TAKE_NOIDX(r2[x + 2]);
                o[ow] = m;
            }
        }
    }
}

/* ---- average 2x2 s2 p0 and 3x3 s2 p1 interiors: out = (row-major sum) / div ----
 * NOTE: the sum runs in the element type in torch's order (first tap + second + ...) and is
 * divided once, so float32 results match torch's cpu_avg_pool bit for bit. */
MG_POOL_INLINE void MG_FN(avg_k2s2_body)(const MG_T *restrict in, MG_T *restrict out,
        MG_T div, int64_t W, int64_t OW, int64_t oh0, int64_t oh1, int64_t ow0, int64_t ow1)
{
    for (int64_t oh = oh0; oh < oh1; ++oh) {
        const MG_T *r0 = in + 2 * oh * W, *r1 = r0 + W;
        MG_T *o = out + oh * OW;
        for (int64_t ow = ow0; ow < ow1; ++ow) {
            const int64_t x = 2 * ow;
            o[ow] = (r0[x] + r0[x + 1] + r1[x] + r1[x + 1]) / div;
        }
    }
}

MG_POOL_INLINE void MG_FN(avg_k3s2p1_body)(const MG_T *restrict in, MG_T *restrict out,
        MG_T div, int64_t W, int64_t OW, int64_t oh0, int64_t oh1, int64_t ow0, int64_t ow1)
{
    for (int64_t oh = oh0; oh < oh1; ++oh) {
        const MG_T *r0 = in + (2 * oh - 1) * W, *r1 = r0 + W, *r2 = r1 + W;
        MG_T *o = out + oh * OW;
        for (int64_t ow = ow0; ow < ow1; ++ow) {
            const int64_t x = 2 * ow - 1;
            o[ow] = (r0[x] + r0[x + 1] + r0[x + 2] + r1[x] + r1[x + 1] + r1[x + 2]
                     + r2[x] + r2[x + 1] + r2[x + 2]) / div;
        }
    }
}

/* ---- max 2x2 s2 p0 backward, window-local (non-overlapping windows) ----
 * Writes input rows [0, 2*oh1) x columns [0, 2*ow1) of one plane completely: each input
 * element belongs to exactly one window, so it gets that window's gradient if the window's
 * stored index names it and 0 otherwise -- no zero fill, no scatter, one pass. The comparison
 * also drops indices outside the plane (SPEC #114216) since no tap has such an index.
 * `zero + g` (not g) keeps the scatter's `0 + g` result bit for bit: it turns -0.0 into +0.0. */
MG_POOL_INLINE void MG_FN(max_bwd_k2s2_body)(const MG_T *restrict go, const int64_t *restrict idx,
        MG_T *restrict gi, int64_t W, int64_t OW, int64_t oh1, int64_t ow1, int stream)
{
    (void)stream;   /* only the hand-written AVX2 float version streams */
    const MG_T zero = 0;
    for (int64_t oh = 0; oh < oh1; ++oh) {
        const MG_T *g = go + oh * OW;
        const int64_t *ix = idx + oh * OW;
        MG_T *d0 = gi + 2 * oh * W, *d1 = d0 + W;
        const int64_t b0 = 2 * oh * W, b1 = b0 + W;
        for (int64_t ow = 0; ow < ow1; ++ow) {
            const int64_t k = ix[ow], x = 2 * ow;
            const MG_T v = zero + g[ow];
            d0[x] = (k == b0 + x) ? v : zero;
            d0[x + 1] = (k == b0 + x + 1) ? v : zero;
            d1[x] = (k == b1 + x) ? v : zero;
            d1[x + 1] = (k == b1 + x + 1) ? v : zero;
        }
    }
}

/* ---- average-pool backward as a gather (any geometry, whole plane) ----
 * grad_in[y, x] = sum over the windows containing (y, x) of go[oh, ow] / div[oh, ow]. The sum
 * is separable: first each output row is expanded to input width, e[oh, x] = sum of
 * d[oh, ow] over the ow whose window covers column x (ow in [owr[x], owr[W + x])), then each
 * input row is the sum of the expanded rows oh in [ohr[y], ohr[H + y]). Every grad_in element
 * is written once (0 where no window covers it), so there is no zero fill and no scatter, and
 * the row sums are plain contiguous adds that vectorise along x.
 * d = go / div stays a division (torch divides), so single-window elements match the scatter
 * bit for bit; elements in several windows are summed in a different order (rows of columns
 * instead of output order), i.e. equal up to rounding. Sums start from 0 (`0 + d`, like the
 * scatter's zeroed grad_in, which turns -0.0 into +0.0).
 * hkind: 1 if kW 2 sW 2 pW 0, 2 if kW 3 sW 2 pW 1 (column patterns written without ranges),
 * else 0. scratch: OW + OH*W elements (the divided row, then the expanded rows). */
MG_POOL_INLINE void MG_FN(avg_bwd_body)(const MG_T *restrict go, const MG_T *restrict div,
        MG_T *restrict gi, MG_T *restrict scratch, const int64_t *restrict owr,
        const int64_t *restrict ohr, int64_t H, int64_t W, int64_t OH, int64_t OW, int hkind)
{
    MG_T *restrict d = scratch, *restrict ex = scratch + OW;
    for (int64_t oh = 0; oh < OH; ++oh) {
        const MG_T *g = go + oh * OW, *dv = div + oh * OW;
        MG_T *e = ex + oh * W;
        for (int64_t ow = 0; ow < OW; ++ow)
            d[ow] = g[ow] / dv[ow];
        /* columns covered as the pattern says (x0 of them), from the vectorisable stride-2
         * loops below; the rest (right border, ceil_mode overhang) from the ranges */
        int64_t x0 = 0;
        const MG_T zero = 0;
        if (hkind == 1) {          /* kW 2, sW 2, pW 0: columns 2j, 2j+1 <- window j */
            /* a ceil_mode window hanging over the right edge (odd W) goes to the range loop */
            const int64_t jn = OW < W / 2 ? OW : W / 2;
            for (int64_t j = 0; j < jn; ++j) {
                const MG_T v = zero + d[j];
                e[2 * j] = v; e[2 * j + 1] = v;
            }
            x0 = 2 * jn;
        } else if (hkind == 2 && OW > 1) {   /* kW 3, sW 2, pW 1: 2j <- j, 2j+1 <- j, j+1
                                              * (2*OW - 3 < W for any valid OW) */
            for (int64_t j = 0; j < OW - 1; ++j) {
                const MG_T v = zero + d[j];
                e[2 * j] = v; e[2 * j + 1] = v + d[j + 1];
            }
            x0 = 2 * (OW - 1);
        }
        for (int64_t x = x0; x < W; ++x) {
            MG_T s = 0;
            for (int64_t ow = owr[x], end = owr[W + x]; ow < end; ++ow)
                s += d[ow];
            e[x] = s;
        }
    }
    for (int64_t y = 0; y < H; ++y) {
        const int64_t lo = ohr[y], n = ohr[H + y] - lo;
        MG_T *o = gi + y * W;
        const MG_T *e0 = ex + (n > 0 ? lo : 0) * W;
        if (n <= 0) {
            for (int64_t x = 0; x < W; ++x) o[x] = 0;
        } else if (n == 1) {
            for (int64_t x = 0; x < W; ++x) o[x] = e0[x];
        } else {
            const MG_T *e1 = e0 + W;
            for (int64_t x = 0; x < W; ++x) o[x] = e0[x] + e1[x];
            for (int64_t k = 2; k < n; ++k) {
                const MG_T *ek = e0 + k * W;
                for (int64_t x = 0; x < W; ++x) o[x] += ek[x];
            }
        }
    }
}

/* ---- per-ISA instances and the run-time switch (isa: 0 baseline, 1 AVX2+FMA) ----
 * The AVX2 instance of a kernel runs `AVX2_IMPL`: the body compiled for AVX2, or for float's
 * max kernels the hand-written version (pool_kernels_avx2.h, declared in pool_kernels.h). */
#define MG_POOL_MAX_ARGS const MG_T *restrict in, MG_T *restrict out, int64_t *restrict idx, \
    int64_t W, int64_t OW, int64_t oh0, int64_t oh1, int64_t ow0, int64_t ow1
#define MG_POOL_MAX_PASS in, out, idx, W, OW, oh0, oh1, ow0, ow1
#define MG_POOL_AVG_ARGS const MG_T *restrict in, MG_T *restrict out, MG_T div, \
    int64_t W, int64_t OW, int64_t oh0, int64_t oh1, int64_t ow0, int64_t ow1
#define MG_POOL_AVG_PASS in, out, div, W, OW, oh0, oh1, ow0, ow1
#define MG_POOL_MAXBWD_ARGS const MG_T *restrict go, const int64_t *restrict idx, \
    MG_T *restrict gi, int64_t W, int64_t OW, int64_t oh1, int64_t ow1, int stream
#define MG_POOL_MAXBWD_PASS go, idx, gi, W, OW, oh1, ow1, stream
#define MG_POOL_AVGBWD_ARGS const MG_T *restrict go, const MG_T *restrict div, \
    MG_T *restrict gi, MG_T *restrict scratch, const int64_t *restrict owr, \
    const int64_t *restrict ohr, int64_t H, int64_t W, int64_t OH, int64_t OW, int hkind
#define MG_POOL_AVGBWD_PASS go, div, gi, scratch, owr, ohr, H, W, OH, OW, hkind

#if MG_POOL_HAND
#define MG_POOL_MAX_AVX2(name) MG_FN(name##_hand)
#else
#define MG_POOL_MAX_AVX2(name) MG_FN(name##_body)
#endif

#define MG_POOL_INSTANCES(name, ARGS, PASS, AVX2_IMPL)                                   \
    static void MG_FN(name##_base)(ARGS) { MG_FN(name##_body)(PASS); }                  \
    MG_POOL_AVX2 static void MG_FN(name##_avx2)(ARGS) { AVX2_IMPL(PASS); }                \
    static inline void MG_FN(name)(int isa, ARGS) {                                      \
        if (MG_POOL_HAVE_AVX2_BUILD && isa == 1) MG_FN(name##_avx2)(PASS);               \
        else MG_FN(name##_base)(PASS);                                                   \
    }

MG_POOL_INSTANCES(max_k2s2, MG_POOL_MAX_ARGS, MG_POOL_MAX_PASS, MG_POOL_MAX_AVX2(max_k2s2))
MG_POOL_INSTANCES(max_k3s2p1, MG_POOL_MAX_ARGS, MG_POOL_MAX_PASS, MG_POOL_MAX_AVX2(max_k3s2p1))
MG_POOL_INSTANCES(avg_k2s2, MG_POOL_AVG_ARGS, MG_POOL_AVG_PASS, MG_FN(avg_k2s2_body))
MG_POOL_INSTANCES(avg_k3s2p1, MG_POOL_AVG_ARGS, MG_POOL_AVG_PASS, MG_FN(avg_k3s2p1_body))
MG_POOL_INSTANCES(max_bwd_k2s2, MG_POOL_MAXBWD_ARGS, MG_POOL_MAXBWD_PASS,
                  MG_POOL_MAX_AVX2(max_bwd_k2s2))
MG_POOL_INSTANCES(avg_bwd, MG_POOL_AVGBWD_ARGS, MG_POOL_AVGBWD_PASS, MG_FN(avg_bwd_body))

#undef MG_POOL_INSTANCES
#undef MG_POOL_MAX_ARGS
#undef MG_POOL_MAX_PASS
#undef MG_POOL_AVG_ARGS
#undef MG_POOL_AVG_PASS
#undef MG_POOL_MAXBWD_ARGS
#undef MG_POOL_MAXBWD_PASS
#undef MG_POOL_AVGBWD_ARGS
#undef MG_POOL_AVGBWD_PASS
#undef MG_POOL_MAX_AVX2
#undef MG_TAKE
#undef MG_TAKE_NOIDX
