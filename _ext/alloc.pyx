"""The caching allocator of alloc_cache.h behind NumPy's memory-handler API; the policy
(environment variable, default limit, thread notes) lives in minigrad/memory.py."""
from cpython.pycapsule cimport PyCapsule_New
from cpython.ref cimport PyObject
from libc.stddef cimport size_t

cimport numpy as cnp

cnp.import_array()

cdef extern from "alloc_cache.h" nogil:
    ctypedef struct mg_stats_t:
        size_t allocated, allocated_peak, cached, cached_blocks, limit
        unsigned long long hits, misses, evictions
    size_t MG_CACHE_MIN
    void *mg_handler_ptr "(void *)&mg_handler"
    const char *mg_handler_name "mg_handler.name"
    void mg_init(size_t limit)
    void mg_empty_cache()
    void mg_set_limit(size_t limit)
    void mg_set_enabled(int on)
    int mg_enabled_now "__atomic_load_n(&mg_enabled, __ATOMIC_RELAXED)"
    mg_stats_t mg_get_stats()

cdef extern from "numpy/arrayobject.h":
    object PyDataMem_SetHandler(object handler)
    object PyDataMem_GetHandler()
    PyObject *PyDataMem_DefaultHandler

# NumPy keeps a reference to this capsule in every array it allocates through it
_capsule = PyCapsule_New(mg_handler_ptr, b"mem_handler", NULL)
MIN_CACHED_BYTES = MG_CACHE_MIN
HANDLER_NAME = mg_handler_name.decode()


def init(size_t limit):
    """Set the cache limit (bytes) and the fork handlers; called once, at import."""
    mg_init(limit)


def install():
    """Make NumPy allocate through the cache in the calling thread's context; returns the
    handler that was in place (for restore)."""
    return PyDataMem_SetHandler(_capsule)


def restore(previous):
    """Put `previous` (what install returned; None: NumPy's default) back as the calling
    context's handler; returns the one it replaces."""
    return PyDataMem_SetHandler(<object>PyDataMem_DefaultHandler if previous is None else previous)


def installed():
    """Whether NumPy allocates through the cache in the calling thread's context."""
    return PyDataMem_GetHandler() is _capsule


def set_enabled(bint on):
    """Off: blocks freed from now on go back to the OS and new ones come from malloc; the cache
    is emptied."""
    mg_set_enabled(on)


def enabled():
    return bool(mg_enabled_now)


def empty_cache():
    """Unmap every cached (free) block."""
    with nogil:
        mg_empty_cache()


def set_limit(size_t limit):
    """At most `limit` bytes of free blocks are kept; evicts down to it at once."""
    with nogil:
        mg_set_limit(limit)


def stats():
    cdef mg_stats_t s = mg_get_stats()
    return {"allocated_bytes": s.allocated, "allocated_bytes_peak": s.allocated_peak,
            "cached_bytes": s.cached, "cached_blocks": s.cached_blocks, "cache_limit_bytes": s.limit,
            "hits": s.hits, "misses": s.misses, "evictions": s.evictions}
