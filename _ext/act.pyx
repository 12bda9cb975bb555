"""Element-wise activation kernels, forward and backward (float32/float64, flat C-contiguous buffers).

No checks here: minigrad.ops.activation validates, allocates and flattens. Every kernel takes an
explicit `num_threads`; the loops live in act_kernels.h (one baseline and one AVX2+FMA version,
picked at import, overridable with set_isa() or MINIGRAD_ACT_ISA=baseline). Work is cut into
fixed blocks of BLOCK elements, so results never depend on the thread count.
"""
import os

from cython.parallel cimport prange
from libc.stdint cimport uint64_t
from libc.stdlib cimport free, malloc

from _fused cimport real_t
from _openmp cimport minigrad_cpu_has


cdef extern from "act_kernels.h" nogil:
    ctypedef void (*mg_map_fn)(const void *a, void *out, Py_ssize_t n, double p) noexcept nogil
    ctypedef void (*mg_zip_fn)(const void *g, const void *a, void *out, Py_ssize_t n, double p) noexcept nogil
    ctypedef double (*mg_prelu_bwd_fn)(const void *g, const void *x, void *dx, Py_ssize_t n,
                                       double slope) noexcept nogil
    ctypedef void (*mg_rrelu_fn)(const void *x, void *out, void *noise, Py_ssize_t n, double lower,
                                 double upper, uint64_t key, uint64_t counter) noexcept nogil
    ctypedef struct mg_act_table:
        mg_map_fn sigmoid, tanh, relu, leaky
        mg_zip_fn sigmoid_bwd, tanh_bwd, relu_bwd, leaky_bwd, mul
        mg_prelu_bwd_fn prelu_bwd
        mg_rrelu_fn rrelu
        mg_map_fn relu_nt, leaky_nt
        mg_zip_fn relu_bwd_nt, leaky_bwd_nt
        mg_prelu_bwd_fn prelu_bwd_nt
    const mg_act_table *mg_act_get_table(int isa, int dbl)
    int MG_ACT_HAVE_AVX2
    uint64_t mg_rng_key(uint64_t seed)

# Elements per block: large enough to amortise a call, small enough to balance two threads.
cdef enum:
    BLOCK = 16384

# the streaming-store threshold (the table's `_nt` loops, where the ISA has them)
include "_stream.pxi"


cdef inline bint _stream(Py_ssize_t n, Py_ssize_t isz) noexcept nogil:
    return n * isz >= _stream_min

_ISA_NAMES = ("baseline", "avx2")
cdef int _isa = 0


def set_isa(name):
    """Choose the kernels: 'baseline' (portable SSE2 code) or 'avx2' (needs AVX2+FMA)."""
    global _isa
    if name not in _ISA_NAMES:
        raise ValueError(f"set_isa: expected one of {_ISA_NAMES}, got {name!r}")
    if name == "avx2" and not (MG_ACT_HAVE_AVX2 and minigrad_cpu_has(0)):
        raise RuntimeError("set_isa: this CPU (or build) has no AVX2+FMA")
    _isa = _ISA_NAMES.index(name)


def get_isa():
    """The kernels in use: 'baseline' or 'avx2'."""
    return _ISA_NAMES[_isa]


set_isa("avx2" if MG_ACT_HAVE_AVX2 and minigrad_cpu_has(0)
        and os.environ.get("MINIGRAD_ACT_ISA", "") != "baseline" else "baseline")


cdef inline const mg_act_table *_table(bint dbl) noexcept nogil:
    return mg_act_get_table(_isa, dbl)


# ***** drivers: split [0, n) into BLOCK-sized pieces and run them on num_threads *****

cdef void _map(mg_map_fn fn, const char *a, char *out, Py_ssize_t n, Py_ssize_t isz, double p,
               int num_threads) noexcept nogil:
    cdef Py_ssize_t b, start, nb = (n + BLOCK - 1) // BLOCK
    for b in prange(nb, num_threads=num_threads, use_threads_if=num_threads > 1, schedule="static"):
        start = b * BLOCK
        fn(a + start * isz, out + start * isz, min(<Py_ssize_t>BLOCK, n - start), p)


cdef void _zip(mg_zip_fn fn, const char *g, const char *a, char *out, Py_ssize_t n, Py_ssize_t isz,
               double p, int num_threads) noexcept nogil:
    cdef Py_ssize_t b, start, nb = (n + BLOCK - 1) // BLOCK
    for b in prange(nb, num_threads=num_threads, use_threads_if=num_threads > 1, schedule="static"):
        start = b * BLOCK
        fn(g + start * isz, a + start * isz, out + start * isz, min(<Py_ssize_t>BLOCK, n - start), p)


