"""The build is what we think it is: kernels import, OpenMP is compiled in, threads are honoured."""
import os

import numpy as np
import pytest

import minigrad
from minigrad._C import elementwise, parallel


@pytest.mark.skipif(os.environ.get("MINIGRAD_SKIP_OPENMP_TEST") == "1", reason="MINIGRAD_SKIP_OPENMP_TEST=1")
def test_openmp_parallelism_enabled():
    # Fails loudly in CI if the build silently lost OpenMP (sklearn's test_build idea).
    assert parallel.openmp_enabled(), "minigrad was built without OpenMP (see the build warning)"
    assert minigrad.config()["openmp"] is True


def test_config_reports_build():
    cfg = minigrad.config()
    for key in ("compiler", "openmp", "num_threads", "cpu", "kernels"):
        assert key in cfg
    assert set(cfg["cpu"]) == {"avx2", "avx512f"}


def test_set_num_threads_roundtrip_and_errors():
    minigrad.set_num_threads(1)
    assert minigrad.get_num_threads() == 1
    minigrad.set_num_threads(2)
    assert minigrad.get_num_threads() == (2 if parallel.openmp_enabled() else 1)
    with pytest.raises(ValueError, match="n must be >= 1, got 0"):
        minigrad.set_num_threads(0)
    with pytest.raises(TypeError):
        minigrad.set_num_threads(1.5)


def test_default_threads_follow_environment(monkeypatch):
    from minigrad import _parallel
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    monkeypatch.delenv("MINIGRAD_NUM_THREADS", raising=False)
    assert _parallel._default_threads() == 3
    monkeypatch.setenv("MINIGRAD_NUM_THREADS", "5")
    assert _parallel._default_threads() == 5


def test_threads_for_threshold():
    from minigrad import _parallel
    minigrad.set_num_threads(2)
    assert _parallel.threads_for(10) == 1
    assert _parallel.threads_for(10**7) == minigrad.get_num_threads()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [0, 1, 17, 100_003])
def test_axpy_kernel_matches_numpy_and_is_thread_independent(dtype, n):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(n).astype(dtype)
    y0 = rng.standard_normal(n).astype(dtype)
    results = []
    for threads in (1, 2):
        y = y0.copy()
        elementwise.axpy(0.5, x, y, threads)
        results.append(y)
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_allclose(results[0], y0 + dtype(0.5) * x, rtol=1e-6 if dtype == np.float32 else 1e-15)


def test_large_gradient_accumulation_uses_kernel_and_is_exact():
    w = minigrad.randn(300, 300, requires_grad=True)
    (w * 2).sum().backward()
    (w * 3).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.full((300, 300), 5, np.float32))
