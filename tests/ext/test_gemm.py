"""minigrad._C.gemm against tests/reference_gemm.py: odd sizes, every transpose case, both ISA
paths, batches with broadcasting, strided C, alpha/beta, and bit-identical results at 1 vs 2 threads."""
import numpy as np
import pytest

from minigrad._C import gemm as G
import reference_gemm as R

ISAS = G.available_isas()
EPS = {np.float32: np.finfo(np.float32).eps, np.float64: np.finfo(np.float64).eps}


@pytest.fixture(params=ISAS)
def isa(request):
    G.set_isa(request.param)
    yield request.param
    G.set_isa("auto")


def _operand(rng, shape, dtype, transposed):
    """A (rows, cols) operand; transposed=True gives a strided view of a (cols, rows) array."""
    if transposed:
        return rng.uniform(-1, 1, size=shape[::-1]).astype(dtype).T
    return rng.uniform(-1, 1, size=shape).astype(dtype)


def _assert_close(got, A, B, C0=None, alpha=1.0, beta=0.0):
    """|got - exact| <= 4·eps·√K·(|alpha|·|A||B| + |beta|·|C0|): the error a length-K dot product may
    make in this precision (rounding grows like √K), elementwise."""
    K = A.shape[-1]
    want = R.gemm(A, B, C0, alpha, beta)
    bound = abs(alpha) * np.matmul(np.abs(A).astype(np.float64), np.abs(B))
    if beta != 0:
        bound = bound + abs(beta) * np.abs(C0)
    tol = 4 * EPS[got.dtype.type] * np.sqrt(max(K, 1)) * bound + np.finfo(got.dtype).tiny
    err = np.abs(got - want)
    assert np.all(err <= tol), f"max error {err.max():.3g}, allowed {tol.flat[np.argmax(err - tol)]:.3g}"


SIZES = [(1, 1, 1), (1, 7, 17), (7, 17, 5), (17, 7, 255), (13, 255, 257), (257, 13, 33), (6, 16, 384),
         (65, 33, 1000)]


@pytest.mark.parametrize("case", ["NN", "NT", "TN", "TT"])
@pytest.mark.parametrize("mnk", SIZES, ids=lambda s: "x".join(map(str, s)))
def test_gemm_matches_reference(isa, dtype, case, mnk):
    M, N, K = mnk
    rng = np.random.default_rng(M * 1000 + N * 10 + K)
    A = _operand(rng, (M, K), dtype, case[0] == "T")
    B = _operand(rng, (K, N), dtype, case[1] == "T")
    C = np.full((M, N), np.nan, dtype)        # beta = 0 must not read C
    G.gemm(A, B, C, num_threads=2)
    _assert_close(C, A, B)


@pytest.mark.parametrize("alpha,beta", [(1.0, 1.0), (0.5, -2.0), (-1.0, 0.0), (0.0, 0.5)])
def test_alpha_beta(isa, dtype, alpha, beta):
    rng = np.random.default_rng(1)
    A, B = _operand(rng, (19, 300), dtype, False), _operand(rng, (300, 23), dtype, True)
    C0 = rng.uniform(-1, 1, size=(19, 23)).astype(dtype)
    C = C0.copy()
    G.gemm(A, B, C, alpha, beta, 2)
    _assert_close(C, A, B, C0, alpha, beta)


def test_batched_broadcast_and_strided_views(isa, dtype):
    rng = np.random.default_rng(2)
    A = rng.uniform(-1, 1, size=(3, 1, 9, 20)).astype(dtype)          # broadcast over batch dim 1
    B = rng.uniform(-1, 1, size=(1, 4, 30, 20)).astype(dtype).swapaxes(-1, -2)   # (1, 4, 20, 30), NT
    big = np.zeros((3, 4, 9, 40), dtype)
    C = big[..., 5:35]                                                # rows strided by 40
    G.gemm(A, B, C, num_threads=2)
    _assert_close(C, np.broadcast_to(A, (3, 4, 9, 20)), np.broadcast_to(B, (3, 4, 20, 30)))
    assert not big[..., :5].any() and not big[..., 35:].any(), "wrote outside C"
    # Negative strides are just strides.
    A2 = rng.uniform(-1, 1, size=(11, 13)).astype(dtype)[::-1, ::-2]
    B2 = rng.uniform(-1, 1, size=(7, 5)).astype(dtype)
    C2 = np.empty((11, 5), dtype)
    G.gemm(A2, B2, C2)
    _assert_close(C2, A2, B2)


def test_large_blocks_cross_kc_and_nc(dtype):
    """K above KC (several K blocks accumulate through beta = 1) and N above NC."""
    rng = np.random.default_rng(3)
    for M, N, K in [(9, 4100, 7), (13, 29, 1300)]:
        A, B = _operand(rng, (M, K), dtype, False), _operand(rng, (K, N), dtype, False)
        C = np.empty((M, N), dtype)
        G.gemm(A, B, C, num_threads=2)
        _assert_close(C, A, B)


def test_empty_dims(dtype):
    C = np.full((3, 4), 2.0, dtype)
    G.gemm(np.empty((3, 0), dtype), np.empty((0, 4), dtype), C, 1.0, 0.5)
    np.testing.assert_array_equal(C, 1.0)          # K = 0: C := beta * C
    G.gemm(np.empty((3, 0), dtype), np.empty((0, 4), dtype), C, 1.0, 0.0)
    np.testing.assert_array_equal(C, 0.0)
    G.gemm(np.empty((0, 5), dtype), np.empty((5, 4), dtype), np.empty((0, 4), dtype))


@pytest.mark.parametrize("mnk,batch", [((300, 200, 500), 1), ((8, 1000, 300), 1), ((250, 7, 999), 1),
                                       ((40, 50, 60), 6)], ids=["split-rows", "split-cols", "tall", "batched"])
def test_bit_identical_at_1_and_2_threads(isa, dtype, mnk, batch):
    M, N, K = mnk
    rng = np.random.default_rng(4)
    A = rng.uniform(-1, 1, size=(batch, M, K)).astype(dtype)
    B = rng.uniform(-1, 1, size=(batch, N, K)).astype(dtype).swapaxes(1, 2)
    C1, C2 = np.empty((batch, M, N), dtype), np.empty((batch, M, N), dtype)
    G.gemm(A, B, C1, num_threads=1)
    for _ in range(3):       # a race would show up as a difference now and then
        G.gemm(A, B, C2, num_threads=2)
        np.testing.assert_array_equal(C1, C2)


def test_isa_paths_agree_and_selection():
    rng = np.random.default_rng(5)
    A, B = rng.standard_normal((31, 77)), rng.standard_normal((77, 45))
    results = {}
    for name in ISAS:
        assert G.set_isa(name) == name == G.get_isa()
        assert G.micro_tile(np.float64)[0] >= 1
        results[name] = G.gemm(A, B, np.empty((31, 45)))
    G.set_isa("auto")
    for r in results.values():
        _assert_close(r, A, B)
    with pytest.raises(ValueError, match="unknown ISA"):
        G.set_isa("avx1024")


def test_argument_checks():
    f = np.zeros((2, 3), np.float32)
    with pytest.raises(ValueError, match="do not match"):
        G.gemm(f, f, np.zeros((2, 3), np.float32))
    with pytest.raises(TypeError, match="dtypes"):
        G.gemm(f, np.zeros((3, 2)), np.zeros((2, 2), np.float32))
    with pytest.raises(ValueError, match="unit stride"):
        G.gemm(f, np.zeros((3, 4), np.float32), np.zeros((4, 2), np.float32).T)
