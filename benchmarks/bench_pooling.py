"""pytest-benchmark suite: pooling on (64, 32, 56, 56) float32 (MINIGRAD_BENCH_QUICK=1: tiny
shapes, a smoke test). Run with `pytest benchmarks/bench_pooling.py --benchmark-only`.
Each case is checked against its reference before it is timed."""
import os

import pytest

from benchmarks.cases.pooling import cases
from benchmarks.common import set_threads

CASES = cases(quick=os.environ.get("MINIGRAD_BENCH_QUICK") == "1")


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_pooling(benchmark, case, threads):
    set_threads(threads)
    if case.check is not None:
        case.check()
    benchmark(case.minigrad)
