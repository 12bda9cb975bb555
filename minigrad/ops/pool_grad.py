"""Differentiable backwards of the pooling ops (create_graph=True), on the minigrad._C.pool kernels.

Max pooling's backward scatters each output gradient to the input position its index names;
the derivative of that scatter is the gather at the same indices, and the gather's is the
scatter again: PlaneScatter and PlaneGather are that pair, so gradients of any order stay on
the kernels (max_pool2d_backward scatters, max_unpool2d_backward gathers). Max unpooling is a
scatter and adaptive max pooling's backward one, so they use the same pair. Average pooling is
linear: its backward is its adjoint (AvgPool2dBackward), whose backward is average pooling.
Indices are flat positions h*W + w in each (H, W) plane of the (..., H, W) tensor.
"""
import numpy as np

from .._C import pool as _K
from .._parallel import ELEMENTWISE_THRESHOLD, threads_for
from ..autograd.function import ArrayFunction
from .pool import AvgPool2d

__all__ = ["PlaneScatter", "PlaneGather", "AvgPool2dBackward", "scatter_planes", "gather_planes"]


def _planes(a, flat=False):
    """a (..., H, W) as a C-contiguous (P, H, W) array, or (P, H*W) when flat (a view when a is
    contiguous)."""
    h, w = a.shape[-2:]
    P = int(np.prod(a.shape[:-2], dtype=np.int64))
    return np.ascontiguousarray(a).reshape((P, h * w) if flat else (P, h, w))


def scatter_planes(g, idx, in_hw, pool=None):
    """zeros (..., H, W) with g added at idx: out[p].flat[idx[p].flat[i]] += g[p].flat[i];
    indices outside the plane are dropped. `pool` = (kh, kw, sh, sw, ph, pw, dh, dw) when idx
    came from max_pool2d_forward with that geometry (then its backward kernel does it)."""
    H, W = in_hw
    lead = idx.shape[:-2]
    if pool is not None:
        gp = _planes(g)
        out = np.empty((gp.shape[0], H, W), dtype=g.dtype)   # the kernel writes every element
        _K.max_pool2d_backward(gp, _planes(idx), out, *pool,
                               threads_for(out.size, ELEMENTWISE_THRESHOLD))
        return out.reshape(lead + (H, W))
    ip = _planes(idx, flat=True)
    out = np.zeros((ip.shape[0], H * W), dtype=g.dtype)
    inside = (ip >= 0) & (ip < H * W)
    rows = np.broadcast_to(np.arange(ip.shape[0])[:, None], ip.shape)
    # NOTE: np.add.at adds repeated indices (overlapping windows) in a fixed order: deterministic
    np.add.at(out, (rows[inside], ip[inside]), _planes(g, flat=True)[inside])
    return out.reshape(lead + (H, W))


def gather_planes(x, idx):
    """out[p].flat[i] = x[p].flat[idx[p].flat[i]] (0 for an index outside the plane): the
    adjoint of scatter_planes, shaped like idx."""
    HW = x.shape[-2] * x.shape[-1]
    ip = _planes(idx, flat=True)
    xp = _planes(x, flat=True)
    nt = threads_for(ip.size, ELEMENTWISE_THRESHOLD)
    if ip.size and _K.max_unpool2d_last_invalid(ip, HW, nt) < 0:
        out = np.empty(ip.shape, dtype=x.dtype)
        _K.max_unpool2d_backward(xp, ip, out, nt)
    else:   # max pooling stores an index outside the plane for a window with no tap inside it
        inside = (ip >= 0) & (ip < HW)
        out = np.where(inside, np.take_along_axis(xp, np.where(inside, ip, 0), axis=1), 0).astype(x.dtype)
    return out.reshape(idx.shape)


class PlaneScatter(ArrayFunction):
    """forward(g, idx, in_hw, pool): scatter_planes as an op; its backward is PlaneGather."""
    @staticmethod
    def forward(ctx, g, idx, in_hw, pool):
        ctx.idx, ctx.pool = idx, pool
        return scatter_planes(g, idx, in_hw, pool)

    @staticmethod
    def backward(ctx, gg):
        return gather_planes(gg, ctx.idx)

    @staticmethod
    def differentiable_backward(ctx, gg):
        return PlaneGather.apply(gg, ctx.idx, ctx.pool)


class PlaneGather(ArrayFunction):
    """forward(x, idx, pool): gather_planes as an op; its backward is PlaneScatter (on the
    max pool kernel when `pool`, the pool geometry that made idx, is given)."""
    @staticmethod
    def forward(ctx, x, idx, pool):
        ctx.idx, ctx.pool, ctx.in_hw = idx, pool, x.shape[-2:]
        return gather_planes(x, idx)

    @staticmethod
    def backward(ctx, g):
        return scatter_planes(g, ctx.idx, ctx.in_hw, ctx.pool)

    @staticmethod
    def differentiable_backward(ctx, g):
        return PlaneScatter.apply(g, ctx.idx, ctx.in_hw, ctx.pool)


class AvgPool2dBackward(ArrayFunction):
    """forward(g, in_hw, kernel, stride, padding, count_include_pad, divisor_override): average
    pooling's backward (each input gets the gradients of the windows over it, each divided by
    its window's divisor) as an op. It is linear, the adjoint of average pooling, so its own
    backward is average pooling with the same arguments."""
    @staticmethod
    def forward(ctx, g, in_hw, kernel, stride, padding, count_include_pad, divisor_override):
        ctx.pool_args = (kernel, stride, padding, tuple(g.shape[-2:]), count_include_pad, divisor_override)
        gp = _planes(g)
        out = np.empty((gp.shape[0],) + tuple(in_hw), dtype=g.dtype)   # the gather writes every element
        dov = 0 if divisor_override is None else divisor_override      # the kernel's "none"
        _K.avg_pool2d_backward(gp, out, *kernel, *stride, *padding, count_include_pad, dov,
                               threads_for(out.size, ELEMENTWISE_THRESHOLD))
        return out.reshape(g.shape[:-2] + tuple(in_hw))

    @staticmethod
    def backward(ctx, gg):
        return AvgPool2d.apply(gg, *ctx.pool_args)._data

    @staticmethod
    def differentiable_backward(ctx, gg):
        return AvgPool2d.apply(gg, *ctx.pool_args)


def max_pool2d_grads(ctx, g):
    """MaxPool2d's differentiable backward: the scatter at its indices, on the pool's kernel."""
    x, kernel, stride, padding, dilation = ctx.inputs[:5]
    idx, = ctx.saved_tensors
    return PlaneScatter.apply(g, idx, tuple(x.shape[-2:]), (*kernel, *stride, *padding, *dilation))


def avg_pool2d_grads(ctx, g):
    """AvgPool2d's differentiable backward: its adjoint, AvgPool2dBackward."""
    x, kernel, stride, padding, _, count_include_pad, divisor_override = ctx.inputs
    return AvgPool2dBackward.apply(g, tuple(x.shape[-2:]), kernel, stride, padding, count_include_pad,
                                   divisor_override)


def max_unpool2d_grads(ctx, g):
    """MaxUnpool2d's differentiable backward: the gather at its indices."""
    indices, = ctx.saved_tensors
    return PlaneGather.apply(g, np.asarray(indices), None), None

