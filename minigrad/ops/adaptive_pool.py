"""Adaptive average / max pooling over the last two dims, in NumPy: output cell (i, j) pools
rows floor(i·H/OH) .. ceil((i+1)·H/OH) - 1 and the columns likewise (torch's windows, which may
overlap). One NumPy reduction per output cell: cheap for the small outputs these layers make
(a classifier head's 1x1 or 7x7)."""
import numpy as np

from ..autograd.function import ArrayFunction

__all__ = ["AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "adaptive_windows"]


def adaptive_windows(n_in, n_out):
    """[(start, end)] of each of n_out windows over n_in positions."""
    return [((i * n_in) // n_out, -((-(i + 1) * n_in) // n_out)) for i in range(n_out)]


class AdaptiveAvgPool2d(ArrayFunction):
    @staticmethod
    def forward(ctx, x, out_hw):
        rows, cols = adaptive_windows(x.shape[-2], out_hw[0]), adaptive_windows(x.shape[-1], out_hw[1])
        out = np.empty(x.shape[:-2] + tuple(out_hw), dtype=x.dtype)
        for i, (h0, h1) in enumerate(rows):
            for j, (w0, w1) in enumerate(cols):
                out[..., i, j] = x[..., h0:h1, w0:w1].mean(axis=(-2, -1))
        ctx.geom = (x.shape, rows, cols)
        return out

    @staticmethod
    def backward(ctx, g):
        shape, rows, cols = ctx.geom
        gx = np.zeros(shape, dtype=g.dtype)
        for i, (h0, h1) in enumerate(rows):
            for j, (w0, w1) in enumerate(cols):
                gx[..., h0:h1, w0:w1] += (g[..., i, j] / ((h1 - h0) * (w1 - w0)))[..., None, None]
        return gx


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
        shape = ctx.in_shape
        planes = int(np.prod(shape[:-2], dtype=np.int64))
        gx = np.zeros((planes, shape[-2] * shape[-1]), dtype=g.dtype)
        flat_idx = idx.reshape(planes, -1)
        # overlapping windows may pick one element twice: add, don't assign
        np.add.at(gx, (np.arange(planes)[:, None], flat_idx), g.reshape(planes, -1))
        return gx.reshape(shape)
