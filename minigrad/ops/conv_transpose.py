"""2-D transposed convolution on the convolution's own implicit-GEMM kernels: it is Conv2d's input
gradient, and its gradients are a Conv2d forward and a Conv2d weight gradient.

Shapes: x (N, Cin, H, W), weight (Cin, Cout/g, kh, kw), out (N, Cout, OH, OW),
OH = (H - 1)·sh - 2·ph + dh·(kh - 1) + output_padding_h + 1. Seen as the conv from (Cout, OH, OW)
to (Cin, H, W) with the same weight, stride, padding and dilation:
    out = conv_backward_input(x) + b      each x pixel's taps added into the output (col2im of Wᵀ x)
    dx  = conv_forward(grad_out)          W[g] @ the columns of grad_out, packed panel by panel
    dW  = conv_backward_weight(grad_out, x);  db = Σ grad_out
output_padding only adds rows/columns past the last tap's reach: they get the bias alone.
"""
import numpy as np

from .._C import gemm as _cgemm
from .._parallel import get_num_threads
from ..autograd.function import ArrayFunction
from .conv import padded_input

__all__ = ["ConvTranspose2d"]


class ConvTranspose2d(ArrayFunction):
    """forward(x, weight, bias_or_None, stride, padding=(ph, pw), out_hw=(OH, OW), dilation, groups)."""
    @staticmethod
    def forward(ctx, x, w, b, stride, padding, out_hw, dilation, groups):
        N, Cin, H, W = x.shape
        _, Cog, kh, kw = w.shape
        (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
        x = np.ascontiguousarray(x)
        w = np.ascontiguousarray(w)
        out = np.empty((N, Cog * groups) + tuple(out_hw), dtype=x.dtype)
        _cgemm.conv_backward_input(x, w, out, ph, pw, sh, sw, dh, dw, groups, get_num_threads(), b)
        ctx.save_for_backward(w, x if ctx.needs_input_grad[1] else None)
        ctx.geom = (x.shape, stride, padding, dilation, groups, b is not None)
        return out

    @staticmethod
    def backward(ctx, gout):
        w, x = ctx.saved_tensors
        (N, Cin, H, W), (sh, sw), (ph, pw), (dh, dw), g, has_bias = ctx.geom
        _, Cog, kh, kw = w.shape
        needs = ctx.needs_input_grad
        gout = np.ascontiguousarray(gout)
        nt = get_num_threads()
        gx = gw = gb = None
        if has_bias and needs[2]:
            gb = _cgemm.conv_backward_bias(gout, np.empty(gout.shape[1], dtype=gout.dtype), nt)
        if needs[0] or needs[1]:
            gp, Hp, Wp = padded_input(gout, H, W, (kh, kw), (sh, sw), (ph, pw), (dh, dw), nt)
            gp = gp.reshape(-1)
        if needs[0]:
            gx = np.empty((N, Cin, H, W), dtype=gout.dtype)
            _cgemm.conv_forward(gp, Hp, Wp, w, None, gx, Cog * g, sh, sw, dh, dw, g, nt)
        if needs[1]:
            gw = np.empty(w.shape, dtype=gout.dtype)
            _cgemm.conv_backward_weight(gp, Hp, Wp, x, gw, Cog * g, sh, sw, dh, dw, g, nt)
        return gx, gw, gb

    @staticmethod
    def differentiable_backward(ctx, gout):
        from .conv_grad import conv_transpose2d_grads   # a convolution and a weight gradient
        return conv_transpose2d_grads(ctx, gout)
