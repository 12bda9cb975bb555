"""minigrad's caching allocator for large NumPy buffers, and its statistics.

A training step asks for the same large buffers every step (activations, im2col columns,
gradients). Fresh memory costs a page fault per page on its first write, about as much as a
memory-bound kernel's pass over it, so the C allocator in minigrad._C.alloc keeps freed blocks
of 128 KiB or more and hands them to the next request of their size class. It sits behind
NumPy's memory-handler API, so every array NumPy allocates gets it, minigrad's or not.

- Bounded: at most `cache_limit_bytes` of free blocks are kept (1/8 of the machine's memory by
  default, `set_cache_limit`); past it the least recently freed go back to the OS.
  `empty_cache()` gives all of them back at once, as torch.cuda.empty_cache does.
- Off with MINIGRAD_CACHING_ALLOCATOR=0 in the environment (read at import) or
  `set_caching_allocator_enabled(False)`; the numbers computed are the same either way.
- Threads: NumPy keeps its handler per context (a contextvars variable), so arrays made in the
  thread that imported minigrad go through the cache, and those of a thread that calls
  `set_caching_allocator_enabled(True)`; other threads use NumPy's own allocator. Any array is
  freed correctly from any thread; the cache is guarded by a lock.
"""
import contextvars
import os

from ._alloc import PHYSICAL_MEMORY
from ._C import alloc as _C

__all__ = ["empty_cache", "memory_stats", "set_cache_limit", "set_caching_allocator_enabled",
           "is_caching_allocator_enabled"]

# per context, as NumPy's handler: what set_caching_allocator_enabled(True) replaced there
_replaced = contextvars.ContextVar("minigrad_replaced_mem_handler", default=None)


def empty_cache():
    """Return every cached (free) block to the operating system."""
    _C.empty_cache()


def memory_stats():
    """The caching allocator's counters, as a dict:
    enabled, installed (in this thread), min_cached_block_bytes, cache_limit_bytes,
    allocated_bytes / allocated_bytes_peak (live blocks of min_cached_block_bytes or more, by
    their size class), cached_bytes / cached_blocks (free blocks kept for reuse),
    hits / misses (large requests served from the cache / by fresh memory),
    evictions (blocks given back because the limit was reached)."""
    stats = {"enabled": _C.enabled(), "installed": _C.installed(),
             "min_cached_block_bytes": _C.MIN_CACHED_BYTES}
    stats.update(_C.stats())
    return stats


def set_cache_limit(max_bytes):
    """Keep at most `max_bytes` of free blocks (0 caches nothing); evicts down to it at once."""
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int):
        raise TypeError(f"set_cache_limit: max_bytes must be an int, got {type(max_bytes).__name__}")
    if max_bytes < 0:
        raise ValueError(f"set_cache_limit: max_bytes must be >= 0, got {max_bytes}")
    _C.set_limit(max_bytes)


def set_caching_allocator_enabled(enabled):
    """True: NumPy allocates through the cache in the calling thread. False: caching stops
    everywhere, the cache is emptied, and the calling thread gets back the allocator it had."""
    if not isinstance(enabled, bool):
        raise TypeError(f"set_caching_allocator_enabled: enabled must be a bool, got {type(enabled).__name__}")
    _C.set_enabled(enabled)
    if enabled and not _C.installed():
        _replaced.set(_C.install())
    elif not enabled and _C.installed():
        _C.restore(_replaced.get())


def is_caching_allocator_enabled():
    """Whether large blocks are cached (in the threads where the allocator is installed)."""
    return _C.enabled()


_C.init(PHYSICAL_MEMORY // 8 if PHYSICAL_MEMORY else 1 << 30)
set_caching_allocator_enabled(os.environ.get("MINIGRAD_CACHING_ALLOCATOR", "1").strip() != "0")
