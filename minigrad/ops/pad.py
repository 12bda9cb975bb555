"""Padding and nearest-neighbour resampling as index maps, in NumPy.

GatherAxes: y = x indexed along each of some axes by an integer map (np.take per axis); the
reflect / replicate / circular pads and nearest interpolation are all this. Its backward
scatters the gradient back through the same maps (np.add.at: repeated sources add up, in a
fixed order); ScatterAxes is that scatter as an op, whose own backward is GatherAxes again
(so gradients of any order stay these two NumPy maps). ConstantPad: copy x into a block of
`value`, cropping where a pad is negative; its backward is a ConstantPad by the opposite pads.
"""
import numpy as np

from ..autograd.function import ArrayFunction

__all__ = ["GatherAxes", "ScatterAxes", "ConstantPad", "NP_PAD_MODES"]

# torch's padding modes -> np.pad's (on an arange, np.pad gives each padded position's source)
NP_PAD_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


class GatherAxes(ArrayFunction):
    """forward(x, maps): maps is ((axis, index array), ...)."""
    @staticmethod
    def forward(ctx, x, maps):
        ctx.maps, ctx.in_shape = maps, x.shape
        return gather_axes(x, maps)

    @staticmethod
    def backward(ctx, g):
        return scatter_axes(g, ctx.maps, ctx.in_shape)

    @staticmethod
    def differentiable_backward(ctx, g):
        return ScatterAxes.apply(g, ctx.maps, ctx.in_shape)


class ScatterAxes(ArrayFunction):
    """forward(g, maps, shape): GatherAxes's backward (the adjoint of its gather) as an op."""
    @staticmethod
    def forward(ctx, g, maps, shape):
        ctx.maps = maps
        return scatter_axes(g, maps, shape)

    @staticmethod
    def backward(ctx, gg):
        return gather_axes(gg, ctx.maps)

    @staticmethod
    def differentiable_backward(ctx, gg):
        return GatherAxes.apply(gg, ctx.maps)


def gather_axes(x, maps):
    for axis, idx in maps:
        x = np.take(x, idx, axis=axis)
    return x


def scatter_axes(g, maps, in_shape):
    shape = list(g.shape)
    for axis, idx in reversed(maps):
        shape[axis] = in_shape[axis]
        gx = np.zeros(shape, dtype=g.dtype)
        np.add.at(gx, (slice(None),) * axis + (idx,), g)
        g = gx
    return g


class ConstantPad(ArrayFunction):
    """forward(x, pads, value): pads ((lo, hi) per axis, from axis 0) may be negative (a crop)."""
    @staticmethod
    def forward(ctx, x, pads, value):
        out_shape = tuple(n + lo + hi for n, (lo, hi) in zip(x.shape, pads))
        src = tuple(slice(max(-lo, 0), n - max(-hi, 0)) for n, (lo, hi) in zip(x.shape, pads))
        dst = tuple(slice(max(lo, 0), m - max(hi, 0)) for m, (lo, hi) in zip(out_shape, pads))
        out = np.empty(out_shape, dtype=x.dtype)
        out[dst] = x[src]
        for axis, (lo, hi) in enumerate(pads):   # `value` only where x is not: one pass over out
            before = (slice(None),) * axis
            if lo > 0:
                out[before + (slice(0, lo),)] = value
            if hi > 0:
                out[before + (slice(out_shape[axis] - hi, None),)] = value
        ctx.geom = (x.shape, src, dst)
        return out

    @staticmethod
    def backward(ctx, g):
        shape, src, dst = ctx.geom
        if all(s.start == 0 and s.stop == n for s, n in zip(src, shape)):   # nothing cropped
            return g[dst].copy()
        gx = np.zeros(shape, dtype=g.dtype)
        gx[src] = g[dst]
        return gx

    @staticmethod
    def differentiable_backward(ctx, g):
        # backward crops g's block back out: a pad by the opposite amounts, with zeros
        return ConstantPad.apply(g, tuple((-lo, -hi) for lo, hi in ctx.inputs[1]), 0.0)
