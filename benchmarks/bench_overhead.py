"""pytest-benchmark suite: framework overhead (tiny ops, small MLP step). Run with
`pytest benchmarks/bench_overhead.py --benchmark-only`."""
import pytest

from benchmarks.cases.overhead import cases
from benchmarks.common import set_threads

CASES = cases()


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_overhead(benchmark, case, threads):
    set_threads(threads)
    case.check()
    benchmark(case.minigrad)
