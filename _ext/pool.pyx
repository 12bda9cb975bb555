"""2-D pooling kernels: max pool (values + int64 argmax), average pool, max unpool; forward and
backward, float32 and float64 (fused real_t).

Layout: every array is C-contiguous and shaped (P, H, W) with P = N*C planes; indices are flat
positions inside one plane (y*W + x), as in torch. Work is split over planes with OpenMP
(`prange(..., schedule='static')`): each thread owns whole planes and every plane is computed
by the same serial code, so results are bit-identical for any thread count.

No checks here (the functional layer validates arguments and index ranges); the GIL is released.
Fast paths (_ext/pool_kernels.h) cover the interior of k2s2 and k3s2p1 windows; the generic
per-window helpers below fill every other output, so both paths share the same semantics.
"""
import os

import numpy as np

from cython.parallel cimport prange, threadid
from libc.stdint cimport int32_t, int64_t, uintptr_t
from libc.math cimport INFINITY
from libc.string cimport memset

from _fused cimport real_t
from _openmp cimport minigrad_cpu_has

cdef extern from "pool_kernels.h" nogil:
    int MG_POOL_HAVE_AVX2_BUILD
    void mg_pool_max_k2s2_f32(int isa, const float *inp, float *out, int64_t *idx, int64_t W,
                              int64_t OW, int64_t oh0, int64_t oh1, int64_t ow0, int64_t ow1)
    void mg_pool_max_k2s2_f64(int isa, const double *inp, double *out, int64_t *idx, int64_t W,
                              int64_t OW, int64_t oh0, int64_t oh1, int64_t ow0, int64_t ow1)
    void mg_pool_max_k3s2p1_f32(int isa, const float *inp, float *out, int64_t *idx, int64_t W,
                                int64_t OW, int64_t oh0, int64_t oh1, int64_t ow0, int64_t ow1)
    void mg_pool_max_k3s2p1_f64(int isa, const double *inp, double *out, int64_t *idx, int64_t W,
                                int64_t OW, int64_t oh0, int64_t oh1, int64_t ow0, int64_t ow1)
    void mg_pool_avg_k2s2_f32(int isa, const float *inp, float *out, float div, int64_t W,
                              int64_t OW, int64_t oh0, int64_t oh1, int64_t ow0, int64_t ow1)
    void mg_pool_avg_k2s2_f64(int isa, const double *inp, double *out, double div, int64_t W,
                              int64_t OW, int64_t oh0, int64_t oh1, int64_t ow0, int64_t ow1)
    void mg_pool_avg_k3s2p1_f32(int isa, const float *inp, float *out, float div, int64_t W,
                                int64_t OW, int64_t oh0, int64_t oh1, int64_t ow0, int64_t ow1)
    void mg_pool_avg_k3s2p1_f64(int isa, const double *inp, double *out, double div, int64_t W,
                                int64_t OW, int64_t oh0, int64_t oh1, int64_t ow0, int64_t ow1)
    void mg_pool_max_bwd_k2s2_f32(int isa, const float *go, const int64_t *idx, float *gi, int64_t W,
                                  int64_t OW, int64_t oh1, int64_t ow1, int stream)
    void mg_pool_max_bwd_k2s2_f64(int isa, const double *go, const int64_t *idx, double *gi, int64_t W,
                                  int64_t OW, int64_t oh1, int64_t ow1, int stream)
    int mg_pool_k3s2p1_gather_ok(int isa, int64_t W)
    void mg_pool_max_bwd_k3s2p1_gather_f32(const float *go, const int64_t *idx, float *gi, int64_t W,
                                           int64_t OW, int64_t OH, int32_t *code, int64_t y0,
                                           int64_t y1)
    void mg_pool_avg_bwd_f32(int isa, const float *go, const float *div, float *gi, float *scratch,
                             const int64_t *owr, const int64_t *ohr, int64_t H, int64_t W,
                             int64_t OH, int64_t OW, int hkind)
    void mg_pool_avg_bwd_f64(int isa, const double *go, const double *div, double *gi,
                             double *scratch, const int64_t *owr, const int64_t *ohr, int64_t H,
                             int64_t W, int64_t OH, int64_t OW, int hkind)


