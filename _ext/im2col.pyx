"""im2col / col2im for 2-D convolution (no checks: the callers in minigrad/ops/conv.py validate).

Layout: cols[(c*kh + i)*kw + j, n, oh, ow] = x[n, c, oh*sh - ph + i*dh, ow*sw - pw + j*dw]
(zero where that falls in the padding). Rows are (channel, tap) so that group g's rows are one
contiguous block, and the (n, oh, ow) columns make a conv one GEMM per (group, image):
out[n, g] = W[g] @ cols[g, n]. Padding may be asymmetric: (ph, pw) is the top/left pad and
the caller's OH/OW imply the bottom/right one.

Threads split disjoint outputs (im2col: (row, image) strips; col2im: (image, channel) planes,
each summed over the taps in one fixed order), so results do not depend on the thread count.
"""
from cython.parallel cimport prange
from _fused cimport real_t


# The outputs o with 0 <= o*stride + offset < size form one run [lo, hi) (stride > 0).
# NOTE: returned by value, not through pointers: Cython makes a prange variable thread-private
# only when the loop body assigns it, so `&lo` would leave lo shared between threads.
cdef inline long _valid_lo(long n_out, long stride, long offset) noexcept nogil:
    cdef long a = 0
    while a < n_out and a * stride + offset < 0:
        a += 1
    return a


cdef inline long _valid_hi(long n_out, long stride, long offset, long size, long lo) noexcept nogil:
    cdef long b = n_out
    while b > lo and (b - 1) * stride + offset >= size:
        b -= 1
    return b


def im2col(const real_t[:, :, :, ::1] x, real_t[:, :, :, ::1] cols, int kh, int kw, int sh, int sw,
           int ph, int pw, int dh, int dw, int num_threads):
    """cols[(c*kh+i)*kw+j, n, oh, ow] = x_padded[n, c, oh*sh + i*dh, ow*sw + j*dw]
    (NumPy: tests/reference_gemm.py::im2col). x (N, C, H, W); cols (C*kh*kw, N, OH, OW)."""
    cdef long N = x.shape[0], H = x.shape[2], W = x.shape[3]
    cdef long OH = cols.shape[2], OW = cols.shape[3], R = cols.shape[0]
    cdef long task, r, n, c, i, j, oh, ow, ih, off, lo, hi
    cdef const real_t *src
    cdef real_t *dst
    if R == 0 or N == 0 or OH == 0 or OW == 0:
        return
    for task in prange(R * N, nogil=True, num_threads=num_threads, use_threads_if=num_threads > 1,
                       schedule="static"):
        r = task // N
        n = task - r * N
        c = r // (kh * kw)
        i = (r // kw) % kh
        j = r % kw
        off = j * dw - pw
        lo = _valid_lo(OW, sw, off)
        hi = _valid_hi(OW, sw, off, W, lo)
        for oh in range(OH):
            dst = &cols[r, n, oh, 0]
            ih = oh * sh - ph + i * dh
            if ih < 0 or ih >= H:
                for ow in range(OW):
                    dst[ow] = 0
                continue
            src = &x[n, c, ih, 0]
            for ow in range(lo):
                dst[ow] = 0
            if sw == 1:
                for ow in range(lo, hi):
                    dst[ow] = src[ow + off]
            else:
                for ow in range(lo, hi):
                    dst[ow] = src[ow * sw + off]
            for ow in range(hi, OW):
                dst[ow] = 0


def col2im(const real_t[:, :, :, ::1] cols, real_t[:, :, :, ::1] x, int kh, int kw, int sh, int sw,
           int ph, int pw, int dh, int dw, int num_threads):
    """The adjoint of im2col: x := 0, then x_padded[n, c, oh*sh + i*dh, ow*sw + j*dw] +=
    cols[(c*kh+i)*kw+j, n, oh, ow], taps (i, j) in row-major order. x (N, C, H, W) is overwritten."""
    cdef long N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3]
    cdef long OH = cols.shape[2], OW = cols.shape[3]
    cdef long task, r, n, c, i, j, oh, ow, ih, off, lo, hi, k
    cdef const real_t *src
    cdef real_t *dst
    if N == 0 or C == 0 or H == 0 or W == 0:
        return
    for task in prange(N * C, nogil=True, num_threads=num_threads, use_threads_if=num_threads > 1,
                       schedule="static"):
        n = task // C
        c = task - n * C
        dst = &x[n, c, 0, 0]
        for k in range(H * W):
            dst[k] = 0
        if OH == 0 or OW == 0:
            continue
        for i in range(kh):
            for j in range(kw):
                r = (c * kh + i) * kw + j
                off = j * dw - pw
                lo = _valid_lo(OW, sw, off)
                hi = _valid_hi(OW, sw, off, W, lo)
                for oh in range(OH):
                    ih = oh * sh - ph + i * dh
                    if ih < 0 or ih >= H:
                        continue
                    src = &cols[r, n, oh, 0]
                    dst = &x[n, c, ih, 0]
                    if sw == 1:
                        for ow in range(lo, hi):
                            dst[ow + off] += src[ow]
                    else:
                        for ow in range(lo, hi):
                            dst[ow * sw + off] += src[ow]
