"""Readable NumPy twins of the GEMM and im2col kernels (minigrad._C.gemm / minigrad._C.im2col)
and a direct-loop convolution, used as references by tests/ext and tests/nn."""
import numpy as np


def gemm(A, B, C, alpha=1.0, beta=0.0):
    """C := alpha * A @ B + beta * C, in float64 (A, B, C: (..., M, K), (..., K, N), (..., M, N))."""
    out = alpha * np.matmul(A.astype(np.float64), B.astype(np.float64))
    if beta != 0:
        out = out + beta * C.astype(np.float64)
    return out


def im2col(x, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW):
    """cols[(c*kh+i)*kw+j, n, oh, ow] = x_padded[n, c, oh*sh + i*dh, ow*sw + j*dw], x_padded having
    ph rows / pw columns of zeros before (and enough after)."""
    N, C, H, W = x.shape
    xp = np.zeros((N, C, H + ph + (OH - 1) * sh + (kh - 1) * dh + 1, W + pw + (OW - 1) * sw + (kw - 1) * dw + 1),
                  x.dtype)
    xp[:, :, ph:ph + H, pw:pw + W] = x
    cols = np.empty((C, kh, kw, N, OH, OW), x.dtype)
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i * dh:i * dh + (OH - 1) * sh + 1:sh, j * dw:j * dw + (OW - 1) * sw + 1:sw]
            cols[:, i, j] = patch.transpose(1, 0, 2, 3)
    return cols.reshape(C * kh * kw, N, OH, OW)


def col2im(cols, x_shape, kh, kw, sh, sw, ph, pw, dh, dw):
    """The adjoint of im2col: scatter-add every column entry back to the input pixel it came from."""
    N, C, H, W = x_shape
    OH, OW = cols.shape[2], cols.shape[3]
    xp = np.zeros((N, C, H + ph + (OH - 1) * sh + (kh - 1) * dh + 1, W + pw + (OW - 1) * sw + (kw - 1) * dw + 1),
                  np.float64)
    c6 = cols.reshape(C, kh, kw, N, OH, OW)
    for i in range(kh):
        for j in range(kw):
            xp[:, :, i * dh:i * dh + (OH - 1) * sh + 1:sh, j * dw:j * dw + (OW - 1) * sw + 1:sw] += \
                c6[:, i, j].transpose(1, 0, 2, 3)
    return xp[:, :, ph:ph + H, pw:pw + W].astype(cols.dtype)


def conv2d(x, w, b=None, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), groups=1):
    """Direct convolution (torch's cross-correlation) by a loop over the kernel taps, float64.
    x (N, C, H, W), w (O, C/g, kh, kw), padding (top, bottom, left, right)."""
    N, C, H, W = x.shape
    O, Cg, kh, kw = w.shape
    (sh, sw), (pt, pb, pl, pr), (dh, dw) = stride, padding, dilation
    OH = (H + pt + pb - dh * (kh - 1) - 1) // sh + 1
    OW = (W + pl + pr - dw * (kw - 1) - 1) // sw + 1
    xp = np.zeros((N, C, H + pt + pb, W + pl + pr))
    xp[:, :, pt:pt + H, pl:pl + W] = x
    out = np.zeros((N, O, OH, OW))
    Og = O // groups
    for g in range(groups):
        xg = xp[:, g * Cg:(g + 1) * Cg]
        wg = w[g * Og:(g + 1) * Og].astype(np.float64)
        for i in range(kh):
            for j in range(kw):
                patch = xg[:, :, i * dh:i * dh + (OH - 1) * sh + 1:sh, j * dw:j * dw + (OW - 1) * sw + 1:sw]
                out[:, g * Og:(g + 1) * Og] += np.einsum("nchw,oc->nohw", patch, wg[:, :, i, j])
    if b is not None:
        out += b.reshape(1, O, 1, 1)
    return out


def conv2d_weight_grad(x, gout, w_shape, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), groups=1):
    """dW[g] = gout[g] @ cols[g]ᵀ (images and positions summed), float64. The twin of
    minigrad._C.conv.backward_weight; padding (top, bottom, left, right)."""
    N, C, H, W = x.shape
    O, Cg, kh, kw = w_shape
    OH, OW = gout.shape[2:]
    cols = im2col(x.astype(np.float64), kh, kw, *stride, padding[0], padding[2], *dilation, OH, OW)
    cols = cols.reshape(groups, Cg * kh * kw, N * OH * OW)
    gT = gout.astype(np.float64).reshape(N, groups, O // groups, OH * OW).transpose(1, 2, 0, 3)
    return (gT.reshape(groups, O // groups, -1) @ cols.transpose(0, 2, 1)).reshape(w_shape)


def conv2d_input_grad(gout, w, x_shape, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), groups=1):
    """dx = col2im(W[g]ᵀ @ gout[g]), float64: the twin of minigrad._C.conv.backward_input."""
    N, O, OH, OW = gout.shape
    _, Cg, kh, kw = w.shape
    gT = gout.astype(np.float64).reshape(N, groups, O // groups, OH * OW).transpose(1, 2, 0, 3)
    wT = w.astype(np.float64).reshape(groups, O // groups, -1).transpose(0, 2, 1)
    gcols = (wT @ gT.reshape(groups, O // groups, -1)).reshape(groups * Cg * kh * kw, N, OH, OW)
    return col2im(gcols, x_shape, kh, kw, *stride, padding[0], padding[2], *dilation)
