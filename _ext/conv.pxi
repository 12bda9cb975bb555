# Implicit-GEMM 2-D convolution, included into gemm.pyx: it runs on the GEMM's own micro-kernels and
# packing (gemm_kernels.h), under the same set_isa; the C lives in conv_kernels.h. No checks here:
# minigrad/ops/conv.py validates. Panels are packed straight from a zero-padded input, so no im2col
# matrix is made in the forward pass or either gradient.
#
# Geometry: x (N, C, H, W), w (O, C/groups, kh, kw), out (N, O, OH, OW). The padded input xp is
# flat: xp[((n*C + c)*Hp + r)*Wp + s] = x[n, c, r - pt, s - pl], 0 outside x, with
# Hp = (OH-1)*sh + (kh-1)*dh + 1, Wp likewise (conv_padded_shape), plus CONV_SLACK elements at its
# end. Without padding the input itself (x.reshape(-1), Hp = H, Wp = W) serves as xp.

cdef extern from "conv_kernels.h" nogil:
    ctypedef struct mg_conv_geom:
        long N, C, H, W, O, OH, OW, G, Cg, Og, Kg, kh, kw, sh, sw, dh, dw, pt, pl, Hp, Wp
    int MG_CONV_SLACK
    void mg_sconv_pad(const mg_conv_geom *g, const float *x, float *xp, int nt)
    void mg_dconv_pad(const mg_conv_geom *g, const double *x, double *xp, int nt)
    int mg_sconv_forward(const mg_conv_geom *g, const float *xp, const float *xp_end, const float *w,
                         const float *bias, float *out, int nt)
    int mg_dconv_forward(const mg_conv_geom *g, const double *xp, const double *xp_end, const double *w,
                         const double *bias, double *out, int nt)
    int mg_sconv_backward_weight(const mg_conv_geom *g, const float *xp, const float *xp_end,
                                 const float *gout, float *gw, int nt)
    int mg_dconv_backward_weight(const mg_conv_geom *g, const double *xp, const double *xp_end,
                                 const double *gout, double *gw, int nt)
    void mg_sconv_backward_bias(long N, long O, long P, const float *gout, float *gb, int nt)
    void mg_dconv_backward_bias(long N, long O, long P, const double *gout, double *gb, int nt)
    int mg_sconv_backward_input(const mg_conv_geom *g, const float *gout, const float *w, const float *bias,
                                float *gx, int nt)
    int mg_dconv_backward_input(const mg_conv_geom *g, const double *gout, const double *w, const double *bias,
                                double *gx, int nt)

# Elements of zeroed slack a padded input carries past its end (vector copies may read that far).
CONV_SLACK = MG_CONV_SLACK


def conv_padded_shape(long OH, long OW, long kh, long kw, long sh, long sw, long dh, long dw):
    """(Hp, Wp): the rows and columns of the padded input that some window reaches."""
    return (OH - 1) * sh + (kh - 1) * dh + 1, (OW - 1) * sw + (kw - 1) * dw + 1


cdef mg_conv_geom _geom(long N, long C, long H, long W, long O, long OH, long OW, long groups, long Cg,
                        long kh, long kw, long sh, long sw, long dh, long dw, long pt, long pl, long Hp,
                        long Wp) noexcept:
    cdef mg_conv_geom g
    g.N, g.C, g.H, g.W, g.O, g.OH, g.OW = N, C, H, W, O, OH, OW
    g.G, g.Cg, g.Og, g.Kg = groups, Cg, O // groups, Cg * kh * kw
    g.kh, g.kw, g.sh, g.sw, g.dh, g.dw = kh, kw, sh, sw, dh, dw
    g.pt, g.pl, g.Hp, g.Wp = pt, pl, Hp, Wp
    return g


def conv_pad(const real_t[:, :, :, ::1] x, real_t[::1] xp, long Hp, long Wp, long pt, long pl, int num_threads):
    """xp[((n*C + c)*Hp + r)*Wp + s] = x[n, c, r - pt, s - pl] (0 outside x), then CONV_SLACK zeros.
    xp needs N*C*Hp*Wp + CONV_SLACK elements."""
    cdef mg_conv_geom g = _geom(x.shape[0], x.shape[1], x.shape[2], x.shape[3], 0, 0, 0, 1, x.shape[1],
                                1, 1, 1, 1, 1, 1, pt, pl, Hp, Wp)
    with nogil:
        if real_t is float:
            mg_sconv_pad(&g, &x[0, 0, 0, 0] if x.shape[0] * x.shape[1] * x.shape[2] * x.shape[3] else NULL,
                         &xp[0], num_threads)
        else:
            mg_dconv_pad(&g, &x[0, 0, 0, 0] if x.shape[0] * x.shape[1] * x.shape[2] * x.shape[3] else NULL,
                         &xp[0], num_threads)


