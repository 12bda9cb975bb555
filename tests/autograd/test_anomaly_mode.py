"""Anomaly detection: tracebacks on nodes, NaN in backward raises naming the node (as torch),
the forward warns where NaN/Inf first appears, the state is per process (as torch)."""
import threading
import warnings

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad.autograd import Function, anomaly_mode, detect_anomaly, function, set_detect_anomaly


@pytest.fixture(autouse=True)
def _anomaly_off():
    """Every test starts and ends with anomaly mode off (it is per process)."""
    minigrad.autograd.set_anomaly_enabled(False)
    yield
    minigrad.autograd.set_anomaly_enabled(False)
    assert function._observer is None


def _detect(check_nan=True):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # "Anomaly Detection has been enabled ..."
        return detect_anomaly(check_nan)


def _warned(record, text):
    return [str(w.message) for w in record if text in str(w.message)]


# ***** state *****
def test_state_api_as_torch():
    assert not minigrad.is_anomaly_enabled() and minigrad.is_anomaly_check_nan_enabled()
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        ctx = detect_anomaly(check_nan=False)
    with ctx:
        assert minigrad.autograd.is_anomaly_enabled()
        assert not minigrad.autograd.is_anomaly_check_nan_enabled()
        assert function._observer is not None
    assert not minigrad.is_anomaly_enabled() and minigrad.is_anomaly_check_nan_enabled()
    assert function._observer is None
    set_detect_anomaly(True)                      # takes effect when called, as torch
    assert minigrad.is_anomaly_enabled()
    with set_detect_anomaly(False):
        assert not minigrad.is_anomaly_enabled()
    assert minigrad.is_anomaly_enabled()          # restored on exit


def test_decorator():
    @_detect()
    def inside():
        return minigrad.is_anomaly_enabled()
    assert inside() and not minigrad.is_anomaly_enabled()


def _other_thread_sees(lib, setter):
    seen = []
    setter(True)
    t = threading.Thread(target=lambda: seen.append(lib.is_anomaly_enabled()))
    t.start()
    t.join()
    setter(False)
    return seen[0]


def test_per_process_as_torch():
    assert _other_thread_sees(minigrad, minigrad.autograd.set_anomaly_enabled) is True
    torch = pytest.importorskip("torch")
    assert _other_thread_sees(torch, torch.autograd.set_detect_anomaly) is True


# ***** tracebacks *****
def test_off_records_nothing():
    x = minigrad.ones(3, requires_grad=True)
    y = x * 2
    assert "traceback_" not in y.grad_fn.metadata


def test_node_remembers_user_line():
    x = minigrad.ones(3, requires_grad=True)
    with _detect():
        y = F.relu(x * 2)          # the line each node must point at
    for node in (y.grad_fn, y.grad_fn.next_functions[0][0]):
        trace = node.metadata["traceback_"]
        assert isinstance(trace, list) and all(isinstance(s, str) for s in trace)
        assert "y = F.relu(x * 2)" in trace[-1] and __file__ in trace[-1]
        assert not any("minigrad/nn" in s or "minigrad/autograd" in s for s in trace)   # minigrad's frames left out


class Halve(Function):
    """Scales in forward; its backward returns NaN."""
    @staticmethod
    def forward(ctx, scale, x):
        return x * scale

    @staticmethod
    def backward(ctx, g):
        return None, g * float("nan")


def _torch_twin(torch, cls):
    """The same Function for torch (forward and backward are written for either library)."""
    return type("Torch" + cls.__name__, (torch.autograd.Function,),
                {"forward": cls.__dict__["forward"], "backward": cls.__dict__["backward"]})


