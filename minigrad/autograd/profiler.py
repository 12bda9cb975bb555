"""Where the time goes: a profiler for minigrad's ops (torch.autograd.profiler).

    from minigrad.autograd import profiler
    with profiler.profile(record_shapes=True) as prof:
        with profiler.record_function("step"):
            model(x).sum().backward()
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=10))
    prof.export_chrome_trace("trace.json")       # open in chrome://tracing or ui.perfetto.dev

An event is one op's forward (named by its class: "Conv2d"), one graph node's backward (its
grad_fn's name: "Conv2dBackward0") or a `record_function` range. Events nest: an op that runs
while another event is open (inside a user Function's forward or backward, inside a range)
is that event's child, so each event has a total and a self time (total minus its children's).
Per event also: the bytes of its outputs (the gradients, for a backward) and of the tensors it
saved for backward, the kernel path (the minigrad._C kernels its code calls, with the
instruction set they chose, or "numpy"), and minigrad.get_num_threads() when it ran.

Only the thread that entered `profile` is recorded (PyTorch's default); one profile per thread
at a time. Off, nothing is recorded and each op pays one global check (see _observer.py).
"""
import contextlib
import threading
import types
from time import perf_counter_ns

from .. import _parallel
from . import _observer, profiler_util

__all__ = ["profile", "record_function"]


class _Record:
    """One event while it is being recorded (times in perf_counter_ns)."""
    __slots__ = ("name", "cat", "cls", "parent", "start", "end", "child_ns", "threads", "shapes", "stack", "args",
                 "out_bytes", "child_bytes", "saved_bytes")


def _shapes(args):
    return [list(a.shape) if hasattr(a, "shape") else [] for a in args]


def _nbytes(x):
    x = getattr(x, "_data", x)
    return getattr(x, "nbytes", 0)


class profile:
    """torch.autograd.profiler.profile: records this thread's ops while the `with` block runs.

    Args: enabled (False: record nothing), record_shapes (each event keeps its inputs' shapes;
    key_averages(group_by_input_shape=True) groups by them), profile_memory (the table shows
    the bytes of outputs and saved tensors), with_stack (each event keeps the user's stack;
    key_averages(group_by_stack_n=n)). use_cuda / use_cpu as PyTorch's, for a CPU-only library.
    """

    def __init__(self, enabled=True, *, use_cuda=False, record_shapes=False, profile_memory=False, with_stack=False,
                 use_cpu=True):
        if use_cuda:
            raise RuntimeError("profile: use_cuda=True, but minigrad runs on the CPU only")
        if not use_cpu:
            raise ValueError("profile: use_cpu=False leaves nothing to record (minigrad runs on the CPU only)")
        self.enabled = bool(enabled)
        self.record_shapes = bool(record_shapes)
        self.profile_memory = bool(profile_memory)
        self.with_stack = bool(with_stack)
        self._records, self._open = [], []
        self._events = None
        self._thread = None

    # ***** recording *****
    def __enter__(self):
        if not self.enabled:
            return self
        if self._thread is not None or self._events is not None:
            raise RuntimeError("profile: this profiler has already been used; make a new one")
        thread = threading.get_ident()
        if thread in _observer.OBSERVER.profilers:
            raise RuntimeError("profile: a profiler is already recording this thread (one at a time per thread)")
        self._thread, self._native_thread = thread, threading.get_native_id()
        self._t0 = perf_counter_ns()
        _observer.update(thread=thread, profiler=self)
        return self

    def __exit__(self, *exc):
        if not self.enabled:
            return False
        _observer.update(thread=self._thread, profiler=None)
        while self._open:                      # ranges an exception left open end here
            self.end(self._open[-1], None)
        self._events = self._build_events()
        self._records = []
        return False

    def begin(self, name, cat, cls, args):
        """Open an event (cat: "cpu_op" for a forward, "backward", "user_annotation")."""
        rec = _Record()
        rec.name, rec.cat, rec.cls, rec.args = name, cat, cls, None
        rec.parent = self._open[-1] if self._open else None
        rec.threads = _parallel.get_num_threads()
        rec.shapes = _shapes(args) if self.record_shapes and args is not None else None
        rec.stack = _observer.user_stack("location") if self.with_stack else None
        rec.child_ns = rec.child_bytes = rec.out_bytes = rec.saved_bytes = 0
        self._open.append(rec)
        self._records.append(rec)
        rec.start = perf_counter_ns()
        return rec

    def end(self, rec, out):
        """Close `rec`, the innermost open event; `out` is what it returned (None after an error)."""
        rec.end = t = perf_counter_ns()
        self._open.pop()
        if out is not None:
            outs = out if type(out) is tuple else (out,)
            rec.out_bytes = sum([_nbytes(o) for o in outs])
            if rec.cat == "cpu_op":
                node = next((o._ctx for o in outs if type(getattr(o, "_ctx", None)) is rec.cls), None)
                if node is not None:
                    rec.saved_bytes = sum([_nbytes(s) for s in node._saved])
        if rec.parent is not None:
            rec.parent.child_ns += t - rec.start
            rec.parent.child_bytes += rec.out_bytes + rec.child_bytes

    # ***** results *****
    def _build_events(self):
        events, ids = profiler_util.EventList(profile_memory=self.profile_memory), {}
        for i, r in enumerate(self._records):
            ids[id(r)] = i
            parent = None if r.parent is None else events[ids[id(r.parent)]]
            ev = profiler_util.FunctionEvent(
                id=i, name=r.name, cat=r.cat, thread=self._native_thread, start_us=(r.start - self._t0) / 1e3,
                end_us=(r.end - self._t0) / 1e3, cpu_time_total=(r.end - r.start) / 1e3,
                self_cpu_time_total=(r.end - r.start - r.child_ns) / 1e3,
                cpu_parent=parent, input_shapes=r.shapes,
                stack=None if r.stack is None else r.stack[::-1],      # innermost first, as PyTorch
                cpu_memory_usage=r.out_bytes + r.child_bytes, self_cpu_memory_usage=r.out_bytes,
                saved_memory_usage=r.saved_bytes, kernel=kernel_path(r.cls, r.cat), num_threads=r.threads,
                record_args=r.args)
            if parent is not None:
                parent.cpu_children.append(ev)
            events.append(ev)
        return events

    @property
    def function_events(self):
        """Every recorded event, in the order they began (an EventList)."""
        if self._events is None:
            raise RuntimeError("profile: results are available once the `with profile()` block has ended")
        return self._events

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0):
        return self.function_events.key_averages(group_by_input_shape, group_by_stack_n)

    def table(self, *args, **kwargs):
        return self.function_events.table(*args, **kwargs)

    def export_chrome_trace(self, path):
        return self.function_events.export_chrome_trace(path)

    @property
    def self_cpu_time_total(self):
        return self.function_events.self_cpu_time_total

    def __str__(self):
        return self.table()


