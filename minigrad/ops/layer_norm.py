"""Layer normalisation and embedding lookup, in NumPy."""
import numpy as np

from ..autograd.function import ArrayFunction
from .regularization import normalization_grads, normalized, normalized_input_grad, scale_shift

__all__ = ["LayerNorm", "Embedding", "EmbeddingBackward"]


class LayerNorm(ArrayFunction):
    """Normalise over the last k dims: y = (x - mean) / sqrt(var + eps) * weight + bias (biased var).
    Backward (n = elements per group, ĝ = g * weight):
        dx = inv_std / n * (n ĝ - Σ ĝ - x̂ Σ ĝ x̂);  dweight = Σ_rows g x̂;  dbias = Σ_rows g."""
    @staticmethod
    def forward(ctx, x, weight, bias, k, eps):
        axes = tuple(range(x.ndim - k, x.ndim))
        xhat = x - x.mean(axis=axes, keepdims=True)
        inv_std = 1.0 / np.sqrt((xhat * xhat).mean(axis=axes, keepdims=True) + eps)
        xhat *= inv_std   # in place: x̂ is the deviation array, rescaled
        ctx.save_for_backward(xhat, inv_std, weight)
        ctx.axes = axes
        return scale_shift(xhat, weight, bias)

    @staticmethod
    def backward(ctx, g):
        xhat, inv_std, weight = ctx.saved_tensors
        axes = ctx.axes
        rows = tuple(range(g.ndim - len(axes)))
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        gw = (g * xhat).sum(axis=rows) if need_w else None
        gb = g.sum(axis=rows) if need_b else None
        gx = None
        if need_x:
            gxhat = g if weight is None else g * weight
            n = int(np.prod([g.shape[a] for a in axes]))
            gx = normalized_input_grad(gxhat, xhat, inv_std, n, axes).astype(g.dtype, copy=False)
        return gx, gw, gb

    @staticmethod
    def differentiable_backward(ctx, g):
        x, weight, bias, k, eps = ctx.inputs
        xhat, inv_std = normalized(x, ctx.axes, eps)
        rows = tuple(range(x._data.ndim - k))
        return normalization_grads(g, xhat, inv_std, weight, ctx.axes, rows, True, ctx.needs_input_grad)


class Embedding(ArrayFunction):
    """out = weight[indices] (rows gathered); dweight[i] = Σ of the gradient rows that read row i,
    0 for padding_idx, divided by how often row i was read when scale_grad_by_freq.
    NOTE: np.add.at sums repeated indices in a fixed (row-major) order: deterministic."""
    @staticmethod
    def forward(ctx, indices, weight, padding_idx, scale_grad_by_freq):
        ctx.save_for_backward(indices)
        ctx.meta = (weight.shape, padding_idx, scale_grad_by_freq)
        return weight[indices]

    @staticmethod
    def backward(ctx, g):
        indices, = ctx.saved_tensors
        return None, _embedding_grad(g, indices, *ctx.meta)

    @staticmethod
    def differentiable_backward(ctx, g):
        indices, = ctx.saved_tensors
        return None, EmbeddingBackward.apply(g, indices, *ctx.meta)


def _embedding_grad(g, indices, shape, padding_idx, by_freq):
    flat = indices.reshape(-1)
    rows = g.reshape(-1, shape[1])
    if by_freq:
        counts = np.bincount(flat, minlength=shape[0])
        rows = rows / counts[flat][:, None]
    gw = np.zeros(shape, dtype=g.dtype)
    np.add.at(gw, flat, rows)
    if padding_idx is not None:
        gw[padding_idx] = 0
    return gw


class EmbeddingBackward(ArrayFunction):
    """forward(g, indices, shape, padding_idx, scale_grad_by_freq): Embedding's backward as an
    op. Its own backward looks the rows up at the indices again, the padding row's as 0 and, as
    torch's embedding_dense_double_backward, not divided by the frequencies (with
    scale_grad_by_freq the first gradient is not a derivative, so no choice is exact)."""
    @staticmethod
    def forward(ctx, g, indices, shape, padding_idx, by_freq):
        ctx.indices, ctx.padding_idx = indices, padding_idx
        return _embedding_grad(g, indices, shape, padding_idx, by_freq)

    @staticmethod
    def backward(ctx, gw):
        return _lookup_unpadded(gw[ctx.indices], ctx)

    @staticmethod
    def differentiable_backward(ctx, gw):
        return _lookup_unpadded(Embedding.apply(ctx.indices, gw, ctx.padding_idx, False), ctx)


def _lookup_unpadded(rows, ctx):
    if ctx.padding_idx is None:
        return rows
    return rows * (ctx.indices != ctx.padding_idx)[..., None].astype(rows.dtype)
