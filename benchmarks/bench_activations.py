"""pytest-benchmark suite: activations on (64, 32, 56, 56) float32, forward and forward+backward,
at 1 and 2 threads. Run with `pytest benchmarks/bench_activations.py --benchmark-only`; the
interleaved minigrad/NumPy/torch ratios come from `python benchmarks/report.py --only activations`."""
import pytest

from benchmarks.cases.activations import cases
from benchmarks.common import set_threads

CASES = cases()


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_activations(benchmark, case, threads):
    set_threads(threads)
    case.check()
    benchmark(case.minigrad)