class record_function(contextlib.ContextDecorator):
    """A named range in the profile (a `with` block or a decorated function); nothing when no
    profiler records this thread. `args` is a note shown in the trace."""

    def __init__(self, name, args=None):
        self.name, self.args = name, args
        self._prof = self._rec = None

    def __enter__(self):
        prof = _observer.OBSERVER.profilers.get(threading.get_ident())
        if prof is not None:
            self._prof, self._rec = prof, prof.begin(self.name, "user_annotation", None, None)
            self._rec.args = self.args
        return self

    def __exit__(self, *exc):
        if self._rec is not None and self._rec in self._prof._open:
            while self._prof._open[-1] is not self._rec:   # ops an exception left open
                self._prof.end(self._prof._open[-1], None)
            self._prof.end(self._rec, None)
        self._prof = self._rec = None
        return False


# ***** kernel paths *****
# One scan of an op's code per class: the minigrad._C modules its forward (or backward)
# reaches through names it reads, following minigrad's own helper functions (mm -> gemm).
_KERNEL_PATHS = {}
_NOT_KERNELS = ("parallel", "probe")      # thread-count and CPU queries, not compute kernels
_isa = None


def _scan(code, globs, cls, found, seen, depth):
    if code in seen or depth > 4:
        return
    seen.add(code)
    for name in code.co_names:
        obj = globs.get(name)
        if obj is None and cls is not None:
            obj = getattr(cls, name, None)
        module = obj.__name__ if isinstance(obj, types.ModuleType) else getattr(obj, "__module__", None) or ""
        if module.startswith("minigrad._C."):
            if module[12:] not in _NOT_KERNELS:
                found[module[12:]] = None
        elif isinstance(obj, types.FunctionType) and module.startswith("minigrad.") \
                and not module.startswith("minigrad.autograd"):
            _scan(obj.__code__, obj.__globals__, cls, found, seen, depth + 1)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _scan(const, globs, cls, found, seen, depth)


def kernel_path(cls, cat):
    """"gemm(avx2)+im2col", "numpy" (no minigrad._C kernel), "python" (a user Function: its
    work shows as the ops it calls) or "" (a record_function range)."""
    if cls is None:
        return ""
    key = (cls, cat)
    path = _KERNEL_PATHS.get(key)
    if path is None:
        global _isa
        if cls._tensor_level:
            path = "python"
        else:
            if _isa is None:
                from .._config import config
                _isa = config()["kernels"]
            fn = cls.forward if cat == "cpu_op" else cls.backward
            found = {}
            _scan(fn.__code__, fn.__globals__, cls, found, set(), 0)
            path = "+".join(f"{m}({_isa[m]})" if m in _isa else m for m in found) or "numpy"
        _KERNEL_PATHS[key] = path
    return path
