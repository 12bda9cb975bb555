"""pytest-benchmark suite: one LeNet-28 training step, one digits epoch.
`pytest benchmarks/bench_training.py --benchmark-only`."""
import pytest

from benchmarks.cases.training import cases
from benchmarks.common import set_threads

CASES = cases()


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_training(benchmark, case, threads):
    set_threads(threads)
    case.check()
    benchmark(case.minigrad)
