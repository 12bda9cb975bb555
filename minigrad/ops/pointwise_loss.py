"""Element-wise losses (before reduction): L1, SmoothL1, Huber, BCE, BCE with logits, KL
divergence. One class each: `value(x, y, *params)` and `derivatives(x, y, *params) -> (dx, dy)`;
`_PointwiseLoss` runs them and sums broadcast gradients back to each operand's shape.
For create_graph, `recorded_derivatives(x, y, *params)` gives (dx, dy) again as Tensors of the
Tensors x and y, written with ops; where they are piecewise constant, the arrays serve.
Reduction, class weights and the checks live in minigrad.nn.functional."""
import numpy as np

from ..autograd import function as _function
from ..autograd.function import ArrayFunction
from .activation import Sigmoid, _constant
from .activation_np import Softplus
from .elementwise import sum_to, unbroadcast

__all__ = ["L1Loss", "SmoothL1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss", "KLDivLoss"]


class _PointwiseLoss(ArrayFunction):
    @classmethod
    def forward(cls, ctx, x, y, *params):
        ctx.save_for_backward(x, y)
        ctx.params = params
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = cls.value(x, y, *params)
        return np.asarray(out, dtype=np.result_type(x, y))

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            dx, dy = type(ctx).derivatives(x, y, *ctx.params)
        need_x, need_y = ctx.needs_input_grad[:2]
        gx = unbroadcast(g * dx, x.shape).astype(x.dtype, copy=False) if need_x else None
        gy = unbroadcast(g * dy, y.shape).astype(y.dtype, copy=False) if need_y else None
        return gx, gy

    @staticmethod
    def differentiable_backward(ctx, g):
        x, y = ctx.inputs[:2]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            dx, dy = type(ctx).recorded_derivatives(x, y, *ctx.inputs[2:])
        need_x, need_y = ctx.needs_input_grad[:2]
        return (sum_to(g * dx, x._data.shape) if need_x else None,
                sum_to(g * dy, y._data.shape) if need_y else None)

    @classmethod
    def recorded_derivatives(cls, x, y, *params):
        """Piecewise-constant derivatives (the default): the arrays, as constants."""
        dx, dy = cls.derivatives(x._data, y._data, *[_data(p) for p in params])
        return _constant(dx), _constant(dy)


def _data(p):
    return p._data if isinstance(p, _function.Tensor) else p


def _mask(condition, like):
    """A 0/1 constant of like's dtype: selects a branch of a piecewise derivative."""
    return _constant(condition.astype(like._data.dtype))


class L1Loss(_PointwiseLoss):
    """|x - y|; d/dx = sign(x - y) (0 where equal, as torch)."""
    @staticmethod
    def value(x, y):
        return np.abs(x - y)

    @staticmethod
    def derivatives(x, y):
        s = np.sign(x - y)
        return s, -s


class SmoothL1Loss(_PointwiseLoss):
    """0.5 d²/β where |d| < β, else |d| - β/2 (d = x - y, β > 0; β = 0 is L1, see functional)."""
    @staticmethod
    def value(x, y, beta):
        d = np.abs(x - y)
        return np.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta)

    @staticmethod
    def derivatives(x, y, beta):
        d = x - y
        dx = np.where(d < -beta, -1.0, np.where(d > beta, 1.0, d / beta))
        return dx, -dx

    @staticmethod
    def recorded_derivatives(x, y, beta):
        d = x._data - y._data
        # NOTE: at |d| = beta both branches give sign(d); the second derivative there is 0 (torch)
        inside = np.abs(d) < beta
        dx = _mask(inside, x) * (x - y) * (1 / beta) + _constant(np.where(inside, 0, np.sign(d)))
        return dx, -dx