# ***** ISA selection *****
# 1 = AVX2+FMA build of the fast paths, 0 = baseline build. Chosen once at import from the CPU;
# MINIGRAD_POOL_ISA=baseline (or set_isa) forces the portable path, e.g. to test both here.
_ISA_NAMES = ("baseline", "avx2")
cdef int _isa = 1 if (MG_POOL_HAVE_AVX2_BUILD and minigrad_cpu_has(0)) else 0
if os.environ.get("MINIGRAD_POOL_ISA", "") == "baseline":
    _isa = 0


# the streaming-store threshold (k2s2 backward, float32, AVX2)
include "_stream.pxi"


def isa():
    """Which build of the fast paths runs: 'avx2' or 'baseline'."""
    return _ISA_NAMES[_isa]


def set_isa(name):
    """Force the fast paths' ISA: 'baseline' always works, 'avx2' needs a CPU with AVX2+FMA."""
    global _isa
    if name not in _ISA_NAMES:
        raise ValueError(f"set_isa: expected one of {_ISA_NAMES}, got {name!r}")
    if name == "avx2" and not (MG_POOL_HAVE_AVX2_BUILD and minigrad_cpu_has(0)):
        raise ValueError("set_isa: this CPU (or build) has no AVX2+FMA")
    _isa = _ISA_NAMES.index(name)


# ***** geometry shared by all kernels *****
cdef struct Geom:
    int64_t H, W, OH, OW, kH, kW, sH, sW, pH, pW, dH, dW

# Fast-path ids (which specialised interior loop applies to a geometry).
cdef enum:
    FAST_NONE = 0
    FAST_K2S2 = 1
    FAST_K3S2P1 = 2


cdef inline Geom _geom(int64_t H, int64_t W, int64_t OH, int64_t OW, int64_t kH, int64_t kW,
                       int64_t sH, int64_t sW, int64_t pH, int64_t pW, int64_t dH, int64_t dW) noexcept:
    cdef Geom g
    g.H = H; g.W = W; g.OH = OH; g.OW = OW; g.kH = kH; g.kW = kW
    g.sH = sH; g.sW = sW; g.pH = pH; g.pW = pW; g.dH = dH; g.dW = dW
    return g


cdef inline int _fast_kind(Geom *g) noexcept nogil:
    if g.dH != 1 or g.dW != 1 or g.sH != 2 or g.sW != 2:
        return FAST_NONE
    if g.kH == 2 and g.kW == 2 and g.pH == 0 and g.pW == 0:
        return FAST_K2S2
    if g.kH == 3 and g.kW == 3 and g.pH == 1 and g.pW == 1:
        return FAST_K3S2P1
    return FAST_NONE


cdef inline int64_t _interior_lo(int64_t s, int64_t p) noexcept nogil:
    """First output whose window starts inside the input: ceil(p / s)."""
    return (p + s - 1) // s


