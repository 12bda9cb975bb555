"""Shape and indexing ops. Views share storage (and so the version counter) with their input."""
import numpy as np

from ..autograd.function import ArrayFunction
from .elementwise import sum_to, unbroadcast

__all__ = ["Reshape", "Transpose", "Permute", "Expand", "Repeat", "GetItem", "Slice", "IndexPut", "Split", "Cat",
           "Stack", "Flip", "Roll", "Triangle"]


class Reshape(ArrayFunction):
    """A view with a new shape; raises ValueError when the strides allow none (reshape then copies)."""
    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return np.reshape(x, shape, copy=False)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape)

    @staticmethod
    def differentiable_backward(ctx, g):
        return g.reshape(ctx.shape)


class Transpose(ArrayFunction):
    is_view = True

    @staticmethod
    def forward(ctx, x, dim0, dim1):
        ctx.dims = (dim0, dim1)
        return np.swapaxes(x, dim0, dim1)

    @staticmethod
    def backward(ctx, g):
        return np.swapaxes(g, *ctx.dims)

    @staticmethod
    def differentiable_backward(ctx, g):
        return Transpose.apply(g, *ctx.dims)


class Permute(ArrayFunction):
    is_view = True

    @staticmethod
    def forward(ctx, x, dims):
        ctx.inverse = tuple(np.argsort(dims))
        return np.transpose(x, dims)

    @staticmethod
    def backward(ctx, g):
        return np.transpose(g, ctx.inverse)

    @staticmethod
    def differentiable_backward(ctx, g):
        return Permute.apply(g, ctx.inverse)


class Expand(ArrayFunction):
    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return unbroadcast(g, ctx.shape)

    @staticmethod
    def differentiable_backward(ctx, g):
        return sum_to(g, ctx.shape)


class Repeat(ArrayFunction):
    """np.tile: each input element appears once per tile, so its gradient sums over the tiles."""
    @staticmethod
    def forward(ctx, x, repeats):
        ctx.shape, ctx.repeats = x.shape, repeats
        return np.tile(x, repeats)

    @staticmethod
    def backward(ctx, g):
        tiled, tiles = _tiles(ctx)
        return g.reshape(tiled).sum(axis=tiles).reshape(ctx.shape)

    @staticmethod
    def differentiable_backward(ctx, g):
        tiled, tiles = _tiles(ctx)
        return g.reshape(tiled).sum(dim=tiles).reshape(ctx.shape)


def _tiles(ctx):
    """Repeat's output seen as (r0, n0, r1, n1, ...), and the axes of the r's (summed by backward)."""
    padded = (1,) * (len(ctx.repeats) - len(ctx.shape)) + ctx.shape
    tiled = tuple(n for pair in zip(ctx.repeats, padded) for n in pair)
    return tiled, tuple(range(0, len(tiled), 2))


class GetItem(ArrayFunction):
    """x[index] for basic and integer-array indexing; backward scatters (and adds repeats)."""
    @staticmethod
    def forward(ctx, x, index):
        ctx.shape, ctx.index = x.shape, index
        ctx.advanced = _is_advanced(index)
        return np.asarray(x[index])

    @staticmethod
    def backward(ctx, g):
        return _index_put(g, ctx.shape, ctx.index, ctx.advanced)

    @staticmethod
    def differentiable_backward(ctx, g):
        return IndexPut.apply(g, ctx.shape, ctx.index, ctx.advanced)


def _index_put(g, shape, index, advanced):
    gx = np.zeros(shape, dtype=g.dtype)
    if advanced:
        np.add.at(gx, index, g)   # NOTE: repeated indices must add up, so no plain assignment
    else:
        gx[index] = g
    return gx


class IndexPut(ArrayFunction):
    """zeros(shape) with g added at [index] (torch's index_put with accumulate): GetItem's
    backward, as an op so that it can be differentiated again; its own backward is GetItem."""
    @staticmethod
    def forward(ctx, g, shape, index, advanced):
        ctx.index = index
        return _index_put(g, shape, index, advanced)

    @staticmethod
    def backward(ctx, gg):
        return np.asarray(gg[ctx.index])

    @staticmethod
    def differentiable_backward(ctx, gg):
        return GetItem.apply(gg, ctx.index)