def conv_forward(const real_t[::1] xp, long Hp, long Wp, const real_t[:, :, :, ::1] w, const real_t[::1] bias,
            real_t[:, :, :, ::1] out, long C, int sh, int sw, int dh, int dw, int groups, int num_threads):
    """out[n, o] = bias[o] + Σ_{c,i,j} w[o, c, i, j] xp[n, g*Cg + c, oh*sh + i*dh, ow*sw + j*dw]
    (torch's conv2d; NumPy: tests/reference_gemm.py::conv2d). bias may be None."""
    cdef long N = out.shape[0], O = out.shape[1], OH = out.shape[2], OW = out.shape[3]
    cdef mg_conv_geom g = _geom(N, C, 0, 0, O, OH, OW, groups, w.shape[1], w.shape[2], w.shape[3],
                                sh, sw, dh, dw, 0, 0, Hp, Wp)
    cdef const real_t *b = &bias[0] if bias is not None else NULL
    cdef int rc = 0
    if N * O * OH * OW == 0:
        return out
    with nogil:
        if real_t is float:
            rc = mg_sconv_forward(&g, &xp[0], &xp[0] + xp.shape[0], &w[0, 0, 0, 0], b, &out[0, 0, 0, 0], num_threads)
        else:
            rc = mg_dconv_forward(&g, &xp[0], &xp[0] + xp.shape[0], &w[0, 0, 0, 0], b, &out[0, 0, 0, 0], num_threads)
    if rc:
        raise MemoryError("conv2d: could not allocate packing buffers")
    return out


def conv_backward_weight(const real_t[::1] xp, long Hp, long Wp, const real_t[:, :, :, ::1] gout,
                    real_t[:, :, :, ::1] gw, long C, int sh, int sw, int dh, int dw, int groups,
                    int num_threads):
    """gw[o, c, i, j] = Σ_{n,oh,ow} gout[n, o, oh, ow] xp[n, g*Cg + c, oh*sh + i*dh, ow*sw + j*dw],
    summed over images in fixed chunks (bit-identical at any thread count). gw is overwritten."""
    cdef long N = gout.shape[0], O = gout.shape[1], OH = gout.shape[2], OW = gout.shape[3]
    cdef mg_conv_geom g = _geom(N, C, 0, 0, O, OH, OW, groups, gw.shape[1], gw.shape[2], gw.shape[3],
                                sh, sw, dh, dw, 0, 0, Hp, Wp)
    cdef int rc = 0
    if gw.shape[0] * gw.shape[1] * gw.shape[2] * gw.shape[3] == 0:
        return gw
    with nogil:
        if real_t is float:
            rc = mg_sconv_backward_weight(&g, &xp[0], &xp[0] + xp.shape[0],
                                          &gout[0, 0, 0, 0] if N * O * OH * OW else NULL, &gw[0, 0, 0, 0],
                                          num_threads)
        else:
            rc = mg_dconv_backward_weight(&g, &xp[0], &xp[0] + xp.shape[0],
                                          &gout[0, 0, 0, 0] if N * O * OH * OW else NULL, &gw[0, 0, 0, 0],
                                          num_threads)
    if rc:
        raise MemoryError("conv2d: could not allocate packing buffers")
    return gw


def conv_backward_bias(const real_t[:, :, :, ::1] gout, real_t[::1] gb, int num_threads):
    """gb[o] = Σ_{n,oh,ow} gout[n, o, oh, ow] (each image's sum in float lanes, images added in order
    in float64: the same bits at any thread count)."""
    cdef long N = gout.shape[0], O = gout.shape[1], P = gout.shape[2] * gout.shape[3]
    if O == 0:
        return gb
    if N * P == 0:
        gb[...] = 0
        return gb
    with nogil:
        if real_t is float:
            mg_sconv_backward_bias(N, O, P, &gout[0, 0, 0, 0], &gb[0], num_threads)
        else:
            mg_dconv_backward_bias(N, O, P, &gout[0, 0, 0, 0], &gb[0], num_threads)
    return gb


def conv_backward_input(const real_t[:, :, :, ::1] gout, const real_t[:, :, :, ::1] w, real_t[:, :, :, ::1] gx,
                        int pt, int pl, int sh, int sw, int dh, int dw, int groups, int num_threads,
                        const real_t[::1] bias=None):
    """gx[n, g*Cg + c, h, w] = Σ over (o, i, j, oh, ow) with oh*sh - pt + i*dh = h and
    ow*sw - pl + j*dw = w of gout[n, o, oh, ow] w[o, c, i, j] (the adjoint of the forward; NumPy:
    col2im of Wᵀ @ gout), plus bias[g*Cg + c] when given (ConvTranspose2d). gx is overwritten;
    rows/columns of gx that no window reaches get 0 (or the bias)."""
    cdef long N = gx.shape[0], C = gx.shape[1], H = gx.shape[2], W = gx.shape[3]
    cdef long O = gout.shape[1], OH = gout.shape[2], OW = gout.shape[3]
    cdef long kh = w.shape[2], kw = w.shape[3]
    cdef mg_conv_geom g = _geom(N, C, H, W, O, OH, OW, groups, w.shape[1], kh, kw, sh, sw, dh, dw, pt, pl,
                                (OH - 1) * sh + (kh - 1) * dh + 1, (OW - 1) * sw + (kw - 1) * dw + 1)
    cdef const real_t *b = &bias[0] if bias is not None else NULL
    cdef int rc = 0
    if N * C * H * W == 0:
        return gx
    if N * O * OH * OW == 0:
        if bias is None:
            gx[...] = 0
        else:
            for c in range(C):
                gx[:, c] = bias[c]
        return gx
    with nogil:
        if real_t is float:
            rc = mg_sconv_backward_input(&g, &gout[0, 0, 0, 0], &w[0, 0, 0, 0], b, &gx[0, 0, 0, 0], num_threads)
        else:
            rc = mg_dconv_backward_input(&g, &gout[0, 0, 0, 0], &w[0, 0, 0, 0], b, &gx[0, 0, 0, 0], num_threads)
    if rc:
        raise MemoryError("conv2d: could not allocate packing buffers")
    return gx