def test_user_function_nan_in_backward_matches_torch():
    x = minigrad.ones(3, requires_grad=True)
    with _detect(), warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        y = Halve.apply(0.5, x)
        with pytest.raises(RuntimeError) as err:
            y.sum().backward()
    # the non-Tensor argument has no edge: x's gradient is the node's 0th output, as in torch
    assert str(err.value) == "Function 'HalveBackward' returned nan values in its 0th output."
    [msg] = _warned(rec, "Error detected in HalveBackward")
    assert "Traceback of forward call that caused the error:" in msg and "y = Halve.apply(0.5, x)" in msg
    torch = pytest.importorskip("torch")
    TorchHalve = _torch_twin(torch, Halve)
    tx = torch.ones(3, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.autograd.detect_anomaly(), pytest.raises(RuntimeError) as terr:
            TorchHalve.apply(0.5, tx).sum().backward()
    assert str(terr.value) == str(err.value).replace("Halve", "TorchHalve")


def _planted_nan_net(lib):
    """Conv-ReLU-sqrt-MaxPool: max pooling hands 0 to the non-maxima, and sqrt's derivative at
    a ReLU zero is inf: 0 * inf = NaN in SqrtBackward0's gradient."""
    lib.manual_seed(0)
    conv = lib.nn.Conv2d(1, 4, 3)
    with lib.no_grad():
        conv.weight.copy_(lib.tensor(np.linspace(-1, 1, 36, dtype=np.float32).reshape(4, 1, 3, 3)))
        conv.bias.zero_()
    x = lib.tensor(np.sin(np.arange(2 * 64, dtype=np.float32)).reshape(2, 1, 8, 8))
    h = lib.nn.functional.relu(conv(x))
    h = h.sqrt()                              # planted: d sqrt(h) at h = 0
    return lib.nn.functional.max_pool2d(h, 2).sum()


def test_planted_nan_in_conv_net_names_sqrt_and_its_line():
    with _detect(), warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        loss = _planted_nan_net(minigrad)
        assert not _warned(rec, "forward pass")              # the forward values are finite
        with pytest.raises(RuntimeError) as err:
            loss.backward()
    assert str(err.value) == "Function 'SqrtBackward0' returned nan values in its 0th output."
    [msg] = _warned(rec, "Error detected in SqrtBackward0")
    assert "h = h.sqrt()" in msg and "_planted_nan_net" in msg
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.autograd.detect_anomaly(), pytest.raises(RuntimeError) as terr:
            _planted_nan_net(torch).backward()
    assert str(terr.value) == str(err.value)


def test_check_nan_false_keeps_going():
    x = minigrad.ones(3, requires_grad=True)
    with _detect(check_nan=False):
        Halve.apply(0.5, x).sum().backward()
    assert np.isnan(x.grad.numpy()).all()


def test_nan_for_an_input_without_grad_is_not_checked():
    scale, b = minigrad.ones(2, requires_grad=True), minigrad.ones(2)
    with _detect():
        Halve.apply(scale, b).sum().backward()     # NaN only for b, which needs no gradient (torch: not computed)
    assert scale.grad is None


def test_error_in_backward_prints_forward_traceback_and_reraises():
    class Broken(Function):
        @staticmethod
        def forward(ctx, x):
            return x.clone()

        @staticmethod
        def backward(ctx, g):
            raise ValueError("broken backward")
    x = minigrad.ones(2, requires_grad=True)
    with _detect(), warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        out = Broken.apply(x)
        with pytest.raises(ValueError, match="broken backward"):
            out.sum().backward()
    [msg] = _warned(rec, "Error detected in BrokenBackward")
    assert "out = Broken.apply(x)" in msg


def test_graph_built_outside_anomaly_mode():
    x = minigrad.ones(2, requires_grad=True)
    y = Halve.apply(0.5, x)
    with _detect(), warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        with pytest.raises(RuntimeError, match="returned nan values"):
            y.sum().backward()
    assert _warned(rec, "Error detected in HalveBackward. No forward pass information available. Enable detect "
                        "anomaly during forward pass for more information.")


class Square(Function):
    @staticmethod
    def forward(ctx, x, inner):
        ctx.save_for_backward(x)
        ctx.inner = inner
        return x * x

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return ctx.inner.apply(2.0, x * g), None      # recorded when create_graph=True


def _double_backward_nan(lib, square, inner):
    x = lib.ones(2, requires_grad=True)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        with lib.autograd.detect_anomaly():
            y = square.apply(x, inner).sum()
            gx, = lib.autograd.grad(y, x, create_graph=True)
            parent = gx.grad_fn.metadata["parent_"]
            with pytest.raises(RuntimeError) as err:
                gx.sum().backward()
    return str(err.value), parent.name(), [str(w.message) for w in rec if "detected in" in str(w.message)
                                           or "induced" in str(w.message)]


def test_create_graph_nodes_keep_their_parent_and_errors_print_the_chain():
    err, parent, msgs = _double_backward_nan(minigrad, Square, Halve)
    assert err == "Function 'HalveBackward' returned nan values in its 0th output."
    assert parent == "SquareBackward"
    assert len(msgs) == 2
    assert msgs[0].startswith("Error detected in HalveBackward. Traceback of forward call that caused the "
                              "error:") and "return ctx.inner.apply(2.0, x * g), None" in msgs[0]
    assert msgs[1].startswith("\n\nPrevious calculation was induced by SquareBackward. Traceback of forward call "
                              "that induced the previous calculation:") and "y = square.apply(x, inner)" in msgs[1]
    torch = pytest.importorskip("torch")
    terr, tparent, tmsgs = _double_backward_nan(torch, _torch_twin(torch, Square), _torch_twin(torch, Halve))
    assert (terr, tparent) == (err.replace("Halve", "TorchHalve"), "TorchSquareBackward")
    assert [m.split(":")[0] for m in tmsgs] == [m.split(":")[0].replace("Halve", "TorchHalve").replace(
        "Square", "TorchSquare") for m in msgs]


# ***** the forward warning (minigrad's own: torch has none) *****
def test_forward_warns_where_nan_first_appears():
    x = minigrad.tensor([0.0, 1.0], requires_grad=True)
    with _detect(), warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        with np.errstate(all="ignore"):
            y = x / x                              # NaN appears here
            z = (y * 2).exp()                      # ... and only propagates here
    [msg] = _warned(rec, "forward pass")
    assert "Div returned nan values in its 0th output from finite inputs" in msg and "y = x / x" in msg
    assert z.grad_fn is not None


def test_forward_warns_for_inf_and_without_graph():
    with _detect(), warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        with minigrad.no_grad(), np.errstate(all="ignore"):
            minigrad.tensor([1000.0]).exp()
    [msg] = _warned(rec, "forward pass")
    assert "Exp returned inf values" in msg


def test_nonfinite_finds_values_a_sum_hides():
    big = np.full(4, 3e38, dtype=np.float32)      # finite, but the sum overflows
    assert anomaly_mode._nonfinite(big) is None
    assert anomaly_mode._nonfinite(np.array([1.0, np.inf, -np.inf])) == "inf"
    assert anomaly_mode._nonfinite(np.array([1.0, np.nan])) == "nan"
    assert anomaly_mode._nonfinite(np.array([1, 2])) is None


def test_stack_text_is_format_stacks_and_its_cache_is_bounded(monkeypatch):
    import traceback
    from minigrad.autograd import _observer
    ours, theirs = _observer.user_stack(), traceback.format_stack()
    assert ours == theirs[-len(ours):] and len(ours) > 1
    monkeypatch.setattr(_observer, "_MAX_FRAME_TEXTS", 2)
    _observer._frame_text.clear()
    _observer.user_stack()
    assert len(_observer._frame_text) <= 2
