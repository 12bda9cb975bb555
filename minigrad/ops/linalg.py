"""Matrix multiplication with numpy.matmul's rules (1-D operands, broadcast batch dims)."""
import numpy as np

from ..autograd.function import Function
from .elementwise import unbroadcast

__all__ = ["MatMul"]


class MatMul(Function):
    """a @ b. 1-D operands are promoted to matrices (a: 1×K, b: K×1) and the extra dim dropped."""
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.asarray(np.matmul(a, b))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        # put back the dims that 1-D operands dropped from the output
        g2 = g.reshape(np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2]) + (a2.shape[-2], b2.shape[-1]))
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = unbroadcast(np.matmul(g2, np.swapaxes(b2, -1, -2)), a2.shape).reshape(a.shape)
        if ctx.needs_input_grad[1]:
            gb = unbroadcast(np.matmul(np.swapaxes(a2, -1, -2), g2), b2.shape).reshape(b.shape)
        return ga, gb
