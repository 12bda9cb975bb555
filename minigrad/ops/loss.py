"""Softmax family and the negative log-likelihood: the ops behind cross_entropy.
Temporaries are written in place; each is allocated as an array first, since a ufunc on 0-d
arrays returns a scalar, which `out=` cannot take."""
import numpy as np

from ..autograd.function import ArrayFunction
from .activation import _constant

__all__ = ["LogSoftmax", "Softmax", "NLLLoss"]


def _summed(t, dim):
    """t summed over dim, kept. NOTE: Tensor.sum(dim=0) of a 0-d tensor raises (torch returns it)."""
    return t.sum(dim=dim, keepdim=True) if t.ndim else t


def _shifted(x, dim):
    """x - max(x): a new float array (integers, which F.softmax takes, become float64 as
    NumPy's exp would make them)."""
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    return np.subtract(x, x.max(axis=dim, keepdims=True), out=np.empty_like(x))


class LogSoftmax(ArrayFunction):
    """x - max - log(sum(exp(x - max))): NOTE: subtracting the max keeps exp from overflowing."""
    @staticmethod
    def forward(ctx, x, dim):
        out = _shifted(x, dim)
        out -= np.log(np.exp(out).sum(axis=dim, keepdims=True))
        ctx.save_for_backward(out)
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        e = np.exp(out, out=np.empty_like(out))
        e *= g.sum(axis=ctx.dim, keepdims=True)
        return np.subtract(g, e, out=e)

    @staticmethod
    def differentiable_backward(ctx, g):
        # exp(out) is the softmax, computed again as a recorded op
        return g - Softmax.apply(ctx.inputs[0], ctx.dim) * _summed(g, ctx.dim)


class Softmax(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dim):
        out = _shifted(x, dim)
        np.exp(out, out=out)
        out /= out.sum(axis=dim, keepdims=True)
        ctx.save_for_backward(out)
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        t = np.multiply(g, out, out=np.empty_like(out))
        np.subtract(g, t.sum(axis=ctx.dim, keepdims=True), out=t)
        t *= out
        return t

    @staticmethod
    def differentiable_backward(ctx, g):
        out = Softmax.apply(ctx.inputs[0], ctx.dim)   # again, recorded: the saved one has no history
        return out * (g - _summed(g * out, ctx.dim))


class NLLLoss(ArrayFunction):
    """Loss from log-probabilities `lp` (M, C) and class indices `target` (M,), with class
    weights, ignore_index and label smoothing eps (SPEC §7):
        l_i = (1-eps) * w[t_i] * (-lp[i, t_i]) + (eps/C) * sum_c w[c] * (-lp[i, c]);  ignored rows 0
        mean = sum_i l_i / sum_{i not ignored} w[t_i]
    """
    @staticmethod
    def forward(ctx, lp, target, weight, ignore_index, reduction, label_smoothing):
        m, c = lp.shape
        keep = target != ignore_index
        safe_t = np.where(keep, target, 0)
        w = np.ones(c, lp.dtype) if weight is None else weight
        w_t = np.where(keep, w[safe_t], 0).astype(lp.dtype)
        picked = lp[np.arange(m), safe_t]
        loss = -(1 - label_smoothing) * w_t * picked
        if label_smoothing:
            loss = loss - np.where(keep, (label_smoothing / c) * (lp * w).sum(axis=1), 0)
        ctx.saved = (m, c, keep, safe_t, w, w_t, reduction, label_smoothing)
        if reduction == "none":
            ctx.denom = 1
            return loss.astype(lp.dtype)
        total = loss.sum(dtype=np.float64)
        if reduction == "sum":
            ctx.denom = 1
            return np.asarray(total, lp.dtype)
        ctx.denom = w_t.sum(dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):   # all rows ignored -> nan, as torch
            return np.asarray(total / ctx.denom, lp.dtype)

    @staticmethod
    def backward(ctx, g):
        m, c, keep, safe_t, w, w_t, reduction, eps = ctx.saved
        scale = (g if reduction == "none" else np.full(m, g / ctx.denom)).astype(w_t.dtype)
        grad = np.zeros((m, c), dtype=w_t.dtype)
        grad[np.arange(m), safe_t] = -(1 - eps) * w_t * scale
        if eps:
            grad -= np.where(keep, scale, 0)[:, None] * (eps / c) * w[None, :]
        return grad

    @staticmethod
    def differentiable_backward(ctx, g):
        # The gradient is linear in g and does not depend on lp: g (one per row, or the
        # reduced loss's) times the gradient for a unit g.
        shape, dtype = ctx._out_meta[0]
        per_unit = _constant(NLLLoss.backward(ctx, np.ones(shape, dtype)))
        return g.reshape(-1, 1) * per_unit
