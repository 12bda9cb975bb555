"""minigrad.inference_mode: no_grad that marks the tensors made inside; per thread."""
import threading

import numpy as np
import pytest

import minigrad

try:
    import torch
except ImportError:
    torch = None

LIBS = [minigrad] + ([torch] if torch is not None else [])


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_tensors_made_inside_are_inference_tensors(lib):
    x = lib.ones(3, requires_grad=True)
    with lib.inference_mode():
        assert lib.is_inference_mode_enabled() and not lib.is_grad_enabled()
        y = x * 2
        z = lib.zeros(2)
    assert y.is_inference() and z.is_inference() and not y.requires_grad
    assert not x.is_inference() and not (x * 2).is_inference()
    assert not lib.is_inference_mode_enabled() and lib.is_grad_enabled()
    np.testing.assert_array_equal(y.numpy(), [2.0, 2.0, 2.0])


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_mode_false_turns_grad_on_and_nesting_restores(lib):
    states = []
    with lib.no_grad():
        with lib.inference_mode(False):
            states.append((lib.is_grad_enabled(), lib.is_inference_mode_enabled(), lib.ones(1).is_inference()))
        states.append((lib.is_grad_enabled(), lib.is_inference_mode_enabled()))
    with lib.inference_mode():
        with lib.inference_mode(False):
            states.append((lib.is_grad_enabled(), lib.is_inference_mode_enabled(), lib.ones(1).is_inference()))
        with lib.enable_grad():
            states.append((lib.is_grad_enabled(), lib.is_inference_mode_enabled(), lib.ones(1).is_inference()))
        states.append((lib.is_grad_enabled(), lib.is_inference_mode_enabled()))
    assert states == [(True, False, False), (False, False), (True, False, False), (True, True, True), (False, True)]


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_decorator_with_and_without_call(lib):
    @lib.inference_mode
    def bare():
        return lib.is_inference_mode_enabled(), lib.ones(1).is_inference()

    @lib.inference_mode()
    def called(x):
        return x * 2

    @lib.inference_mode(mode=False)
    def off():
        return lib.is_inference_mode_enabled()

    assert bare() == (True, True)
    assert called(lib.ones(2, requires_grad=True)).is_inference()
    with lib.inference_mode():
        assert off() is False
    ctx = lib.inference_mode(False)
    assert isinstance(ctx.clone(), lib.inference_mode) and ctx.clone().mode is False


def test_inference_mode_is_per_thread():
    inside, seen = threading.Event(), {}
    done = threading.Event()

    def worker():
        with minigrad.inference_mode():
            inside.set()
            done.wait(5)

    t = threading.Thread(target=worker)
    t.start()
    inside.wait(5)
    seen["mode"], seen["grad"] = minigrad.is_inference_mode_enabled(), minigrad.is_grad_enabled()
    seen["tensor"] = minigrad.ones(1).is_inference()
    done.set()
    t.join()
    assert seen == {"mode": False, "grad": True, "tensor": False}


def test_no_tensor_marking_outside_inference_mode():
    from minigrad.tensor import Tensor
    plain = Tensor.__dict__["_init"]
    with minigrad.inference_mode():
        assert Tensor.__dict__["_init"] is not plain
    assert Tensor.__dict__["_init"] is plain


def test_minigrad_allows_inference_tensors_in_autograd_later():
    """Documented difference: torch refuses to save an inference tensor for backward."""
    with minigrad.inference_mode():
        w = minigrad.full((2,), 3.0)
    x = minigrad.ones(2, requires_grad=True)
    (x * w).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
    if torch is not None:
        with torch.inference_mode():
            wt = torch.full((2,), 3.0)
        with pytest.raises(RuntimeError, match="Inference tensors cannot be saved for backward"):
            torch.ones(2, requires_grad=True) * wt


def test_exported_from_autograd():
    assert minigrad.autograd.inference_mode is minigrad.inference_mode
    assert minigrad.autograd.is_inference_mode_enabled is minigrad.is_inference_mode_enabled
