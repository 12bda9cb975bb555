"""Refuse an absurd allocation before NumPy is asked for it.

Sizes are Python ints, so they never wrap; the checks here turn a size that no machine can hold
into torch's exception type (RuntimeError) instead of NumPy's ValueError/MemoryError, or worse,
an allocation that succeeds lazily and then exhausts the machine while it is filled.
"""
import os

_INT64_MAX = 2**63 - 1


def _physical_memory():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):   # not POSIX: leave it to the allocator
        return None


PHYSICAL_MEMORY = _physical_memory()


def check_alloc(shape, itemsize):
    """RuntimeError if an array of `shape` and `itemsize` overflows int64 (torch's message) or
    needs more bytes than the machine has in RAM."""
    numel = 1
    for n in shape:
        numel *= n
    nbytes = numel * itemsize
    if nbytes > _INT64_MAX:
        raise RuntimeError(f"Storage size calculation overflowed with sizes={[int(n) for n in shape]}")
    if PHYSICAL_MEMORY is not None and nbytes > PHYSICAL_MEMORY:
        raise RuntimeError(f"DefaultCPUAllocator: can't allocate memory: you tried to allocate {nbytes} bytes "
                           f"(this machine has {PHYSICAL_MEMORY} bytes of memory)")
