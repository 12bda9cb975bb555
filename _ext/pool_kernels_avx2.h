/* Hand-written AVX2 float32 max-pool kernels (the `isa == 1` float instances of
 * pool_kernels.h's max kernels); included by pool_kernels.h after the generic bodies, which
 * they call for shapes too narrow for one vector. Same semantics, bit for bit, as the bodies.
 *
 * Why by hand: GCC's auto-vectorised stride-2 loops (9 strided gathers for 3x3) ran at ~1.4x
 * the copy time for k2s2 and ~3x these kernels' time for k3s2p1 (64x32x56x56, one thread),
 * and the top row / left column of k3s2p1 went through the scalar generic loop (KERNELS.md
 * §2 saw the same).
 *
 * Layout trick used throughout: 16 consecutive floats a0|a1 split into even and odd columns
 * with one in-lane shuffle each (_mm256_shuffle_ps 0x88 / 0xDD). The result is in the lane
 * order [0,1,4,5,2,3,6,7] of the 8 output columns; every vector of a window is in that same
 * order, so the comparisons need no fix-up, and one 64-bit permute (0xD8, its own inverse)
 * restores natural order before a store. Indices are tracked as int32 tap offsets relative
 * to the window's corner (hence W <= MG_HAND_MAX_W) and widened to int64 on the store.
 *
 * Column tails: a row of n >= 8 outputs is covered by vectors at 0, 8, ... and one last
 * vector at n - 8 that overlaps the previous one; it recomputes some outputs, writing the same
 * values, so there is no scalar tail loop.
 */
#ifndef MINIGRAD_POOL_KERNELS_AVX2_H
#define MINIGRAD_POOL_KERNELS_AVX2_H
#if MG_POOL_HAVE_AVX2_BUILD
#include <immintrin.h>

#define MG_H static inline __attribute__((target("avx2,fma"), always_inline))
/* int32 tap offsets (up to 2W + 2) and int32 compares of relative indices stay exact */
#define MG_HAND_MAX_W ((int64_t)1 << 29)

MG_H __m256 mg_h_even(__m256 a, __m256 b) { return _mm256_shuffle_ps(a, b, 0x88); }
MG_H __m256 mg_h_odd(__m256 a, __m256 b) { return _mm256_shuffle_ps(a, b, 0xDD); }
/* [0,1,4,5,2,3,6,7] <-> [0..7] (an involution) */
MG_H __m256 mg_h_swap(__m256 v) {
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(v), 0xD8));
}
MG_H __m256 mg_h_ioff(int64_t off) { return _mm256_castsi256_ps(_mm256_set1_epi32((int)off)); }

