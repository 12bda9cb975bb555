"""The profiler's results (torch.autograd.profiler_util): events, their averages per key, the
table and the Chrome trace. Times are in microseconds, memory in bytes, as PyTorch's."""
import os
from collections import namedtuple

Interval = namedtuple("Interval", "start end")


class FunctionEvent:
    """One recorded event: an op's forward (cat "cpu_op"), a node's backward ("backward") or a
    record_function range ("user_annotation")."""

    def __init__(self, id, name, cat, thread, start_us, end_us, cpu_time_total, self_cpu_time_total, cpu_parent,
                 input_shapes, stack, cpu_memory_usage, self_cpu_memory_usage, saved_memory_usage, kernel, num_threads,
                 record_args=None):
        self.id, self.name, self.key, self.cat, self.thread = id, name, name, cat, thread
        self.time_range = Interval(start_us, end_us)
        self.cpu_time_total = cpu_time_total
        self.self_cpu_time_total = self_cpu_time_total
        self.cpu_parent, self.cpu_children = cpu_parent, []
        self.input_shapes, self.stack = input_shapes, stack
        self.cpu_memory_usage, self.self_cpu_memory_usage = cpu_memory_usage, self_cpu_memory_usage
        self.saved_memory_usage = saved_memory_usage
        self.kernel, self.num_threads, self.record_args = kernel, num_threads, record_args
        self.count = 1

    @property
    def cpu_time(self):
        return self.cpu_time_total

    @property
    def is_user_annotation(self):
        return self.cat == "user_annotation"

    def __repr__(self):
        return (f"<FunctionEvent id={self.id} name={self.name} cpu_time_total={self.cpu_time_total:.3f}us "
                f"self_cpu_time_total={self.self_cpu_time_total:.3f}us kernel={self.kernel!r}>")


class FunctionEventAvg:
    """The events of one key (name, plus shapes or stack when grouped by them), summed."""

    def __init__(self, key, input_shapes=None, stack=None):
        self.key, self.input_shapes, self.stack = key, input_shapes, stack
        self.count = 0
        self.cpu_time_total = self.self_cpu_time_total = 0.0
        self.cpu_memory_usage = self.self_cpu_memory_usage = self.saved_memory_usage = 0
        self.kernel, self._threads = "", set()

    def add(self, ev):
        self.count += ev.count
        self.cpu_time_total += ev.cpu_time_total
        self.self_cpu_time_total += ev.self_cpu_time_total
        self.cpu_memory_usage += ev.cpu_memory_usage
        self.self_cpu_memory_usage += ev.self_cpu_memory_usage
        self.saved_memory_usage += ev.saved_memory_usage
        self.kernel = ev.kernel
        self._threads.add(ev.num_threads)
        return self

    @property
    def cpu_time(self):
        """Average total time per call."""
        return self.cpu_time_total / self.count if self.count else 0.0

    @property
    def num_threads(self):
        """The distinct thread counts its calls ran with, as a sorted tuple."""
        return tuple(sorted(self._threads))

    def __repr__(self):
        return (f"<FunctionEventAvg key={self.key} count={self.count} cpu_time_total={self.cpu_time_total:.3f}us "
                f"self_cpu_time_total={self.self_cpu_time_total:.3f}us>")


class EventList(list):
    """A list of FunctionEvent or FunctionEventAvg with PyTorch's table, key_averages and trace."""

    def __init__(self, *args, profile_memory=False):
        super().__init__(*args)
        self.profile_memory = profile_memory

    @property
    def self_cpu_time_total(self):
        return sum(e.self_cpu_time_total for e in self)

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0):
        """One FunctionEventAvg per name (and per input shapes / top `group_by_stack_n` frames)."""
        groups = {}
        for ev in self:
            shapes = str(ev.input_shapes) if group_by_input_shape else None
            stack = tuple(ev.stack[:group_by_stack_n]) if group_by_stack_n and ev.stack else None
            key = (ev.key, shapes, stack)
            avg = groups.get(key)
            if avg is None:
                avg = groups[key] = FunctionEventAvg(ev.key, ev.input_shapes if group_by_input_shape else None,
                                                     list(stack) if stack else None)
            avg.add(ev)
        return EventList(groups.values(), profile_memory=self.profile_memory)

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75, max_name_column_width=55,
              max_shapes_column_width=80, header=None):
        """PyTorch's profiler table; sort_by any numeric field (descending): self_cpu_time_total,
        cpu_time_total, cpu_time, count, cpu_memory_usage, self_cpu_memory_usage, saved_memory_usage."""
        return _build_table(self, sort_by, row_limit, max_src_column_width, max_name_column_width,
                            max_shapes_column_width, header)

    def export_chrome_trace(self, path):
        """Write the events as Chrome trace JSON (ph "X" complete events, one row per thread)."""
        import json      # here: the only user, and importing minigrad should not pay for it
        pid = os.getpid()
        trace = [{"ph": "M", "name": "process_name", "pid": pid, "tid": 0, "args": {"name": "minigrad"}}]
        for tid in sorted({e.thread for e in self}):
            trace.append({"ph": "M", "name": "thread_name", "pid": pid, "tid": tid, "args": {"name": f"thread {tid}"}})
        for e in self:
            args = {"Kernel": e.kernel, "Threads": e.num_threads, "Output bytes": e.self_cpu_memory_usage,
                    "Saved bytes": e.saved_memory_usage}
            if e.input_shapes is not None:
                args["Input Dims"] = e.input_shapes
            if e.stack is not None:
                args["Call stack"] = ";".join(e.stack)
            if e.record_args is not None:
                args["Args"] = e.record_args
            trace.append({"ph": "X", "cat": e.cat, "name": e.name, "pid": pid, "tid": e.thread,
                          "ts": round(e.time_range.start, 3), "dur": round(e.cpu_time_total, 3), "args": args})
        with open(path, "w") as f:
            json.dump({"traceEvents": trace, "displayTimeUnit": "ms"}, f)


