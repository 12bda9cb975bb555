"""2-D transposed convolution on the convolution's own kernels: it is Conv2d's input gradient.

Shapes: x (N, Cin, H, W), weight (Cin, Cout/g, kh, kw), out (N, Cout, OH, OW),
OH = (H - 1)·sh - 2·ph + dh·(kh - 1) + output_padding_h + 1; K = (Cout/g)·kh·kw per group.
    cols[g]  = W[g]ᵀ @ xT[g]        one TN GEMM per group, xT[g] = x's group g as (Cin/g, N·H·W)
    out      = col2im(cols) + b     the scatter-add of every tap into the (cropped) output
Backward, with gcols = im2col(grad_out) (the forward conv of grad_out, geometry H x W):
    dx[g] = W[g] @ gcols[g];   dW[g] = xT[g] @ gcols[g]ᵀ (NT);   db = Σ grad_out
output_padding only adds rows/columns past the last tap's reach: they get the bias alone.
"""
import numpy as np

from .._C import im2col as _cim2col
from .._parallel import threads_for
from ..autograd.function import ArrayFunction
from .conv import _IM2COL_THRESHOLD
from .linalg import mm

__all__ = ["ConvTranspose2d"]


def _groups_first(x, g):
    """(N, g·Cg, H, W) -> a C-contiguous (g, Cg, N·H·W) copy."""
    N, C, H, W = x.shape
    return np.ascontiguousarray(x.reshape(N, g, C // g, H * W).transpose(1, 2, 0, 3)).reshape(g, C // g, N * H * W)


class ConvTranspose2d(ArrayFunction):
    """forward(x, weight, bias_or_None, stride, padding=(ph, pw), out_hw=(OH, OW), dilation, groups)."""
    @staticmethod
    def forward(ctx, x, w, b, stride, padding, out_hw, dilation, groups):
        N, Cin, H, W = x.shape
        _, Cog, kh, kw = w.shape
        g, (sh, sw), (ph, pw), (dh, dw) = groups, stride, padding, dilation
        Cout, K = Cog * g, Cog * kh * kw
        xT = _groups_first(x, g)
        w = np.ascontiguousarray(w)
        cols = np.empty((Cout * kh * kw, N, H, W), dtype=x.dtype)
        if cols.size:
            mm(w.reshape(g, Cin // g, K).transpose(0, 2, 1), xT, cols.reshape(g, K, N * H * W))
        out = np.empty((N, Cout) + tuple(out_hw), dtype=x.dtype)
        _cim2col.col2im(cols, out, kh, kw, sh, sw, ph, pw, dh, dw, threads_for(cols.size, _IM2COL_THRESHOLD))
        if b is not None:
            out += b.reshape(1, Cout, 1, 1)
        ctx.save_for_backward(w, xT if ctx.needs_input_grad[1] else None)
        ctx.geom = (x.shape, stride, padding, dilation, groups, b is not None)
        return out

    @staticmethod
    def backward(ctx, gout):
        w, xT = ctx.saved_tensors
        (N, Cin, H, W), (sh, sw), (ph, pw), (dh, dw), g, has_bias = ctx.geom
        _, Cog, kh, kw = w.shape
        K = Cog * kh * kw
        needs = ctx.needs_input_grad
        gx = gw = gb = None
        if has_bias and needs[2]:
            gb = gout.sum(axis=(0, 2, 3))
        if needs[0] or needs[1]:
            gcols = np.empty((Cog * g * kh * kw, N, H, W), dtype=gout.dtype)
            _cim2col.im2col(np.ascontiguousarray(gout), gcols, kh, kw, sh, sw, ph, pw, dh, dw,
                            threads_for(gcols.size, _IM2COL_THRESHOLD))
            gcols = gcols.reshape(g, K, N * H * W)
        if needs[0]:
            gxT = mm(w.reshape(g, Cin // g, K), gcols)                        # (g, Cin/g, N·H·W)
            gx = np.ascontiguousarray(gxT.reshape(g, Cin // g, N, H * W).transpose(2, 0, 1, 3)).reshape(N, Cin, H, W)
        if needs[1]:
            gw = mm(xT, gcols.transpose(0, 2, 1)).reshape(w.shape)           # NT
        return gx, gw, gb

    @staticmethod
    def differentiable_backward(ctx, gout):
        from .conv_grad import conv_transpose2d_grads   # a convolution and a weight gradient
        return conv_transpose2d_grads(ctx, gout)
