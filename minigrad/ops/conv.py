"""2-D convolution (cross-correlation, as torch) and the non-zero padding modes.

Shapes: x (N, C, H, W), weight (O, C/g, kh, kw), out (N, O, OH, OW); K = (C/g)·kh·kw per group.

Conv2d (the one nn.functional uses) is an implicit GEMM (minigrad._C.gemm.conv_*): the GEMM's own
micro-kernels run on panels packed straight from a zero-padded copy of x, so the K x N·OH·OW
column matrix of im2col is never written, in the forward pass or either gradient:
    out[n, g]  = W[g] @ X̂[g, n]            X̂ = the columns im2col would make, packed panel by panel
    dW[g]      = Σ_n gout[n, g] @ X̂[g, n]ᵀ  images summed in fixed chunks (thread-count independent)
    dx         = col2im(W[g]ᵀ @ gout[n, g])  one panel at a time, added into a padded image in L1
    db         = Σ_{n,oh,ow} grad_out
The padded input the forward made is what the weight gradient reads (saved instead of columns).

Conv2dIm2col is the previous path, kept as the reference the tests compare against:
    cols = im2col(x)                      (C·kh·kw, N, OH·OW), group g's rows one block
    out[n, g]  = W[g] @ cols[g, n]        one GEMM per (group, image), written straight into NCHW
Backward, with gT = grad_out as (g, O/g, N·OH·OW):
    dW[g]    = gT[g] @ cols[g]ᵀ           one NT GEMM per group; the image sum runs inside K
    dcols[g] = W[g]ᵀ @ gT[g]              one TN GEMM per group, then col2im (the adjoint)
"""
import threading

import numpy as np

from .._C import gemm as _cgemm
from .._C import im2col as _cim2col
from .._parallel import get_num_threads, threads_for
from ..autograd.function import ArrayFunction
from .pad import NP_PAD_MODES, ScatterAxes
from .linalg import mm

__all__ = ["Conv2d", "Conv2dIm2col", "Pad2d", "padded_input"]

# im2col/col2im move this many elements before a second thread pays for itself.
_IM2COL_THRESHOLD = 1 << 15


class _Scratch(threading.local):
    """Spare buffers (per thread) for the big temporaries that never leave this module: the
    column gradient, the transposed output gradient, and the columns when no graph keeps them.
    A fresh multi-MiB array page-faults on first touch, once per 4 KiB page (in this VM that was
    1-3 ms per Conv2d forward+backward, more than the im2col itself); a reused one does not.
    At most _MAX buffers are kept (the most recently returned)."""
    _MAX = 6

    def __init__(self):
        self.free = {}

    def take(self, shape, dtype):
        arr = self.free.pop((shape, np.dtype(dtype)), None)
        return arr if arr is not None else np.empty(shape, dtype=dtype)

    def give(self, arr):
        self.free.pop((arr.shape, arr.dtype), None)
        self.free[(arr.shape, arr.dtype)] = arr
        while len(self.free) > self._MAX:
            self.free.pop(next(iter(self.free)))


_scratch = _Scratch()


def conv_out_size(L, k, s, p_lo, p_hi, d):
    return (L + p_lo + p_hi - d * (k - 1) - 1) // s + 1


def _differentiable_backward(ctx, gout):
    """Both convolutions' create_graph backward: two more convolutions (ops.conv_grad)."""
    from .conv_grad import conv2d_grads    # conv_grad builds on this module
    return conv2d_grads(ctx, gout)


