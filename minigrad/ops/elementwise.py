"""Element-wise arithmetic with NumPy broadcasting; backward undoes the broadcast.
(exp, log, sqrt and the other one-line derivatives: pointwise_math.py.)"""
import numpy as np

from ..autograd.function import ArrayFunction

__all__ = ["unbroadcast", "sum_to", "Add", "Sub", "Mul", "Div", "Pow", "Neg", "Abs",
           "Clamp", "Cast", "Clone"]


def unbroadcast(grad, shape):
    """Sum `grad` down to `shape`: the adjoint of broadcasting `shape` up to grad.shape."""
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                      if n == 1 and grad.shape[lead + i] != 1)
    return grad.sum(axis=axes).reshape(shape)


def sum_to(g, shape):
    """unbroadcast for Tensors, written with ops so that it is recorded (differentiable_backward)."""
    shape = tuple(shape)
    if tuple(g._data.shape) == shape:
        return g
    lead = g._data.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                      if n == 1 and g._data.shape[lead + i] != 1)
    return g.sum(dim=axes).reshape(shape)


# ***** binary ops *****
# differentiable_backward is backward again, on Tensors: what create_graph=True records.

class Add(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (a.shape, np.shape(b))
        return np.add(a, b)

    @staticmethod
    def backward(ctx, g):
        sa, sb = ctx.shapes
        return (unbroadcast(g, sa) if ctx.needs_input_grad[0] else None,
                unbroadcast(g, sb) if ctx.needs_input_grad[1] else None)

    @staticmethod
    def differentiable_backward(ctx, g):
        sa, sb = ctx.shapes
        return (sum_to(g, sa) if ctx.needs_input_grad[0] else None,
                sum_to(g, sb) if ctx.needs_input_grad[1] else None)


class Sub(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (np.shape(a), np.shape(b))
        return np.subtract(a, b)

    @staticmethod
    def backward(ctx, g):
        sa, sb = ctx.shapes
        return (unbroadcast(g, sa) if ctx.needs_input_grad[0] else None,
                unbroadcast(-g, sb) if ctx.needs_input_grad[1] else None)

    @staticmethod
    def differentiable_backward(ctx, g):
        sa, sb = ctx.shapes
        return (sum_to(g, sa) if ctx.needs_input_grad[0] else None,
                sum_to(-g, sb) if ctx.needs_input_grad[1] else None)


class Mul(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.multiply(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return (unbroadcast(g * b, np.shape(a)) if ctx.needs_input_grad[0] else None,
                unbroadcast(g * a, np.shape(b)) if ctx.needs_input_grad[1] else None)

    @staticmethod
    def differentiable_backward(ctx, g):
        a, b = ctx.inputs
        return (sum_to(g * b, np.shape(a)) if ctx.needs_input_grad[0] else None,
                sum_to(g * a, np.shape(b)) if ctx.needs_input_grad[1] else None)


class Div(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.divide(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = unbroadcast(g / b, np.shape(a)) if ctx.needs_input_grad[0] else None
        gb = unbroadcast(-g * a / (b * b), np.shape(b)) if ctx.needs_input_grad[1] else None
        return ga, gb

    @staticmethod
    def differentiable_backward(ctx, g):
        a, b = ctx.inputs
        ga = sum_to(g / b, np.shape(a)) if ctx.needs_input_grad[0] else None
        gb = sum_to(-g * a / (b * b), np.shape(b)) if ctx.needs_input_grad[1] else None
        return ga, gb


class Pow(ArrayFunction):
    """a ** b for a tensor or scalar exponent b."""
    @staticmethod
    def forward(ctx, a, b):
        out = np.power(a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        ga = gb = None
        if ctx.needs_input_grad[0]:
            # NOTE: b * a**(b-1) rather than b*out/a, which is 0/0 at a == 0
            ga = unbroadcast(g * b * np.power(a, b - 1), np.shape(a))
        if ctx.needs_input_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                # NOTE: d(a**b)/db = a**b * log(a); torch defines it as 0 where a == 0 and b >= 0
                gb_full = np.where((a == 0) & (b >= 0), 0, g * out * np.log(a))
            gb = unbroadcast(gb_full.astype(out.dtype, copy=False), np.shape(b))
        return ga, gb


# ***** unary ops: the derivative in one line each *****

class Neg(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        return np.negative(x)

    @staticmethod
    def backward(ctx, g):
        return -g

    @staticmethod
    def differentiable_backward(ctx, g):
        return -g


class Abs(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * np.sign(x)   # NOTE: 0 at x == 0, as torch


class Clamp(ArrayFunction):
    """min(max(x, lo), hi); lo and hi are None, numbers, or arrays (tensor bounds get gradients too)."""
    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x, lo, hi)
        return np.clip(x, lo, hi)   # NOTE: where lo > hi the result is hi, as torch

    @staticmethod
    def backward(ctx, g):
        x, lo, hi = ctx.saved_tensors
        need = ctx.needs_input_grad
        # NOTE: the gradient passes where lo <= x <= hi, boundaries included (torch's rule); a
        # tensor bound gets it where it is the one that won (for lo: x < lo and lo < hi).
        passes = True
        if lo is not None:
            passes = passes & (x >= lo)
        if hi is not None:
            passes = passes & (x <= hi)
        gx = unbroadcast(np.where(passes, g, 0), x.shape) if need[0] else None
        glo = ghi = None
        if need[1]:
            won = (x < lo) if hi is None else (x < lo) & (lo < hi)
            glo = unbroadcast(np.where(won, g, 0), np.shape(lo))
        if need[2]:
            won = (x > hi) if lo is None else (x > hi) | (hi < lo)
            ghi = unbroadcast(np.where(won, g, 0), np.shape(hi))
        return gx, glo, ghi


class Cast(ArrayFunction):
    """Change dtype; the gradient is cast back."""
    @staticmethod
    def forward(ctx, x, dtype):
        ctx.src = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return g.astype(ctx.src)


class Clone(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g
