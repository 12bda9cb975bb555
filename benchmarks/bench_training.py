"""pytest-benchmark suite: one LeNet-28 training step. `pytest benchmarks/bench_training.py --benchmark-only`."""
import pytest

from benchmarks.cases.training import cases
from benchmarks.common import set_threads


@pytest.mark.parametrize("threads", [1, 2])
def test_lenet_step(benchmark, threads):
    set_threads(threads)
    case, = cases()
    case.check()
    benchmark(case.minigrad)
