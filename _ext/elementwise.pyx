"""Fused element-wise kernels on flat C-contiguous buffers (no checks: callers validate)."""
from cython.parallel cimport prange
from _fused cimport real_t


def axpy(double alpha, real_t[::1] x, real_t[::1] y, int num_threads):
    """y := alpha * x + y   (NumPy: y += alpha * x). Used for gradient accumulation and SGD."""
    cdef Py_ssize_t i, n = y.shape[0]
    cdef real_t a = <real_t>alpha
    with nogil:
        if a == 1:
            for i in prange(n, num_threads=num_threads, use_threads_if=num_threads > 1, schedule="static"):
                y[i] = y[i] + x[i]
        else:
            for i in prange(n, num_threads=num_threads, use_threads_if=num_threads > 1, schedule="static"):
                y[i] = y[i] + a * x[i]
