"""Grad mode: whether Function.apply records a graph. Per thread, as in PyTorch: an evaluation
thread inside `no_grad` leaves a training thread recording, and a new thread starts enabled."""
import functools
import threading


class _State(threading.local):
    enabled = True   # the class attribute is what a thread sees before it sets its own


# Read as `state.enabled` on every op (one thread-local attribute lookup, ~20 ns).
state = _State()


def is_grad_enabled():
    return state.enabled


def _set(mode):
    prev, state.enabled = state.enabled, bool(mode)
    return prev


class _GradModeContext:
    """Base for no_grad / enable_grad: a context manager that also decorates functions."""
    mode = True

    def __enter__(self):
        self._prev = _set(self.mode)

    def __exit__(self, *exc):
        _set(self._prev)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_GradModeContext):
    """Inside `with no_grad():` (or a function decorated `@no_grad()`) no graph is recorded."""
    mode = False


class enable_grad(_GradModeContext):
    """Turn recording back on inside a no_grad block."""
    mode = True


class set_grad_enabled(_GradModeContext):
    def __init__(self, mode):
        self.mode = bool(mode)
        self._prev = _set(self.mode)   # like torch: takes effect on construction too

    def __enter__(self):
        pass


# ***** inference mode *****
class _InferenceState(threading.local):
    enabled = False


_inference = _InferenceState()
_lock = threading.Lock()
_threads_inside = 0     # threads now in inference mode; Tensor._init marks tensors only while > 0


def is_inference_mode_enabled():
    return _inference.enabled


def _set_inference(mode):
    """Set this thread's inference mode; return the previous one. While any thread is inside,
    Tensor._init is wrapped to mark that thread's new tensors (so outside it costs nothing)."""
    global _threads_inside
    prev, _inference.enabled = _inference.enabled, mode
    if prev != mode:
        with _lock:
            _threads_inside += 1 if mode else -1
            if _threads_inside == (1 if mode else 0):
                _mark_inference_tensors(mode)
    return prev


_plain_init = None


def _mark_inference_tensors(on):
    global _plain_init
    from ..tensor import Tensor
    if not on:
        Tensor._init = _plain_init
        return
    _plain_init = plain = Tensor._init

    def _init(self, arr, requires_grad=False, ctx=None, idx=0):
        plain(self, arr, requires_grad, ctx, idx)
        if _inference.enabled:
            self._inference = True
    Tensor._init = _init


class inference_mode(_GradModeContext):
    """torch.inference_mode: no_grad that also marks the tensors made inside (`t.is_inference()`).
    inference_mode(False) turns grad mode on, as in torch. Unlike torch, minigrad does not
    forbid using an inference tensor in autograd later: it is a plain tensor that requires no
    grad (torch raises "Inference tensors cannot be saved for backward"); and there is no
    speed-up beyond no_grad's, since minigrad keeps no version counters or views to skip."""

    def __new__(cls, mode=True):
        if mode is None or isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)   # bare `@inference_mode` on a function

    def __init__(self, mode=True):
        self.mode = mode

    def __enter__(self):
        self._prev = (_set(not self.mode), _set_inference(bool(self.mode)))

    def __exit__(self, *exc):
        _set(self._prev[0])
        _set_inference(self._prev[1])
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.clone():
                return fn(*args, **kwargs)
        return wrapper

    def clone(self):
        return self.__class__(self.mode)
