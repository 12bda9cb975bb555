"""Pooling Functions: max pool (+ indices), average pool, max unpool; forward and backward side
by side. Arguments arrive validated and normalised from nn.functional (pairs of ints, output
size); arrays are reshaped to (planes, H, W) for the minigrad._C.pool kernels, which run one
plane per thread. Inputs are made contiguous only when they are not already.
Input gradients are allocated in the input's shape and the kernels write them through a
(planes, ...) view: the array returned owns its memory, so the engine keeps it as a leaf's .grad
as it is (a reshaped view would be copied, a full extra pass)."""
import numpy as np

from .._C import pool as _K
from .._parallel import ELEMENTWISE_THRESHOLD, threads_for
from ..autograd.function import ArrayFunction

__all__ = ["MaxPool2d", "AvgPool2d", "MaxUnpool2d"]


def _planes(a):
    """(..., H, W) -> a C-contiguous (P, H, W) array (a view when `a` is already contiguous)."""
    return np.ascontiguousarray(a).reshape(-1, a.shape[-2], a.shape[-1])


class MaxPool2d(ArrayFunction):
    """max over each (dilated) window; indices are flat positions y*W + x inside each H×W plane.
    NOTE: indices are computed only when returned or needed by backward (they cost ~40% of the
    forward's memory traffic)."""

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, dilation, out_hw, return_indices):
        H, W = x.shape[-2:]
        OH, OW = out_hw
        xp = _planes(x)
        out = np.empty((xp.shape[0], OH, OW), dtype=x.dtype)
        want_idx = return_indices or ctx.needs_input_grad[0]
        idx = np.empty(out.shape, dtype=np.int64) if want_idx else None
        _K.max_pool2d_forward(xp, out, idx, *kernel, *stride, *padding, *dilation,
                              threads_for(xp.size, ELEMENTWISE_THRESHOLD))
        lead = x.shape[:-2]
        out = out.reshape(lead + (OH, OW))
        if want_idx:
            idx = idx.reshape(lead + (OH, OW))
            ctx.save_for_backward(idx)
            ctx.in_shape = x.shape
            ctx.geom = (*kernel, *stride, *padding, *dilation)
        if not return_indices:
            return out
        ctx.mark_non_differentiable(idx)
        return out, idx

    @staticmethod
    def differentiable_backward(ctx, grad, grad_idx=None):
        from .pool_grad import max_pool2d_grads     # a scatter, whose derivative is a gather (pool_grad imports us)
        return max_pool2d_grads(ctx, grad)

    @staticmethod
    def backward(ctx, grad, grad_idx=None):
        idx, = ctx.saved_tensors
        # np.empty: the kernel writes every element (no separate zero-fill pass over the tensor)
        grad_in = np.empty(ctx.in_shape, dtype=grad.dtype)
        _K.max_pool2d_backward(_planes(grad), _planes(idx), _planes(grad_in), *ctx.geom,
                               threads_for(grad_in.size, ELEMENTWISE_THRESHOLD))
        return grad_in


class AvgPool2d(ArrayFunction):
    """mean over each window with torch's divisor rule (see nn.functional.avg_pool2d)."""

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, out_hw, count_include_pad, divisor_override):
        OH, OW = out_hw
        xp = _planes(x)
        out = np.empty((xp.shape[0], OH, OW), dtype=x.dtype)
        dov = 0 if divisor_override is None else divisor_override   # 0 = none (0 is rejected upstream)
        _K.avg_pool2d_forward(xp, out, *kernel, *stride, *padding, count_include_pad, dov,
                              threads_for(xp.size, ELEMENTWISE_THRESHOLD))
        ctx.args = (kernel, stride, padding, count_include_pad, dov)
        ctx.in_shape = x.shape
        return out.reshape(x.shape[:-2] + (OH, OW))

    @staticmethod
    def differentiable_backward(ctx, grad):
        from .pool_grad import avg_pool2d_grads     # the adjoint, whose derivative is this pool again
        return avg_pool2d_grads(ctx, grad)

    @staticmethod
    def backward(ctx, grad):
        kernel, stride, padding, cip, dov = ctx.args
        grad_in = np.empty(ctx.in_shape, dtype=grad.dtype)   # the gather writes every element
        _K.avg_pool2d_backward(_planes(grad), _planes(grad_in), *kernel, *stride, *padding, cip, dov,
                               threads_for(grad_in.size, ELEMENTWISE_THRESHOLD))
        return grad_in


class MaxUnpool2d(ArrayFunction):
    """out[plane].flat[idx] = x (scatter); backward gathers. Every index is range-checked by a
    separate kernel pass before the scatter runs, so a bad index never writes anywhere."""

    @staticmethod
    def forward(ctx, x, indices, out_hw):
        OH, OW = out_hw
        P = int(np.prod(x.shape[:-2], dtype=np.int64))
        L = x.shape[-2] * x.shape[-1]
        xp = np.ascontiguousarray(x).reshape(P, L)
        ip = np.ascontiguousarray(indices).reshape(P, L)
        nt = threads_for(xp.size, ELEMENTWISE_THRESHOLD)
        bad = _K.max_unpool2d_last_invalid(ip, OH * OW, nt)
        if bad >= 0:
            raise RuntimeError(f"Found an invalid max index: {ip.flat[bad]} (output volumes are of size "
                               f"{OH}x{OW})")
        out = np.zeros((P, OH * OW), dtype=x.dtype)
        _K.max_unpool2d_forward(xp, ip, out, nt)
        ctx.save_for_backward(indices)
        ctx.in_shape = x.shape
        return out.reshape(x.shape[:-2] + (OH, OW))

    @staticmethod
    def differentiable_backward(ctx, grad):
        from .pool_grad import max_unpool2d_grads   # a gather whose derivative is a scatter
        return max_unpool2d_grads(ctx, grad)

    @staticmethod
    def backward(ctx, grad):
        indices, = ctx.saved_tensors
        P = int(np.prod(ctx.in_shape[:-2], dtype=np.int64))
        ip = np.ascontiguousarray(indices).reshape(P, ctx.in_shape[-2] * ctx.in_shape[-1])
        gp = np.ascontiguousarray(grad).reshape(P, grad.shape[-2] * grad.shape[-1])
        grad_in = np.empty(ctx.in_shape, dtype=grad.dtype)
        _K.max_unpool2d_backward(gp, ip, grad_in.reshape(ip.shape),
                                 threads_for(grad_in.size, ELEMENTWISE_THRESHOLD))
        return grad_in, None
