"""More activations, in NumPy (no minigrad._C kernel yet): ELU, GELU (exact and tanh), SiLU,
Softplus, Hardtanh (ReLU6 is Hardtanh(0, 6)). Each saves its input; backward follows torch's
formulas, including the branch taken at the kinks (noted per op).

Arguments arrive validated from minigrad.nn.functional. In place runs go through
ArrayFunction.apply_, which gives forward a copy when a graph is recorded, so forward here
never writes into its input.
"""
import math

import numpy as np

from ..autograd.function import ArrayFunction
from .activation import Sigmoid, Tanh, _constant, _where_or_zero
from .pointwise_math import _FromInput

__all__ = ["ELU", "GELU", "SiLU", "Softplus", "Hardtanh", "erf"]

# NOTE: NumPy has no erf; libm's through frompyfunc is exact but ~50 ns per element. A C kernel
# is the fix if a benchmark ever shows GELU as the bottleneck.
_erf = np.frompyfunc(math.erf, 1, 1)


def erf(x):
    return _erf(x).astype(x.dtype) if x.ndim else np.asarray(math.erf(x), dtype=x.dtype)


class ELU(ArrayFunction):
    """y = x if x > 0 else alpha (e^x - 1); dy/dx = alpha e^x for x <= 0 (so alpha at 0, as torch)."""
    @staticmethod
    def forward(ctx, x, alpha):
        ctx.save_for_backward(x)
        ctx.alpha = alpha
        return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return np.where(x > 0, g, g * (ctx.alpha * np.exp(np.minimum(x, 0)))).astype(x.dtype, copy=False)

    @staticmethod
    def differentiable_backward(ctx, g):
        x = ctx.inputs[0]
        negative = x._data <= 0
        branch = _constant(negative.astype(x._data.dtype))
        # e^x only where x <= 0 (elsewhere e^0), so it cannot overflow
        return g * (1 - branch + branch * ctx.alpha * _where_or_zero(negative, x).exp())


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_KAPPA = 0.044715


class GELU(ArrayFunction):
    """approximate='none': y = x Φ(x), dy/dx = Φ(x) + x φ(x).
    approximate='tanh': y = x/2 (1 + tanh(√(2/π) (x + 0.044715 x³))), torch's derivative."""
    @staticmethod
    def forward(ctx, x, approximate):
        ctx.approximate = approximate
        if approximate == "tanh":
            ctx.save_for_backward(x)
            return (0.5 * x * (1 + np.tanh(_SQRT_2_OVER_PI * (x + _KAPPA * x * x * x)))).astype(x.dtype, copy=False)
        # Φ(x) is kept for backward: erf is the expensive part (see _erf)
        ctx.cdf = 0.5 * (1 + erf(x * (1 / math.sqrt(2))))
        ctx.save_for_backward(x)
        return (x * ctx.cdf).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        if ctx.approximate == "tanh":
            t = np.tanh(_SQRT_2_OVER_PI * (x + _KAPPA * x * x * x))
            d = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _SQRT_2_OVER_PI * (1 + 3 * _KAPPA * x * x)
        else:
            d = ctx.cdf + x * np.exp(-0.5 * x * x) * (1 / math.sqrt(2 * math.pi))
        return (g * d).astype(x.dtype, copy=False)

    @staticmethod
    def differentiable_backward(ctx, g):
        x = ctx.inputs[0]
        if ctx.approximate == "tanh":
            t = Tanh.apply(_SQRT_2_OVER_PI * (x + _KAPPA * x * x * x))
            return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _SQRT_2_OVER_PI * (1 + 3 * _KAPPA * x * x))
        return g * (_NormalCdf.apply(x) + x * _normal_pdf(x))


_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


def _normal_pdf(x):
    """φ(x) = e^(-x²/2) / √(2π), recorded (GELU's second derivative)."""
    return (x * x * -0.5).exp() * _INV_SQRT_2PI


class _NormalCdf(_FromInput):
    """Φ(x) as a recorded op, for GELU's differentiable backward (minigrad has no erf op)."""
    f = staticmethod(lambda x: 0.5 * (1 + erf(x * (1 / math.sqrt(2)))))
    # (*_: the higher-order math branch hands df the array module too)
    df = staticmethod(lambda x, *_: np.exp(-0.5 * x * x) * _INV_SQRT_2PI)

    @staticmethod
    def differentiable_backward(ctx, g):
        return g * _normal_pdf(ctx.inputs[0])


def _sigmoid(x):
    """1 / (1 + e^-x) without overflow warnings for large |x|."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


class SiLU(ArrayFunction):
    """y = x σ(x); dy/dx = σ(x) (1 + x (1 - σ(x)))."""
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x * _sigmoid(x)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        s = _sigmoid(x)
        return (g * s * (1 + x * (1 - s))).astype(x.dtype, copy=False)

    @staticmethod
    def differentiable_backward(ctx, g):
        x = ctx.inputs[0]
        s = Sigmoid.apply(x)
        return g * s * (1 + x * (1 - s))


class Softplus(ArrayFunction):
    """y = log(1 + e^(βx)) / β, or x where βx > threshold (torch's linear cut-off);
    dy/dx = σ(βx), or 1 past the cut-off."""
    @staticmethod
    def forward(ctx, x, beta, threshold):
        ctx.save_for_backward(x)
        ctx.beta, ctx.threshold = beta, threshold
        bx = x * beta
        # log1p(e^z) = max(z, 0) + log1p(e^-|z|) never overflows
        soft = (np.maximum(bx, 0) + np.log1p(np.exp(-np.abs(bx)))) / beta
        return np.where(bx > threshold, x, soft).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        bx = x * ctx.beta
        return np.where(bx > ctx.threshold, g, g * _sigmoid(bx)).astype(x.dtype, copy=False)

    @staticmethod
    def differentiable_backward(ctx, g):
        x = ctx.inputs[0]
        linear = _constant((x._data * ctx.beta > ctx.threshold).astype(x._data.dtype))
        return g * (linear + (1 - linear) * Sigmoid.apply(x * ctx.beta))


class Hardtanh(ArrayFunction):
    """y = clamp(x, min_val, max_val); dy/dx = 1 strictly inside, 0 at and beyond the edges (torch)."""
    @staticmethod
    def forward(ctx, x, min_val, max_val):
        ctx.save_for_backward(x)
        ctx.bounds = (min_val, max_val)
        return np.clip(x, min_val, max_val).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        lo, hi = ctx.bounds
        return np.where((x > lo) & (x < hi), g, 0).astype(x.dtype, copy=False)

    @staticmethod
    def differentiable_backward(ctx, g):
        x, = ctx.saved_tensors
        lo, hi = ctx.bounds
        return _where_or_zero((x > lo) & (x < hi), g)
