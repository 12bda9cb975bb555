"""Diag: a vector's diagonal matrix, or a matrix's diagonal (torch.diag does both)."""
import numpy as np

from ..autograd.function import ArrayFunction

__all__ = ["Diag"]


class Diag(ArrayFunction):
    """np.diag both ways; each backward reads back what the forward moved: the diagonal of the
    gradient (vector -> matrix), or the gradient placed on a zero matrix's diagonal (matrix -> vector)."""
    @staticmethod
    def forward(ctx, x, diagonal):
        ctx.shape, ctx.diagonal = x.shape, diagonal
        return np.diag(x, diagonal)

    @staticmethod
    def backward(ctx, g):
        if len(ctx.shape) == 1:
            return np.diagonal(g, ctx.diagonal).copy()
        gx = np.zeros(ctx.shape, dtype=g.dtype)
        rows = np.arange(g.shape[0]) + max(-ctx.diagonal, 0)
        gx[rows, rows + ctx.diagonal] = g
        return gx
