"""Reductions over one, several or all dims."""
import math

import operator

import numpy as np

from ..autograd.function import ArrayFunction
from .elementwise import constant, output, where_or_zero
from .indexing import along_dim
from .movement import Cat, IndexPut

__all__ = ["normalize_dim", "Sum", "Mean", "Prod", "Var", "Norm", "LogSumExp", "Amax", "Amin", "MedianAll", "MaxDim", "MinDim",
           "MedianDim", "Cumsum", "Cumprod", "normalize_dims"]


def normalize_dim(dim, ndim):
    """One dim -> its non-negative index (a 0-d tensor takes 0 and -1), IndexError as torch."""
    if type(dim) is not int:
        dim = operator.index(dim)
    lo, hi = (-ndim, ndim - 1) if ndim else (-1, 0)
    if not lo <= dim <= hi:
        raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})")
    return dim % ndim if ndim else 0


def normalize_dims(dim, ndim):
    """int / tuple / None -> a sorted tuple of non-negative axes; IndexError like torch."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    out = [normalize_dim(d, ndim) for d in dims]
    if len(set(out)) != len(out):
        raise RuntimeError(f"dim {dims} appears multiple times in the list of dims")
    return tuple(sorted(out))


def _expand_back(g, shape, axes, keepdim):
    """Undo a reduction's shape change: put back the reduced axes, then broadcast.
    (copyto into a fresh array: np.broadcast_to costs ~10x more per call on small tensors.)"""
    out = np.empty(shape, dtype=g.dtype)
    np.copyto(out, g if keepdim else g.reshape([1 if a in axes else n for a, n in enumerate(shape)]))
    return out


def _expand_back_tensor(g, shape, axes, keepdim):
    """_expand_back written with ops, for differentiable_backward."""
    if not keepdim:
        g = g.reshape([1 if a in axes else n for a, n in enumerate(shape)])
    return g.expand(shape)


class Sum(ArrayFunction):
    @staticmethod
    def forward(ctx, x, axes, keepdim=False):
        ctx.shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        return np.asarray(x.sum(axis=axes, keepdims=keepdim))

    @staticmethod
    def backward(ctx, g):
        return _expand_back(g, ctx.shape, ctx.axes, ctx.keepdim)

    @staticmethod
    def differentiable_backward(ctx, g):
        return _expand_back_tensor(g, ctx.shape, ctx.axes, ctx.keepdim)


class Mean(ArrayFunction):
    @staticmethod
    def forward(ctx, x, axes, keepdim=False):
        ctx.shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        ctx.count = int(np.prod([x.shape[a] for a in axes])) if x.ndim else 1
        return np.asarray(x.mean(axis=axes, keepdims=keepdim))

    @staticmethod
    def backward(ctx, g):
        return _expand_back(g / ctx.count, ctx.shape, ctx.axes, ctx.keepdim)

    @staticmethod
    def differentiable_backward(ctx, g):
        return _expand_back_tensor(g / ctx.count, ctx.shape, ctx.axes, ctx.keepdim)


def _squeeze(out, axes, keepdim):
    """A keepdims result of a reduction over `axes`, without them unless keepdim."""
    if not keepdim and len(axes) == out.ndim:
        return out.reshape(())
    return out if keepdim else out.reshape([n for a, n in enumerate(out.shape) if a not in axes])


class Prod(ArrayFunction):
    """Product over one dim, or over everything (dim None), as torch.prod.
    The gradient of each element is the product of all the others, formed without dividing,
    so it stays exact where the input holds zeros."""
    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False):
        ctx.save_for_backward(x)
        ctx.dim, ctx.keepdim = dim, keepdim
        return np.asarray(x.prod() if dim is None else x.prod(axis=dim, keepdims=keepdim))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        if ctx.dim is None or x.ndim == 0:   # a 0-d input reduced over dim 0 too
            return g * _products_of_others(x.reshape(-1)).reshape(x.shape)
        if not ctx.keepdim:
            g = np.expand_dims(g, ctx.dim)
        return g * np.moveaxis(_products_of_others(np.moveaxis(x, ctx.dim, -1)), -1, ctx.dim)

    @staticmethod
    def differentiable_backward(ctx, g):
        x = ctx.inputs[0]
        if ctx.dim is None or x.ndim == 0:   # a 0-d input reduced over dim 0 too
            return g * _products_of_others_tensor(x.reshape(-1)).reshape(x.shape)
        if not ctx.keepdim:
            g = g.unsqueeze(ctx.dim)
        return g * _products_of_others_tensor(x.transpose(ctx.dim, -1)).transpose(ctx.dim, -1)


def _products_of_others_tensor(x):
    """_products_of_others with ops: exclusive cumulative products from both ends, so the second
    derivative (through Cumprod's) is exact where x holds zeros too."""
    if x.shape[-1] == 0:
        return constant(np.empty_like(x._data))
    ones = constant(np.ones(x.shape[:-1] + (1,), dtype=x._data.dtype))
    last = x.ndim - 1   # Cat takes a normalized dim
    before = Cat.apply(ones, x[..., :-1], dim=last).cumprod(-1)
    after = Cat.apply(ones, x.flip(-1)[..., :-1], dim=last).cumprod(-1).flip(-1)
    return before * after


def _products_of_others(x):
    """Along the last axis: out[i] = prod(x[j] for j != i), as (prefix product) * (suffix product)."""
    if x.shape[-1] == 0:
        return np.empty_like(x)
    ones = np.ones(x.shape[:-1] + (1,), dtype=x.dtype)
    before = np.cumprod(np.concatenate([ones, x[..., :-1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([ones, x[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return before * after


class Var(ArrayFunction):
    """var (or std, with take_sqrt) over `axes`: Σ(x - mean)² / max(N - correction, 0)."""
    @staticmethod
    def forward(ctx, x, axes, correction=1, keepdim=False, take_sqrt=False):
        dev = x - x.mean(axis=axes, keepdims=True)
        n = math.prod(x.shape[a] for a in axes)
        ctx.denom = max(n - correction, 0)
        with np.errstate(divide="ignore", invalid="ignore"):   # N <= correction: inf/nan, as torch
            out = np.asarray((dev * dev).sum(axis=axes, keepdims=True) / x.dtype.type(ctx.denom))
        if take_sqrt:
            out = np.sqrt(out)
        ctx.take_sqrt, ctx.axes = take_sqrt, axes
        ctx.save_for_backward(dev, out)
        return _squeeze(out, axes, keepdim)

    @staticmethod
    def backward(ctx, g):
        dev, out = ctx.saved_tensors
        g = g.reshape(out.shape)
        if ctx.take_sqrt:   # NOTE: d std = d var / (2 std), taken as 0 where std == 0 (torch's rule)
            g = np.where(out == 0, 0, g / np.where(out == 0, 1, 2 * out))
        with np.errstate(divide="ignore", invalid="ignore"):
            return g * (2 / dev.dtype.type(ctx.denom)) * dev

    @staticmethod
    def differentiable_backward(ctx, g):
        out = ctx.saved_tensors[1]
        x = ctx.inputs[0]
        dev = x - x.mean(dim=ctx.axes, keepdim=True)   # recomputed in the graph: it depends on x
        g = g.reshape(out.shape)
        if ctx.take_sqrt:
            std = output(ctx, out).reshape(out.shape)
            zero = out == 0
            if zero.any():
                g = where_or_zero(~zero, g / (2 * (std + constant(zero))))
            else:
                g = g / (2 * std)
        with np.errstate(divide="ignore", invalid="ignore"):
            return g * float(2 / out.dtype.type(ctx.denom)) * dev


class Norm(ArrayFunction):
    """Vector p-norm over `axes`: (Σ|x|^p)^(1/p); p = inf / -inf: max / min |x|; p = 0: the
    count of non-zeros (no gradient)."""
    @staticmethod
    def forward(ctx, x, p, axes, keepdim=False):
        a = np.abs(x)
        if p == math.inf:
            out = a.max(axis=axes, keepdims=True)
        elif p == -math.inf:
            out = a.min(axis=axes, keepdims=True)
        elif p == 0:
            out = (a != 0).sum(axis=axes, keepdims=True).astype(x.dtype)
        elif p == 1:
            out = a.sum(axis=axes, keepdims=True)
        elif p == 2:
            out = np.sqrt((x * x).sum(axis=axes, keepdims=True))
        else:
            out = ((a ** p).sum(axis=axes, keepdims=True)) ** (1 / p)
        ctx.p, ctx.axes = p, axes
        ctx.save_for_backward(x, out)
        return _squeeze(np.asarray(out), axes, keepdim)

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        g, p = g.reshape(out.shape), ctx.p
        if p == 0:
            return np.zeros_like(x)
        if p in (1, math.inf, -math.inf):
            return Norm._piecewise_linear(ctx, g, x, out)
        a = np.abs(x)
        # d/dx = sign(x) |x|^(p-1) / norm^(p-1); 0 where x or the norm is 0 (torch's rule)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            d = x / out if p == 2 else np.sign(x) * (a / out) ** (p - 1)
        return g * np.where((x == 0) | (out == 0), 0, d)

    @staticmethod
    def _piecewise_linear(ctx, g, x, out):
        """p = 1, inf, -inf: g times constant weights (g an array or a Tensor)."""
        if ctx.p == 1:
            return g * np.sign(x)
        hit = np.abs(x) == out   # NOTE: ties share the gradient evenly, as amax
        return g * np.sign(x) * hit / hit.sum(axis=ctx.axes, keepdims=True)

    @staticmethod
    def differentiable_backward(ctx, g):
        x_arr, out = ctx.saved_tensors
        g, p = g.reshape(out.shape), ctx.p
        if p == 0:
            return constant(np.zeros_like(x_arr))
        if p in (1, math.inf, -math.inf):
            return Norm._piecewise_linear(ctx, g, x_arr, out)
        x, norm = ctx.inputs[0], output(ctx, out).reshape(out.shape)
        zero_norm = out == 0
        if zero_norm.any():   # divide by 1 there instead: the result is masked, and no NaN leaks back
            norm = norm + constant(zero_norm)
        if p == 2:
            d = x / norm   # NOTE: not masked at x == 0, where its derivative 1 / norm is not 0
            return g * (where_or_zero(~zero_norm, d) if zero_norm.any() else d)
        skip = (x_arr == 0) | zero_norm
        a = where_or_zero(~skip, x.abs()) + constant(skip)   # |x|, 1 where the gradient is 0: no 0 ** (p - 1)
        return g * where_or_zero(~skip, np.sign(x_arr) * (a / norm) ** (p - 1))


class LogSumExp(ArrayFunction):
    """log Σ exp(x) over `axes`, shifted by the max so large inputs do not overflow."""
    @staticmethod
    def forward(ctx, x, axes, keepdim=False):
        m = np.max(x, axis=axes, keepdims=True, initial=-np.inf)
        m = np.where(np.isfinite(m), m, 0)      # all -inf (or an inf): no shift needed, none possible
        with np.errstate(divide="ignore"):
            out = np.log(np.exp(x - m).sum(axis=axes, keepdims=True)) + m
        ctx.save_for_backward(x, out)
        return _squeeze(out, axes, keepdim)

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        e = np.subtract(x, out, out=np.empty_like(x))
        np.exp(e, out=e)
        e *= g.reshape(out.shape)
        return e

    @staticmethod
    def differentiable_backward(ctx, g):
        out = ctx.saved_tensors[1]
        return g.reshape(out.shape) * (ctx.inputs[0] - output(ctx, out).reshape(out.shape)).exp()


class _ExtremeDims(ArrayFunction):
    """amax/amin over `axes` (max()/min() over everything). NOTE: ties share the gradient
    evenly (torch's rule); a NaN counts as the extreme."""
    reduce = None

    @classmethod
    def forward(cls, ctx, x, axes, keepdim=False):
        out = np.asarray(cls.reduce(x, axis=axes, keepdims=True))
        ctx.save_for_backward(x, out)
        ctx.axes = axes
        return _squeeze(out, axes, keepdim)

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        hit = (x == out) | (np.isnan(x) & np.isnan(out))
        return g.reshape(out.shape) * hit / hit.sum(axis=ctx.axes, keepdims=True)

    # the same code on a Tensor g: g times constant weights, so the second derivative is 0
    differentiable_backward = backward


class Amax(_ExtremeDims):
    reduce = staticmethod(np.max)


class Amin(_ExtremeDims):
    reduce = staticmethod(np.min)


def _lower_median(x, axis=None, keepdims=True):
    """median() over everything: the lower of the two middle values (NaN if any), shaped keepdims."""
    flat = np.sort(x, axis=None)
    value = flat[-1] if np.isnan(flat[-1]) else flat[(flat.size - 1) // 2]
    return np.full((1,) * x.ndim, value, dtype=x.dtype)


class MedianAll(_ExtremeDims):
    reduce = staticmethod(_lower_median)


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

    @staticmethod
    def differentiable_backward(ctx, g, _g_idx):
        idx, = ctx.saved_tensors
        if not ctx.keepdim:
            g, idx = g.unsqueeze(ctx.dim), np.expand_dims(idx, ctx.dim)
        return IndexPut.apply(g, ctx.shape, along_dim(idx, ctx.dim), True)


class MaxDim(_ExtremeDim):
    arg = staticmethod(np.argmax)   # NOTE: NumPy, like torch, picks the first NaN


class MinDim(_ExtremeDim):
    arg = staticmethod(np.argmin)


def _median_index(x, axis):
    """Index of the lower median along `axis` (stable: among equal values the earlier one in
    sorted order, as torch); a slice with a NaN gives its first NaN."""
    order = np.argsort(x, axis=axis, kind="stable")
    idx = np.take(order, (x.shape[axis] - 1) // 2, axis=axis)
    nan = np.isnan(x)
    return np.where(nan.any(axis=axis), np.argmax(nan, axis=axis), idx)


class MedianDim(_ExtremeDim):
    arg = staticmethod(_median_index)


# ***** cumulative *****

def _reverse_cumsum(a, axis):
    return np.flip(np.cumsum(np.flip(a, axis), axis=axis), axis)


def _reverse_cumsum_tensor(t, dim):
    return t.flip(dim).cumsum(dim).flip(dim)


class Cumsum(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        return np.cumsum(x, axis=dim)

    @staticmethod
    def backward(ctx, g):
        return _reverse_cumsum(g, ctx.dim)

    @staticmethod
    def differentiable_backward(ctx, g):
        return _reverse_cumsum_tensor(g, ctx.dim)


class Cumprod(ArrayFunction):
    """y_k = Π_{j<=k} x_j, so dL/dx_i = Σ_{k>=i} g_k Π_{j<=k, j!=i} x_j.
    Where x_i != 0 that is Σ_{k>=i} g_k y_k / x_i (a reversed cumsum). A zero needs care: after
    a row's first zero z every y_k is 0, so later elements get 0 (the formula gives that, and
    later zeros are set to it); at z itself the sum is Σ_{k>=z} g_k y'_k, with y' the cumprod of
    the row with x_z taken as 1. Exact with zeros, as torch."""
    @staticmethod
    def forward(ctx, x, dim):
        out = np.cumprod(x, axis=dim)
        ctx.dim = dim
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, y = (np.moveaxis(a, ctx.dim, -1) for a in ctx.saved_tensors)
        g = np.moveaxis(g, ctx.dim, -1)
        zero = x == 0
        gx = np.where(zero, 0, _reverse_cumsum(g * y, -1) / np.where(zero, 1, x))
        rows = zero.any(axis=-1)
        if rows.any():
            xr, gr, gxr = x[rows], g[rows], gx[rows]       # (R, n): the rows holding a zero
            r, z = np.arange(len(xr)), zero[rows].argmax(axis=-1)
            xr[r, z] = 1
            from_z = np.arange(xr.shape[-1]) >= z[:, None]
            gxr[r, z] = (gr * np.cumprod(xr, axis=-1) * from_z).sum(axis=-1)
            gx[rows] = gxr
        return np.moveaxis(gx, -1, ctx.dim)

    @staticmethod
    def differentiable_backward(ctx, g):
        x_arr, y = ctx.saved_tensors
        x, dim = ctx.inputs[0], ctx.dim
        zero = x_arr == 0
        if not zero.any():
            return _reverse_cumsum_tensor(g * output(ctx, y), dim) / x
        # With zeros, no division: the products that leave out x_i, for every i at once (n^2 per
        # row, as torch in this case). Along the last axis, omit[.., i, j] = x_j, but 1 at j == i;
        # its cumprod along j is Π_{j<=k, j!=i} x_j, summed against g_k over k >= i.
        xm, gm = x.transpose(dim, -1), g.transpose(dim, -1)
        n = xm.shape[-1]
        eye = np.eye(n, dtype=bool)
        omit = where_or_zero(~eye, xm.unsqueeze(-2).expand(*xm.shape, n)) + constant(eye)
        upper = np.triu(np.ones((n, n), dtype=bool))   # [i, k]: k >= i
        return where_or_zero(upper, gm.unsqueeze(-2) * omit.cumprod(-1)).sum(-1).transpose(dim, -1)
