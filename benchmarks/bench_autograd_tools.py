"""What anomaly mode and the profiler cost when on, side by side with both off, on the overhead
cases (tiny ops, MLP step) and the LeNet-28 step. Off, they cost one global check per op and
per backward node (measured against the tree without the hooks: see the issue's note).

    pytest benchmarks/bench_autograd_tools.py --benchmark-only
    python -m benchmarks.bench_autograd_tools       # interleaved medians and ratios to "off"
"""
import contextlib
import warnings

import pytest

import minigrad
from benchmarks.cases.overhead import cases as overhead_cases
from benchmarks.cases.training import cases as training_cases
from benchmarks.common import interleaved, set_threads, summarize
from minigrad.autograd import profiler

MODES = {
    "off": contextlib.nullcontext,
    "anomaly": lambda: minigrad.autograd.set_detect_anomaly(True),
    "profile": profiler.profile,
    "profile+shapes+memory+stack": lambda: profiler.profile(record_shapes=True, profile_memory=True, with_stack=True),
}


def _cases():
    return overhead_cases() + training_cases(quick=True)


def _in_mode(fn, mode):
    def run():
        with MODES[mode]():      # a profile per call: its results are built at exit, and that is timed too
            fn()
    return run


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("case", _cases(), ids=lambda c: c.name)
def test_autograd_tools(benchmark, case, mode):
    set_threads(1)
    case.check()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        benchmark(_in_mode(case.minigrad, mode))


def main(repeats=41):
    set_threads(1)
    for case in _cases():
        case.check()
        fns = {mode: _in_mode(case.minigrad, mode) for mode in MODES}
        times = {k: summarize(v)[0] for k, v in interleaved(fns, repeats=repeats, warmup=3).items()}
        print(f"{case.name}: " + ", ".join(f"{k} {v:.3f} ms ({v / times['off']:.2f}x)" for k, v in times.items()))


if __name__ == "__main__":
    main()
