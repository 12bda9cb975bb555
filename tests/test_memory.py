"""Memory: a training run's resident size levels off, and an autograd graph is freed by reference
counting alone as soon as its output is dropped, also after a backward that raised."""
import gc
import os
import sys
import weakref

import numpy as np
import pytest

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.autograd import Function

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "examples"))
from train_digits import lenet  # noqa: E402


def _rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads /proc/self/statm (Linux only)")
def test_training_memory_stops_growing_after_warm_up():
    minigrad.manual_seed(0)
    rng = np.random.default_rng(0)
    x = minigrad.from_numpy(rng.standard_normal((64, 1, 8, 8)).astype(np.float32))
    y = minigrad.from_numpy(rng.integers(0, 10, 64))
    model = lenet(8)
    opt = minigrad.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    rss = {}
    for step in range(1, 301):
        i = (step * 8) % 64
        loss = F.cross_entropy(model(x[i:i + 8]), y[i:i + 8])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step in (100, 300):
            rss[step] = _rss_bytes()
    growth = rss[300] - rss[100]
    print(f"RSS at step 100: {rss[100] / 2**20:.1f} MiB, growth to step 300: {growth / 2**10:.0f} KiB")
    # a leak of one graph per step (activations, saved columns: ~100 KiB here) would be ~20 MiB
    assert growth < 2 * 2**20, f"resident memory grew by {growth / 2**20:.1f} MiB from step 100 to 300"
    assert np.isfinite(loss.item())


@pytest.fixture
def no_gc():
    """Only reference counting may free the graph: the cycle collector is off."""
    was = gc.isenabled()
    gc.collect()
    gc.disable()
    yield
    if was:
        gc.enable()


def test_graph_is_freed_when_its_output_is_dropped(no_gc):
    w = minigrad.randn(4, 3, requires_grad=True)
    out = F.relu(minigrad.randn(2, 4) @ w).sum()
    node = weakref.ref(out.grad_fn)
    inner = weakref.ref(out.grad_fn.next_functions[0][0])
    del out
    assert node() is None and inner() is None


def test_graph_is_freed_after_backward(no_gc):
    w = minigrad.randn(4, 3, requires_grad=True)
    out = (minigrad.randn(2, 4) @ w).exp().sum()
    node = weakref.ref(out.grad_fn)
    out.backward()
    del out
    assert node() is None
    assert w.grad is not None


class _RaisesInBackward(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * 2

    @staticmethod
    def backward(ctx, grad):
        raise ValueError("backward failed on purpose")


def test_graph_is_freed_after_a_backward_that_raised(no_gc):
    w = minigrad.randn(3, requires_grad=True)
    out = _RaisesInBackward.apply(w.exp()).sum()
    node = weakref.ref(out.grad_fn)
    custom = weakref.ref(out.grad_fn.next_functions[0][0])
    try:
        out.backward()
    except ValueError as exc:
        assert "on purpose" in str(exc)
    else:
        pytest.fail("backward did not raise")
    del out
    assert node() is None and custom() is None
    # the engine is usable afterwards
    z = (w * 3).sum()
    z.backward()
    np.testing.assert_allclose(w.grad.numpy(), np.full(3, 3.0))


def test_a_model_and_its_last_graph_are_freed(no_gc):
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    loss = model(minigrad.randn(5, 4)).sum()
    loss.backward()
    refs = [weakref.ref(model), weakref.ref(loss.grad_fn)] + [weakref.ref(p) for p in model.parameters()]
    del model, loss
    gc.enable()   # a Module may hold reference cycles (hooks, parent links): the collector may run
    gc.collect()
    assert all(r() is None for r in refs)
