"""One place that decides how many threads a kernel gets.

Rules (after scikit-learn's _openmp_effective_n_threads):
- `set_num_threads(n)` wins; otherwise MINIGRAD_NUM_THREADS, then OMP_NUM_THREADS, then the
  number of cores this process may run on.
- A build without OpenMP always uses 1.
- `threads_for(n, threshold)`: work below `threshold` elements runs on one thread, because
  waking an OpenMP team (~2-5 us) costs more than it saves on small tensors. Thresholds live
  next to each op and were chosen from the benchmarks.
"""
import os

from ._C import parallel as _cparallel

OPENMP = _cparallel.openmp_enabled()

# Elements below which an element-wise kernel stays on one thread. Measured (relu, float32, quiet
# 2-core Zen VM): 16k elements t1 4.2 us vs t2 5.2 us; 32k 11.4 vs 9.7; 64k 21.4 vs 16.4. The
# crossover is ~32k; 64k leaves a margin for a busy machine, where waking a thread costs more.
ELEMENTWISE_THRESHOLD = 1 << 16


def _default_threads():
    for var in ("MINIGRAD_NUM_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(var, "").split(",")[0].strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - non-Linux
        return os.cpu_count() or 1


_num_threads = _default_threads() if OPENMP else 1


def set_num_threads(n):
    """Set the number of threads every minigrad kernel may use (n >= 1)."""
    global _num_threads
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"set_num_threads: n must be an int, got {type(n).__name__}")
    if n < 1:
        raise ValueError(f"set_num_threads: n must be >= 1, got {n}")
    _num_threads = n if OPENMP else 1


def get_num_threads():
    """The number of threads kernels may use (always 1 in a build without OpenMP)."""
    return _num_threads


def threads_for(n_work, threshold=ELEMENTWISE_THRESHOLD):
    """Threads for a job of `n_work` elements: 1 below `threshold`, else get_num_threads()."""
    return 1 if n_work < threshold else _num_threads