# ***** the table *****
def _format_time(us):
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


def _format_memory(nbytes):
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if abs(nbytes) >= size:
            return f"{nbytes / size:.2f} {unit}"
    return f"{nbytes} B"


def _truncate(text, width):
    return text if len(text) <= width else text[:width - 3] + "..."


_NUMERIC = ("self_cpu_time_total", "cpu_time_total", "cpu_time", "count", "cpu_memory_usage",
            "self_cpu_memory_usage", "saved_memory_usage")


def _build_table(events, sort_by, row_limit, src_width, name_width, shapes_width, header):
    memory = getattr(events, "profile_memory", False)
    total = sum(e.self_cpu_time_total for e in events)
    if sort_by is not None:
        if sort_by not in _NUMERIC:
            raise AttributeError(f"table: sort_by={sort_by!r} is not a field of the rows; expected one of "
                                 f"{', '.join(_NUMERIC)}")
        events = sorted(events, key=lambda e: getattr(e, sort_by), reverse=True)
    rows = list(events)[:row_limit] if row_limit is not None and row_limit >= 0 else list(events)
    shapes = any(e.input_shapes is not None for e in rows)
    stacks = any(e.stack for e in rows)

    name_w = min(max([len(e.key) for e in rows] + [4]), name_width)
    cols = [("Name", name_w)] + [(h, 12) for h in ("Self CPU %", "Self CPU", "CPU total %", "CPU total",
                                                      "CPU time avg")]
    if memory:
        cols += [("CPU Mem", 12), ("Self CPU Mem", 12), ("Saved Mem", 12)]
    kernel_w = max([len(e.kernel) for e in rows] + [len("Kernel")])
    cols += [("# of Calls", 12), ("Kernel", kernel_w), ("Threads", 8)]
    if shapes:
        cols.append(("Input Shapes", shapes_width))
    if stacks:
        cols.append(("Source Location", src_width))

    def line(values):
        return "  ".join(str(v).rjust(w) if name != "Source Location" else str(v).ljust(w)
                         for (name, w), v in zip(cols, values)).rstrip() + "  "

    sep = "  ".join("-" * w for _, w in cols) + "  "
    out = [header] if header else []
    out += [sep, line([n for n, _ in cols]), sep]

    def pct(x):
        return f"{100.0 * x / total:.2f}%" if total else "0.00%"
    for e in rows:
        values = [_truncate(e.key, name_w), pct(e.self_cpu_time_total), _format_time(e.self_cpu_time_total),
                  pct(e.cpu_time_total), _format_time(e.cpu_time_total), _format_time(e.cpu_time)]
        if memory:
            values += [_format_memory(e.cpu_memory_usage), _format_memory(e.self_cpu_memory_usage),
                       _format_memory(e.saved_memory_usage)]
        threads = e.num_threads if isinstance(e.num_threads, tuple) else (e.num_threads,)
        values += [e.count, e.kernel, ",".join(map(str, threads))]
        if shapes:
            values.append(_truncate(str(e.input_shapes) if e.input_shapes is not None else "", shapes_width))
        frames = e.stack or [""]
        if stacks:
            values.append(_truncate(frames[0], src_width))
        out.append(line(values))
        for frame in frames[1:]:           # the rest of the stack, one frame a line, as PyTorch
            out.append(line([""] * (len(cols) - 1) + [_truncate(frame, src_width)]))
    out += [sep, f"Self CPU time total: {_format_time(total)}", ""]
    return "\n".join(out)
