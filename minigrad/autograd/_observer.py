"""The one hook that anomaly mode and the profiler share.

While either is on, `function._observer` is OBSERVER, and three places hand it their work:
ArrayFunction.apply and Function.apply (a forward op: `claims()`, then `apply`), and the
engine's node loop (a node's backward: `backward`). When both are off it is None, and each op
and each node pays one global `is not None` check, nothing more.

State: anomaly mode is per process (as PyTorch's: a thread that turns it on turns it on for
all); a profiler records the ops of the thread that entered it (PyTorch's default).
"""
import os
import sys
import threading
import traceback

from . import function as _function

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


class _Local(threading.local):
    passing = False   # True between OBSERVER.apply and the op's own apply: that call is not claimed again
    node = None       # the node whose backward runs now (anomaly mode: nodes made inside get "parent_")


local = _Local()


class Observer:
    def __init__(self):
        self.anomaly = None      # anomaly_mode's module while anomaly mode is on
        self.profilers = {}      # threading.get_ident() -> the profile recording that thread

    def claims(self):
        """Whether this op call is observed: not when OBSERVER itself made it (its apply calls
        the op's apply once more), nor on a thread no one watches."""
        if local.passing:
            local.passing = False
            return False
        return self.anomaly is not None or threading.get_ident() in self.profilers

    def apply(self, cls, args, kwargs):
        prof = self.profilers.get(threading.get_ident())
        rec = None if prof is None else prof.begin(cls.__name__, "cpu_op", cls, args)
        local.passing = True
        try:
            out = cls.apply(*args, **kwargs)
        except BaseException:
            if rec is not None:
                prof.end(rec, None)
            raise
        finally:
            local.passing = False   # also when a tracer in between raised before reaching the op
        if rec is not None:
            prof.end(rec, out)
        if self.anomaly is not None:
            self.anomaly.after_forward(cls, args, out)
        return out

    def backward(self, node, grads, call):
        """call(node, grads) -> the node's input gradients, timed and/or checked. Any backward
        loop can use it: `observer.backward(node, grads, how_this_loop_calls_a_node)`."""
        prof = self.profilers.get(threading.get_ident())
        if prof is None:
            return self._run(node, grads, call)
        rec = prof.begin(node.name(), "backward", type(node), None)
        try:
            in_grads = self._run(node, grads, call)
        except BaseException:
            prof.end(rec, None)
            raise
        prof.end(rec, in_grads)
        return in_grads

    def _run(self, node, grads, call):
        if self.anomaly is None:
            return call(node, grads)
        return self.anomaly.checked_backward(node, grads, call)


OBSERVER = Observer()
_lock = threading.Lock()


def update(anomaly=False, thread=None, profiler=None):
    """Turn anomaly mode on/off (anomaly = the anomaly_mode module or None), or set/clear
    (profiler = a profile or None) the profiler of `thread`; install OBSERVER if anything is on."""
    with _lock:
        if anomaly is not False:
            OBSERVER.anomaly = anomaly
        if thread is not None:
            if profiler is None:
                OBSERVER.profilers.pop(thread, None)
            else:
                OBSERVER.profilers[thread] = profiler
        on = OBSERVER.anomaly is not None or OBSERVER.profilers
        _function._observer = OBSERVER if on else None


# (code, line, style) -> that frame as text: a stack is taken per op, so each distinct line is
# formatted once (reading the source line is what costs), then only looked up.
_frame_text = {}
_MAX_FRAME_TEXTS = 1 << 16


def _frame(code, lineno, style):
    if len(_frame_text) >= _MAX_FRAME_TEXTS:
        _frame_text.clear()
    if style == "traceback":    # traceback.format_stack's lines
        text = "".join(traceback.StackSummary.from_list(
            [traceback.FrameSummary(code.co_filename, lineno, code.co_name)]).format())
    else:                       # the profiler's "file(line): function"
        text = f"{code.co_filename}({lineno}): {code.co_name}"
    _frame_text[(code, lineno, style)] = text
    return text


def user_stack(style="traceback"):
    """The caller's stack as text, one string per frame, innermost last, without minigrad's own
    frames (a user reads the line of their code that made the op, not the functional layer's).
    style: "traceback" (traceback.format_stack's lines) or "location" ("file.py(12): forward",
    the profiler's)."""
    out, f, get = [], sys._getframe(1), _frame_text.get
    while f is not None:
        code = f.f_code
        if not code.co_filename.startswith(_PACKAGE):
            lineno = f.f_lineno
            out.append(get((code, lineno, style)) or _frame(code, lineno, style))
        f = f.f_back
    out.reverse()
    return out


def user_stacklevel():
    """warnings.warn's stacklevel (from its caller) that points at the innermost user frame."""
    f, level = sys._getframe(1), 1
    while f is not None and f.f_code.co_filename.startswith(_PACKAGE):
        f, level = f.f_back, level + 1
    return level
