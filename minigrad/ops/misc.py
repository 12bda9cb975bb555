"""Diag: a vector's diagonal matrix, or a matrix's diagonal (torch.diag does both)."""
import numpy as np

from ..autograd.function import ArrayFunction
from .movement import IndexPut

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
        gx[Diag._places(ctx, g)] = g
        return gx

    @staticmethod
    def differentiable_backward(ctx, g):
        if len(ctx.shape) == 1:
            return Diag.apply(g, ctx.diagonal)   # the diagonal of g, as an op whose gradient places it back
        return IndexPut.apply(g, ctx.shape, Diag._places(ctx, g), True)

    @staticmethod
    def _places(ctx, g):
        """(rows, cols) of the matrix diagonal that the forward read."""
        rows = np.arange(g.shape[0]) + max(-ctx.diagonal, 0)
        return rows, rows + ctx.diagonal
