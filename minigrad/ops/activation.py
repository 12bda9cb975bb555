"""Activation Functions: forward and backward side by side, each one call into minigrad._C.act.

Arguments arrive validated (minigrad.nn.functional); here we only flatten, allocate and pick the
thread count. Each op saves what its backward reads: sigmoid/tanh/relu their output, leaky_relu
its input (or output, see LeakyReLU), prelu input and weight, rrelu the slopes it drew.
"""
import numpy as np

from .. import random as _random
from .._C import act as _act
from .._parallel import threads_for
from ..autograd.function import ArrayFunction
# for the differentiable backwards (create_graph=True); the losses and norms take them from here too
from .elementwise import constant as _constant, where_or_zero as _where_or_zero

__all__ = ["Sigmoid", "Tanh", "ReLU", "LeakyReLU", "PReLU", "RReLU"]


def _flat(a):
    """A 1-D C-contiguous view (a copy only if `a` is not contiguous)."""
    return np.ascontiguousarray(a).reshape(-1)


def _grad(g, like):
    """The incoming gradient as a flat contiguous array of the saved array's dtype (never modified)."""
    return np.ascontiguousarray(g, dtype=like.dtype).reshape(-1)


def _output(x, inplace):
    """Where forward writes: x itself when in place and possible, else a fresh C-contiguous array."""
    if inplace and x.flags.c_contiguous and x.flags.writeable:
        return x
    return np.empty(x.shape, dtype=x.dtype)


# ***** activations whose backward reads the saved output *****

class _FromOutput(ArrayFunction):
    """An activation whose derivative is cheapest from its output y (saved instead of x), so it
    can also run in place (ReLU)."""
    forward_kernel = backward_kernel = None

    @classmethod
    def forward(cls, ctx, x, inplace=False):
        out = _output(x, inplace)
        cls.forward_kernel(_flat(x), out.reshape(-1), threads_for(x.size))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        dx = np.empty(out.shape, dtype=out.dtype)
        type(ctx).backward_kernel(_grad(g, out), out.reshape(-1), dx.reshape(-1), threads_for(out.size))
        return dx

    @staticmethod
    def differentiable_backward(ctx, g):
        # Only ReLU's callers run forward in place (ReLU overrides this), so the input still
        # holds x: the result is computed again as a recorded op, since the saved one has no history.
        cls = type(ctx)
        return g * cls.slope(cls.apply(ctx.inputs[0]))


class Sigmoid(_FromOutput):
    """y = 1 / (1 + e^-x); dy/dx = y (1 - y)."""
    forward_kernel = staticmethod(_act.sigmoid_forward)
    backward_kernel = staticmethod(_act.sigmoid_backward)

    @staticmethod
    def slope(y):
        return y * (1 - y)


class Tanh(_FromOutput):
    """y = tanh x; dy/dx = 1 - y^2."""
    forward_kernel = staticmethod(_act.tanh_forward)
    backward_kernel = staticmethod(_act.tanh_backward)

    @staticmethod
    def slope(y):
        return 1 - y * y


class ReLU(_FromOutput):
    """y = max(x, 0); dy/dx = 1 where y > 0, else 0.
    NOTE: the gradient at x = 0 is 0 (torch's threshold_backward on the result)."""
    forward_kernel = staticmethod(_act.relu_forward)
    backward_kernel = staticmethod(_act.relu_backward)

    @staticmethod
    def differentiable_backward(ctx, g):
        out, = ctx.saved_tensors
        return _where_or_zero(out > 0, g)


# ***** piecewise-linear activations that need the input *****

class LeakyReLU(ArrayFunction):
    """y = x if x > 0 else slope * x; dy/dx = 1 if x > 0 else slope (slope at x = 0, as torch).
    In place with slope >= 0 the input is overwritten, so backward reads the output instead:
    for slope >= 0 it has the sign of x, hence the same branch. A negative slope in place keeps a
    copy of the input (torch refuses that case when grad is needed)."""
    @staticmethod
    def forward(ctx, x, slope, inplace=False):
        out = _output(x, inplace and slope >= 0)
        _act.leaky_relu_forward(_flat(x), out.reshape(-1), slope, threads_for(x.size))
        ctx.slope = slope
        ctx.save_for_backward(out if out is x else x)
        return out

    @staticmethod
    def backward(ctx, g):
        sign_src, = ctx.saved_tensors
        dx = np.empty(sign_src.shape, dtype=sign_src.dtype)
        _act.leaky_relu_backward(_grad(g, sign_src), _flat(sign_src), dx.reshape(-1), ctx.slope,
                                 threads_for(sign_src.size))
        return dx

    @staticmethod
    def differentiable_backward(ctx, g):
        sign_src, = ctx.saved_tensors
        return g * _constant(np.where(sign_src > 0, 1, ctx.slope).astype(sign_src.dtype))