/* torch's take rule `v > m || v != v` as a lane mask; then m (and the tap offset k) follow it */
MG_H __m256 mg_h_takes(__m256 v, __m256 m) {
    return _mm256_or_ps(_mm256_cmp_ps(v, m, _CMP_GT_OQ), _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
}
MG_H void mg_h_take(__m256 v, __m256 *m) { *m = _mm256_blendv_ps(*m, v, mg_h_takes(v, *m)); }
MG_H void mg_h_take_k(__m256 v, __m256 off, __m256 *m, __m256 *k) {
    const __m256 t = mg_h_takes(v, *m);
    *m = _mm256_blendv_ps(*m, v, t);
    *k = _mm256_blendv_ps(*k, off, t);
}

/* 8 int64 indices: corner + 2*lane + k (k: scrambled int32 tap offsets) */
MG_H void mg_h_store_idx(int64_t *dst, __m256 k, int64_t corner) {
    const __m256i kk = _mm256_castps_si256(mg_h_swap(k));
    const __m256i b = _mm256_add_epi64(_mm256_set1_epi64x(corner), _mm256_setr_epi64x(0, 2, 4, 6));
    _mm256_storeu_si256((__m256i *)dst,
                        _mm256_add_epi64(_mm256_cvtepi32_epi64(_mm256_castsi256_si128(kk)), b));
    _mm256_storeu_si256((__m256i *)(dst + 4),
                        _mm256_add_epi64(_mm256_cvtepi32_epi64(_mm256_extracti128_si256(kk, 1)),
                                         _mm256_add_epi64(b, _mm256_set1_epi64x(8))));
}

/* ***** forward, 2x2 stride 2 (interior [oh0,oh1) x [ow0,ow1), windows wholly inside) *****
 * One vector of 8 outputs (oh, ow..ow+7); o and ix point at the output row. */
MG_H void mg_h_k2s2_vec(const float *in, float *o, int64_t *ix, int64_t W, int64_t oh,
                        int64_t ow, int left)
{
    (void)left;
    const float *r0 = in + 2 * oh * W + 2 * ow, *r1 = r0 + W;
    const __m256 a0 = _mm256_loadu_ps(r0), a1 = _mm256_loadu_ps(r0 + 8);
    const __m256 b0 = _mm256_loadu_ps(r1), b1 = _mm256_loadu_ps(r1 + 8);
    __m256 m = mg_h_even(a0, a1);
    if (ix) {
        __m256 k = _mm256_setzero_ps();
        mg_h_take_k(mg_h_odd(a0, a1), mg_h_ioff(1), &m, &k);
        mg_h_take_k(mg_h_even(b0, b1), mg_h_ioff(W), &m, &k);
        mg_h_take_k(mg_h_odd(b0, b1), mg_h_ioff(W + 1), &m, &k);
        mg_h_store_idx(ix + ow, k, 2 * oh * W + 2 * ow);
    } else {
        mg_h_take(mg_h_odd(a0, a1), &m);
        mg_h_take(mg_h_even(b0, b1), &m);
        mg_h_take(mg_h_odd(b0, b1), &m);
    }
    _mm256_storeu_ps(o + ow, mg_h_swap(m));
}

/* ***** forward, 3x3 stride 2 padding 1: outputs [0,oh1) x [0,ow1) (all but the bottom and
 * right overhang; the top row and left column reach into the padding) ***** */

/* Columns 2ow-1, 2ow, 2ow+1 of row r for 8 outputs from ow. `left`: lane 0 is ow = 0, whose
 * column -1 is padding: it is not loaded (masked load), its lane holds garbage for the caller
 * to replace. */
MG_H void mg_h_row3(const float *r, int64_t ow, int left, __m256 *c0, __m256 *c1, __m256 *c2)
{
    const float *p = r + 2 * ow - 1;
    const __m256 a0 = left ? _mm256_maskload_ps(p, _mm256_setr_epi32(0, -1, -1, -1, -1, -1, -1, -1))
                           : _mm256_loadu_ps(p);
    const __m256 a1 = _mm256_loadu_ps(p + 8);
    const __m256 b0 = _mm256_loadu_ps(p + 1), b1 = _mm256_loadu_ps(p + 9);
    *c0 = mg_h_even(a0, a1);
    *c1 = mg_h_even(b0, b1);
    *c2 = mg_h_odd(b0, b1);
}

/* One vector of 8 outputs (oh, ow..ow+7). Taps are scanned row-major over the rows inside
 * the input (rows 0,1 for oh = 0), so the padding is never a candidate: for the left lane the
 * first tap is column 0 (column -1 is replaced by it, with its offset), and later rows' column
 * -1 becomes -inf, which the take rule never picks. */
MG_H void mg_h_k3s2p1_vec(const float *in, float *o, int64_t *ix, int64_t W, int64_t oh,
                          int64_t ow, int left)
{
    const int64_t dr0 = oh == 0 ? 1 : 0;
    __m256 c0, c1, c2, m, k = _mm256_setzero_ps();
    mg_h_row3(in + (2 * oh - 1 + dr0) * W, ow, left, &c0, &c1, &c2);
    const int64_t off0 = dr0 * W;
    if (left) {
        c0 = _mm256_blend_ps(c0, c1, 1);
        k = _mm256_blend_ps(mg_h_ioff(off0), mg_h_ioff(off0 + 1), 1);
    } else {
        k = mg_h_ioff(off0);
    }
    m = c0;
    if (ix) {
        mg_h_take_k(c1, mg_h_ioff(off0 + 1), &m, &k);
        mg_h_take_k(c2, mg_h_ioff(off0 + 2), &m, &k);
    } else {
        mg_h_take(c1, &m);
        mg_h_take(c2, &m);
    }
    for (int64_t dr = dr0 + 1; dr < 3; ++dr) {
        mg_h_row3(in + (2 * oh - 1 + dr) * W, ow, left, &c0, &c1, &c2);
        if (left)
            c0 = _mm256_blend_ps(c0, _mm256_set1_ps(-INFINITY), 1);
        if (ix) {
            mg_h_take_k(c0, mg_h_ioff(dr * W), &m, &k);
            mg_h_take_k(c1, mg_h_ioff(dr * W + 1), &m, &k);
            mg_h_take_k(c2, mg_h_ioff(dr * W + 2), &m, &k);
        } else {
            mg_h_take(c0, &m);
            mg_h_take(c1, &m);
            mg_h_take(c2, &m);
        }
    }
    _mm256_storeu_ps(o + ow, mg_h_swap(m));
    if (ix)
        mg_h_store_idx(ix + ow, k, (2 * oh - 1) * W + 2 * ow - 1);
}

/* The forward drivers: rows of whole vectors of 8 outputs (the last one overlapping), `left`
 * set for the vector that starts at output column 0; rows narrower than 8 go to the body. */
#define MG_H_FORWARD(name, VEC)                                                                \
MG_POOL_AVX2 static void mg_pool_##name##_hand_f32(const float *restrict in,                   \
        float *restrict out, int64_t *restrict idx, int64_t W, int64_t OW, int64_t oh0,        \
        int64_t oh1, int64_t ow0, int64_t ow1)                                                 \
{                                                                                              \
    if (ow1 - ow0 < 8 || W > MG_HAND_MAX_W) {                                                  \
        mg_pool_##name##_body_f32(in, out, idx, W, OW, oh0, oh1, ow0, ow1);                    \
        return;                                                                                \
    }                                                                                          \
    for (int64_t oh = oh0; oh < oh1; ++oh)                                                     \
        for (int64_t v = ow0; v < ow1; v += 8) {                                               \
            const int64_t ow = v < ow1 - 8 ? v : ow1 - 8;                                      \
            VEC(in, out + oh * OW, idx ? idx + oh * OW : NULL, W, oh, ow, ow == 0);            \
        }                                                                                      \
}
MG_H_FORWARD(max_k2s2, mg_h_k2s2_vec)
MG_H_FORWARD(max_k3s2p1, mg_h_k3s2p1_vec)
#undef MG_H_FORWARD

