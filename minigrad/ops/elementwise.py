"""Element-wise arithmetic with NumPy broadcasting; backward undoes the broadcast.
(exp, log, sqrt and the other one-line derivatives: pointwise_math.py.)"""
import numpy as np

from ..autograd import function
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


# ***** building blocks of differentiable backwards (create_graph=True) *****

def constant(array):
    """A NumPy array as a Tensor outside the graph (a mask, ones, zeros)."""
    return function.Tensor._wrap(np.asarray(array))


def where_or_zero(keep, g):
    """np.where(keep, g, 0) on a Tensor g, recorded: keep is a constant bool array (broadcasting
    with g), so the gradient of the result passes where keep is True. A where rather than a
    product with the mask: an inf or NaN in g must not leak through the zeros (0 * inf)."""
    from .pointwise_math import Where   # pointwise_math imports this module
    return Where.apply(keep, g, np.zeros((), g._data.dtype))


def output(ctx, array, index=0):
    """The node's output `index` (array, a saved result, reshaped to that output's shape) as a
    Tensor whose grad_fn is the node itself, as torch unpacks a saved result: a differentiable
    backward that reads it is differentiated through the forward op once more."""
    return function.Tensor._wrap(array.reshape(ctx._out_meta[index][0]), ctx, index)


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
        # NOTE: negated after the sum, on the smaller array (bit for bit the same)
        return (unbroadcast(g, sa) if ctx.needs_input_grad[0] else None,
                np.negative(unbroadcast(g, sb)) if ctx.needs_input_grad[1] else None)

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
        gb = None
        if ctx.needs_input_grad[1]:
            gb = g * a          # -g a / b², one full-size array; negated after the sum (bit for bit the same)
            gb /= b * b
            gb = np.negative(unbroadcast(gb, np.shape(b)))
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
            shift = Pow._exponent_shift(a, b, out.dtype)
            ga = unbroadcast(g * b * np.power(a, b - 1 if shift is None else b - 1 + shift), np.shape(a))
        if ctx.needs_input_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                # NOTE: d(a**b)/db = a**b * log(a); torch defines it as 0 where a == 0 and b >= 0
                gb_full = np.where((a == 0) & (b >= 0), 0, g * out * np.log(a))
            gb = unbroadcast(gb_full.astype(out.dtype, copy=False), np.shape(b))
        return ga, gb

    @staticmethod
    def differentiable_backward(ctx, g):
        a_arr, b_arr, out = ctx.saved_tensors
        a, b = ctx.inputs
        ga = gb = None
        if ctx.needs_input_grad[0]:
            shift = Pow._exponent_shift(a_arr, b_arr, out.dtype)
            ga = sum_to(g * b * a ** (b - 1 if shift is None else b - 1 + constant(shift)), np.shape(a_arr))
        if ctx.needs_input_grad[1]:
            a = a if isinstance(a, function.Tensor) else constant(a_arr)
            zero = (a_arr == 0) & (b_arr >= 0)
            if zero.any():
                # NOTE: a taken as 1 where the gradient is defined as 0, so that log(0) = -inf
                # does not turn the second derivative there into NaN
                a = where_or_zero(~zero, a) + constant(zero)
                gb_full = where_or_zero(~zero, g * a ** b * a.log())
            else:
                gb_full = g * output(ctx, out) * a.log()
            gb = sum_to(gb_full, np.shape(b_arr))
        return ga, gb

    @staticmethod
    def _exponent_shift(a, b, dtype):
        """1 where a == b == 0, else 0 (None if nowhere), to add to the exponent b - 1 of the
        gradient b * a**(b-1): that is 0 there (torch), not 0 * 0**-1 = NaN, and stays finite
        when differentiated again (x**2 at 0 three times)."""
        zero_exponent = np.equal(b, 0)
        if not zero_exponent.any():   # the usual case, cheap for a number exponent
            return None
        both = (a == 0) & zero_exponent
        return both.astype(dtype) if both.any() else None


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
        d = np.sign(x)   # NOTE: 0 at x == 0, as torch
        d *= g
        return d

    # the same code on a Tensor g: g times a constant, so the second derivative is 0
    differentiable_backward = backward


class Clamp(ArrayFunction):
    """min(max(x, lo), hi); lo and hi are None, numbers, or arrays (tensor bounds get gradients too)."""
    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x, lo, hi)
        return np.clip(x, lo, hi)   # NOTE: where lo > hi the result is hi, as torch

    @staticmethod
    def backward(ctx, g):
        return tuple(None if m is None else unbroadcast(np.where(m, g, 0), s) for m, s in _clamp_masks(ctx))

    @staticmethod
    def differentiable_backward(ctx, g):
        return tuple(None if m is None else sum_to(where_or_zero(m, g), s) for m, s in _clamp_masks(ctx))


def _clamp_masks(ctx):
    """(where the gradient passes, shape) for clamp's x, lo and hi; (None, None) for those that
    need none. NOTE: it passes to x where lo <= x <= hi, boundaries included (torch's rule); a
    tensor bound gets it where it is the one that won (for lo: x < lo and lo < hi)."""
    x, lo, hi = ctx.saved_tensors
    need = ctx.needs_input_grad
    out = [(None, None)] * 3
    if need[0]:
        passes = True
        if lo is not None:
            passes = passes & (x >= lo)
        if hi is not None:
            passes = passes & (x <= hi)
        out[0] = (passes, x.shape)
    if need[1]:
        out[1] = ((x < lo) if hi is None else (x < lo) & (lo < hi), np.shape(lo))
    if need[2]:
        out[2] = ((x > hi) if lo is None else (x > hi) | (hi < lo), np.shape(hi))
    return out


class Cast(ArrayFunction):
    """Change dtype; the gradient is cast back."""
    @staticmethod
    def forward(ctx, x, dtype):
        ctx.src = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return g.astype(ctx.src)

    @staticmethod
    def differentiable_backward(ctx, g):
        return Cast.apply(g, ctx.src)


class Clone(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g

    @staticmethod
    def differentiable_backward(ctx, g):
        return g
