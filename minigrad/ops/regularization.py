"""Dropout and batch normalisation; the normalisation's gradient written with ops, which layer
norm shares (create_graph)."""
import numpy as np

from ..autograd.function import ArrayFunction
from .activation import _constant

__all__ = ["Dropout", "BatchNorm"]


def normalized_input_grad(gxhat, xhat, inv_std, n, axes):
    """dx of x̂ = (x - mean) inv_std through the group statistics (biased variance), n elements
    per group summed over `axes`: inv_std / n * (n ĝ - Σ ĝ - x̂ Σ ĝ x̂), in that order of
    operations, written in place: two full-size arrays where the expression makes seven."""
    t = np.asarray(gxhat * xhat)   # an array also for 0-d operands, for out= below
    sum_gx = t.sum(axis=axes, keepdims=True)
    np.multiply(xhat, sum_gx, out=t)
    gx = gxhat * n
    gx -= gxhat.sum(axis=axes, keepdims=True)
    gx -= t
    gx *= inv_std / n
    return gx


class Dropout(ArrayFunction):
    """y = x * mask / (1 - p), mask ~ Bernoulli(1 - p), drawn by the caller (so it is seeded)."""
    @staticmethod
    def forward(ctx, x, scaled_mask):
        ctx.save_for_backward(scaled_mask)
        return x * scaled_mask

    @staticmethod
    def backward(ctx, g):
        scaled_mask, = ctx.saved_tensors
        return g * scaled_mask

    @staticmethod
    def differentiable_backward(ctx, g):
        scaled_mask, = ctx.saved_tensors
        return g * _constant(scaled_mask)


class BatchNorm(ArrayFunction):
    """Normalise over every dim but 1 with the given mean/var, then scale and shift:
    y = (x - mean) / sqrt(var + eps) * weight + bias.
    `batch_stats=True` means mean/var were computed from x itself, so the gradient flows
    through them too (training mode)."""
    @staticmethod
    def forward(ctx, x, weight, bias, mean, var, eps, batch_stats):
        shape = [1] * x.ndim
        shape[1] = x.shape[1]
        inv_std = (1.0 / np.sqrt(var + eps)).astype(x.dtype)
        xhat = x - mean.reshape(shape)
        xhat *= inv_std.reshape(shape)
        ctx.save_for_backward(xhat, inv_std, weight)
        ctx.shape, ctx.batch_stats = shape, batch_stats
        return scale_shift(xhat, None if weight is None else weight.reshape(shape),
                           None if bias is None else bias.reshape(shape))

    @staticmethod
    def backward(ctx, g):
        xhat, inv_std, weight = ctx.saved_tensors
        shape = ctx.shape
        axes = tuple(a for a in range(g.ndim) if a != 1)
        gw = (g * xhat).sum(axis=axes) if ctx.needs_input_grad[1] else None
        gb = g.sum(axis=axes) if ctx.needs_input_grad[2] else None
        gx = None
        if ctx.needs_input_grad[0]:
            gxhat = g if weight is None else g * weight.reshape(shape)
            if ctx.batch_stats:   # NOTE: the gradient flows through the batch mean and variance too
                gx = normalized_input_grad(gxhat, xhat, inv_std.reshape(shape), g.size // g.shape[1], axes)
            elif weight is None:
                gx = gxhat * inv_std.reshape(shape)
            else:
                gx = np.multiply(gxhat, inv_std.reshape(shape), out=gxhat)
        return gx, gw, gb

    @staticmethod
    def differentiable_backward(ctx, g):
        x, weight, bias, mean, var, eps, batch_stats = ctx.inputs
        shape = ctx.shape
        axes = tuple(a for a in range(x._data.ndim) if a != 1)
        if batch_stats:
            xhat, inv_std = normalized(x, axes, eps)
        else:   # the running stats are constants
            inv_std = _constant(ctx.saved_tensors[1].reshape(shape))
            xhat = (x - mean.reshape(shape)) * inv_std
        return normalization_grads(g, xhat, inv_std, None if weight is None else weight.reshape(shape),
                                   axes, axes, batch_stats, ctx.needs_input_grad)


def normalized(x, axes, eps):
    """(x̂, 1/σ) of the Tensor x over axes (biased variance), as recorded ops."""
    centred = x - x.mean(dim=axes, keepdim=True)
    inv_std = ((centred * centred).mean(dim=axes, keepdim=True) + eps).rsqrt()
    return centred * inv_std, inv_std


def normalization_grads(g, xhat, inv_std, weight, axes, param_axes, batch_stats, needs):
    """Backward of y = x̂ weight + bias with Tensors (create_graph): x̂ normalised over axes from
    x's own statistics when batch_stats, else from constants; weight (broadcast to x, or None)
    and bias reduced over param_axes. Returns (dx, dweight, dbias); dweight/dbias keep the
    shape of the reduction over param_axes."""
    def over_params(t):
        return t.sum(dim=param_axes) if param_axes else t
    gw = over_params(g * xhat) if needs[1] else None
    gb = over_params(g) if needs[2] else None
    gx = None
    if needs[0]:
        gxhat = g if weight is None else g * weight
        if batch_stats:
            gxhat = gxhat - gxhat.mean(dim=axes, keepdim=True) - xhat * (gxhat * xhat).mean(dim=axes, keepdim=True)
        gx = gxhat * inv_std
    return gx, gw, gb


def scale_shift(xhat, weight, bias):
    """xhat * weight + bias (either may be None) into one new array (xhat itself when both are)."""
    if weight is None:
        return xhat if bias is None else xhat + bias
    out = xhat * weight
    if bias is not None:
        out += bias
    return out
