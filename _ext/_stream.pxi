# Included by act.pyx and pool.pyx (each module keeps its own setting): outputs of at least
# STREAM_MIN_BYTES are written with non-temporal stores by the kernels that have them -- half
# the last-level cache of the reference machine (32 MiB L3): a smaller output may still be in
# the cache when the next op reads it, so it is stored normally, while input and output of a
# larger op exceed the cache anyway.
STREAM_MIN_BYTES = 16 << 20
cdef Py_ssize_t _stream_min = STREAM_MIN_BYTES


def set_stream_min_bytes(Py_ssize_t nbytes):
    """Set the output size from which the streaming stores are used (default STREAM_MIN_BYTES;
    0: always, e.g. to test them on small arrays). Returns the previous value."""
    global _stream_min
    if nbytes < 0:
        raise ValueError(f"set_stream_min_bytes: nbytes must be >= 0, got {nbytes}")
    old, _stream_min = _stream_min, nbytes
    return old
