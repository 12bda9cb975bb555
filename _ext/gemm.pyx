"""Blocked, packed GEMM for float32 and float64 (the C lives in gemm_kernels.h).

    C := alpha * op(A) @ op(B) + beta * C

op(A) and op(B) are any strided views: a transposed operand is just a view with swapped strides
(A.T, np.swapaxes(B, -1, -2)), so NN, NT and TN all run without a copy. C needs unit stride in
its last dimension. Operands are 2-D (M, K) @ (K, N) -> (M, N), 3-D (batch, M, K) or 4-D
(batch1, batch2, M, K); a batch dimension of size 1 in A or B broadcasts against C's.

The implicit-GEMM convolution (conv_* below, from conv.pxi) lives in this module because it runs on
these micro-kernels: one ISA choice (set_isa) serves both.
"""
import numpy as np

cimport numpy as cnp
from _fused cimport real_t
from _openmp cimport minigrad_cpu_has

cnp.import_array()

cdef extern from "gemm_kernels.h" nogil:
    int mg_sgemm_batched(long nb1, long nb2, long M, long N, long K, float alpha, const float *A,
                         long sa1, long sa2, long rsa, long csa, const float *B, long sb1, long sb2,
                         long rsb, long csb, float beta, float *C, long sc1, long sc2, long ldc, int nt)
    int mg_dgemm_batched(long nb1, long nb2, long M, long N, long K, double alpha, const double *A,
                         long sa1, long sa2, long rsa, long csa, const double *B, long sb1, long sb2,
                         long rsb, long csb, double beta, double *C, long sc1, long sc2, long ldc, int nt)
    int mg_gemm_set_isa(int isa)
    const char *mg_gemm_isa_name()
    int mg_gemm_micro_shape(int dbl, int which)
    void mg_gemm_set_blocking(int dbl, long kc, long mc, long nc, double min_work, int jr_outer)
    int MG_GEMM_N_ISA

_ISA_CODES = {"auto": -1, "baseline": 0, "avx2": 1}


def set_isa(name="auto"):
    """Choose the micro-kernels: 'avx2' (AVX2+FMA), 'baseline' (portable C) or 'auto' (the best the
    CPU runs). Returns the name now in use. Meant for tests and benchmarks; not thread-safe
    against GEMMs running at the same moment."""
    if name not in _ISA_CODES:
        raise ValueError(f"set_isa: unknown ISA {name!r}; expected one of {sorted(_ISA_CODES)}")
    if mg_gemm_set_isa(_ISA_CODES[name]) < 0:
        raise RuntimeError(f"set_isa: {name!r} kernels are not available on this CPU/build")
    return get_isa()


def get_isa():
    """The name of the micro-kernels in use ('avx2' or 'baseline')."""
    return mg_gemm_isa_name().decode()


def available_isas():
    """ISA names this build has and this CPU can run."""
    names = ["baseline"]
    if MG_GEMM_N_ISA > 1 and minigrad_cpu_has(0):
        names.append("avx2")
    return names


def _set_blocking(dtype, long kc, long mc, long nc, double min_work, int jr_outer=1):
    """Benchmarks only: block limits KC/MC/NC (elements) for `dtype` and the multiply-add count
    below which a GEMM stays on one thread; loop order jr (B micro-panel) outside ir. Not thread-safe."""
    mg_gemm_set_blocking(np.dtype(dtype) == np.float64, kc, mc, nc, min_work, jr_outer)


def micro_tile(dtype):
    """(MR, NR) of the active micro-kernel for `dtype`."""
    dbl = np.dtype(dtype) == np.float64
    return mg_gemm_micro_shape(dbl, 0), mg_gemm_micro_shape(dbl, 1)


