"""Blocked, packed GEMM for float32 and float64 (the C lives in gemm_kernels.h).

    C := alpha * op(A) @ op(B) + beta * C

op(A) and op(B) are any strided views: a transposed operand is just a view with swapped strides
(A.T, np.swapaxes(B, -1, -2)), so NN, NT and TN all run without a copy. C needs unit stride in
its last dimension. Operands are 2-D (M, K) @ (K, N) -> (M, N), 3-D (batch, M, K) or 4-D
(batch1, batch2, M, K); a batch dimension of size 1 in A or B broadcasts against C's.
"""
import numpy as np

from _fused cimport real_t
from _openmp cimport minigrad_cpu_has

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


cdef int _gemm4(const real_t[:, :, :, :] A, const real_t[:, :, :, :] B, real_t[:, :, :, :] C,
                double alpha, double beta, int num_threads) except -2:
    cdef long M = C.shape[2], N = C.shape[3], K = A.shape[3]
    cdef long e = sizeof(real_t)
    # Size-1 batch dims broadcast: stride 0 (their real stride may be anything).
    cdef long sa1 = 0 if A.shape[0] == 1 else A.strides[0] // e
    cdef long sa2 = 0 if A.shape[1] == 1 else A.strides[1] // e
    cdef long sb1 = 0 if B.shape[0] == 1 else B.strides[0] // e
    cdef long sb2 = 0 if B.shape[1] == 1 else B.strides[1] // e
    cdef int rc
    with nogil:
        if real_t is float:
            rc = mg_sgemm_batched(C.shape[0], C.shape[1], M, N, K, <float>alpha, &A[0, 0, 0, 0], sa1, sa2,
                                  A.strides[2] // e, A.strides[3] // e, &B[0, 0, 0, 0], sb1, sb2,
                                  B.strides[2] // e, B.strides[3] // e, <float>beta, &C[0, 0, 0, 0],
                                  C.strides[0] // e, C.strides[1] // e, C.strides[2] // e, num_threads)
        else:
            rc = mg_dgemm_batched(C.shape[0], C.shape[1], M, N, K, alpha, &A[0, 0, 0, 0], sa1, sa2,
                                  A.strides[2] // e, A.strides[3] // e, &B[0, 0, 0, 0], sb1, sb2,
                                  B.strides[2] // e, B.strides[3] // e, beta, &C[0, 0, 0, 0],
                                  C.strides[0] // e, C.strides[1] // e, C.strides[2] // e, num_threads)
    return rc


def _as4(x):
    return x.reshape((1,) * (4 - x.ndim) + x.shape) if x.ndim < 4 else x


def gemm(A, B, C, double alpha=1.0, double beta=0.0, int num_threads=1):
    """C := alpha * A @ B + beta * C, in place on C (numpy.matmul's batch rules, no broadcasting
    of C). A (..., M, K), B (..., K, N), C (..., M, N) with 2 to 4 dims and one dtype (float32 or
    float64); A and B may be any strided views (transposes are free); C's last stride must be 1.
    beta == 0 never reads C. Returns C."""
    if not (2 <= C.ndim <= 4 and A.ndim == C.ndim and B.ndim == C.ndim):
        raise ValueError(f"gemm: A, B, C must all be 2-D, 3-D or 4-D, got {A.ndim}, {B.ndim}, {C.ndim}")
    cdef int nd = C.ndim      # (no negative indices: the module is compiled with wraparound off)
    M, N, K = C.shape[nd - 2], C.shape[nd - 1], A.shape[nd - 1]
    if A.shape[nd - 2] != M or B.shape[nd - 2] != K or B.shape[nd - 1] != N:
        raise ValueError(f"gemm: shapes {A.shape} @ {B.shape} -> {C.shape} do not match")
    for X in (A, B):
        for d in range(nd - 2):
            if X.shape[d] not in (1, C.shape[d]):
                raise ValueError(f"gemm: batch dims of {X.shape} do not broadcast to {C.shape}")
    if A.dtype != C.dtype or B.dtype != C.dtype or C.dtype not in (np.float32, np.float64):
        raise TypeError(f"gemm: dtypes must all be float32 or all float64, got {A.dtype}, {B.dtype}, {C.dtype}")
    if C.size == 0:
        return C
    if C.strides[nd - 1] != C.itemsize:
        raise ValueError("gemm: C must have unit stride in its last dimension")
    if A.size == 0 or B.size == 0:     # K == 0: nothing to multiply, and no element to point at
        C[...] = 0 if beta == 0 else beta * C
        return C
    if C.dtype == np.float32:
        rc = _gemm4[float](_as4(A), _as4(B), _as4(C), alpha, beta, num_threads)
    else:
        rc = _gemm4[double](_as4(A), _as4(B), _as4(C), alpha, beta, num_threads)
    if rc != 0:
        raise MemoryError("gemm: could not allocate packing buffers")
    return C


mg_gemm_set_isa(-1)