class Conv2dIm2col(ArrayFunction):
    """The im2col + GEMM convolution (the reference for Conv2d): forward(x, weight, bias_or_None,
    stride=(sh, sw), padding=(top, bottom, left, right), dilation=(dh, dw), groups=g) on
    validated 4-D input."""
    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation, groups):
        N, C, H, W = x.shape
        O, Cg, kh, kw = w.shape
        (sh, sw), (pt, pb, pl, pr), (dh, dw), g = stride, padding, dilation, groups
        OH = conv_out_size(H, kh, sh, pt, pb, dh)
        OW = conv_out_size(W, kw, sw, pl, pr, dw)
        Og, Kg, P = O // g, Cg * kh * kw, OH * OW
        x = np.ascontiguousarray(x)
        w = np.ascontiguousarray(w)
        keep_cols = ctx.needs_input_grad[1]       # dW needs the columns; then backward owns them
        cols = _scratch.take((C * kh * kw, N, OH, OW), x.dtype)
        _cim2col.im2col(x, cols, kh, kw, sh, sw, pt, pl, dh, dw, threads_for(cols.size, _IM2COL_THRESHOLD))
        out = np.empty((N, O, OH, OW), dtype=x.dtype)
        beta = 0.0
        if b is not None:      # start from the bias and let the GEMM add onto it (beta = 1)
            out[...] = b.reshape(1, O, 1, 1)
            beta = 1.0
        if out.size:
            mm(w.reshape(g, 1, Og, Kg),                                      # W[g], broadcast over n
               cols.reshape(g, Kg, N, P).transpose(0, 2, 1, 3),              # cols[g, n]
               out.reshape(N, g, Og, P).transpose(1, 0, 2, 3), beta=beta)    # out[n, g]
        ctx.geom = (x.shape, stride, padding, dilation, groups, b is not None)
        # cols is what dW needs; saved tensors are freed with the graph (retain_graph keeps them,
        # so a saved cols is never handed back to the scratch pool).
        ctx.save_for_backward(w, cols if keep_cols else None)
        if not keep_cols:
            _scratch.give(cols)
        return out

    @staticmethod
    def backward(ctx, gout):
        w, cols = ctx.saved_tensors
        (N, C, H, W), (sh, sw), (pt, pb, pl, pr), (dh, dw), g, has_bias = ctx.geom
        O, Cg, kh, kw = w.shape
        OH, OW = gout.shape[2], gout.shape[3]
        Og, Kg, P = O // g, Cg * kh * kw, OH * OW
        needs = ctx.needs_input_grad
        gx = gw = gb = None
        if has_bias and needs[2]:
            gb = gout.sum(axis=(0, 2, 3))
        if needs[0] or needs[1]:
            # (N, O, P) -> (g, Og, N·P): puts the image sum inside one GEMM's K loop.
            gT = _scratch.take((g, Og, N, P), gout.dtype)
            np.copyto(gT, gout.reshape(N, g, Og, P).transpose(1, 2, 0, 3))
            gT = gT.reshape(g, Og, N * P)
        if needs[1]:
            cols = cols.reshape(g, Kg, N * P)
            gw = mm(gT, cols.transpose(0, 2, 1)).reshape(w.shape)             # NT
        if needs[0]:
            gcols = _scratch.take((C * kh * kw, N, OH, OW), gout.dtype)
            mm(w.reshape(g, Og, Kg).transpose(0, 2, 1), gT, gcols.reshape(g, Kg, N * P))   # TN
            gx = np.empty((N, C, H, W), dtype=gout.dtype)
            _cim2col.col2im(gcols, gx, kh, kw, sh, sw, pt, pl, dh, dw, threads_for(gcols.size, _IM2COL_THRESHOLD))
            _scratch.give(gcols)
        if needs[0] or needs[1]:
            _scratch.give(gT.reshape(g, Og, N, P))
        return gx, gw, gb

    differentiable_backward = staticmethod(_differentiable_backward)


def padded_input(x, OH, OW, kernel, stride, top_left, dilation, nt):
    """(xp, Hp, Wp): the zero-padded input the implicit-GEMM kernels read (minigrad._C.gemm.conv_*),
    for an output of OH x OW. Where no padding is reached, x itself (so a saved xp is the very array
    the input Tensor holds, and in-place changes to it are caught by the version check)."""
    N, C, H, W = x.shape
    Hp, Wp = _cgemm.conv_padded_shape(OH, OW, *kernel, *stride, *dilation)
    if top_left == (0, 0) and Hp <= H and Wp <= W:
        return x, H, W
    xp = np.empty(N * C * Hp * Wp + _cgemm.CONV_SLACK, dtype=x.dtype)
    _cgemm.conv_pad(x, xp, Hp, Wp, *top_left, nt)
    return xp, Hp, Wp