cdef int _gemm4(cnp.ndarray A, cnp.ndarray B, cnp.ndarray C, double alpha, double beta,
                int num_threads, bint dbl) except -2:
    """The 4-D call, straight from the arrays' data pointers and strides (no buffer protocol:
    a memoryview per operand costs microseconds, which small matrices notice)."""
    cdef cnp.npy_intp *sa = cnp.PyArray_STRIDES(A)
    cdef cnp.npy_intp *sb = cnp.PyArray_STRIDES(B)
    cdef cnp.npy_intp *sc = cnp.PyArray_STRIDES(C)
    cdef cnp.npy_intp *na = cnp.PyArray_DIMS(A)
    cdef cnp.npy_intp *nb = cnp.PyArray_DIMS(B)
    cdef cnp.npy_intp *nc = cnp.PyArray_DIMS(C)
    cdef long e = 8 if dbl else 4
    cdef long M = nc[2], N = nc[3], K = na[3]
    # Size-1 batch dims broadcast: stride 0 (their real stride may be anything).
    cdef long sa1 = 0 if na[0] == 1 else sa[0] // e
    cdef long sa2 = 0 if na[1] == 1 else sa[1] // e
    cdef long sb1 = 0 if nb[0] == 1 else sb[0] // e
    cdef long sb2 = 0 if nb[1] == 1 else sb[1] // e
    cdef void *pa = cnp.PyArray_DATA(A)
    cdef void *pb = cnp.PyArray_DATA(B)
    cdef void *pc = cnp.PyArray_DATA(C)
    cdef int rc
    with nogil:
        if dbl:
            rc = mg_dgemm_batched(nc[0], nc[1], M, N, K, alpha, <const double *>pa, sa1, sa2, sa[2] // e,
                                  sa[3] // e, <const double *>pb, sb1, sb2, sb[2] // e, sb[3] // e, beta,
                                  <double *>pc, sc[0] // e, sc[1] // e, sc[2] // e, num_threads)
        else:
            rc = mg_sgemm_batched(nc[0], nc[1], M, N, K, <float>alpha, <const float *>pa, sa1, sa2,
                                  sa[2] // e, sa[3] // e, <const float *>pb, sb1, sb2, sb[2] // e,
                                  sb[3] // e, <float>beta, <float *>pc, sc[0] // e, sc[1] // e, sc[2] // e,
                                  num_threads)
    return rc


def _as4(x):
    return x.reshape((1,) * (4 - x.ndim) + x.shape) if x.ndim < 4 else x


def gemm(A, B, C, double alpha=1.0, double beta=0.0, int num_threads=1):
    """C := alpha * A @ B + beta * C, in place on C (numpy.matmul's batch rules, no broadcasting
    of C). A (..., M, K), B (..., K, N), C (..., M, N) with 2 to 4 dims and one dtype (float32 or
    float64); A and B may be any strided views (transposes are free); C's last stride must be 1.
    beta == 0 never reads C. Returns C."""
    cdef int nd = C.ndim      # (no negative indices: the module is compiled with wraparound off)
    if not (2 <= nd <= 4 and A.ndim == nd and B.ndim == nd):
        raise ValueError(f"gemm: A, B, C must all be 2-D, 3-D or 4-D, got {A.ndim}, {B.ndim}, {C.ndim}")
    cs, as_, bs = C.shape, A.shape, B.shape
    if as_[nd - 2] != cs[nd - 2] or bs[nd - 2] != as_[nd - 1] or bs[nd - 1] != cs[nd - 1]:
        raise ValueError(f"gemm: shapes {as_} @ {bs} -> {cs} do not match")
    for d in range(nd - 2):
        if as_[d] != 1 and as_[d] != cs[d] or bs[d] != 1 and bs[d] != cs[d]:
            raise ValueError(f"gemm: batch dims of {as_} and {bs} do not broadcast to {cs}")
    dt = C.dtype
    if A.dtype != dt or B.dtype != dt or dt.char not in "fd":
        raise TypeError(f"gemm: dtypes must all be float32 or all float64, got {A.dtype}, {B.dtype}, {dt}")
    if C.size == 0:
        return C
    if C.strides[nd - 1] != C.itemsize:
        raise ValueError("gemm: C must have unit stride in its last dimension")
    if A.size == 0 or B.size == 0:     # K == 0: nothing to multiply, and no element to point at
        C[...] = 0 if beta == 0 else beta * C
        return C
    if nd < 4:
        A, B, C4 = _as4(A), _as4(B), _as4(C)
    else:
        C4 = C
    if not C4.flags.writeable:
        raise ValueError("gemm: C is read-only")
    rc = _gemm4(A, B, C4, alpha, beta, num_threads, dt.char == "d")
    if rc != 0:
        raise MemoryError("gemm: could not allocate packing buffers")
    return C


include "conv.pxi"

mg_gemm_set_isa(-1)
