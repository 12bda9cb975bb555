"""pytest-benchmark suite: Linear 64×784→256 and the Conv2d shapes of benchmarks/cases/conv.py (LeNet
conv1 and conv2, a 3×3 32→64 layer), forward and forward+backward, 1 and 2 threads. Run with `pytest benchmarks/bench_conv.py --benchmark-only`;
for the table against torch, `python -m benchmarks.cases.conv`."""
import pytest

from benchmarks.cases.conv import cases
from benchmarks.common import set_threads

CASES = cases()


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_conv(benchmark, case, threads):
    set_threads(threads)
    case.check()
    benchmark(case.minigrad)