/* ***** backward ***** */

/* 8 int64 indices minus the 8 int64 references ref + 2*lane, narrowed: returns the low 32 bits
 * in natural lane order, and in *ok the lanes whose difference fits (high half zero), so an
 * int32 compare of the low half against a small non-negative constant is exact. */
MG_H __m256i mg_h_rel(const int64_t *ix, int64_t ref, __m256i *ok)
{
    const __m256i b = _mm256_add_epi64(_mm256_set1_epi64x(ref), _mm256_setr_epi64x(0, 2, 4, 6));
    const __m256 lo = _mm256_castsi256_ps(_mm256_sub_epi64(_mm256_loadu_si256((const __m256i *)ix), b));
    const __m256 hi = _mm256_castsi256_ps(_mm256_sub_epi64(
        _mm256_loadu_si256((const __m256i *)(ix + 4)), _mm256_add_epi64(b, _mm256_set1_epi64x(8))));
    *ok = _mm256_cmpeq_epi32(_mm256_castps_si256(mg_h_swap(mg_h_odd(lo, hi))), _mm256_setzero_si256());
    return _mm256_castps_si256(mg_h_swap(mg_h_even(lo, hi)));
}

MG_H __m256 mg_h_sel(__m256 v, __m256i rel, __m256i ok, int64_t c) {
    return _mm256_and_ps(v, _mm256_castsi256_ps(
        _mm256_and_si256(_mm256_cmpeq_epi32(rel, _mm256_set1_epi32((int)c)), ok)));
}

