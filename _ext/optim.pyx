"""Fused optimizer updates: one pass over each parameter instead of ~10 NumPy temporaries.

Each loop applies torch's equations element by element in torch's order of operations, so
float64 results match torch.optim to the last bits (minigrad/optim/*.py print the equations).
"""
from libc.math cimport sqrt
from cython.parallel cimport prange
from _fused cimport real_t


def sgd_update(real_t[::1] p, real_t[::1] grad, real_t[::1] buf, double lr, double momentum,
               double dampening, double weight_decay, bint nesterov, bint maximize, bint first_step,
               int num_threads):
    """g = ±grad (+ wd*p); buf = g if first_step else momentum*buf + (1-dampening)*g (when
    momentum != 0); g = g + momentum*buf if nesterov else buf; p -= lr*g."""
    cdef Py_ssize_t i, n = p.shape[0]
    cdef real_t g, b
    cdef bint use_momentum = momentum != 0
    with nogil:
        for i in prange(n, num_threads=num_threads, use_threads_if=num_threads > 1, schedule="static"):
            g = -grad[i] if maximize else grad[i]
            if weight_decay != 0:
                g = g + <real_t>weight_decay * p[i]
            if use_momentum:
                if first_step:
                    b = g
                else:
                    b = <real_t>momentum * buf[i] + <real_t>(1 - dampening) * g
                buf[i] = b
                g = g + <real_t>momentum * b if nesterov else b
            p[i] = p[i] - <real_t>lr * g


def adam_update(real_t[::1] p, real_t[::1] grad, real_t[::1] m, real_t[::1] v, real_t[::1] vmax,
                double lr, double beta1, double beta2, double eps, double weight_decay, bint decoupled,
                bint amsgrad, bint maximize, long step, int num_threads):
    """Adam/AdamW step t=`step` (already incremented): see minigrad/optim/adam.py."""
    cdef Py_ssize_t i, n = p.shape[0]
    cdef real_t g, vh
    cdef double bc1 = 1.0 - beta1 ** step
    cdef double bc2_sqrt = sqrt(1.0 - beta2 ** step)
    cdef real_t step_size = <real_t>(lr / bc1)
    cdef real_t decay = <real_t>(1.0 - lr * weight_decay)
    with nogil:
        for i in prange(n, num_threads=num_threads, use_threads_if=num_threads > 1, schedule="static"):
            g = -grad[i] if maximize else grad[i]
            if weight_decay != 0:
                if decoupled:
                    p[i] = p[i] * decay
                else:
                    g = g + <real_t>weight_decay * p[i]
            m[i] = m[i] + <real_t>(1 - beta1) * (g - m[i])            # torch: m.lerp_(g, 1-beta1)
            v[i] = v[i] * <real_t>beta2 + <real_t>(1 - beta2) * g * g  # v.mul_(b2).addcmul_(g, g, 1-b2)
            vh = v[i]
            if amsgrad:
                if vmax[i] < vh:
                    vmax[i] = vh
                vh = vmax[i]
            p[i] = p[i] - step_size * (m[i] / (sqrt(vh) / <real_t>bc2_sqrt + <real_t>eps))