def _prelu_layout(x, w):
    """(channels, inner) of x seen as (outer, channels, inner); one parameter -> one channel."""
    if w.size == 1:
        return 1, max(x.size, 1)
    inner = int(np.prod(x.shape[2:], dtype=np.int64))
    return w.size, max(inner, 1)


class PReLU(ArrayFunction):
    """y = x if x > 0 else a_c * x, c = dim 1 (one channel for a single parameter);
    dx = g if x > 0 else a_c * g;  da_c = sum over all dims but 1 of (x > 0 ? 0 : x * g)."""
    @staticmethod
    def forward(ctx, x, w):
        x = np.asarray(x, order="C")   # (np.ascontiguousarray would make a 0-d input 1-d)
        wf = _flat(w)
        channels, inner = _prelu_layout(x, wf)
        out = np.empty(x.shape, dtype=x.dtype)
        _act.prelu_forward(x.reshape(-1), wf, out.reshape(-1), channels, inner, threads_for(x.size))
        ctx.save_for_backward(x, w)
        return out

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        wf = _flat(w)
        channels, inner = _prelu_layout(x, wf)
        need_x, need_w = ctx.needs_input_grad[:2]
        dx = np.empty(x.shape, dtype=x.dtype)
        dw = np.empty(wf.shape, dtype=wf.dtype)
        # NOTE: the weight gradient is a reduction; the kernel sums fixed blocks and adds them per
        # channel in a fixed order, so it does not depend on the thread count.
        _act.prelu_backward(_grad(g, x), _flat(x), wf, dx.reshape(-1), dw, channels, inner,
                            need_x, threads_for(x.size))
        return (dx if need_x else None), (dw.reshape(w.shape) if need_w else None)

    @staticmethod
    def differentiable_backward(ctx, g):
        x, w = ctx.inputs
        xa = x._data
        negative = xa <= 0
        branch = _constant(negative.astype(xa.dtype))
        # a_c broadcast over x: one parameter for all, else one per channel of dim 1
        shape = [1] * xa.ndim
        if w._data.size > 1:
            shape[1] = w._data.size
        gx = g * (1 - branch + branch * w.reshape(shape)) if ctx.needs_input_grad[0] else None
        gw = None
        if ctx.needs_input_grad[1]:
            gw = _where_or_zero(negative, x) * g
            dims = tuple(d for d in range(xa.ndim) if shape[d] == 1)
            gw = (gw.sum(dim=dims) if dims else gw).reshape(w._data.shape)
        return gx, gw


class RReLU(ArrayFunction):
    """Training-mode RReLU: y = x if x > 0 else r * x, r ~ U(lower, upper) per element from the
    shared counter stream (minigrad.random.next_offset); dy/dx = the same r (1 for x > 0).
    Eval mode is LeakyReLU with slope (lower + upper) / 2 (see nn.functional.rrelu)."""
    @staticmethod
    def forward(ctx, x, lower, upper, inplace=False):
        seed, offset = _random.next_offset(x.size)
        out = _output(x, inplace)
        noise = np.empty(x.shape, dtype=x.dtype)
        _act.rrelu_forward(_flat(x), out.reshape(-1), noise.reshape(-1), lower, upper, seed, offset,
                           threads_for(x.size))
        ctx.save_for_backward(noise)   # private to this op, so never modified in place
        return out

    @staticmethod
    def backward(ctx, g):
        noise, = ctx.saved_tensors
        dx = np.empty(noise.shape, dtype=noise.dtype)
        _act.rrelu_backward(_grad(g, noise), noise.reshape(-1), dx.reshape(-1), threads_for(noise.size))
        return dx

    @staticmethod
    def differentiable_backward(ctx, g):
        noise, = ctx.saved_tensors
        return g * _constant(noise)