/* (e0, o0, e1, o1, ...) to dst[0..16); `nt`: with non-temporal stores (dst 16-byte aligned) */
MG_H void mg_h_store_interleaved(float *dst, __m256 e, __m256 o, int nt) {
    const __m256 lo = _mm256_unpacklo_ps(e, o), hi = _mm256_unpackhi_ps(e, o);
    if (nt) {
        _mm_stream_ps(dst, _mm256_castps256_ps128(lo));
        _mm_stream_ps(dst + 4, _mm256_castps256_ps128(hi));
        _mm_stream_ps(dst + 8, _mm256_extractf128_ps(lo, 1));
        _mm_stream_ps(dst + 12, _mm256_extractf128_ps(hi, 1));
    } else {
        _mm256_storeu_ps(dst, _mm256_permute2f128_ps(lo, hi, 0x20));
        _mm256_storeu_ps(dst + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
    }
}

/* k2s2 backward, window-local (see max_bwd_k2s2_body): rows [0, 2*oh1) x cols [0, 2*ow1).
 * `stream`: write with non-temporal stores (the gradient is large and is not read again soon;
 * this saves reading each output line into the cache first). pool.pyx asks for it only when
 * these stores cover the whole plane (no remainder rows/columns written with regular stores:
 * mixing both kinds on one cache line costs a round trip to memory each time) and every row
 * starts 16-byte aligned. */
MG_POOL_AVX2 static void mg_pool_max_bwd_k2s2_hand_f32(const float *restrict go,
        const int64_t *restrict idx, float *restrict gi, int64_t W, int64_t OW, int64_t oh1,
        int64_t ow1, int stream)
{
    if (ow1 < 8 || W > MG_HAND_MAX_W) {
        mg_pool_max_bwd_k2s2_body_f32(go, idx, gi, W, OW, oh1, ow1, 0);
        return;
    }
    const __m256 zero = _mm256_setzero_ps();
    for (int64_t oh = 0; oh < oh1; ++oh) {
        float *d0 = gi + 2 * oh * W;
        for (int64_t v = 0; v < ow1; v += 8) {
            const int64_t ow = v < ow1 - 8 ? v : ow1 - 8;
            __m256i ok;
            const __m256i rel = mg_h_rel(idx + oh * OW + ow, 2 * oh * W + 2 * ow, &ok);
            /* 0 + g: the scatter's zeroed gradient plus g (-0.0 -> +0.0) */
            const __m256 g = _mm256_add_ps(zero, _mm256_loadu_ps(go + oh * OW + ow));
            mg_h_store_interleaved(d0 + 2 * ow, mg_h_sel(g, rel, ok, 0), mg_h_sel(g, rel, ok, 1), stream);
            mg_h_store_interleaved(d0 + W + 2 * ow, mg_h_sel(g, rel, ok, W), mg_h_sel(g, rel, ok, W + 1),
                                   stream);
        }
    }
    if (stream)
        _mm_sfence();
}

/* ---- k3s2p1 backward: a gather through tap offsets ----
 * Pass 1 turns each window's index into the int32 offset of the winner from the window's
 * corner (row 2oh-1, column 2ow-1): dr*W + dc, dr and dc in 0..2; -1 when the index is no tap
 * of the window (cannot come from the forward). One streaming read of the indices, into
 * `code` (per-thread scratch of OH*OW). Pass 2 builds each input row from those offsets:
 * input row 2j is row dr = 1 of window row j; row 2j+1 is dr = 2 of window row j, then dr = 0
 * of window row j+1; columns likewise (2i <- window i, dc 1; 2i+1 <- window i dc 2, then
 * window i+1 dc 0). Terms are added from +0 in output order (window row, then column,
 * ascending): the scatter's terms in the scatter's order, so the sum is the same bit for bit.
 * Each input element is written once; row blocks are independent. Needs 3 <= W (dr*W + dc
 * unique) <= MG_HAND_MAX_W (mg_pool_k3s2p1_gather_ok). */
MG_H void mg_h_offsets(const int64_t *idx, int32_t *code, int64_t W, int64_t OW, int64_t oh0,
                       int64_t oh1)
{
    for (int64_t oh = oh0; oh < oh1; ++oh) {
        const int64_t *ix = idx + oh * OW;
        int32_t *c = code + oh * OW;
        const int64_t corner = (2 * oh - 1) * W - 1, lim = 2 * W + 2;
        int64_t ow = 0;
        if (OW >= 8)
            for (int64_t v = 0; v < OW; v += 8) {
                ow = v < OW - 8 ? v : OW - 8;
                __m256i ok;
                const __m256i rel = mg_h_rel(ix + ow, corner + 2 * ow, &ok);
                const __m256i in = _mm256_andnot_si256(   /* 0 <= rel <= 2W+2 */
                    _mm256_or_si256(_mm256_cmpgt_epi32(_mm256_setzero_si256(), rel),
                                    _mm256_cmpgt_epi32(rel, _mm256_set1_epi32((int)lim))), ok);
                _mm256_storeu_si256((__m256i *)(c + ow),
                                    _mm256_or_si256(_mm256_and_si256(rel, in),
                                                    _mm256_andnot_si256(in, _mm256_set1_epi32(-1))));
                ow = OW;
            }
        for (; ow < OW; ++ow) {
            const int64_t rel = ix[ow] - (corner + 2 * ow);
            c[ow] = (rel >= 0 && rel <= lim) ? (int32_t)rel : -1;
        }
    }
}

MG_H __m256 mg_h_pick(__m256 g, __m256i c, int64_t off) {
    return _mm256_and_ps(g, _mm256_castsi256_ps(_mm256_cmpeq_epi32(c, _mm256_set1_epi32((int)off))));
}

/* acc_e += window row terms of column 2i, acc_o += those of 2i+1, for 8 columns i, from one
 * window row (g, c at window column i) at row offset r = dr*W */
MG_H void mg_h_k3_terms(const float *g, const int32_t *c, int64_t r, __m256 *acc_e, __m256 *acc_o) {
    const __m256 ga = _mm256_loadu_ps(g), gb = _mm256_loadu_ps(g + 1);
    const __m256i ca = _mm256_loadu_si256((const __m256i *)c);
    const __m256i cb = _mm256_loadu_si256((const __m256i *)(c + 1));
    *acc_e = _mm256_add_ps(*acc_e, mg_h_pick(ga, ca, r + 1));
    *acc_o = _mm256_add_ps(*acc_o, mg_h_pick(ga, ca, r + 2));
    *acc_o = _mm256_add_ps(*acc_o, mg_h_pick(gb, cb, r));
}

MG_POOL_AVX2 static void mg_pool_max_bwd_k3s2p1_hand_f32(const float *restrict go,
        const int64_t *restrict idx, float *restrict gi, int64_t W, int64_t OW, int64_t OH,
        int32_t *restrict code, int64_t y0, int64_t y1)
{
    const int64_t c0 = y0 / 2 > 0 ? (y0 - 1) / 2 : 0, c1 = y1 / 2 + 1 < OH ? y1 / 2 + 1 : OH;
    mg_h_offsets(idx, code, W, OW, c0, c1);
    const int64_t ni = OW - 1;   /* vector columns: windows i and i+1 both exist */
    for (int64_t y = y0; y < y1; ++y) {
        /* covering window rows: j with row offset r (and j+1 with offset 0 for odd y) */
        const int64_t j = y >> 1, r = (y & 1) ? 2 * W : W;
        const int two = (y & 1) && j + 1 < OH;
        const float *g0 = go + j * OW, *g1 = g0 + OW;
        const int32_t *k0 = code + j * OW, *k1 = k0 + OW;
        float *d = gi + y * W;
        int64_t x0 = 0;
        if (ni >= 8) {
            for (int64_t v = 0; v < ni; v += 8) {
                const int64_t i = v < ni - 8 ? v : ni - 8;
                __m256 acc_e = _mm256_setzero_ps(), acc_o = _mm256_setzero_ps();
                mg_h_k3_terms(g0 + i, k0 + i, r, &acc_e, &acc_o);
                if (two)
                    mg_h_k3_terms(g1 + i, k1 + i, 0, &acc_e, &acc_o);
                mg_h_store_interleaved(d + 2 * i, acc_e, acc_o, 0);
            }
            x0 = 2 * ni;
        }
        for (int64_t x = x0; x < W; ++x) {   /* the same terms, one column at a time */
            const int64_t i = x >> 1;
            float s = 0;
            for (int a = 0; a <= two; ++a) {
                const float *g = a ? g1 : g0;
                const int32_t *k = a ? k1 : k0;
                const int64_t ra = a ? 0 : r;
                if (!(x & 1)) {
                    if (k[i] == ra + 1) s += g[i];
                } else {
                    if (k[i] == ra + 2) s += g[i];
                    if (i + 1 < OW && k[i + 1] == ra) s += g[i + 1];
                }
            }
            d[x] = s;
        }
    }
}

#undef MG_H
#endif
#endif