class Slice(GetItem):
    """x[slices]: basic indexing only, so the result is a view (narrow, select)."""
    is_view = True

    @staticmethod
    def forward(ctx, x, index):
        ctx.shape, ctx.index, ctx.advanced = x.shape, index, False
        return x[index]


class Split(ArrayFunction):
    """Consecutive views along `dim`, one output per piece (split, chunk)."""
    is_view = True

    @staticmethod
    def forward(ctx, x, sizes, dim):
        ctx.dim = dim
        bounds = np.cumsum((0,) + tuple(sizes))
        lead = (slice(None),) * dim
        return tuple(x[lead + (slice(a, b),)] for a, b in zip(bounds[:-1], bounds[1:]))

    @staticmethod
    def backward(ctx, *grads):
        return np.concatenate(grads, axis=ctx.dim)

    @staticmethod
    def differentiable_backward(ctx, *grads):
        return Cat.apply(*grads, dim=ctx.dim)


def _is_advanced(index):
    items = index if isinstance(index, tuple) else (index,)
    return any(isinstance(i, (list, np.ndarray)) for i in items)


class Cat(ArrayFunction):
    @staticmethod
    def forward(ctx, *xs, dim=0):
        ctx.dim = dim
        ctx.splits = np.cumsum([x.shape[dim] for x in xs])[:-1]
        return np.concatenate(xs, axis=dim)

    @staticmethod
    def backward(ctx, g):
        parts = np.split(g, ctx.splits, axis=ctx.dim)
        return tuple(p if need else None for p, need in zip(parts, ctx.needs_input_grad))

    @staticmethod
    def differentiable_backward(ctx, g):
        sizes = np.diff(np.concatenate(([0], ctx.splits, [g.shape[ctx.dim]])))
        parts = Split.apply(g, tuple(int(n) for n in sizes), ctx.dim)
        return tuple(p if need else None for p, need in zip(parts, ctx.needs_input_grad))


class Stack(ArrayFunction):
    @staticmethod
    def forward(ctx, *xs, dim=0):
        ctx.dim = dim
        return np.stack(xs, axis=dim)

    @staticmethod
    def backward(ctx, g):
        parts = np.moveaxis(g, ctx.dim, 0)
        return tuple(p if need else None for p, need in zip(parts, ctx.needs_input_grad))

    @staticmethod
    def differentiable_backward(ctx, g):
        lead = (slice(None),) * ctx.dim
        return tuple(Slice.apply(g, lead + (i,)) if need else None for i, need in enumerate(ctx.needs_input_grad))


class Flip(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return np.flip(x, dims).copy()   # a copy, as torch.flip: writes to it must not reach x

    @staticmethod
    def backward(ctx, g):
        return np.flip(g, ctx.dims)

    @staticmethod
    def differentiable_backward(ctx, g):
        return Flip.apply(g, ctx.dims)


class Roll(ArrayFunction):
    """np.roll; dims=None rolls the flattened tensor."""
    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return np.roll(x, shifts, axis=dims)

    @staticmethod
    def backward(ctx, g):
        return np.roll(g, tuple(-s for s in ctx.shifts), axis=ctx.dims)

    @staticmethod
    def differentiable_backward(ctx, g):
        return Roll.apply(g, tuple(-s for s in ctx.shifts), ctx.dims)


class Triangle(ArrayFunction):
    """tril / triu over the last two dims: the gradient keeps the same triangle."""
    @staticmethod
    def forward(ctx, x, diagonal, upper):
        ctx.fn = np.triu if upper else np.tril
        ctx.diagonal, ctx.upper = diagonal, upper
        return ctx.fn(x, diagonal)

    @staticmethod
    def backward(ctx, g):
        return ctx.fn(g, ctx.diagonal)

    @staticmethod
    def differentiable_backward(ctx, g):
        return Triangle.apply(g, ctx.diagonal, ctx.upper)
