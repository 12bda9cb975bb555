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
