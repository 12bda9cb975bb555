"""Adaptive average / max pooling over the last two dims, in NumPy: output cell (i, j) pools
rows floor(i·H/OH) .. ceil((i+1)·H/OH) - 1 and the columns likewise (torch's windows, which may
overlap). One NumPy reduction per output cell: cheap for the small outputs these layers make
(a classifier head's 1x1 or 7x7). Average pooling's backward is its adjoint
(AdaptiveAvgPool2dBackward, whose backward is the pooling again); max pooling's backward is a
scatter at its indices (pool_grad.PlaneScatter, whose backward is the gather)."""
import numpy as np

from ..autograd.function import ArrayFunction
from .pool_grad import PlaneScatter, scatter_planes

__all__ = ["AdaptiveAvgPool2d", "AdaptiveAvgPool2dBackward", "AdaptiveMaxPool2d", "adaptive_windows"]


def adaptive_windows(n_in, n_out):
    """[(start, end)] of each of n_out windows over n_in positions."""
    return [((i * n_in) // n_out, -((-(i + 1) * n_in) // n_out)) for i in range(n_out)]


def _windows2d(in_hw, out_hw):
    return adaptive_windows(in_hw[0], out_hw[0]), adaptive_windows(in_hw[1], out_hw[1])


def _avg_pool(x, out_hw):
    rows, cols = _windows2d(x.shape[-2:], out_hw)
    out = np.empty(x.shape[:-2] + tuple(out_hw), dtype=x.dtype)
    for i, (h0, h1) in enumerate(rows):
        for j, (w0, w1) in enumerate(cols):
            out[..., i, j] = x[..., h0:h1, w0:w1].mean(axis=(-2, -1))
    return out


def _avg_pool_adjoint(g, shape):
    """Each window's gradient spread evenly over it (windows may overlap: they add up)."""
    rows, cols = _windows2d(shape[-2:], g.shape[-2:])
    gx = np.zeros(shape, dtype=g.dtype)
    for i, (h0, h1) in enumerate(rows):
        for j, (w0, w1) in enumerate(cols):
            gx[..., h0:h1, w0:w1] += (g[..., i, j] / ((h1 - h0) * (w1 - w0)))[..., None, None]
    return gx


class AdaptiveAvgPool2d(ArrayFunction):
    @staticmethod
    def forward(ctx, x, out_hw):
        ctx.in_shape = x.shape
        return _avg_pool(x, out_hw)

    @staticmethod
    def backward(ctx, g):
        return _avg_pool_adjoint(g, ctx.in_shape)

    @staticmethod
    def differentiable_backward(ctx, g):
        return AdaptiveAvgPool2dBackward.apply(g, ctx.in_shape)


class AdaptiveAvgPool2dBackward(ArrayFunction):
    """forward(g, in_shape): AdaptiveAvgPool2d's backward as an op (linear: its backward is the pooling)."""
    @staticmethod
    def forward(ctx, g, in_shape):
        ctx.out_hw = g.shape[-2:]
        return _avg_pool_adjoint(g, in_shape)

    @staticmethod
    def backward(ctx, gg):
        return _avg_pool(gg, ctx.out_hw)

    @staticmethod
    def differentiable_backward(ctx, gg):
        return AdaptiveAvgPool2d.apply(gg, ctx.out_hw)


def _argmax_nan_last(win):
    """torch's scan `if (v > best || isnan(v))` over the last axis: the first maximum, or the
    last NaN when there is one."""
    nan = np.isnan(win)
    k = np.argmax(np.where(nan, -np.inf, win), axis=-1)
    if nan.any():
        last_nan = win.shape[-1] - 1 - np.argmax(nan[..., ::-1], axis=-1)
        k = np.where(nan.any(axis=-1), last_nan, k)
    return k


class AdaptiveMaxPool2d(ArrayFunction):
    """Max of each window; indices are flat positions h·W + w in the input plane (the first
    maximum in row-major order, or the last NaN, as torch)."""
    @staticmethod
    def forward(ctx, x, out_hw, return_indices):
        H, W = x.shape[-2:]
        rows, cols = adaptive_windows(H, out_hw[0]), adaptive_windows(W, out_hw[1])
        lead = x.shape[:-2]
        out = np.empty(lead + tuple(out_hw), dtype=x.dtype)
        idx = np.empty(lead + tuple(out_hw), dtype=np.int64)
        for i, (h0, h1) in enumerate(rows):
            for j, (w0, w1) in enumerate(cols):
                win = x[..., h0:h1, w0:w1].reshape(lead + (-1,))
                k = _argmax_nan_last(win)
                out[..., i, j] = np.take_along_axis(win, k[..., None], -1)[..., 0]
                idx[..., i, j] = (h0 + k // (w1 - w0)) * W + w0 + k % (w1 - w0)
        ctx.save_for_backward(idx)
        ctx.in_shape = x.shape
        if not return_indices:
            return out
        ctx.mark_non_differentiable(idx)
        return out, idx

    @staticmethod
    def backward(ctx, g, g_idx=None):
        idx, = ctx.saved_tensors
        # overlapping windows may pick one element twice: scatter_planes adds, doesn't assign
        return scatter_planes(g, idx, ctx.in_shape[-2:])

    @staticmethod
    def differentiable_backward(ctx, g, g_idx=None):
        idx, = ctx.saved_tensors
        return PlaneScatter.apply(g, idx, ctx.in_shape[-2:], None)
