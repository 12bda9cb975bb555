"""A whole training step against torch: same weights in both, a few optimizer steps, same parameters."""
import numpy as np
import pytest

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from tests.helpers import needs_torch, torch


def _model(lib):
    n = lib.nn
    return n.Sequential(n.Conv2d(1, 4, 3, padding=1), n.ReLU(), n.MaxPool2d(2),
                        n.Conv2d(4, 6, 3, padding=1), n.PReLU(), n.MaxPool2d(2),
                        n.Flatten(), n.Linear(6 * 2 * 2, 16), n.Tanh(), n.Linear(16, 10))


@needs_torch
@pytest.mark.parametrize("opt_name,kwargs", [
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3)),
    ("Adam", dict(lr=1e-2)),
    ("AdamW", dict(lr=1e-2, weight_decay=0.05)),
])
def test_training_steps_match_torch(opt_name, kwargs):
    rng = np.random.default_rng(0)
    m = _model(minigrad)
    t = _model(torch)
    t.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in m.state_dict().items()})   # minigrad -> torch
    mo = getattr(minigrad.optim, opt_name)(m.parameters(), **kwargs)
    to = getattr(torch.optim, opt_name)(t.parameters(), **kwargs)
    for step in range(4):
        x = rng.random((8, 1, 8, 8), dtype=np.float32)
        y = rng.integers(0, 10, 8)
        mo.zero_grad()
        ml = F.cross_entropy(m(minigrad.tensor(x)), minigrad.tensor(y))
        ml.backward()
        mo.step()
        to.zero_grad()
        tl = torch.nn.functional.cross_entropy(t(torch.from_numpy(x)), torch.from_numpy(y))
        tl.backward()
        to.step()
        assert abs(ml.item() - tl.item()) < 1e-4
    tsd = t.state_dict()
    for k, v in m.state_dict().items():
        np.testing.assert_allclose(v, tsd[k].numpy(), atol=1e-4, rtol=1e-4, err_msg=k)
    m2 = _model(minigrad)                                                                   # torch -> minigrad
    m2.load_state_dict({k: v.numpy() for k, v in tsd.items()})
    x = rng.random((4, 1, 8, 8), dtype=np.float32)
    with minigrad.no_grad(), torch.no_grad():
        np.testing.assert_allclose(m2(minigrad.tensor(x)).numpy(), t(torch.from_numpy(x)).numpy(), atol=1e-5)
