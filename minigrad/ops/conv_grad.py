"""Differentiable backwards of the convolutions (create_graph=True), on their own kernels.

conv2d has three maps, with g = dL/dy the output gradient:
    y  = conv(x, w)       Conv2d             (N, C, H, W) x (O, C/groups, kh, kw) -> (N, O, OH, OW)
    dx = Bx(g, w)         ConvTranspose2d    a transposed convolution of g, cropped to H x W
    dw = Bw(x, g)         Conv2dWeightGrad   the correlation of x with g
All three come from one trilinear form <g, conv(x, w)> = <Bx(g, w), x> = <Bw(x, g), w>, so each
one's derivative is made of the others: for an upstream gradient h,
    conv(x, w):  dx = Bx(h, w)       dw = Bw(x, h)
    Bx(g, w):    dg = conv(h, w)     dw = Bw(h, g)
    Bw(x, g):    dx = Bx(g, h)       dg = conv(x, h)
and gradients of any order stay on the convolution kernels. A transposed convolution is Bx of
the convolution it transposes, so ConvTranspose2d's derivatives are the same three maps.
"""
from ..autograd.function import ArrayFunction
from .conv import Conv2d
from .conv_transpose import ConvTranspose2d

__all__ = ["Conv2dWeightGrad", "conv2d_grads", "conv_transpose2d_grads"]


def conv_to(x, w, out_hw, stride, pad_tl, dilation, groups):
    """conv(x, w) (Conv2d) with top/left padding pad_tl and the output size out_hw: the
    bottom/right padding is what makes that size, or 0 and the extra rows/columns cropped
    (rows past the last window are never read). Tensors in, a Tensor out (recorded); arrays
    in, a Tensor holding the array."""
    pads = []
    for n_in, n_out, k, s, d, p in zip(x.shape[-2:], out_hw, w.shape[-2:], stride, dilation, pad_tl):
        pads += [p, max(s * (n_out - 1) + d * (k - 1) + 1 - n_in - p, 0)]
    y = Conv2d.apply(x, w, None, stride=tuple(stride), padding=tuple(pads), dilation=tuple(dilation),
                     groups=groups)
    if tuple(y.shape[-2:]) != tuple(out_hw):
        y = y[..., :out_hw[0], :out_hw[1]]
    return y


def transposed_to(g, w, in_hw, stride, pad_tl, dilation, groups):
    """Bx(g, w): the transposed convolution of g whose output is the convolution's input size."""
    return ConvTranspose2d.apply(g, w, None, tuple(stride), tuple(pad_tl), tuple(in_hw), tuple(dilation), groups)


class Conv2dWeightGrad(ArrayFunction):
    """Bw(x, g): conv2d's weight gradient for input x and output gradient g, as an op of both.
    forward(x, g, kernel_hw, stride, pad_tl, dilation, groups) -> (O, C/groups, kh, kw).

    It is itself a convolution, of x seen as (C/groups, groups·N, H, W) with g seen as the
    weight (O, N, OH, OW) — the batch becomes the channels to sum over, the output positions the
    taps — with stride and dilation swapped and groups kept:
        dw[o, c, i, j] = Σ_n Σ_(p,q) g[n, o, p, q] · x_pad[n, c, p·s + i·d, q·s + j·d]
    so it runs on Conv2d's kernels as well."""
    @staticmethod
    def forward(ctx, x, g, kernel_hw, stride, pad_tl, dilation, groups):
        N, C, H, W = x.shape
        O, OH, OW = g.shape[1], g.shape[2], g.shape[3]
        Cg = C // groups
        xs = x.reshape(N, groups, Cg, H, W).transpose(2, 1, 0, 3, 4).reshape(Cg, groups * N, H, W)
        gs = g.transpose(1, 0, 2, 3)
        ctx.geom = ((H, W), (OH, OW), stride, pad_tl, dilation, groups)
        out = conv_to(xs, gs, kernel_hw, dilation, pad_tl, stride, groups)._data    # (C/groups, O, kh, kw)
        return out.transpose(1, 0, 2, 3).copy()

    @staticmethod
    def backward(ctx, h):
        x, g = [t._data for t in ctx.inputs[:2]]     # arrays: nothing recorded
        return tuple(None if d is None else d._data for d in _weight_grad_adjoints(ctx, x, g, h))

    @staticmethod
    def differentiable_backward(ctx, h):
        x, g = ctx.inputs[:2]
        return _weight_grad_adjoints(ctx, x, g, h)


def _weight_grad_adjoints(ctx, x, g, h):
    in_hw, out_hw, stride, pad_tl, dilation, groups = ctx.geom
    need_x, need_g = ctx.needs_input_grad[:2]
    return (transposed_to(g, h, in_hw, stride, pad_tl, dilation, groups) if need_x else None,
            conv_to(x, h, out_hw, stride, pad_tl, dilation, groups) if need_g else None)


def _arguments(ctx, names):
    """The forward's arguments by name, whether apply got them by position or by keyword."""
    args = dict(zip(names, ctx.inputs))
    args.update(ctx._kwargs)
    return args


def conv2d_grads(ctx, g):
    """Conv2d's differentiable backward: dx = Bx(g, w), dw = Bw(x, g), db = Σ g."""
    a = _arguments(ctx, ("x", "weight", "bias", "stride", "padding", "dilation", "groups"))
    x, w = a["x"], a["weight"]
    pt, _, pl, _ = a["padding"]
    geom = (a["stride"], (pt, pl), a["dilation"], a["groups"])
    need_x, need_w, need_b = ctx.needs_input_grad[:3]
    return (transposed_to(g, w, x.shape[-2:], *geom) if need_x else None,
            Conv2dWeightGrad.apply(x, g, w.shape[-2:], *geom) if need_w else None,
            g.sum(dim=(0, 2, 3)) if need_b else None)


def conv_transpose2d_grads(ctx, g):
    """ConvTranspose2d's differentiable backward: y = Bx(x, w), so dx = conv(g, w), dw = Bw(g, x)."""
    a = _arguments(ctx, ("x", "weight", "bias", "stride", "padding", "out_hw", "dilation", "groups"))
    x, w = a["x"], a["weight"]
    geom = (a["stride"], a["padding"], a["dilation"], a["groups"])
    need_x, need_w, need_b = ctx.needs_input_grad[:3]
    return (conv_to(g, w, x.shape[-2:], *geom) if need_x else None,
            Conv2dWeightGrad.apply(g, x, w.shape[-2:], *geom) if need_w else None,
            g.sum(dim=(0, 2, 3)) if need_b else None)
