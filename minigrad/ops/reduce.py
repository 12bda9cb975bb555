"""Reductions over one, several or all dims."""
import numpy as np

from ..autograd.function import ArrayFunction

__all__ = ["Sum", "Mean", "MaxAll", "MinAll", "MaxDim", "MinDim", "normalize_dims"]


def normalize_dims(dim, ndim):
    """int / tuple / None -> a sorted tuple of non-negative axes; IndexError like torch."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    lo, hi = (-ndim, ndim - 1) if ndim > 0 else (-1, 0)
    out = []
    for d in dims:
        if not lo <= d <= hi:
            raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {d})")
        out.append(d % ndim if ndim > 0 else 0)
    if len(set(out)) != len(out):
        raise RuntimeError(f"dim {dims} appears multiple times in the list of dims")
    return tuple(sorted(out))


def _expand_back(g, shape, axes, keepdim):
    """Undo a reduction's shape change: put back the reduced axes, then broadcast.
    (copyto into a fresh array: np.broadcast_to costs ~10x more per call on small tensors.)"""
    out = np.empty(shape, dtype=g.dtype)
    np.copyto(out, g if keepdim else g.reshape([1 if a in axes else n for a, n in enumerate(shape)]))
    return out


class Sum(ArrayFunction):
    @staticmethod
    def forward(ctx, x, axes, keepdim=False):
        ctx.shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        return np.asarray(x.sum(axis=axes, keepdims=keepdim))

    @staticmethod
    def backward(ctx, g):
        return _expand_back(g, ctx.shape, ctx.axes, ctx.keepdim)


class Mean(ArrayFunction):
    @staticmethod
    def forward(ctx, x, axes, keepdim=False):
        ctx.shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        ctx.count = int(np.prod([x.shape[a] for a in axes])) if x.ndim else 1
        return np.asarray(x.mean(axis=axes, keepdims=keepdim))

    @staticmethod
    def backward(ctx, g):
        return _expand_back(g / ctx.count, ctx.shape, ctx.axes, ctx.keepdim)


class _ExtremeAll(ArrayFunction):
    """max()/min() over everything. NOTE: ties share the gradient evenly (torch's rule)."""
    reduce = None

    @classmethod
    def forward(cls, ctx, x):
        out = np.asarray(cls.reduce(x))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        hit = (x == out) | (np.isnan(x) & np.isnan(out))
        return g * hit / hit.sum()


class MaxAll(_ExtremeAll):
    reduce = staticmethod(np.max)


class MinAll(_ExtremeAll):
    reduce = staticmethod(np.min)


class _ExtremeDim(ArrayFunction):
    """max(dim)/min(dim): values and int64 indices. NOTE: the gradient goes to the returned index
    (the first extreme, NaN counting as the extreme), as torch."""
    arg = None

    @classmethod
    def forward(cls, ctx, x, dim, keepdim=False):
        idx = np.expand_dims(cls.arg(x, axis=dim), dim)
        values = np.take_along_axis(x, idx, axis=dim)
        if not keepdim:
            values, idx = values.squeeze(dim), idx.squeeze(dim)
        idx = idx.astype(np.int64)
        ctx.shape, ctx.dim, ctx.keepdim = x.shape, dim, keepdim
        ctx.save_for_backward(idx)
        ctx.mark_non_differentiable(idx)
        return values, idx

    @staticmethod
    def backward(ctx, g, _g_idx):
        idx, = ctx.saved_tensors
        gx = np.zeros(ctx.shape, dtype=g.dtype)
        if not ctx.keepdim:
            g, idx = np.expand_dims(g, ctx.dim), np.expand_dims(idx, ctx.dim)
        np.put_along_axis(gx, idx, g, axis=ctx.dim)
        return gx


class MaxDim(_ExtremeDim):
    arg = staticmethod(np.argmax)   # NOTE: NumPy, like torch, picks the first NaN


class MinDim(_ExtremeDim):
    arg = staticmethod(np.argmin)
