"""The caching allocator (minigrad._C.alloc behind minigrad.memory): reuse, zeroing, realloc,
the limit, empty_cache, threads, the opt-out, and a training run whose memory stays flat and
whose numbers do not depend on the allocator."""
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad import memory
from minigrad._C import alloc as _alloc

MIN = _alloc.MIN_CACHED_BYTES
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
try:
    from numpy._core.multiarray import get_handler_name
except ImportError:   # NumPy 1.x
    from numpy.core.multiarray import get_handler_name


@pytest.fixture(autouse=True)
def caching():
    """Each test starts with the cache on (also where MINIGRAD_CACHING_ALLOCATOR=0, as under
    .ci/sanitize) and empty, and leaves the process as it found it."""
    was = memory.memory_stats()
    memory.set_caching_allocator_enabled(True)
    memory.empty_cache()
    yield
    memory.set_cache_limit(was["cache_limit_bytes"])
    memory.set_caching_allocator_enabled(was["enabled"] and was["installed"])
    memory.empty_cache()


def stats():
    return memory.memory_stats()


def big(n_floats=(3 * MIN - 4096) // 4):
    return np.empty(n_floats, np.float32)


def test_stats_and_config_report_the_allocator():
    s = stats()
    for key in ("enabled", "installed", "min_cached_block_bytes", "cache_limit_bytes", "allocated_bytes",
                "allocated_bytes_peak", "cached_bytes", "cached_blocks", "hits", "misses", "evictions"):
        assert key in s
    assert s["enabled"] and s["installed"] and s["min_cached_block_bytes"] == MIN
    assert get_handler_name() == _alloc.HANDLER_NAME
    assert minigrad.config()["allocator"]["enabled"] is True
    assert minigrad.memory_stats is memory.memory_stats and minigrad.empty_cache is memory.empty_cache


def test_a_freed_block_serves_the_next_request_of_its_size_class():
    a = big()
    s0 = stats()
    assert s0["allocated_bytes"] >= a.nbytes
    del a
    s1 = stats()
    assert s1["cached_blocks"] == 1 and s1["cached_bytes"] >= MIN and s1["allocated_bytes"] == s0["allocated_bytes"] - s1["cached_bytes"]
    b = np.ones(3 * MIN // 4, np.float32)           # 4 KiB larger: the same class (3/2 * 256 KiB)
    s2 = stats()
    assert s2["hits"] == s1["hits"] + 1 and s2["misses"] == s1["misses"] and s2["cached_blocks"] == 0
    np.testing.assert_array_equal(b, 1)
    c = np.empty(MIN * 4, np.uint8)                 # another class: a miss
    assert stats()["misses"] == s2["misses"] + 1
    del b, c


def test_small_arrays_bypass_the_cache():
    s0 = stats()
    a = np.ones(MIN // 8 - 1, np.float64)           # just under the threshold
    del a
    s1 = stats()
    assert (s1["hits"], s1["misses"], s1["cached_blocks"]) == (s0["hits"], s0["misses"], 0)


def test_zeros_from_a_reused_block_are_zeros():
    a = np.full(MIN, 7.0, np.float32)
    del a
    hits = stats()["hits"]
    z = np.zeros(MIN, np.float32)                  # calloc on the dirty block
    assert stats()["hits"] == hits + 1
    assert not z.any()


@pytest.mark.parametrize("start,end", [(10, MIN), (MIN, 3 * MIN), (3 * MIN, 2 * MIN), (3 * MIN, 10), (MIN, MIN + 8)])
def test_realloc_keeps_the_data(start, end):
    a = np.arange(start, dtype=np.uint8)
    a.resize(end, refcheck=False)                  # NumPy's realloc
    n = min(start, end)
    np.testing.assert_array_equal(a[:n], np.arange(n, dtype=np.uint8))
    if end > start:
        assert not a[start:].any()                 # resize zero-fills the growth


def test_empty_cache_returns_the_memory():
    arrays = [np.ones(8 << 20, np.uint8) for _ in range(4)]   # 32 MiB, touched
    del arrays
    assert stats()["cached_bytes"] >= 32 << 20
    rss = _rss()
    memory.empty_cache()
    assert stats()["cached_bytes"] == 0 and stats()["cached_blocks"] == 0
    if rss is not None:
        assert _rss() < rss - (24 << 20)


def test_the_limit_bounds_the_cache_and_evicts_the_oldest():
    memory.set_cache_limit(3 * MIN)
    blocks = [np.ones(MIN, np.uint8) for _ in range(5)]
    ev = stats()["evictions"]
    addresses = [b.ctypes.data for b in blocks]
    for i in range(5):
        blocks[i] = None                            # freed in order: 0 is the oldest
    s = stats()
    assert s["cached_bytes"] <= 3 * MIN and s["cached_blocks"] == 3 and s["evictions"] == ev + 2
    assert np.empty(MIN, np.uint8).ctypes.data == addresses[4]   # the most recently freed first
    memory.set_cache_limit(0)                       # lowering the limit evicts at once
    assert stats()["cached_bytes"] == 0
    a = np.ones(MIN, np.uint8)
    del a
    assert stats()["cached_bytes"] == 0
    with pytest.raises(ValueError, match="max_bytes must be >= 0"):
        memory.set_cache_limit(-1)
    with pytest.raises(TypeError, match="max_bytes must be an int"):
        memory.set_cache_limit(1.5)


def test_switching_off_empties_the_cache_and_restores_numpys_allocator():
    kept = np.ones(MIN, np.uint8)                   # made by the cache, freed after it is off
    a = np.ones(MIN, np.uint8)
    del a
    assert stats()["cached_blocks"] == 1
    memory.set_caching_allocator_enabled(False)
    s = stats()
    assert not s["enabled"] and not s["installed"] and s["cached_bytes"] == 0
    assert get_handler_name() == "default_allocator"
    del kept
    assert stats()["cached_bytes"] == 0             # released, not cached
    with pytest.raises(TypeError, match="enabled must be a bool"):
        memory.set_caching_allocator_enabled(1)
    memory.set_caching_allocator_enabled(True)
    assert get_handler_name() == _alloc.HANDLER_NAME


def test_threads_allocate_and_free_concurrently():
    base = stats()["allocated_bytes"]
    handed = [np.full(MIN // 4 + i, i, np.float32) for i in range(8)]   # made here, freed in the threads
    errors, names = [], []

    def work(k):
        try:
            if k % 2:
                memory.set_caching_allocator_enabled(True)   # this thread's allocations too
            names.append((k % 2, get_handler_name()))
            mine = handed[k]
            for i in range(200):
                a = np.full(MIN // 4 + (i * 997 + k) % 50000, k, np.float32)
                b = np.zeros(MIN // 2 + k, np.float32)
                if not (a == k).all() or b.any():
                    errors.append(f"thread {k}: its arrays were overwritten")
                del a, b
            if not (mine == k).all():
                errors.append(f"thread {k}: the array made by the main thread was overwritten")
        except Exception as e:   # a failure in a thread must fail the test
            errors.append(repr(e))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    del handed
    assert not errors, errors
    # NumPy's handler is per context: a new thread starts with NumPy's own unless it asks (or,
    # from Python 3.14 where threads may inherit the context, unless it inherits ours)
    inherited = _alloc.HANDLER_NAME if getattr(sys.flags, "thread_inherit_context", 0) else "default_allocator"
    assert sorted(set(names)) == sorted({(0, inherited), (1, _alloc.HANDLER_NAME)})
    assert stats()["allocated_bytes"] == base


def _rss():
    if not os.path.exists("/proc/self/statm"):
        return None
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _train(steps, seed=0):
    """A small CNN whose activations and gradients are above the cache threshold; returns the
    final weights, the per-step losses and the cache's byte counters after each step."""
    minigrad.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x = minigrad.from_numpy(rng.standard_normal((32, 1, 28, 28)).astype(np.float32))
    y = minigrad.from_numpy(rng.integers(0, 10, 32))
    model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(8 * 14 * 14, 10))
    opt = minigrad.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    losses, held = [], []
    for _ in range(steps):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        s = stats()
        held.append((s["cached_bytes"], s["allocated_bytes"], s["misses"]))
    return [p.detach().numpy().copy() for p in model.parameters()], losses, held


def test_memory_stays_flat_over_a_long_run():
    _, losses, held = _train(200)
    assert np.isfinite(losses[-1]) and losses[-1] < losses[0]
    after_warm_up = held[10:]
    # the same blocks every step: no new misses, and the cached and live bytes at each step's
    # end repeat exactly
    assert len({h[2] for h in after_warm_up}) == 1
    assert len({h[:2] for h in after_warm_up}) == 1
    assert stats()["hits"] > 190


def test_numbers_do_not_depend_on_the_allocator():
    w_on, loss_on, _ = _train(5)
    memory.set_caching_allocator_enabled(False)
    w_off, loss_off, _ = _train(5)
    assert loss_on == loss_off
    for a, b in zip(w_on, w_off):
        np.testing.assert_array_equal(a, b)


def test_the_environment_variable_switches_it_off():
    code = ("import minigrad, numpy as np; s = minigrad.memory_stats(); a = np.ones(1 << 20); del a; "
            "s2 = minigrad.memory_stats(); print(s['enabled'], s['installed'], s2['cached_bytes'], s2['misses'])")
    env = {**os.environ, "MINIGRAD_CACHING_ALLOCATOR": "0", "PYTHONPATH": ROOT}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "0", "0"]
