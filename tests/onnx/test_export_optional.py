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
