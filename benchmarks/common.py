"""Shared benchmark machinery: cases, interleaved timing, thread control for all three libraries.

A Case names one op at one shape and gives three callables built from the same data:
minigrad's, NumPy's (the plain expression, with the backward written by hand for fwd+bwd
cases) and torch's (or None when torch is missing). A case with no NumPy twin must say why in
`no_numpy_twin` (a whole training step, say), so a missing column is a decision, not an
oversight. `check()` compares minigrad's result with the reference before anything is timed:
a benchmark of a wrong answer is worthless.
"""
import os
import statistics
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

os.environ.setdefault("GOMP_SPINCOUNT", "20000")        # bound both spin phases before the
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")   # runtimes load (KERNELS.md)

import numpy as np  # noqa: E402

import minigrad  # noqa: E402

try:
    import torch  # noqa: E402
except ImportError:
    torch = None

try:
    from threadpoolctl import threadpool_limits  # noqa: E402
except ImportError:
    threadpool_limits = None


@dataclass
class Case:
    family: str                      # "gemm", "pooling", "activations", "conv", ...
    name: str                        # "MaxPool2d(2,2) fwd"
    minigrad: Callable[[], object]
    numpy: Optional[Callable[[], object]] = None
    torch: Optional[Callable[[], object]] = None
    check: Optional[Callable[[], None]] = None   # raises AssertionError if minigrad is wrong
    flops: Optional[float] = None    # for GFLOP/s of compute-bound cases
    bytes: Optional[float] = None    # bytes moved, for the bandwidth fraction of memory-bound cases
    extra: dict = field(default_factory=dict)
    no_numpy_twin: Optional[str] = None   # why `numpy` is None; the report refuses a silent None
    anchors: dict = field(default_factory=dict)   # more callables timed alongside: {"copy": fn}


def set_threads(n):
    """Give all three libraries n threads."""
    minigrad.set_num_threads(n)
    if torch is not None:
        torch.set_num_threads(n)
    if threadpool_limits is not None:
        threadpool_limits(n)


def interleaved(fns, repeats=15, warmup=2, min_time=0.0):
    """Time several callables round-robin (so drift hits all alike). Returns {key: [seconds]}."""
    for _ in range(warmup):
        for f in fns.values():
            f()
    times = {k: [] for k in fns}
    for _ in range(repeats):
        for k, f in fns.items():
            t0 = time.perf_counter()
            f()
            times[k].append(time.perf_counter() - t0)
    return times


def summarize(samples):
    """median, min, max in milliseconds."""
    ms = [s * 1e3 for s in samples]
    return statistics.median(ms), min(ms), max(ms)


def run_case(case, repeats=15, warmup=2):
    """Check, then time minigrad / numpy / torch interleaved. Returns a dict of medians (ms)."""
    if case.check is not None:
        case.check()
    fns = {"minigrad": case.minigrad}
    if case.numpy is not None:
        fns["numpy"] = case.numpy
    if case.torch is not None and torch is not None:
        fns["torch"] = case.torch
    fns.update(case.anchors)
    times = interleaved(fns, repeats, warmup)
    return {k: summarize(v) for k, v in times.items()}


def copy_of(nbytes):
    """A plain copy of `nbytes` (half read, half written) between two preallocated buffers, on
    minigrad's current thread count (NumPy's copy, one contiguous half per thread): the memory
    floor a memory-bound kernel moving the same bytes is measured against."""
    from concurrent.futures import ThreadPoolExecutor
    n = max(int(nbytes) // 8, 1)
    src, dst = np.ones(n, np.float32), np.empty(n, np.float32)
    pool = ThreadPoolExecutor(2)

    def copy():
        t = minigrad.get_num_threads()
        if t == 1:
            np.copyto(dst, src)
            return dst
        cuts = np.linspace(0, n, t + 1).astype(int)
        jobs = [pool.submit(np.copyto, dst[a:b], src[a:b]) for a, b in zip(cuts[1:-1], cuts[2:])]
        np.copyto(dst[:cuts[1]], src[:cuts[1]])
        for j in jobs:
            j.result()
        return dst
    return copy


def check_loss_like_torch(m_model, t_model, x, y, plausible):
    """The minigrad model's cross-entropy on (x, y) equals torch's from the same weights (copied
    into t_model first); without torch, it is finite and inside the `plausible` (lo, hi)."""
    import minigrad.nn.functional as F
    with minigrad.no_grad():
        loss = F.cross_entropy(m_model(minigrad.tensor(x)), minigrad.tensor(y)).item()
    if t_model is None:
        assert np.isfinite(loss) and plausible[0] < loss < plausible[1], loss
        return
    t_model.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in m_model.state_dict().items()})
    with torch.no_grad():
        ref = torch.nn.functional.cross_entropy(t_model(torch.from_numpy(x)), torch.from_numpy(y)).item()
    assert abs(loss - ref) < 1e-4 * max(1.0, abs(ref)), (loss, ref)


def sgd_step_pair(m_model, make_torch_model, x, y, lr=0.01, momentum=0.9):
    """One training step (zero_grad, forward, cross-entropy, backward, SGD step) for a minigrad
    model and, when torch is importable, for the same architecture in torch holding the same
    weights. Returns (minigrad_step, torch_step or None, torch_model or None)."""
    import minigrad.nn.functional as F
    m_opt = minigrad.optim.SGD(m_model.parameters(), lr=lr, momentum=momentum)
    xm, ym = minigrad.tensor(x), minigrad.tensor(y)

    def mg():
        m_opt.zero_grad()
        F.cross_entropy(m_model(xm), ym).backward()
        m_opt.step()

    if torch is None:
        return mg, None, None
    t_model = make_torch_model()
    t_model.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in m_model.state_dict().items()})
    t_opt = torch.optim.SGD(t_model.parameters(), lr=lr, momentum=momentum)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def t():
        t_opt.zero_grad()
        torch.nn.functional.cross_entropy(t_model(xt), yt).backward()
        t_opt.step()

    return mg, t, t_model