class Conv2d(ArrayFunction):
    """forward(x, weight, bias_or_None, stride=(sh, sw), padding=(top, bottom, left, right),
    dilation=(dh, dw), groups=g) on validated 4-D input; the same numbers as Conv2dIm2col up to
    rounding (sums run in another order), bit-identical at any thread count."""
    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation, groups):
        N, C, H, W = x.shape
        O, Cg, kh, kw = w.shape
        (sh, sw), (pt, pb, pl, pr), (dh, dw) = stride, padding, dilation
        OH = conv_out_size(H, kh, sh, pt, pb, dh)
        OW = conv_out_size(W, kw, sw, pl, pr, dw)
        x = np.ascontiguousarray(x)
        w = np.ascontiguousarray(w)
        nt = get_num_threads()
        xp, Hp, Wp = padded_input(x, OH, OW, (kh, kw), stride, (pt, pl), dilation, nt)
        out = np.empty((N, O, OH, OW), dtype=x.dtype)
        _cgemm.conv_forward(xp.reshape(-1), Hp, Wp, w, b, out, C, sh, sw, dh, dw, groups, nt)
        ctx.geom = (x.shape, stride, padding, dilation, groups, b is not None, Hp, Wp)
        ctx.save_for_backward(w, xp if ctx.needs_input_grad[1] else None)
        return out

    @staticmethod
    def backward(ctx, gout):
        w, xp = ctx.saved_tensors
        (N, C, H, W), (sh, sw), (pt, pb, pl, pr), (dh, dw), g, has_bias, Hp, Wp = ctx.geom
        needs = ctx.needs_input_grad
        gout = np.ascontiguousarray(gout)
        nt = get_num_threads()
        gx = gw = gb = None
        if has_bias and needs[2]:
            gb = np.empty(gout.shape[1], dtype=gout.dtype)   # the array itself: .grad keeps it uncopied
            _cgemm.conv_backward_bias(gout, gb, nt)
        if needs[1]:
            gw = np.empty(w.shape, dtype=gout.dtype)
            _cgemm.conv_backward_weight(xp.reshape(-1), Hp, Wp, gout, gw, C, sh, sw, dh, dw, g, nt)
        if needs[0]:
            gx = np.empty((N, C, H, W), dtype=gout.dtype)
            _cgemm.conv_backward_input(gout, w, gx, pt, pl, sh, sw, dh, dw, g, nt)
        return gx, gw, gb

    differentiable_backward = staticmethod(_differentiable_backward)


def _pad_index(n, lo, hi, mode):
    """Source index of every padded position along one axis (np.pad's modes on an arange)."""
    return np.pad(np.arange(n), (lo, hi), mode=NP_PAD_MODES[mode])


class Pad2d(ArrayFunction):
    """Pad the last two dims by (left, right, top, bottom) with mode 'reflect', 'replicate' or
    'circular' (torch's F.pad order). y = x[..., ih[:, None], iw[None, :]] for index maps ih, iw;
    backward scatters the gradient back through the same maps (np.add.at: a fixed order)."""
    @staticmethod
    def forward(ctx, x, pad, mode):
        pl, pr, pt, pb = pad
        ih = _pad_index(x.shape[-2], pt, pb, mode)
        iw = _pad_index(x.shape[-1], pl, pr, mode)
        ctx.maps = (x.shape, ih, iw)
        return x[..., ih[:, None], iw[None, :]]

    @staticmethod
    def backward(ctx, g):
        shape, ih, iw = ctx.maps
        gx = np.zeros(shape, dtype=g.dtype)
        # Sum over padded columns first, then rows: two 1-D scatters instead of one 2-D one.
        gw = np.zeros(g.shape[:-1] + (shape[-1],), dtype=g.dtype)
        np.add.at(gw, (Ellipsis, iw), g)
        gw = np.moveaxis(gw, -2, 0)
        gx = np.moveaxis(gx, -2, 0)
        np.add.at(gx, ih, gw)
        return (np.moveaxis(gx, 0, -2),)

    @staticmethod
    def differentiable_backward(ctx, g):
        shape, ih, iw = ctx.maps      # forward is GatherAxes with these maps: backward its scatter
        return ScatterAxes.apply(g, ((len(shape) - 2, ih), (len(shape) - 1, iw)), shape)