# ***** forward *****

def sigmoid_forward(real_t[::1] x, real_t[::1] out, int num_threads):
    """out = 1 / (1 + exp(-x)), evaluated as (x >= 0 ? 1 : e) / (1 + e) with e = exp(-|x|)."""
    if x.shape[0] == 0:
        return
    with nogil:
        _map(_table(real_t is double).sigmoid, <char *>&x[0], <char *>&out[0], x.shape[0],
             sizeof(real_t), 0.0, num_threads)


def tanh_forward(real_t[::1] x, real_t[::1] out, int num_threads):
    """out = tanh(x) = sign(x) * -m / (2 + m), m = expm1(-2|x|)."""
    if x.shape[0] == 0:
        return
    with nogil:
        _map(_table(real_t is double).tanh, <char *>&x[0], <char *>&out[0], x.shape[0],
             sizeof(real_t), 0.0, num_threads)


def relu_forward(real_t[::1] x, real_t[::1] out, int num_threads):
    """out = max(x, 0) (NaN stays NaN); out may be x itself."""
    cdef const mg_act_table *t
    if x.shape[0] == 0:
        return
    with nogil:
        t = _table(real_t is double)
        _map(t.relu_nt if _stream(x.shape[0], sizeof(real_t)) else t.relu, <char *>&x[0],
             <char *>&out[0], x.shape[0], sizeof(real_t), 0.0, num_threads)


def leaky_relu_forward(real_t[::1] x, real_t[::1] out, double slope, int num_threads):
    """out = x if x > 0 else slope * x; out may be x itself."""
    cdef const mg_act_table *t
    if x.shape[0] == 0:
        return
    with nogil:
        t = _table(real_t is double)
        _map(t.leaky_nt if _stream(x.shape[0], sizeof(real_t)) else t.leaky, <char *>&x[0],
             <char *>&out[0], x.shape[0], sizeof(real_t), slope, num_threads)


def prelu_forward(real_t[::1] x, real_t[::1] weight, real_t[::1] out, Py_ssize_t channels,
                  Py_ssize_t inner, int num_threads):
    """x viewed as (outer, channels, inner): out = x if x > 0 else weight[c] * x."""
    cdef Py_ssize_t n = x.shape[0], nb, rows, task, row, start, length
    if n == 0:
        return
    nb = (inner + BLOCK - 1) // BLOCK
    rows = n // inner
    cdef const mg_act_table *t = _table(real_t is double)
    cdef mg_map_fn fn = t.leaky_nt if _stream(n, sizeof(real_t)) else t.leaky
    with nogil:
        for task in prange(rows * nb, num_threads=num_threads, use_threads_if=num_threads > 1,
                           schedule="static"):
            row = task // nb
            start = row * inner + (task % nb) * BLOCK
            length = min(<Py_ssize_t>BLOCK, (row + 1) * inner - start)
            fn(&x[start], &out[start], length, weight[row % channels])


def rrelu_forward(real_t[::1] x, real_t[::1] out, real_t[::1] noise, double lower, double upper,
                  uint64_t seed, uint64_t offset, int num_threads):
    """Train-mode RReLU: x <= 0 -> r * x with r = lower + (upper - lower) * u(seed, offset + i),
    u uniform in [0, 1) (counter_rng.h); noise = r there and 1 elsewhere. out may be x itself."""
    cdef Py_ssize_t b, start, n = x.shape[0], nb = (x.shape[0] + BLOCK - 1) // BLOCK
    cdef uint64_t key = mg_rng_key(seed)
    if n == 0:
        return
    cdef mg_rrelu_fn fn = _table(real_t is double).rrelu
    with nogil:
        for b in prange(nb, num_threads=num_threads, use_threads_if=num_threads > 1, schedule="static"):
            start = b * BLOCK
            fn(&x[start], &out[start], &noise[start], min(<Py_ssize_t>BLOCK, n - start), lower, upper,
               key, offset + <uint64_t>start)


# ***** backward (grad in, grad out; `out` is never the incoming grad) *****