class HuberLoss(_PointwiseLoss):
    """0.5 d² where |d| < δ, else δ (|d| - δ/2): SmoothL1 scaled by δ."""
    @staticmethod
    def value(x, y, delta):
        d = np.abs(x - y)
        return np.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta))

    @staticmethod
    def derivatives(x, y, delta):
        dx = np.clip(x - y, -delta, delta)
        return dx, -dx

    @staticmethod
    def recorded_derivatives(x, y, delta):
        d = x._data - y._data
        inside = np.abs(d) < delta
        dx = _mask(inside, x) * (x - y) + _constant(np.where(inside, 0, delta * np.sign(d)))
        return dx, -dx


class BCELoss(_PointwiseLoss):
    """-(y log x + (1 - y) log(1 - x)), each log clamped at -100 (torch: a finite loss at x = 0, 1);
    d/dx = (x - y) / max(x (1 - x), 1e-12); d/dy = log(1 - x) - log(x), unclamped as torch."""
    @staticmethod
    def value(x, y):
        return -(y * np.maximum(np.log(x), -100) + (1 - y) * np.maximum(np.log1p(-x), -100))

    @staticmethod
    def derivatives(x, y):
        return (x - y) / np.maximum(x * (1 - x), 1e-12), np.log1p(-x) - np.log(x)

    @staticmethod
    def recorded_derivatives(x, y):
        q = x * (1 - x)
        floor = _mask(q._data < 1e-12, x)      # the clamp: a constant there
        return (x - y) / ((1 - floor) * q + floor * 1e-12), (-x).log1p() - x.log()


def _log_sigmoid(x):
    return -(np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x))))


class BCEWithLogitsLoss(_PointwiseLoss):
    """(1 - y) x - l·logσ(x), l = 1 + (pos_weight - 1) y (l = 1 without pos_weight), with logσ
    computed stably; d/dx = (1 - y) - l (1 - σ(x)); d/dy = -x - (pos_weight - 1) logσ(x).
    pos_weight (an array broadcast against x, or None) gets no gradient here."""
    @staticmethod
    def value(x, y, pos_weight):
        lw = 1 if pos_weight is None else 1 + (pos_weight - 1) * y
        return (1 - y) * x - lw * _log_sigmoid(x)

    @staticmethod
    def derivatives(x, y, pos_weight):
        lw = 1 if pos_weight is None else 1 + (pos_weight - 1) * y
        log_sig = _log_sigmoid(x)
        sig = np.exp(log_sig)
        dy = -x if pos_weight is None else -x - (pos_weight - 1) * log_sig
        return (1 - y) - lw * (1 - sig), dy

    @staticmethod
    def recorded_derivatives(x, y, pos_weight):
        lw = 1 if pos_weight is None else 1 + (pos_weight - 1) * y
        dx = (1 - y) - lw * (1 - Sigmoid.apply(x))
        if pos_weight is None:
            return dx, -x
        # log σ(x) = -softplus(-x), with no linear cut-off
        return dx, -x + (pos_weight - 1) * Softplus.apply(-x, 1.0, np.inf)


class KLDivLoss(_PointwiseLoss):
    """x are log-probabilities. y probabilities: y log y - y x (0 where y = 0); log_target: y are
    log-probabilities too: e^y (y - x)."""
    @staticmethod
    def value(x, y, log_target):
        if log_target:
            return np.exp(y) * (y - x)
        return np.where(y == 0, 0, y * np.log(np.where(y == 0, 1, y))) - y * x

    @staticmethod
    def derivatives(x, y, log_target):
        if log_target:
            e = np.exp(y)
            return -e, e * (y - x + 1)
        return -y + 0 * x, np.where(y == 0, 0, np.log(np.where(y == 0, 1, y))) + 1 - x

    @staticmethod
    def recorded_derivatives(x, y, log_target):
        if log_target:
            e = y.exp()
            return -e, e * (y - x + 1)
        zero = _mask(y._data == 0, y)
        return -y + 0 * x, (y * (1 - zero) + zero).log() + 1 - x
