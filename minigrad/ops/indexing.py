"""Ops that pick elements by an index tensor (gather, scatter, index_select) and sorting.

Index arrays reach these ops already validated (the api layer checks dtype, shape and range),
so nothing here wraps a negative index around or writes out of bounds.
"""
import numpy as np

from ..autograd.function import ArrayFunction
from .elementwise import where_or_zero
from .movement import GetItem, IndexPut

__all__ = ["Gather", "Scatter", "IndexSelect", "SortAlong"]


def along_dim(index, dim):
    """The fancy index that reads `x[i0, .., index[i0, .., ik], .., ik]` for every position of
    `index`: torch's gather/scatter addressing. Other dims use the positions themselves, so
    `index` may be smaller than x there (torch allows it)."""
    nd = index.ndim
    return tuple(index if d == dim else np.arange(n).reshape([-1 if k == d else 1 for k in range(nd)])
                 for d, n in enumerate(index.shape))


class _Selection(ArrayFunction):
    """An op that reads x[ctx.where]: its gradient is added back at those places (IndexPut, whose
    own gradient reads them again, for create_graph=True)."""
    @staticmethod
    def backward(ctx, g):
        gx = np.zeros(ctx.shape, dtype=g.dtype)
        np.add.at(gx, ctx.where, g)   # NOTE: an element read twice gets both gradients
        return gx

    @staticmethod
    def differentiable_backward(ctx, g):
        return IndexPut.apply(g, ctx.shape, ctx.where, True)


class Gather(_Selection):
    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.shape, ctx.where = x.shape, along_dim(index, dim)
        return x[ctx.where]


class Scatter(ArrayFunction):
    """out = x with out[where] = src (or += src with add=True); src a tensor or a number."""
    @staticmethod
    def forward(ctx, x, src, dim, index, add=False):
        ctx.where, ctx.add = along_dim(index, dim), add
        ctx.src_shape = np.shape(src)
        ctx.src_part = tuple(slice(0, n) for n in index.shape)   # the part of src that index covers
        values = src[ctx.src_part] if ctx.src_shape else src
        out = x.copy()
        if add:
            np.add.at(out, ctx.where, values)
        else:
            out[ctx.where] = values
        return out

    @staticmethod
    def backward(ctx, g):
        gx = gsrc = None
        if ctx.needs_input_grad[0]:
            gx = g.copy()
            if not ctx.add:
                gx[ctx.where] = 0   # overwritten elements do not reach the output
        if ctx.needs_input_grad[1]:
            gsrc = np.zeros(ctx.src_shape, dtype=g.dtype)
            gsrc[ctx.src_part] = g[ctx.where]
        return gx, gsrc

    @staticmethod
    def differentiable_backward(ctx, g):
        gx = gsrc = None
        if ctx.needs_input_grad[0]:
            gx = g
            if not ctx.add:
                keep = np.ones(g.shape, dtype=bool)
                keep[ctx.where] = False
                gx = where_or_zero(keep, g)
        if ctx.needs_input_grad[1]:
            gsrc = GetItem.apply(g, ctx.where)
            if gsrc.shape != ctx.src_shape:   # src larger than index: the rest gets zeros
                gsrc = IndexPut.apply(gsrc, ctx.src_shape, ctx.src_part, False)
        return gx, gsrc


class IndexSelect(_Selection):
    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.shape, ctx.where = x.shape, (slice(None),) * dim + (index,)
        return np.take(x, index, axis=dim)


def argsort(x, dim, descending):
    """Stable argsort along dim; descending keeps equal elements in their original order and
    puts NaN first (ascending puts it last), as torch's stable sort."""
    if not descending:
        return np.argsort(x, axis=dim, kind="stable")
    # sort the reversed array ascending and reverse back: ties come out in original order
    rev = np.argsort(np.flip(x, dim), axis=dim, kind="stable")
    return x.shape[dim] - 1 - np.flip(rev, dim)


class SortAlong(ArrayFunction):
    """(values, indices) of a sort along dim, cut to the first k (topk); indices get no gradient."""
    @staticmethod
    def forward(ctx, x, dim, descending, k=None):
        idx = argsort(x, dim, descending)
        if k is not None:
            idx = idx[(slice(None),) * dim + (slice(0, k),)]
        ctx.shape, ctx.dim, ctx.idx = x.shape, dim, idx
        values = np.take_along_axis(x, idx, axis=dim)
        idx = idx.astype(np.int64, copy=False)
        ctx.mark_non_differentiable(idx)
        return values, idx

    @staticmethod
    def backward(ctx, g, _):
        gx = np.zeros(ctx.shape, dtype=g.dtype)
        np.put_along_axis(gx, ctx.idx, g, axis=ctx.dim)   # indices are distinct: no adding needed
        return gx

    @staticmethod
    def differentiable_backward(ctx, g, _):
        return IndexPut.apply(g, ctx.shape, along_dim(ctx.idx, ctx.dim), True)
