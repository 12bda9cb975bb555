"""One training step of the LeNet-28 in BENCHMARKS.md (batch 64), minigrad vs torch CPU."""
import numpy as np

import minigrad
from benchmarks.common import Case, check_loss_like_torch, sgd_step_pair, torch


def _lenet(lib):
    n = lib.nn
    return n.Sequential(
        n.Conv2d(1, 16, 5, padding=2), n.ReLU(), n.MaxPool2d(2),
        n.Conv2d(16, 32, 5, padding=2), n.ReLU(), n.MaxPool2d(2),
        n.Flatten(), n.Linear(32 * 7 * 7, 128), n.ReLU(), n.Linear(128, 10))


def _step_case(batch, size):
    rng = np.random.default_rng(0)
    x = rng.random((batch, 1, size, size), dtype=np.float32)
    y = rng.integers(0, 10, batch)
    m_model = _lenet(minigrad)
    mg, t, t_model = sgd_step_pair(m_model, lambda: _lenet(torch), x, y)

    def check():
        # same weights -> same loss as torch; without torch, a finite loss near log(10)
        check_loss_like_torch(m_model, t_model, x, y, (1.0, 4.0))

    return Case("training", f"LeNet-28 SGD step (batch {batch})", mg, None, t, check,
                no_numpy_twin="a whole training step (autograd + optimizer)")


def cases(quick=False):
    return [_step_case(8 if quick else 64, 28)]
