"""minigrad works without the onnx extra; export then says how to install it."""
import sys

import pytest

import minigrad


def test_export_without_onnx_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)      # makes `import onnx` fail
    with pytest.raises(ImportError, match=r"pip install -e '\.\[onnx\]'"):
        minigrad.onnx.export(minigrad.nn.ReLU(), minigrad.randn(2, 3), None)


def test_hook_is_off_outside_an_export():
    from minigrad.autograd import function
    assert function._tracer is None


def test_tracing_hook_records_only_the_exporting_thread():
    """While one thread is recorded (as an export does), another thread's ops run untraced."""
    import threading

    from minigrad.autograd import function as _function

    seen = []

    class Recorder:
        thread = threading.get_ident()

        def apply(self, cls, args, kwargs):
            seen.append(cls.__name__)
            thread, self.thread = self.thread, None
            try:
                return cls.apply(*args, **kwargs)
            finally:
                self.thread = thread

    _function._tracer = Recorder()
    try:
        other = threading.Thread(target=lambda: minigrad.ones(2) * 3)
        other.start(); other.join()
        assert seen == []
        y = minigrad.ones(2) * 3
        assert seen == ["Mul"] and y.tolist() == [3.0, 3.0]
    finally:
        _function._tracer = None
