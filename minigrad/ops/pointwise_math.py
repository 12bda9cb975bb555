"""Element-wise math beyond elementwise.py's arithmetic: trigonometric, exponential and rounding
functions as a table of (forward, derivative) pairs, then the ops that need a class of their own
(maximum/minimum, where, masked_fill, lerp, rounded division, remainder)."""
import math
import sys

import numpy as np

from ..autograd.function import ArrayFunction
from .elementwise import constant, output, sum_to, unbroadcast, where_or_zero

__all__ = ["Exp", "Log", "Sqrt", "Sin", "Cos", "Tan", "Sinh", "Cosh", "Log1p", "Expm1", "Exp2", "Log2",
           "Log10", "Rsqrt", "Reciprocal", "Square", "Sign", "Floor", "Ceil", "Round", "Maximum", "Minimum", "Where",
           "MaskedFill", "Lerp", "DivRounded", "Remainder", "Fmod"]


# ***** y = f(x) with a one-line derivative *****
# df(v, m) is written once for both backwards: m is NumPy for the array backward and minigrad
# for the differentiable one (create_graph=True), where v is a Tensor in the graph.

def _minigrad():
    return sys.modules["minigrad"]   # imported by now: these ops run on its Tensors


class _FromInput(ArrayFunction):
    """y = f(x); dy/dx = df(x). Saves x."""
    f = df = None

    @classmethod
    def forward(cls, ctx, x):
        ctx.save_for_backward(x)
        return cls.f(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * type(ctx).df(x, np)

    @staticmethod
    def differentiable_backward(ctx, g):
        return g * type(ctx).df(ctx.inputs[0], _minigrad())


class _FromOutput(ArrayFunction):
    """y = f(x); dy/dx = df(y). Saves y: cheaper, and x may then change in place (torch saves
    the result for these too)."""
    f = df = None

    @classmethod
    def forward(cls, ctx, x):
        out = cls.f(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * type(ctx).df(out, np)

    @staticmethod
    def differentiable_backward(ctx, g):
        out, = ctx.saved_tensors
        return g * type(ctx).df(output(ctx, out), _minigrad())


def _table(base, name, f, df):
    return type(name, (base,), {"f": staticmethod(f), "df": staticmethod(df), "__module__": __name__,
                                "__doc__": f"{name}: forward and derivative from the table in {__name__}."})


# NOTE: Python floats, not NumPy float64 scalars, so float32 stays float32 (NEP 50).
_LN2, _LN10 = math.log(2.0), math.log(10.0)

Exp = _table(_FromOutput, "Exp", np.exp, lambda y, m: y)
Log = _table(_FromInput, "Log", np.log, lambda x, m: 1 / x)
Sqrt = _table(_FromOutput, "Sqrt", np.sqrt, lambda y, m: 0.5 / y)
Sin = _table(_FromInput, "Sin", np.sin, lambda x, m: m.cos(x))
Cos = _table(_FromInput, "Cos", np.cos, lambda x, m: -m.sin(x))
Tan = _table(_FromOutput, "Tan", np.tan, lambda y, m: 1 + y * y)
Sinh = _table(_FromInput, "Sinh", np.sinh, lambda x, m: m.cosh(x))
Cosh = _table(_FromInput, "Cosh", np.cosh, lambda x, m: m.sinh(x))
Log1p = _table(_FromInput, "Log1p", np.log1p, lambda x, m: 1 / (1 + x))
Expm1 = _table(_FromOutput, "Expm1", np.expm1, lambda y, m: y + 1)
Exp2 = _table(_FromOutput, "Exp2", np.exp2, lambda y, m: y * _LN2)
Log2 = _table(_FromInput, "Log2", np.log2, lambda x, m: 1 / (x * _LN2))
Log10 = _table(_FromInput, "Log10", np.log10, lambda x, m: 1 / (x * _LN10))
Rsqrt = _table(_FromOutput, "Rsqrt", lambda x: 1 / np.sqrt(x), lambda y, m: -0.5 * y * y * y)
Reciprocal = _table(_FromOutput, "Reciprocal", np.reciprocal, lambda y, m: -y * y)
Square = _table(_FromInput, "Square", np.square, lambda x, m: 2 * x)


# ***** piecewise constant: zero gradient everywhere, the jumps included (torch) *****

class _Step(ArrayFunction):
    f = None

    @classmethod
    def forward(cls, ctx, x, *args):
        return cls.f(x, *args)

    @staticmethod
    def backward(ctx, g):
        return np.zeros_like(g)

    @staticmethod
    def differentiable_backward(ctx, g):
        return constant(np.zeros_like(g._data))


def _sign(x):
    out = np.sign(x)
    if out.dtype.kind == "f":
        out[np.isnan(out)] = 0      # torch: sign(nan) = 0
    return out


Sign = _table(_Step, "Sign", _sign, None)
Floor = _table(_Step, "Floor", np.floor, None)
Ceil = _table(_Step, "Ceil", np.ceil, None)
Round = _table(_Step, "Round", np.round, None)   # NOTE: half to even, as torch


class DivRounded(ArrayFunction):
    """a / b rounded toward zero ('trunc') or down ('floor'); zero gradient to both (torch)."""
    @staticmethod
    def forward(ctx, a, b, mode):
        ctx.shapes = (np.shape(a), np.shape(b))
        if mode == "floor":
            return np.floor_divide(a, b)
        if a.dtype.kind == "f":
            return np.trunc(np.divide(a, b))
        q = np.floor_divide(a, b)   # integers: floor, then one up where the quotient was negative and inexact
        return q + ((q * b != a) & ((a < 0) != (b < 0)))

    @staticmethod
    def backward(ctx, g):
        return tuple(np.zeros(s, g.dtype) if need else None for s, need in zip(ctx.shapes, ctx.needs_input_grad))

    @staticmethod
    def differentiable_backward(ctx, g):
        return tuple(None if z is None else constant(z) for z in DivRounded.backward(ctx, g._data))


class _OfTwoInputs(ArrayFunction):
    """y = f(a, b); saves a and b."""
    f = None

    @classmethod
    def forward(cls, ctx, a, b):
        ctx.save_for_backward(a, b)
        return cls.f(a, b)


class Remainder(_OfTwoInputs):
    """a - b * floor(a / b): Python's %, the sign of b. d/da = 1; d/db = -floor(a / b)."""
    rounded = staticmethod(np.floor_divide)
    f = staticmethod(np.remainder)

    @staticmethod
    def backward(ctx, g):
        return Remainder._grads(ctx, g, unbroadcast)

    @staticmethod
    def differentiable_backward(ctx, g):
        return Remainder._grads(ctx, g, sum_to)   # the rounded quotient is piecewise constant

    @staticmethod
    def _grads(ctx, g, reduce_to):
        a, b = ctx.saved_tensors
        ga = reduce_to(g, np.shape(a)) if ctx.needs_input_grad[0] else None
        gb = reduce_to(-g * type(ctx).rounded(a, b), np.shape(b)) if ctx.needs_input_grad[1] else None
        return ga, gb


class Fmod(Remainder):
    """a - b * trunc(a / b): C's fmod, the sign of a."""
    rounded = staticmethod(lambda a, b: np.trunc(np.divide(a, b)))
    f = staticmethod(np.fmod)


# ***** selections *****

class _Extremum(_OfTwoInputs):
    """NOTE: on ties each input gets half the gradient (torch's maximum/minimum)."""
    loses = None

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        loses = type(ctx).loses
        shared = np.where(a == b, g / 2, g)
        ga = unbroadcast(np.where(loses(a, b), 0, shared), a.shape) if ctx.needs_input_grad[0] else None
        gb = unbroadcast(np.where(loses(b, a), 0, shared), b.shape) if ctx.needs_input_grad[1] else None
        return ga, gb

    @staticmethod
    def differentiable_backward(ctx, g):
        a, b = ctx.saved_tensors
        loses = type(ctx).loses
        tie = a == b
        shared = g * np.where(tie, 0.5, 1.0) if tie.any() else g    # g * 0.5 is exactly g / 2
        ga = sum_to(where_or_zero(~loses(a, b), shared), a.shape) if ctx.needs_input_grad[0] else None
        gb = sum_to(where_or_zero(~loses(b, a), shared), b.shape) if ctx.needs_input_grad[1] else None
        return ga, gb


class Maximum(_Extremum):
    f, loses = staticmethod(np.maximum), staticmethod(np.less)


class Minimum(_Extremum):
    f, loses = staticmethod(np.minimum), staticmethod(np.greater)


class Where(ArrayFunction):
    """a where cond else b; each side's gradient is g where it was chosen."""
    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.cond = cond
        ctx.shapes = (np.shape(a), np.shape(b))
        return np.where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        sa, sb = ctx.shapes
        ga = unbroadcast(np.where(ctx.cond, g, 0), sa) if ctx.needs_input_grad[1] else None
        gb = unbroadcast(np.where(ctx.cond, 0, g), sb) if ctx.needs_input_grad[2] else None
        return None, ga, gb

    @staticmethod
    def differentiable_backward(ctx, g):
        sa, sb = ctx.shapes
        ga = sum_to(where_or_zero(ctx.cond, g), sa) if ctx.needs_input_grad[1] else None
        gb = sum_to(where_or_zero(np.logical_not(ctx.cond), g), sb) if ctx.needs_input_grad[2] else None
        return None, ga, gb


class MaskedFill(ArrayFunction):
    """x with value where mask; value (a 0-d array) gets the sum of g over the filled places."""
    @staticmethod
    def forward(ctx, x, mask, value):
        ctx.mask = mask
        ctx.shapes = (x.shape, np.shape(value))
        return np.where(mask, value, x)

    @staticmethod
    def backward(ctx, g):
        sx, sv = ctx.shapes
        gx = unbroadcast(np.where(ctx.mask, 0, g), sx) if ctx.needs_input_grad[0] else None
        gv = np.where(ctx.mask, g, 0).sum().reshape(sv) if ctx.needs_input_grad[2] else None
        return gx, None, gv

    @staticmethod
    def differentiable_backward(ctx, g):
        sx, sv = ctx.shapes
        gx = sum_to(where_or_zero(np.logical_not(ctx.mask), g), sx) if ctx.needs_input_grad[0] else None
        gv = where_or_zero(ctx.mask, g).sum().reshape(sv) if ctx.needs_input_grad[2] else None
        return gx, None, gv


class Lerp(ArrayFunction):
    """a + w (b - a). NOTE: evaluated from b's side where |w| >= 0.5, as torch, so that
    lerp(a, b, 1) is exactly b."""
    @staticmethod
    def forward(ctx, a, b, w):
        ctx.save_for_backward(a, b, w)
        diff = b - a
        return np.where(np.abs(w) < 0.5, a + w * diff, b - diff * (1 - w))

    @staticmethod
    def backward(ctx, g):
        return Lerp._grads(ctx, g, *ctx.saved_tensors, unbroadcast)

    @staticmethod
    def differentiable_backward(ctx, g):
        return Lerp._grads(ctx, g, *ctx.inputs, sum_to)

    @staticmethod
    def _grads(ctx, g, a, b, w, reduce_to):
        """Arrays with unbroadcast, or Tensors with sum_to: the formulas are the same."""
        need = ctx.needs_input_grad
        ga = reduce_to(g * (1 - w), np.shape(a)) if need[0] else None
        gb = reduce_to(g * w, np.shape(b)) if need[1] else None
        gw = reduce_to(g * (b - a), np.shape(w)) if need[2] else None
        return ga, gb, gw