cdef inline int64_t _interior_hi(int64_t L, int64_t O, int64_t k, int64_t s, int64_t p,
                                 int64_t d, int64_t lo) noexcept nogil:
    """One past the last output whose window ends inside the input (o*s - p + (k-1)*d < L)."""
    cdef int64_t num = L + p - (k - 1) * d - 1
    cdef int64_t hi = (num // s + 1) if num >= 0 else 0
    if hi > O:
        hi = O
    return hi if hi > lo else lo


# ***** max pool *****
cdef inline void _max_window(const real_t *x, real_t *y, int64_t *ind, Geom *g,
                             int64_t oh, int64_t ow) noexcept nogil:
    """y = max over the window's in-bounds taps (dilation grid), NaN wins, first max on ties;
    index = y*W + x of the winner, or of the first grid tap when no tap is in bounds."""
    cdef int64_t hs = oh * g.sH - g.pH, ws = ow * g.sW - g.pW
    cdef int64_t he = hs + (g.kH - 1) * g.dH + 1, we = ws + (g.kW - 1) * g.dW + 1
    cdef int64_t r, c, k
    cdef real_t m = -INFINITY, v
    if he > g.H:
        he = g.H
    if we > g.W:
        we = g.W
    while hs < 0:   # stay on the dilation grid: skip the taps that fall in the top padding
        hs = hs + g.dH
    while ws < 0:
        ws = ws + g.dW
    k = hs * g.W + ws
    r = hs
    while r < he:
        c = ws
        while c < we:
            v = x[r * g.W + c]
            if v > m or v != v:
                m = v
                k = r * g.W + c
            c = c + g.dW
        r = r + g.dH
    y[oh * g.OW + ow] = m
    if ind != NULL:
        ind[oh * g.OW + ow] = k


cdef inline void _max_rect(const real_t *x, real_t *y, int64_t *ind, Geom *g, int64_t oh0,
                           int64_t oh1, int64_t ow0, int64_t ow1) noexcept nogil:
    cdef int64_t oh, ow
    for oh in range(oh0, oh1):
        for ow in range(ow0, ow1):
            _max_window(x, y, ind, g, oh, ow)


cdef inline void _max_plane(const real_t *x, real_t *y, int64_t *ind, Geom *g, int fast,
                            int isa) noexcept nogil:
    cdef int64_t h0 = 0, h1, w0 = 0, w1
    if fast == FAST_NONE:
        _max_rect(x, y, ind, g, 0, g.OH, 0, g.OW)
        return
    # k2s2 has no padding; the k3s2p1 kernels also take the top row and left column, whose
    # windows reach into the padding: only the bottom/right overhang is left to the ring below
    h1 = _interior_hi(g.H, g.OH, g.kH, g.sH, g.pH, g.dH, h0)
    w1 = _interior_hi(g.W, g.OW, g.kW, g.sW, g.pW, g.dW, w0)
    if fast == FAST_K2S2:
        if real_t is float:
            mg_pool_max_k2s2_f32(isa, x, y, ind, g.W, g.OW, h0, h1, w0, w1)
        else:
            mg_pool_max_k2s2_f64(isa, x, y, ind, g.W, g.OW, h0, h1, w0, w1)
    else:
        if real_t is float:
            mg_pool_max_k3s2p1_f32(isa, x, y, ind, g.W, g.OW, h0, h1, w0, w1)
        else:
            mg_pool_max_k3s2p1_f64(isa, x, y, ind, g.W, g.OW, h0, h1, w0, w1)
    # the bottom/right ring (odd sizes, ceil_mode overhang) through the generic window helper
    _max_rect(x, y, ind, g, h1, g.OH, 0, g.OW)
    _max_rect(x, y, ind, g, 0, h1, w1, g.OW)


def max_pool2d_forward(const real_t[:, :, ::1] x, real_t[:, :, ::1] out, int64_t[:, :, ::1] indices,
                       int kH, int kW, int sH, int sW, int pH, int pW, int dH, int dW,
                       int num_threads):
    """out[p, oh, ow] = max(x[p, window]) and indices[p, oh, ow] = its y*W + x (torch's rules:
    padding is -inf, ties -> first max, NaN -> last NaN). indices=None skips the index writes."""
    cdef Geom g = _geom(x.shape[1], x.shape[2], out.shape[1], out.shape[2], kH, kW, sH, sW,
                        pH, pW, dH, dW)
    cdef Py_ssize_t p, P = x.shape[0]
    cdef int fast = _fast_kind(&g), isa_ = _isa
    cdef bint with_idx = indices is not None
    if P == 0 or g.OH == 0 or g.OW == 0:
        return
    with nogil:
        for p in prange(P, num_threads=num_threads, use_threads_if=num_threads > 1, schedule="static"):
            _max_plane(&x[p, 0, 0], &out[p, 0, 0], &indices[p, 0, 0] if with_idx else NULL,
                       &g, fast, isa_)


cdef inline bint _windows_disjoint(Geom *g) noexcept nogil:
    """True when every input element lies in at most one window (stride >= dilated extent) and
    every window has an in-bounds tap (H >= dH and W >= dW: the first window's first in-bounds
    tap sits below d), so every index the forward stores is a tap of its own window."""
    return (g.sH >= (g.kH - 1) * g.dH + 1 and g.sW >= (g.kW - 1) * g.dW + 1
            and g.H >= g.dH and g.W >= g.dW)


cdef inline void _max_bwd_disjoint_rows(const real_t *go, const int64_t *ix, real_t *gi, Geom *g,
                                        const int64_t *cmap, int64_t r0, int64_t r1,
                                        int64_t c0) noexcept nogil:
    """Rows [r0, r1) x columns [c0, W) of one grad plane, disjoint windows: an element gets its
    window's gradient when the window's index names it, else 0 (also when no window covers it).
    cmap[c] = the output column whose window has column c as a tap, or -1. Indices outside the
    plane match no element, so they are dropped (SPEC #114216). `zero + g` reproduces the
    scatter's 0 + g bit for bit (-0.0 -> +0.0)."""
    cdef int64_t r, c, t, oh, o, k
    cdef real_t zero = 0
    for r in range(r0, r1):
        t = r + g.pH
        oh = t // g.sH
        t = t - oh * g.sH
        if oh >= g.OH or t % g.dH != 0 or t // g.dH >= g.kH:   # row is no window's tap row
            for c in range(c0, g.W):
                gi[r * g.W + c] = 0
            continue
        for c in range(c0, g.W):
            o = cmap[c]
            k = r * g.W + c
            if o >= 0 and ix[oh * g.OW + o] == k:
                gi[k] = zero + go[oh * g.OW + o]
            else:
                gi[k] = 0


cdef inline void _max_bwd_disjoint_plane(const real_t *go, const int64_t *ix, real_t *gi, Geom *g,
                                         const int64_t *cmap, int fast, int isa,
                                         int stream) noexcept nogil:
    cdef int64_t h1, w1
    if fast != FAST_K2S2:
        _max_bwd_disjoint_rows(go, ix, gi, g, cmap, 0, g.H, 0)
        return
    # k2s2 interior: whole 2x2 windows, rows [0, 2*h1) x cols [0, 2*w1); the rest (odd last
    # row/col, ceil_mode's partial windows) through the generic row loop
    h1 = _interior_hi(g.H, g.OH, 2, 2, 0, 1, 0)
    w1 = _interior_hi(g.W, g.OW, 2, 2, 0, 1, 0)
    if real_t is float:
        mg_pool_max_bwd_k2s2_f32(isa, go, ix, gi, g.W, g.OW, h1, w1, stream)
    else:
        mg_pool_max_bwd_k2s2_f64(isa, go, ix, gi, g.W, g.OW, h1, w1, 0)
    if 2 * w1 < g.W:
        _max_bwd_disjoint_rows(go, ix, gi, g, cmap, 0, 2 * h1, 2 * w1)
    _max_bwd_disjoint_rows(go, ix, gi, g, cmap, 2 * h1, g.H, 0)


cdef inline void _max_bwd_scatter_plane(const real_t *go, const int64_t *ix, real_t *gi,
                                        int64_t L, int64_t HW) noexcept nogil:
    """Zero the plane, then gi[ix[i]] += go[i]: the zero fill runs in the thread that scatters
    right after it, on cache-warm memory, instead of as a separate full-tensor np.zeros pass."""
    cdef int64_t i, k
    memset(gi, 0, HW * sizeof(real_t))
    for i in range(L):
        k = ix[i]
        # NOTE: windows with no in-bounds tap (dilation + padding, torch #114216) carry an
        # index outside the plane; torch writes there, we skip it.
        if 0 <= k < HW:
            gi[k] = gi[k] + go[i]


def max_pool2d_backward(const real_t[:, :, ::1] grad_out, const int64_t[:, :, ::1] indices,
                        real_t[:, :, ::1] grad_in, int kH, int kW, int sH, int sW, int pH, int pW,
                        int dH, int dW, int num_threads):
    """grad_in[p].flat[indices[p, i]] += grad_out[p].flat[i] over a zero grad_in (NumPy:
    np.add.at), skipping indices outside [0, H*W). Writes every element of grad_in (it may be
    uninitialised). indices must come from max_pool2d_forward with the same geometry:
    - disjoint windows: each element from its own window's index (one pass, no zero fill);
    - k3s2p1, float32 on AVX2: a gather, each element the sum of its covering windows' terms
      in output order, which is the scatter's sum bit for bit; planes are cut into row blocks
      when there are few of them, so every thread stays busy;
    - other overlapping windows: each plane zeroed and scattered into, in output order."""
    cdef Geom g = _geom(grad_in.shape[1], grad_in.shape[2], grad_out.shape[1], grad_out.shape[2],
                        kH, kW, sH, sW, pH, pW, dH, dW)
    cdef Py_ssize_t p, task, P = grad_out.shape[0]
    cdef int64_t L = g.OH * g.OW, HW = g.H * g.W, c, t, o, nb = 1, rb, y0, y1
    cdef int fast = _fast_kind(&g), isa_ = _isa, stream = 0
    cdef int64_t[::1] cmap
    cdef int32_t[:, ::1] codes
    cdef const int64_t *cm = NULL
    if P == 0 or HW == 0:
        return
    if L == 0:
        grad_in[...] = 0
        return
    if _windows_disjoint(&g):
        cmap = np.full(g.W, -1, dtype=np.int64)   # shared by all planes (read-only in the loop)
        for c in range(g.W):
            t = c + g.pW
            o = t // g.sW
            t = t - o * g.sW
            if o < g.OW and t % g.dW == 0 and t // g.dW < g.kW:
                cmap[c] = o
        cm = &cmap[0]
        # streaming stores for a large k2s2 gradient that the kernel writes whole: no remainder
        # rows/columns (W = 2*OW, H = 2*OH) and 16-byte aligned rows (see pool_kernels_avx2.h)
        stream = (fast == FAST_K2S2 and P * HW * <Py_ssize_t>sizeof(real_t) >= _stream_min
                  and g.W == 2 * g.OW and g.H == 2 * g.OH and g.W % 4 == 0
                  and <uintptr_t>&grad_in[0, 0, 0] % 16 == 0)
        with nogil:
            for p in prange(P, num_threads=num_threads, use_threads_if=num_threads > 1,
                            schedule="static"):
                _max_bwd_disjoint_plane(&grad_out[p, 0, 0], &indices[p, 0, 0], &grad_in[p, 0, 0],
                                        &g, cm, fast, isa_, stream)
    elif real_t is float and fast == FAST_K3S2P1 and mg_pool_k3s2p1_gather_ok(isa_, g.W):
        codes = np.empty((max(num_threads, 1), L), np.int32)   # tap offsets, per thread
        if P < 4 * num_threads:   # few planes: row blocks as well (any cut gives the same result)
            nb = min(g.H, (4 * num_threads + P - 1) // P)
        rb = (g.H + nb - 1) // nb
        with nogil:
            for task in prange(P * nb, num_threads=num_threads, use_threads_if=num_threads > 1,
                               schedule="static"):
                p = task // nb
                y0 = (task % nb) * rb
                y1 = min(y0 + rb, g.H)
                if y0 < y1:
                    mg_pool_max_bwd_k3s2p1_gather_f32(&grad_out[p, 0, 0], &indices[p, 0, 0],
                                                      &grad_in[p, 0, 0], g.W, g.OW, g.OH,
                                                      &codes[threadid(), 0], y0, y1)
    else:
        with nogil:
            for p in prange(P, num_threads=num_threads, use_threads_if=num_threads > 1,
                            schedule="static"):
                _max_bwd_scatter_plane(&grad_out[p, 0, 0], &indices[p, 0, 0], &grad_in[p, 0, 0],
                                       L, HW)


# ***** average pool *****
cdef struct Window:
    int64_t hs, he, ws, we, div


cdef inline Window _avg_window(Geom *g, int64_t oh, int64_t ow, int64_t count_include_pad,
                               int64_t divisor_override) noexcept nogil:
    """Window clipped to the input, and its divisor (torch's cpu_avg_pool rule: the window is
    first clipped at the end of the right padding, which is what count_include_pad counts)."""
    cdef Window w
    cdef int64_t pool
    w.hs = oh * g.sH - g.pH
    w.ws = ow * g.sW - g.pW
    w.he = min(w.hs + g.kH, g.H + g.pH)
    w.we = min(w.ws + g.kW, g.W + g.pW)
    pool = (w.he - w.hs) * (w.we - w.ws)
    w.hs = max(w.hs, 0)
    w.ws = max(w.ws, 0)
    w.he = min(w.he, g.H)
    w.we = min(w.we, g.W)
    if divisor_override != 0:
        w.div = divisor_override
    elif count_include_pad:
        w.div = pool
    else:
        w.div = (w.he - w.hs) * (w.we - w.ws)
    return w


cdef inline void _avg_rect(const real_t *x, real_t *y, Geom *g, int64_t oh0, int64_t oh1,
                           int64_t ow0, int64_t ow1, int64_t cip, int64_t dov) noexcept nogil:
    cdef int64_t oh, ow, r, c
    cdef Window w
    cdef real_t s
    for oh in range(oh0, oh1):
        for ow in range(ow0, ow1):
            w = _avg_window(g, oh, ow, cip, dov)
            if w.hs >= w.he or w.ws >= w.we:   # cannot happen after validation; torch writes 0
                y[oh * g.OW + ow] = 0
                continue
            s = 0
            for r in range(w.hs, w.he):
                for c in range(w.ws, w.we):
                    s = s + x[r * g.W + c]
            y[oh * g.OW + ow] = s / <real_t>w.div


cdef inline void _avg_plane(const real_t *x, real_t *y, Geom *g, int fast, int isa, int64_t cip,
                            int64_t dov) noexcept nogil:
    cdef int64_t h0, h1, w0, w1
    cdef real_t div
    if fast == FAST_NONE:
        _avg_rect(x, y, g, 0, g.OH, 0, g.OW, cip, dov)
        return
    h0 = _interior_lo(g.sH, g.pH)
    h1 = _interior_hi(g.H, g.OH, g.kH, g.sH, g.pH, g.dH, h0)
    w0 = _interior_lo(g.sW, g.pW)
    w1 = _interior_hi(g.W, g.OW, g.kW, g.sW, g.pW, g.dW, w0)
    # interior windows are whole: the divisor is k*k (or the override) whatever cip says
    div = <real_t>(dov if dov != 0 else g.kH * g.kW)
    if fast == FAST_K2S2:
        if real_t is float:
            mg_pool_avg_k2s2_f32(isa, x, y, div, g.W, g.OW, h0, h1, w0, w1)
        else:
            mg_pool_avg_k2s2_f64(isa, x, y, div, g.W, g.OW, h0, h1, w0, w1)
    else:
        if real_t is float:
            mg_pool_avg_k3s2p1_f32(isa, x, y, div, g.W, g.OW, h0, h1, w0, w1)
        else:
            mg_pool_avg_k3s2p1_f64(isa, x, y, div, g.W, g.OW, h0, h1, w0, w1)
    _avg_rect(x, y, g, 0, h0, 0, g.OW, cip, dov)
    _avg_rect(x, y, g, h1, g.OH, 0, g.OW, cip, dov)
    _avg_rect(x, y, g, h0, h1, 0, w0, cip, dov)
    _avg_rect(x, y, g, h0, h1, w1, g.OW, cip, dov)


def avg_pool2d_forward(const real_t[:, :, ::1] x, real_t[:, :, ::1] out, int kH, int kW, int sH,
                       int sW, int pH, int pW, bint count_include_pad, long long divisor_override,
                       int num_threads):
    """out[p, oh, ow] = sum(x[p, window ∩ input]) / divisor, divisor = divisor_override if != 0,
    else the window size clipped at the end of the padding (count_include_pad) or to the input."""
    cdef Geom g = _geom(x.shape[1], x.shape[2], out.shape[1], out.shape[2], kH, kW, sH, sW,
                        pH, pW, 1, 1)
    cdef Py_ssize_t p, P = x.shape[0]
    cdef int fast = _fast_kind(&g), isa_ = _isa
    if P == 0 or g.OH == 0 or g.OW == 0:
        return
    with nogil:
        for p in prange(P, num_threads=num_threads, use_threads_if=num_threads > 1, schedule="static"):
            _avg_plane(&x[p, 0, 0], &out[p, 0, 0], &g, fast, isa_, count_include_pad, divisor_override)


cdef inline void _covering_outputs(int64_t[::1] r, int64_t L, int64_t O, int64_t k, int64_t s,
                                   int64_t p) noexcept:
    """r[i], r[L + i] = the outputs [lo, hi) whose window (o*s - p + [0, k)) covers input i:
    lo = ceil((i + p - k + 1) / s), hi = floor((i + p) / s) + 1, clipped to [0, O). Numerators
    are kept non-negative (cdivision truncates)."""
    cdef int64_t i, n, lo, hi
    for i in range(L):
        n = i + p - k + 1
        lo = (n + s - 1) // s if n > 0 else 0
        hi = min((i + p) // s + 1, O)
        r[i] = lo
        r[L + i] = hi if hi > lo else lo


def avg_pool2d_backward(const real_t[:, :, ::1] grad_out, real_t[:, :, ::1] grad_in, int kH, int kW,
                        int sH, int sW, int pH, int pW, bint count_include_pad,
                        long long divisor_override, int num_threads):
    """grad_in[p, y, x] = sum of grad_out[p, oh, ow] / divisor(oh, ow) over the windows that
    contain (y, x) (the adjoint of the forward; torch scatters the same terms in output order,
    so sums of several terms may differ in the last bits). A gather: every element of grad_in is
    written once (0 where no window reaches), so grad_in may be uninitialised."""
    cdef Geom g = _geom(grad_in.shape[1], grad_in.shape[2], grad_out.shape[1], grad_out.shape[2],
                        kH, kW, sH, sW, pH, pW, 1, 1)
    cdef Py_ssize_t p, P = grad_out.shape[0]
    cdef int isa_ = _isa, nt = max(num_threads, 1), t, hkind = 0
    cdef int64_t oh, ow
    cdef real_t[::1] div
    cdef real_t[:, ::1] scratch
    cdef int64_t[::1] owr, ohr
    cdef real_t *sc
    if P == 0 or g.H == 0 or g.W == 0:
        return
    if g.OH == 0 or g.OW == 0:
        grad_in[...] = 0
        return
    dt = np.float32 if real_t is float else np.float64
    # divisor of every output and the covering-output ranges of every input row/column: the
    # same for all planes, so computed once here rather than per window per plane
    div = np.empty(g.OH * g.OW, dt)
    for oh in range(g.OH):
        for ow in range(g.OW):
            div[oh * g.OW + ow] = <real_t>_avg_window(&g, oh, ow, count_include_pad,
                                                      divisor_override).div
    owr = np.empty(2 * g.W, np.int64)
    ohr = np.empty(2 * g.H, np.int64)
    _covering_outputs(owr, g.W, g.OW, g.kW, g.sW, g.pW)
    _covering_outputs(ohr, g.H, g.OH, g.kH, g.sH, g.pH)
    scratch = np.empty((nt, g.OW + g.OH * g.W), dt)   # one row per thread
    # column patterns the kernel expands without the per-column ranges (vectorised)
    if g.sW == 2 and ((g.kW == 2 and g.pW == 0) or (g.kW == 3 and g.pW == 1)):
        hkind = g.kW - 1
    with nogil:
        for p in prange(P, num_threads=num_threads, use_threads_if=num_threads > 1, schedule="static"):
            t = threadid()
            sc = &scratch[t, 0]
            if real_t is float:
                mg_pool_avg_bwd_f32(isa_, &grad_out[p, 0, 0], &div[0], &grad_in[p, 0, 0], sc,
                                    &owr[0], &ohr[0], g.H, g.W, g.OH, g.OW, hkind)
            else:
                mg_pool_avg_bwd_f64(isa_, &grad_out[p, 0, 0], &div[0], &grad_in[p, 0, 0], sc,
                                    &owr[0], &ohr[0], g.H, g.W, g.OH, g.OW, hkind)


# ***** max unpool *****
def max_unpool2d_last_invalid(const int64_t[:, ::1] indices, long long limit, int num_threads):
    """Flat position (over all planes) of the last index outside [0, limit), or -1.
    NumPy: np.flatnonzero((indices < 0) | (indices >= limit))[-1:]. Run before the scatter.
    (The last one, because torch's serial loop reports the last invalid index it met.)"""
    cdef Py_ssize_t p, i, P = indices.shape[0], L = indices.shape[1]
    cdef int64_t lim = limit, k
    cdef int64_t[::1] last
    if P == 0 or L == 0:
        return -1
    last = np.full(P, -1, dtype=np.int64)
    with nogil:
        for p in prange(P, num_threads=num_threads, use_threads_if=num_threads > 1, schedule="static"):
            for i in range(L - 1, -1, -1):
                k = indices[p, i]
                if k < 0 or k >= lim:
                    last[p] = i
                    break
    for p in range(P - 1, -1, -1):
        if last[p] >= 0:
            return p * L + last[p]
    return -1


def max_unpool2d_forward(const real_t[:, ::1] x, const int64_t[:, ::1] indices, real_t[:, ::1] out,
                         int num_threads):
    """out[p].flat[indices[p, i]] = x[p, i] in row-major order per plane (last writer wins on
    duplicates). out must be zero on entry and every index already checked to be in range."""
    cdef Py_ssize_t p, i, P = x.shape[0], L = x.shape[1]
    if P == 0 or L == 0:
        return
    with nogil:
        for p in prange(P, num_threads=num_threads, use_threads_if=num_threads > 1, schedule="static"):
            for i in range(L):
                out[p, indices[p, i]] = x[p, i]


def max_unpool2d_backward(const real_t[:, ::1] grad_out, const int64_t[:, ::1] indices,
                          real_t[:, ::1] grad_in, int num_threads):
    """grad_in[p, i] = grad_out[p].flat[indices[p, i]] (a gather; NumPy: np.take_along_axis)."""
    cdef Py_ssize_t p, i, P = grad_in.shape[0], L = grad_in.shape[1]
    if P == 0 or L == 0:
        return
    with nogil:
        for p in prange(P, num_threads=num_threads, use_threads_if=num_threads > 1, schedule="static"):
            for i in range(L):
                grad_in[p, i] = grad_out[p, indices[p, i]]