def sigmoid_backward(real_t[::1] grad, real_t[::1] result, real_t[::1] out, int num_threads):
    """out = grad * (1 - s) * s, s = the saved forward output."""
    if grad.shape[0] == 0:
        return
    with nogil:
        _zip(_table(real_t is double).sigmoid_bwd, <char *>&grad[0], <char *>&result[0],
             <char *>&out[0], grad.shape[0], sizeof(real_t), 0.0, num_threads)


def tanh_backward(real_t[::1] grad, real_t[::1] result, real_t[::1] out, int num_threads):
    """out = grad * (1 - t * t), t = the saved forward output."""
    if grad.shape[0] == 0:
        return
    with nogil:
        _zip(_table(real_t is double).tanh_bwd, <char *>&grad[0], <char *>&result[0],
             <char *>&out[0], grad.shape[0], sizeof(real_t), 0.0, num_threads)


def relu_backward(real_t[::1] grad, real_t[::1] result, real_t[::1] out, int num_threads):
    """out = 0 where result <= 0, else grad (torch's threshold_backward: gradient 0 at x = 0)."""
    cdef const mg_act_table *t
    if grad.shape[0] == 0:
        return
    with nogil:
        t = _table(real_t is double)
        _zip(t.relu_bwd_nt if _stream(grad.shape[0], sizeof(real_t)) else t.relu_bwd,
             <char *>&grad[0], <char *>&result[0], <char *>&out[0], grad.shape[0], sizeof(real_t),
             0.0, num_threads)


def leaky_relu_backward(real_t[::1] grad, real_t[::1] x, real_t[::1] out, double slope, int num_threads):
    """out = grad if x > 0 else slope * grad (x: the input, or the output when slope >= 0)."""
    cdef const mg_act_table *t
    if grad.shape[0] == 0:
        return
    with nogil:
        t = _table(real_t is double)
        _zip(t.leaky_bwd_nt if _stream(grad.shape[0], sizeof(real_t)) else t.leaky_bwd,
             <char *>&grad[0], <char *>&x[0], <char *>&out[0], grad.shape[0], sizeof(real_t), slope,
             num_threads)


def rrelu_backward(real_t[::1] grad, real_t[::1] noise, real_t[::1] out, int num_threads):
    """out = grad * noise (the slopes drawn by rrelu_forward)."""
    if grad.shape[0] == 0:
        return
    with nogil:
        _zip(_table(real_t is double).mul, <char *>&grad[0], <char *>&noise[0], <char *>&out[0],
             grad.shape[0], sizeof(real_t), 0.0, num_threads)


def prelu_backward(real_t[::1] grad, real_t[::1] x, real_t[::1] weight, real_t[::1] grad_input,
                   real_t[::1] grad_weight, Py_ssize_t channels, Py_ssize_t inner, bint need_input,
                   int num_threads):
    """x viewed as (outer, channels, inner):
    grad_input = grad if x > 0 else weight[c] * grad          (written only if need_input)
    grad_weight[c] = sum over outer and inner of (x > 0 ? 0 : x * grad), in double.
    Deterministic: one partial sum per fixed block, added per channel in block order."""
    cdef Py_ssize_t n = x.shape[0], nb, rows, ntask, task, row, start, length, c
    cdef double acc
    cdef double *partial
    cdef char *dx
    if n == 0:
        for c in range(channels):
            grad_weight[c] = 0
        return
    nb = (inner + BLOCK - 1) // BLOCK
    rows = n // inner
    ntask = rows * nb
    cdef const mg_act_table *t = _table(real_t is double)
    cdef mg_prelu_bwd_fn fn = t.prelu_bwd_nt if need_input and _stream(n, sizeof(real_t)) else t.prelu_bwd
    partial = <double *>malloc(ntask * sizeof(double))
    if partial == NULL:
        raise MemoryError()
    try:
        with nogil:
            for task in prange(ntask, num_threads=num_threads, use_threads_if=num_threads > 1,
                               schedule="static"):
                row = task // nb
                start = row * inner + (task % nb) * BLOCK
                length = min(<Py_ssize_t>BLOCK, (row + 1) * inner - start)
                dx = <char *>&grad_input[start] if need_input else NULL
                partial[task] = fn(&grad[start], &x[start], dx, length, weight[row % channels])
            for c in range(channels):
                acc = 0.0
                row = c
                while row < rows:
                    for task in range(row * nb, (row + 1) * nb):
                        acc = acc + partial[task]
                    row = row + channels
                grad_weight[c] = <real_t>acc
    finally:
        free(partial)
