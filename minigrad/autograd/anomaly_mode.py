"""Anomaly detection: find the op that made a NaN (torch.autograd.detect_anomaly).

    with minigrad.autograd.detect_anomaly():
        loss = model(x).sum()     # each graph node remembers the line of your code that made it
        loss.backward()           # a NaN gradient raises, naming the node and printing that line

While on (as PyTorch):
- every graph node keeps the traceback of the user's code that made it, in
  `grad_fn.metadata["traceback_"]` (a list of lines, as traceback.format_stack gives; minigrad's
  own frames left out), and a node made during another node's backward keeps that node in
  `metadata["parent_"]`;
- when a node's backward raises, or (with check_nan) returns a gradient holding NaN -
  RuntimeError "Function 'DivBackward0' returned nan values in its 1th output." - the forward
  traceback of that node (and of its parents) is printed first as a UserWarning.
Beyond PyTorch: an op whose output holds NaN/Inf although its inputs are finite - where the
bad values first appear - warns at once in the forward pass, with the same traceback.

The mode is per process, as PyTorch's (one thread turning it on turns it on for all). Off, it
costs nothing: see _observer.py.
"""
import functools
import math
import sys
import warnings

import numpy as np

from . import _observer

_enabled = False
_check_nan = True


def is_anomaly_enabled():
    return _enabled


def is_anomaly_check_nan_enabled():
    return _check_nan


def set_anomaly_enabled(enabled, check_nan=True):
    """torch.set_anomaly_enabled: turn anomaly mode on or off for the whole process."""
    global _enabled, _check_nan
    _enabled, _check_nan = bool(enabled), bool(check_nan)
    _observer.update(anomaly=sys.modules[__name__] if _enabled else None)


class detect_anomaly:
    """Context manager (or decorator) that turns anomaly detection on; `check_nan=False` keeps
    the tracebacks but does not check backward's gradients for NaN."""

    def __init__(self, check_nan=True):
        self.prev = _enabled
        self.check_nan = check_nan
        self.prev_check_nan = _check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only "
                      "be enabled for debugging.", stacklevel=2)

    def __enter__(self):
        set_anomaly_enabled(True, self.check_nan)

    def __exit__(self, *exc):
        set_anomaly_enabled(self.prev, self.prev_check_nan)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = (_enabled, _check_nan)
            set_anomaly_enabled(True, self.check_nan)
            try:
                return fn(*args, **kwargs)
            finally:
                set_anomaly_enabled(*prev)
        return wrapper


class set_detect_anomaly:
    """Turn anomaly detection on or off: at once when called, or for a `with` block."""

    def __init__(self, mode, check_nan=True):
        self.prev = _enabled
        self.prev_check_nan = _check_nan
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        set_anomaly_enabled(self.prev, self.prev_check_nan)
        return False


# ***** the forward pass *****
def _nonfinite(arr):
    """"nan", "inf" or None for an array (any non-float array: None)."""
    if arr.dtype.kind not in "fc" or np.isfinite(arr).all():
        return None
    return "nan" if np.isnan(arr).any() else "inf"


def _finite_inputs(args):
    for a in args:
        if isinstance(a, (list, tuple)):
            if not _finite_inputs(a):
                return False
            continue
        a = getattr(a, "_data", a)
        if isinstance(a, np.ndarray) and _nonfinite(a) is not None:
            return False
        if isinstance(a, float) and not math.isfinite(a):
            return False
    return True


def after_forward(cls, args, out):
    """Called for every op while the mode is on: give its node the user's traceback, and warn
    if the op turned finite inputs into NaN/Inf."""
    outs = out if type(out) is tuple else (out,)
    node = next((t._ctx for t in outs if type(getattr(t, "_ctx", None)) is cls), None)
    stack = None
    if node is not None:
        stack = _observer.user_stack()
        meta = node.metadata
        meta["traceback_"] = stack
        if _observer.local.node is not None:
            meta["parent_"] = _observer.local.node
    for i, t in enumerate(outs):
        data = getattr(t, "_data", None)
        kind = None if data is None else _nonfinite(data)
        if kind is not None:
            if _finite_inputs(args):
                stack = stack or _observer.user_stack()
                warnings.warn(f"Anomaly detected in the forward pass: {cls.__name__} returned {kind} values in its "
                              f"{i}th output from finite inputs. Traceback of the forward call:\n"
                              + "".join(stack), stacklevel=_observer.user_stacklevel())
            return


# ***** the backward pass *****
def _output_index(node, i):
    """PyTorch's index of gradient i among the node's outputs: one per Tensor input."""
    positions = list(node._input_positions())
    return positions.index(i) if i in positions else i


def _check_grads(node, in_grads):
    if type(in_grads) is not tuple:
        in_grads = (in_grads,)
    for i, (p, g) in enumerate(zip(node.parents, in_grads)):
        if p is None or g is None:
            continue
        g = np.asarray(getattr(g, "_data", g))
        if _nonfinite(g) == "nan":
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {_output_index(node, i)}th "
                               "output.")


def _warn_stack(node):
    """PyTorch's report: the failing node's forward traceback, then its parents'."""
    level = _observer.user_stacklevel()
    name, trace = node.name(), node.metadata.get("traceback_")
    if trace is None:
        warnings.warn(f"Error detected in {name}. No forward pass information available. Enable detect anomaly "
                      "during forward pass for more information.", stacklevel=level)
        return
    warnings.warn(f"Error detected in {name}. Traceback of forward call that caused the error:\n" + "".join(trace),
                  stacklevel=level)
    parent = node.metadata.get("parent_")
    while parent is not None:
        warnings.warn(f"\n\nPrevious calculation was induced by {parent.name()}. Traceback of forward call that "
                      "induced the previous calculation:\n" + "".join(parent.metadata.get("traceback_", ())),
                      stacklevel=level)
        parent = parent.metadata.get("parent_")


def checked_backward(node, grads, call):
    """Run call(node, grads) as anomaly mode wants: nodes made meanwhile get this node as their
    parent, the gradients are checked for NaN, and an error prints the forward traceback."""
    prev, _observer.local.node = _observer.local.node, node
    try:
        in_grads = call(node, grads)
        if _check_nan:
            _check_grads(node, in_grads)
        return in_grads
    except Exception:
        _warn_stack(node)
        raise
    finally:
        _observer.local.node = prev
